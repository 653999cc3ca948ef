//! NSGA-II's ranking (Deb et al. 2002): constrained domination, the fast non-dominated sort,
//! crowding distance, and the elitist selection of the next parent population.

use crate::objective;

/// One finished trial as NSGA-II sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Point {
    /// Where the trial is in the history.
    pub index: usize,
    /// Its objectives as losses (smaller is better).
    pub losses: Vec<f64>,
    /// The sum of its positive constraint values (0 when feasible or unconstrained).
    pub violation: f64,
}

/// Deb's constrained domination (Optuna's): a feasible point beats an infeasible one, of two
/// infeasible points the smaller total violation wins, and two feasible points compare by
/// Pareto dominance.
pub(crate) fn dominates(a: &Point, b: &Point) -> bool {
    match (a.violation > 0.0, b.violation > 0.0) {
        (false, true) => true,
        (true, false) => false,
        (true, true) => a.violation < b.violation,
        (false, false) => objective::dominates(&a.losses, &b.losses),
    }
}

/// The fronts of `points` (indices into it) under constrained domination, best first.
pub(crate) fn fronts(points: &[Point]) -> Vec<Vec<usize>> {
    objective::fronts_by(points.len(), |i, j| dominates(&points[i], &points[j]))
}

/// The crowding distance of each member of `front` (in its order): per objective, the gap
/// between its neighbours over the objective's range; the extremes are infinite.
pub(crate) fn crowding(points: &[Point], front: &[usize]) -> Vec<f64> {
    let mut distance = vec![0.0; front.len()];
    let Some(first) = front.first() else {
        return distance;
    };
    for m in 0..points[*first].losses.len() {
        let mut order: Vec<usize> = (0..front.len()).collect();
        order.sort_by(|&a, &b| {
            points[front[a]].losses[m]
                .total_cmp(&points[front[b]].losses[m])
                .then(front[a].cmp(&front[b]))
        });
        let value = |k: usize| points[front[order[k]]].losses[m];
        let last = order.len() - 1;
        let range = value(last) - value(0);
        distance[order[0]] = f64::INFINITY;
        distance[order[last]] = f64::INFINITY;
        if range <= 0.0 || !range.is_finite() {
            continue;
        }
        for k in 1..last {
            distance[order[k]] += (value(k + 1) - value(k - 1)) / range;
        }
    }
    distance
}

/// A selected member: its index into the points, its front and crowding distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ranked {
    /// Index into the points selected from.
    pub point: usize,
    /// Its front (0 is the best).
    pub rank: usize,
    /// Its crowding distance within its front.
    pub crowding: f64,
}

/// NSGA-II's elitist selection: whole fronts while they fit into `size`, then the most
/// spread-out members (largest crowding distance) of the front that does not.
pub(crate) fn select(points: &[Point], size: usize) -> Vec<Ranked> {
    let mut chosen = Vec::with_capacity(size.min(points.len()));
    for (rank, front) in fronts(points).into_iter().enumerate() {
        if chosen.len() >= size {
            break;
        }
        let distance = crowding(points, &front);
        let mut members: Vec<Ranked> = front
            .iter()
            .zip(distance)
            .map(|(&point, crowding)| Ranked {
                point,
                rank,
                crowding,
            })
            .collect();
        if chosen.len() + members.len() > size {
            members.sort_by(|a, b| {
                b.crowding
                    .total_cmp(&a.crowding)
                    .then(a.point.cmp(&b.point))
            });
            members.truncate(size - chosen.len());
        }
        chosen.extend(members);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(index: usize, losses: &[f64], violation: f64) -> Point {
        Point {
            index,
            losses: losses.to_vec(),
            violation,
        }
    }

    #[test]
    fn fronts_and_constrained_domination() {
        let points = [
            p(0, &[1.0, 4.0], 0.0),
            p(1, &[2.0, 2.0], 0.0),
            p(2, &[4.0, 1.0], 0.0),
            p(3, &[3.0, 3.0], 0.0),
            p(4, &[0.0, 0.0], 0.5), // the best losses, but infeasible
            p(5, &[0.0, 0.0], 2.0),
        ];
        assert_eq!(
            fronts(&points),
            vec![vec![0, 1, 2], vec![3], vec![4], vec![5]]
        );
        assert!(dominates(&points[3], &points[4]) && dominates(&points[4], &points[5]));
    }

    #[test]
    fn crowding_keeps_the_extremes_and_the_spread() {
        let points: Vec<Point> = [0.0, 0.2, 0.5, 0.9, 1.0]
            .iter()
            .enumerate()
            .map(|(i, &x)| p(i, &[x, 1.0 - x], 0.0))
            .collect();
        let d = crowding(&points, &[0, 1, 2, 3, 4]);
        assert!(d[0].is_infinite() && d[4].is_infinite());
        assert!((d[2] - 2.0 * 0.7).abs() < 1e-12, "{d:?}");
        // Three of the five: the extremes and the one with the most room.
        let kept: Vec<usize> = select(&points, 3).iter().map(|r| r.point).collect();
        assert_eq!(kept, vec![0, 4, 2]);
    }
}
