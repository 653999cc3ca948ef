//! Per-batch targets (the running sums of an epoch are the model layer's `Totals`).

pub(crate) use crate::model::epoch::{argmax, Totals};

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
