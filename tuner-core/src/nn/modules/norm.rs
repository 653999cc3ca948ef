//! Layer normalisation over each sample's features.

use super::Width;
use dfdx::nn::{Module, ModuleVisitor, ScalarOptions, TensorCollection, TensorOptions};
use dfdx::prelude::{
    Axis, BroadcastTo, Dim, Dtype, HasShape, Storage, Tape, Tensor, TryAdd, TryMul,
};
use dfdx::tensor_ops::Device;
use num_traits::Float;
use rand_distr::uniform::SampleUniform;

/// `(x - mean) / sqrt(var + epsilon) * gamma + beta`, statistics per sample.
#[derive(Clone, Debug)]
pub struct LayerNorm<E: Dtype, D: Storage<E>> {
    /// Scale, shape `(width,)`, starts at 1.
    pub gamma: Tensor<(Width,), E, D>,
    /// Shift, shape `(width,)`, starts at 0.
    pub beta: Tensor<(Width,), E, D>,
    /// Added to the variance.
    pub epsilon: f64,
}

fn ones<E: Dtype, D: Device<E>>(t: &mut Tensor<(Width,), E, D>) -> Result<(), D::Err> {
    t.try_fill_with_ones()
}

fn zeros<E: Dtype, D: Device<E>>(t: &mut Tensor<(Width,), E, D>) -> Result<(), D::Err> {
    t.try_fill_with_zeros()
}

impl<E: Dtype, D: Device<E>> LayerNorm<E, D> {
    /// A layer normalising `width` features.
    pub fn try_new(device: &D, width: usize, epsilon: f64) -> Result<Self, D::Err> {
        let gamma = device.try_ones_like(&(Width(width),))?;
        let beta = device.try_zeros_like(&(Width(width),))?;
        Ok(Self {
            gamma,
            beta,
            epsilon,
        })
    }

    /// Features normalised.
    pub fn width(&self) -> usize {
        self.gamma.shape().0.size()
    }
}

impl<E, D> TensorCollection<E, D> for LayerNorm<E, D>
where
    E: Dtype + Float + SampleUniform,
    D: Device<E>,
{
    type To<E2: Dtype, D2: Device<E2>> = LayerNorm<E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor(
                    "gamma",
                    |s| &s.gamma,
                    |s| &mut s.gamma,
                    TensorOptions::reset_with(ones::<E, D>),
                ),
                Self::tensor(
                    "beta",
                    |s| &s.beta,
                    |s| &mut s.beta,
                    TensorOptions::reset_with(zeros::<E, D>),
                ),
                Self::scalar(
                    "epsilon",
                    |s| &s.epsilon,
                    |s| &mut s.epsilon,
                    ScalarOptions::from_default(1e-3),
                ),
            ),
            |(gamma, beta, epsilon)| LayerNorm {
                gamma,
                beta,
                epsilon,
            },
        )
    }
}

impl<B: Dim, E: Dtype, D: Device<E>, T: Tape<E, D>> Module<Tensor<(B, Width), E, D, T>>
    for LayerNorm<E, D>
{
    type Output = Tensor<(B, Width), E, D, T>;
    type Error = D::Err;

    fn try_forward(&self, x: Tensor<(B, Width), E, D, T>) -> Result<Self::Output, D::Err> {
        let shape = *x.shape();
        let x = x.try_normalize::<Axis<1>>(self.epsilon)?;
        let g = self
            .gamma
            .retaped::<T>()
            .try_broadcast_like::<_, Axis<0>>(&shape)?;
        let b = self
            .beta
            .retaped::<T>()
            .try_broadcast_like::<_, Axis<0>>(&shape)?;
        x.try_mul(g)?.try_add(b)
    }
}
