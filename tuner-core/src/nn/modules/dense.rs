//! A fully connected layer of run-time width.

use super::Width;
use dfdx::nn::{Module, ModuleVisitor, TensorCollection, TensorOptions};
use dfdx::prelude::{
    Axes2, Axis, BroadcastTo, Dim, Dtype, HasShape, PermuteTo, Storage, Tape, Tensor, TryAdd,
    TryMatMul,
};
use dfdx::tensor_ops::Device;
use num_traits::Float;
use rand_distr::{uniform::SampleUniform, Uniform};

/// `y = x W^T + b` with `W` stored `(units, inputs)` like dfdx's `Linear`.
#[derive(Clone, Debug)]
pub struct Dense<E: Dtype, D: Storage<E>> {
    /// Weights, shape `(units, inputs)`.
    pub weight: Tensor<(Width, Width), E, D>,
    /// Bias, shape `(units,)`.
    pub bias: Tensor<(Width,), E, D>,
}

/// Glorot (Xavier) uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)), Keras' default.
/// A plain `fn` so dfdx's `reset_params` can call it; it reads the widths from the tensor.
fn glorot_uniform<E, D>(t: &mut Tensor<(Width, Width), E, D>) -> Result<(), D::Err>
where
    E: Dtype + Float + SampleUniform,
    D: Device<E>,
{
    let (out, inp) = *t.shape();
    let fans = out.size() + inp.size();
    if fans == 0 {
        return Ok(());
    }
    let limit = E::from_f64((6.0 / fans as f64).sqrt()).expect("finite limit");
    t.try_fill_with_distr(Uniform::new(-limit, limit))
}

fn zeros<E: Dtype, D: Device<E>>(t: &mut Tensor<(Width,), E, D>) -> Result<(), D::Err> {
    t.try_fill_with_zeros()
}

impl<E, D> Dense<E, D>
where
    E: Dtype + Float + SampleUniform,
    D: Device<E>,
{
    /// A layer from `inputs` to `units`, weights drawn from the device's rng.
    pub fn try_new(device: &D, inputs: usize, units: usize) -> Result<Self, D::Err> {
        let mut weight = device.try_zeros_like(&(Width(units), Width(inputs)))?;
        glorot_uniform(&mut weight)?;
        let bias = device.try_zeros_like(&(Width(units),))?;
        Ok(Self { weight, bias })
    }
}

impl<E: Dtype, D: Storage<E>> Dense<E, D> {
    /// Input width.
    pub fn inputs(&self) -> usize {
        self.weight.shape().1.size()
    }

    /// Output width.
    pub fn units(&self) -> usize {
        self.weight.shape().0.size()
    }
}

impl<E, D> TensorCollection<E, D> for Dense<E, D>
where
    E: Dtype + Float + SampleUniform,
    D: Device<E>,
{
    type To<E2: Dtype, D2: Device<E2>> = Dense<E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor(
                    "weight",
                    |s| &s.weight,
                    |s| &mut s.weight,
                    TensorOptions::reset_with(glorot_uniform::<E, D>),
                ),
                Self::tensor(
                    "bias",
                    |s| &s.bias,
                    |s| &mut s.bias,
                    TensorOptions::reset_with(zeros::<E, D>),
                ),
            ),
            |(weight, bias)| Dense { weight, bias },
        )
    }
}

impl<B: Dim, E: Dtype, D: Device<E>, T: Tape<E, D>> Module<Tensor<(B, Width), E, D, T>>
    for Dense<E, D>
{
    type Output = Tensor<(B, Width), E, D, T>;
    type Error = D::Err;

    /// Panics if the input width differs from `inputs()` (dfdx's matmul asserts); `Network`
    /// checks widths first and returns an error instead.
    fn try_forward(&self, x: Tensor<(B, Width), E, D, T>) -> Result<Self::Output, D::Err> {
        let w = self
            .weight
            .retaped::<T>()
            .try_permute::<(Width, Width), Axes2<1, 0>>()?;
        let y = x.try_matmul(w)?;
        let shape = *y.shape();
        let b = self
            .bias
            .retaped::<T>()
            .try_broadcast_like::<_, Axis<0>>(&shape)?;
        y.try_add(b)
    }
}
