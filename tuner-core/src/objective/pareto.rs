//! Pareto dominance between loss vectors and the fast non-dominated sort (Deb et al. 2002):
//! one sort for NSGA-II's ranking (under its constrained domination) and for the good/bad
//! split of the multi-objective TPE (under plain dominance).

/// Whether losses `a` dominate `b`: no larger in any coordinate and smaller in one.
pub(crate) fn dominates(a: &[f64], b: &[f64]) -> bool {
    let mut strictly = false;
    for (x, y) in a.iter().zip(b) {
        if x > y {
            return false;
        }
        strictly |= x < y;
    }
    strictly
}

/// The fronts of `n` items under `beats(i, j)` ("i dominates j"), best first: front 0 holds
/// the items nothing beats, front k those beaten only by items of earlier fronts. Each front
/// lists its items in ascending order.
pub(crate) fn fronts_by(n: usize, beats: impl Fn(usize, usize) -> bool) -> Vec<Vec<usize>> {
    let mut beaten_by = vec![0usize; n];
    let mut beaten: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in i + 1..n {
            if beats(i, j) {
                beaten[i].push(j);
                beaten_by[j] += 1;
            } else if beats(j, i) {
                beaten[j].push(i);
                beaten_by[i] += 1;
            }
        }
    }
    let mut fronts = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| beaten_by[i] == 0).collect();
    while !current.is_empty() {
        let mut next = Vec::new();
        for &i in &current {
            for &j in &beaten[i] {
                beaten_by[j] -= 1;
                if beaten_by[j] == 0 {
                    next.push(j);
                }
            }
        }
        next.sort_unstable();
        fronts.push(std::mem::replace(&mut current, next));
    }
    fronts
}

/// The fronts of loss vectors under plain Pareto dominance (see [`fronts_by`]).
pub(crate) fn fronts(points: &[&[f64]]) -> Vec<Vec<usize>> {
    fronts_by(points.len(), |i, j| dominates(points[i], points[j]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fronts_peel_off_layer_by_layer() {
        let points: Vec<&[f64]> = vec![
            &[3.0, 3.0],
            &[1.0, 4.0],
            &[2.0, 2.0],
            &[4.0, 1.0],
            &[4.0, 4.0],
            &[2.0, 2.0], // a duplicate shares its twin's front
        ];
        assert_eq!(fronts(&points), vec![vec![1, 2, 3, 5], vec![0], vec![4]]);
        assert!(dominates(&[1.0, 2.0], &[1.0, 3.0]));
        assert!(!dominates(&[1.0, 2.0], &[1.0, 2.0]));
        assert!(!dominates(&[0.0, 3.0], &[1.0, 2.0]));
    }
}
