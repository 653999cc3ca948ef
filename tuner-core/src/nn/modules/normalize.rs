//! Feature normalisation with statistics adapted on training data (Keras' `Normalization`):
//! `(x - mean) / sqrt(variance)` per input value. The statistics are data, not trained
//! weights: they live in the layer's [`LayerSpec::Normalize`](crate::nn::LayerSpec), so the
//! spec in a checkpoint's header carries them and a loaded network (a Hyperband child, a
//! retried trial, `best_models`) normalises exactly as the one that was saved.

use super::Width;
use crate::data::Dataset;
use dfdx::nn::Module;
use dfdx::prelude::{Axis, BroadcastTo, Dim, Dtype, HasShape, Tape, Tensor};
use dfdx::tensor_ops::{Device, TryMul, TrySub};
use serde::{Deserialize, Serialize};

/// Per-feature mean and (population) variance of the samples a layer was adapted on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NormStats {
    /// Mean of each feature.
    pub mean: Vec<f32>,
    /// Variance of each feature (divided by the count, as Keras).
    pub variance: Vec<f32>,
    /// How many samples they were computed from.
    pub count: usize,
}

impl NormStats {
    /// The statistics of `rows` rows of `width` values each, accumulated in f64.
    pub fn of_rows(features: &[f32], width: usize) -> NormStats {
        let count = features.len().checked_div(width).unwrap_or(0);
        let mut mean = vec![0f64; width];
        for row in features.chunks_exact(width.max(1)) {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += f64::from(x);
            }
        }
        let n = count.max(1) as f64;
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0f64; width];
        for row in features.chunks_exact(width.max(1)) {
            for ((v, &x), m) in var.iter_mut().zip(row).zip(&mean) {
                *v += (f64::from(x) - m).powi(2);
            }
        }
        NormStats {
            mean: mean.iter().map(|&m| m as f32).collect(),
            variance: var.iter().map(|&v| (v / n) as f32).collect(),
            count,
        }
    }

    /// The statistics of a data set's features (Keras' `adapt`).
    pub fn adapt(data: &Dataset) -> NormStats {
        Self::of_rows(data.features(), data.feature_width())
    }

    /// Features described.
    pub fn width(&self) -> usize {
        self.mean.len()
    }

    /// Why these statistics cannot normalise `width` features, if they cannot.
    pub(crate) fn problem(&self, width: usize) -> Option<String> {
        if self.mean.len() != width || self.variance.len() != width {
            return Some(format!(
                "the statistics describe {} means and {} variances, the layer's input has {width} values",
                self.mean.len(),
                self.variance.len()
            ));
        }
        if let Some(i) = self.mean.iter().position(|m| !m.is_finite()) {
            return Some(format!("the mean of feature {i} is {}", self.mean[i]));
        }
        if let Some(i) = self
            .variance
            .iter()
            .position(|v| !(v.is_finite() && *v >= 0.0))
        {
            return Some(format!(
                "the variance of feature {i} is {}, it must be finite and non-negative",
                self.variance[i]
            ));
        }
        None
    }
}

/// The built layer: the mean to subtract and the factor to multiply by, per input value; the
/// identity until adapted.
#[derive(Clone, Debug, PartialEq)]
pub struct Normalize {
    /// `(mean, 1 / sqrt(variance))` per value; `None` before adaptation.
    shift_scale: Option<(Vec<f64>, Vec<f64>)>,
}

impl Normalize {
    /// A layer applying `stats` (the identity when `None`: `fit` adapts it first).
    pub fn new(stats: Option<&NormStats>) -> Self {
        let shift_scale = stats.map(|s| {
            let shift = s.mean.iter().map(|&m| f64::from(m)).collect();
            // A feature constant in the training data is centred, not blown up by 1/0.
            let scale = s
                .variance
                .iter()
                .map(|&v| {
                    let sd = f64::from(v).sqrt();
                    if sd > 1e-7 {
                        1.0 / sd
                    } else {
                        1.0
                    }
                })
                .collect();
            (shift, scale)
        });
        Self { shift_scale }
    }

    /// Whether statistics are set.
    pub fn is_adapted(&self) -> bool {
        self.shift_scale.is_some()
    }
}

impl<B: Dim, E: Dtype, D: Device<E>, T: Tape<E, D>> Module<Tensor<(B, Width), E, D, T>>
    for Normalize
{
    type Output = Tensor<(B, Width), E, D, T>;
    type Error = D::Err;

    fn try_forward(&self, x: Tensor<(B, Width), E, D, T>) -> Result<Self::Output, D::Err> {
        let Some((shift, scale)) = &self.shift_scale else {
            return Ok(x);
        };
        let shape = *x.shape();
        let width = (Width(shift.len()),);
        let cast = |v: &[f64]| -> Vec<E> {
            v.iter()
                .map(|&x| E::from_f64(x).expect("finite statistics"))
                .collect()
        };
        let dev = x.device().clone();
        let shift = dev
            .try_tensor_from_vec(cast(shift), width)?
            .try_broadcast_like::<_, Axis<0>>(&shape)?;
        let scale = dev
            .try_tensor_from_vec(cast(scale), width)?
            .try_broadcast_like::<_, Axis<0>>(&shape)?;
        x.try_sub(shift)?.try_mul(scale)
    }
}
