//! Per-batch targets and the running sums of an epoch or an evaluation.

use crate::trial::Metrics;

/// Where one batch's targets come from.
#[derive(Clone, Copy)]
pub(crate) enum BatchTargets<'a> {
    Classes(&'a [usize]),
    Values(&'a [f32]),
}

impl BatchTargets<'_> {
    /// Targets as a dense `n x width` matrix (one-hot for classes).
    pub(crate) fn dense(&self, width: usize) -> Vec<f32> {
        match self {
            BatchTargets::Classes(labels) => {
                let mut v = vec![0.0; labels.len() * width];
                for (i, &l) in labels.iter().enumerate() {
                    v[i * width + l] = 1.0;
                }
                v
            }
            BatchTargets::Values(v) => v.to_vec(),
        }
    }

    /// Correct predictions (classes) or the summed absolute error per output (values).
    pub(crate) fn score(&self, outputs: &[f32], width: usize) -> f64 {
        match self {
            BatchTargets::Classes(labels) => labels
                .iter()
                .zip(outputs.chunks_exact(width))
                .filter(|(&l, row)| argmax(row) == Some(l))
                .count() as f64,
            BatchTargets::Values(v) => {
                let sum: f64 = v
                    .iter()
                    .zip(outputs)
                    .map(|(&t, &y)| f64::from((y - t).abs()))
                    .sum();
                sum / width as f64
            }
        }
    }
}

/// Index of the largest value; `None` if a NaN is present (a NaN prediction is never right).
pub(crate) fn argmax(row: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in row.iter().enumerate() {
        if v.is_nan() {
            return None;
        }
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// Running sums over an epoch or an evaluation.
#[derive(Default)]
pub(crate) struct Totals {
    loss: f64,
    score: f64,
    samples: usize,
}

impl Totals {
    pub(crate) fn add(&mut self, loss: f64, score: f64, n: usize) {
        self.loss += loss * n as f64;
        self.score += score;
        self.samples += n;
    }

    pub(crate) fn metrics(&self, classification: bool, prefix: &str, out: &mut Metrics) {
        let n = self.samples.max(1) as f64;
        out.insert(format!("{prefix}loss"), self.loss / n);
        let name = if classification { "accuracy" } else { "mae" };
        out.insert(format!("{prefix}{name}"), self.score / n);
    }
}
