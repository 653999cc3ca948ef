//! Per-batch targets: the dense matrix the loss compares against, and where a batch's outputs
//! are gathered for the epoch's metrics (`model::metrics`).

use crate::model::metrics::Predictions;

/// Where one batch's targets come from.
#[derive(Clone, Copy)]
pub(crate) enum BatchTargets<'a> {
    Classes(&'a [usize]),
    Values(&'a [f32]),
}

impl BatchTargets<'_> {
    /// Targets as a dense `n x width` matrix (one-hot for classes). With `weights`, row `i` of
    /// the one-hot matrix is scaled by `weights[i]`: cross-entropy is linear in its target,
    /// so the batch's mean loss becomes `sum_i w_i * loss_i / n`, Keras' weighted loss.
    pub(crate) fn dense(&self, width: usize, weights: Option<&[f32]>) -> Vec<f32> {
        match self {
            BatchTargets::Classes(labels) => {
                let mut v = vec![0.0; labels.len() * width];
                for (i, &l) in labels.iter().enumerate() {
                    v[i * width + l] = weights.map_or(1.0, |w| w[i]);
                }
                v
            }
            BatchTargets::Values(v) => v.to_vec(),
        }
    }

    /// Adds the batch's mean `loss` and its `outputs` to the epoch's predictions.
    pub(crate) fn gather(&self, into: &mut Predictions, loss: f64, outputs: &[f32]) {
        match self {
            BatchTargets::Classes(labels) => into.add_classes(loss, outputs, labels),
            BatchTargets::Values(values) => into.add_values(loss, outputs, values),
        }
    }
}
