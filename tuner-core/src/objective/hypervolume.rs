//! The hypervolume of a set of points: the measure of the region they dominate up to a
//! reference point, every coordinate a loss (smaller is better). Exact, by slicing along the
//! last coordinate (HSO, While et al. 2006) down to a sweep in two dimensions, so 2 and 3
//! objectives cost O(n log n) and O(n² log n).

/// The hypervolume dominated by `points` (each a vector of losses) and bounded by
/// `reference`; points not strictly better than the reference in every coordinate add
/// nothing. Every point must have the reference's length.
///
/// ```
/// use tuner_core::objective::hypervolume;
///
/// // Two points of a 2-D front, reference (1, 1): the union of two rectangles.
/// let hv = hypervolume(&[vec![0.2, 0.6], vec![0.5, 0.3]], &[1.0, 1.0]);
/// assert!((hv - (0.8 * 0.4 + 0.5 * 0.7 - 0.5 * 0.4)).abs() < 1e-12);
/// ```
pub fn hypervolume(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    volume(points.iter().map(Vec::as_slice), reference)
}

/// [`hypervolume`] over borrowed points.
pub(crate) fn volume<'a>(points: impl IntoIterator<Item = &'a [f64]>, reference: &[f64]) -> f64 {
    let inside: Vec<&[f64]> = points
        .into_iter()
        .filter(|p| {
            debug_assert_eq!(p.len(), reference.len());
            p.iter().zip(reference).all(|(x, r)| x < r)
        })
        .collect();
    slice(inside, reference)
}

/// Each point's exclusive contribution: the hypervolume lost when it alone is left out (0 for
/// a dominated point or a duplicate).
pub(crate) fn contributions(points: &[&[f64]], reference: &[f64]) -> Vec<f64> {
    let all = volume(points.iter().copied(), reference);
    (0..points.len())
        .map(|i| {
            let rest = points
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| *p);
            (all - volume(rest, reference)).max(0.0)
        })
        .collect()
}

/// A subset of `k` points with a large hypervolume, chosen greedily (each step adds the point
/// that adds the most; ties to the earlier point): the (1 - 1/e)-approximation of the
/// hypervolume subset selection problem (Guerreiro et al. 2016) that Optuna's multi-objective
/// TPE uses to break ties in the last front it splits. A point's gain only shrinks as the
/// subset grows (the hypervolume is submodular), so gains from earlier steps bound later
/// ones and most candidates are never recomputed. Returns indices in the order chosen.
pub(crate) fn greedy_subset(points: &[&[f64]], k: usize, reference: &[f64]) -> Vec<usize> {
    let n = points.len();
    let k = k.min(n);
    // The first step's exact gains: each point's own box.
    let mut bound: Vec<f64> = points.iter().map(|p| volume([*p], reference)).collect();
    let mut taken = vec![false; n];
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    let mut current = 0.0;
    for step in 0..k {
        let mut order: Vec<usize> = (0..n).filter(|i| !taken[*i]).collect();
        order.sort_by(|a, b| bound[*b].total_cmp(&bound[*a]).then(a.cmp(b)));
        let mut best: Option<(usize, f64)> = None;
        for i in order {
            if let Some((b, gain)) = best {
                if bound[i] < gain || (bound[i] == gain && i > b) {
                    break;
                }
            }
            let gain = if step == 0 {
                bound[i]
            } else {
                let with = chosen.iter().map(|c| points[*c]).chain([points[i]]);
                (volume(with, reference) - current).max(0.0)
            };
            bound[i] = gain;
            if best.is_none_or(|(b, g)| gain > g || (gain == g && i < b)) {
                best = Some((i, gain));
            }
        }
        let (i, gain) = best.expect("k is at most the number of points");
        taken[i] = true;
        chosen.push(i);
        current += gain;
    }
    chosen
}

fn slice(mut points: Vec<&[f64]>, reference: &[f64]) -> f64 {
    let m = reference.len();
    match m {
        0 => 0.0,
        1 => points
            .iter()
            .map(|p| reference[0] - p[0])
            .fold(0.0, f64::max),
        2 => sweep(points, reference),
        _ => {
            let last = m - 1;
            points.sort_by(|a, b| a[last].total_cmp(&b[last]));
            let mut total = 0.0;
            for i in 0..points.len() {
                let top = points.get(i + 1).map_or(reference[last], |p| p[last]);
                let depth = top - points[i][last];
                if depth > 0.0 {
                    total += depth * slice(points[..=i].to_vec(), &reference[..last]);
                }
            }
            total
        }
    }
}

