//! A residual block: a branch of layers whose output is added to the (projected) input.

use super::spatial::KernelFloat;
use super::{Net, Width};
use dfdx::nn::{Module, ModuleMut, ModuleVisitor, TensorCollection};
use dfdx::prelude::{Cpu, CpuError, Dim, Dtype, PutTape, SplitTape, Storage, Tape, Tensor, TryAdd};
use dfdx::tensor_ops::Device;
use num_traits::Float;
use rand_distr::uniform::SampleUniform;

/// `branch(x) + shortcut(x)`; the shortcut is an empty `Net` (the identity) when the branch
/// keeps the shape, else one projection layer. Tensors are named `"branch.0.weight"`,
/// `"shortcut.0.weight"`, ... under the block's own index.
#[derive(Clone, Debug)]
pub struct Residual<E: Dtype, D: Storage<E>> {
    /// The residual branch.
    pub branch: Net<E, D>,
    /// The identity (no layers) or a projection to the branch's output shape.
    pub shortcut: Net<E, D>,
}

impl<E, D> TensorCollection<E, D> for Residual<E, D>
where
    E: Dtype + Float + SampleUniform,
    D: Device<E>,
{
    type To<E2: Dtype, D2: Device<E2>> = Residual<E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("branch", |s| &s.branch, |s| &mut s.branch),
                Self::module("shortcut", |s| &s.shortcut, |s| &mut s.shortcut),
            ),
            |(branch, shortcut)| Residual { branch, shortcut },
        )
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> Module<Tensor<(B, Width), E, Cpu, T>>
    for Residual<E, Cpu>
where
    Cpu: Device<E>,
{
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Width), E, Cpu, T>) -> Result<Self::Output, CpuError> {
        // Both paths read the same tensor (same id), so their gradients add up on it; the
        // tape is threaded through one path after the other.
        let (x, tape) = x.split_tape();
        let (skip, tape) = self
            .shortcut
            .try_forward(x.clone().put_tape(tape))?
            .split_tape();
        self.branch.try_forward(x.put_tape(tape))?.try_add(skip)
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> ModuleMut<Tensor<(B, Width), E, Cpu, T>>
    for Residual<E, Cpu>
where
    Cpu: Device<E>,
{
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    fn try_forward_mut(
        &mut self,
        x: Tensor<(B, Width), E, Cpu, T>,
    ) -> Result<Self::Output, CpuError> {
        let (x, tape) = x.split_tape();
        let (skip, tape) = self
            .shortcut
            .try_forward_mut(x.clone().put_tape(tape))?
            .split_tape();
        self.branch.try_forward_mut(x.put_tape(tape))?.try_add(skip)
    }
}