/// Two dimensions: sorted by the first coordinate, each point adds the strip below the best
/// second coordinate seen so far.
fn sweep(mut points: Vec<&[f64]>, reference: &[f64]) -> f64 {
    points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let mut best = reference[1];
    let mut total = 0.0;
    for p in points {
        if p[1] < best {
            total += (reference[0] - p[0]) * (best - p[1]);
            best = p[1];
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// The dominated share of the box, by counting a fine grid of cell centres.
    fn counted(points: &[Vec<f64>], reference: &[f64], cells: usize) -> f64 {
        let m = reference.len();
        let mut inside = 0usize;
        let total = cells.pow(m as u32);
        for k in 0..total {
            let mut c = vec![0.0; m];
            let mut rest = k;
            for (d, x) in c.iter_mut().enumerate() {
                *x = ((rest % cells) as f64 + 0.5) / cells as f64 * reference[d];
                rest /= cells;
            }
            if points.iter().any(|p| p.iter().zip(&c).all(|(a, b)| a <= b)) {
                inside += 1;
            }
        }
        inside as f64 / total as f64 * reference.iter().product::<f64>()
    }

    #[test]
    fn exact_in_two_and_three_dimensions_against_counting() {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(4);
        for m in [2usize, 3] {
            for _ in 0..5 {
                let points: Vec<Vec<f64>> = (0..12)
                    .map(|_| (0..m).map(|_| rng.random::<f64>() * 1.2).collect())
                    .collect();
                let reference = vec![1.0; m];
                let exact = hypervolume(&points, &reference);
                let cells = if m == 2 { 1000 } else { 120 };
                let approx = counted(&points, &reference, cells);
                assert!((exact - approx).abs() < 2e-2, "{m}: {exact} vs {approx}");
            }
        }
    }

    #[test]
    fn contributions_and_the_greedy_subset_by_hand() {
        // A 2-D staircase under (4, 4), union 11.
        let pts: Vec<&[f64]> = vec![&[0.0, 3.0], &[1.0, 1.0], &[3.0, 0.0], &[2.0, 2.0]];
        let reference = [4.0, 4.0];
        // (0, 3) and (3, 0) alone hold a 1x1 strip each; without (1, 1) the rest cover 8;
        // (2, 2) lies in (1, 1)'s box and adds nothing.
        assert_eq!(contributions(&pts, &reference), vec![1.0, 3.0, 1.0, 0.0]);
        // Greedy: (1, 1) first (9), then (0, 3) and (3, 0) tie at 1 (the earlier wins).
        assert_eq!(greedy_subset(&pts, 3, &reference), vec![1, 0, 2]);
        // Against exhaustive search on random 3-D fronts, greedy keeps most of the best subset.
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(9);
        for _ in 0..5 {
            let cloud: Vec<Vec<f64>> = (0..9)
                .map(|_| {
                    let v: Vec<f64> = (0..3).map(|_| rng.random::<f64>() + 0.05).collect();
                    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                    v.iter().map(|x| x / norm).collect()
                })
                .collect();
            let refs: Vec<&[f64]> = cloud.iter().map(Vec::as_slice).collect();
            let r = [1.1; 3];
            let greedy = greedy_subset(&refs, 4, &r);
            let got = volume(greedy.iter().map(|i| refs[*i]), &r);
            let mut best = 0.0f64;
            for mask in 0u32..(1 << 9) {
                if mask.count_ones() == 4 {
                    let pick = (0..9).filter(|i| mask & (1 << i) != 0).map(|i| refs[i]);
                    best = best.max(volume(pick, &r));
                }
            }
            assert!(got <= best + 1e-12 && got >= (1.0 - 1.0 / std::f64::consts::E) * best);
            assert!(got >= 0.95 * best, "{got} vs {best}");
        }
    }

    #[test]
    fn known_values_and_edge_cases() {
        // One point: its box; a dominated point adds nothing; outside points nothing either.
        assert_eq!(hypervolume(&[vec![0.5, 0.5, 0.5]], &[1.0; 3]), 0.125);
        let a = hypervolume(&[vec![0.2, 0.6], vec![0.5, 0.3]], &[1.0, 1.0]);
        let b = hypervolume(
            &[
                vec![0.2, 0.6],
                vec![0.5, 0.3],
                vec![0.6, 0.7],
                vec![1.0, 0.0],
            ],
            &[1.0, 1.0],
        );
        assert!((a - 0.47).abs() < 1e-12 && (a - b).abs() < 1e-12, "{a} {b}");
        assert_eq!(hypervolume(&[], &[1.0, 1.0]), 0.0);
        // A 3-D staircase on whole numbers, where counting cells is exact.
        let stairs = [
            vec![0.0, 2.0, 2.0],
            vec![2.0, 0.0, 1.0],
            vec![2.0, 2.0, 0.0],
        ];
        let hv = hypervolume(&stairs, &[3.0, 3.0, 3.0]);
        let by_count = counted(&stairs, &[3.0, 3.0, 3.0], 60);
        assert!((hv - by_count).abs() < 1e-9, "{hv} {by_count}");
    }
}
