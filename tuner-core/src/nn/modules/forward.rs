//! A `Net`'s forward pass on dfdx's `Cpu`: layer by layer, except that a dense layer and the
//! activation and dropout right after it run as one fused op (`fused.rs`), and a lone
//! activation or dropout runs as one element-wise op. The layers and their tensors are
//! unchanged by this, so checkpoints, optimizer state and dfdx's visitors see the same `Net`.

use super::fused::{try_epilogue, Epilogue};
use super::net::{Layer, Net};
use super::{KernelFloat, Width};
use crate::nn::spec::Activation;
use dfdx::nn::{Module, ModuleMut};
use dfdx::prelude::{Cpu, CpuError, Dim, Tape, Tensor};
use dfdx::tensor_ops::Device;

/// The epilogue fused into the dense layer at `layers[0]`, and how many layers it spans.
fn epilogue_after<E: KernelFloat>(layers: &[Layer<E, Cpu>]) -> (Epilogue, usize) {
    let mut epilogue = Epilogue::IDENTITY;
    let mut used = 1;
    if let Some(Layer::Activation(a)) = layers.get(used) {
        epilogue.activation = *a;
        used += 1;
    }
    if let Some(Layer::Dropout(d)) = layers.get(used) {
        epilogue.dropout = d.rate;
        used += 1;
    }
    (epilogue, used)
}

/// Whether a layer holds trainable tensors (after it, activations need their gradients).
fn has_params<E: KernelFloat>(layer: &Layer<E, Cpu>) -> bool {
    matches!(
        layer,
        Layer::Dense(_)
            | Layer::LayerNorm(_)
            | Layer::Conv2d(_)
            | Layer::BatchNorm2d(_)
            | Layer::Residual(_)
    )
}

/// One layer's forward pass (batch norm keeps its moving statistics).
fn forward_layer<B: Dim, E: KernelFloat, T: Tape<E, Cpu>>(
    layer: &Layer<E, Cpu>,
    x: Tensor<(B, Width), E, Cpu, T>,
) -> Result<Tensor<(B, Width), E, Cpu, T>, CpuError>
where
    Cpu: Device<E>,
{
    match layer {
        Layer::Dense(d) => d.try_fused(x, Epilogue::IDENTITY, true),
        Layer::LayerNorm(n) => n.try_forward(x),
        Layer::Normalize(n) => n.try_forward(x),
        Layer::Activation(a) => try_epilogue(
            x,
            Epilogue {
                activation: *a,
                dropout: 0.0,
            },
        ),
        Layer::Dropout(d) => try_epilogue(
            x,
            Epilogue {
                activation: Activation::Linear,
                dropout: d.rate,
            },
        ),
        Layer::Reshape(_) => Ok(x),
        Layer::Conv2d(c) => c.try_forward(x),
        Layer::BatchNorm2d(b) => b.try_forward(x),
        Layer::MaxPool2d(p) => p.try_forward(x),
        Layer::AvgPool2d(p) => p.try_forward(x),
        Layer::GlobalAvgPool2d(p) => p.try_forward(x),
        Layer::GlobalMaxPool2d(p) => p.try_forward(x),
        Layer::Residual(r) => r.try_forward(x),
        Layer::RandomFlip(a) => a.try_forward(x),
        Layer::RandomTranslation(a) => a.try_forward(x),
        Layer::RandomContrast(a) => a.try_forward(x),
    }
}

/// The layers a forward pass walks: read-only for inference, mutable for training (batch
/// norm moves its statistics), so one loop serves both.
trait Walk<E: KernelFloat> {
    /// The layers, to read.
    fn layers(&self) -> &[Layer<E, Cpu>];

    /// Layer `i`'s own forward pass (dense layers are fused by the loop).
    fn step<B: Dim, T: Tape<E, Cpu>>(
        &mut self,
        i: usize,
        x: Tensor<(B, Width), E, Cpu, T>,
    ) -> Result<Tensor<(B, Width), E, Cpu, T>, CpuError>
    where
        Cpu: Device<E>;
}

impl<E: KernelFloat> Walk<E> for &[Layer<E, Cpu>] {
    fn layers(&self) -> &[Layer<E, Cpu>] {
        self
    }

    fn step<B: Dim, T: Tape<E, Cpu>>(
        &mut self,
        i: usize,
        x: Tensor<(B, Width), E, Cpu, T>,
    ) -> Result<Tensor<(B, Width), E, Cpu, T>, CpuError>
    where
        Cpu: Device<E>,
    {
        forward_layer(&self[i], x)
    }
}

impl<E: KernelFloat> Walk<E> for &mut [Layer<E, Cpu>] {
    fn layers(&self) -> &[Layer<E, Cpu>] {
        self
    }

    fn step<B: Dim, T: Tape<E, Cpu>>(
        &mut self,
        i: usize,
        x: Tensor<(B, Width), E, Cpu, T>,
    ) -> Result<Tensor<(B, Width), E, Cpu, T>, CpuError>
    where
        Cpu: Device<E>,
    {
        match &mut self[i] {
            Layer::BatchNorm2d(b) => b.try_forward_mut(x),
            Layer::Residual(r) => r.try_forward_mut(x),
            other => forward_layer(other, x),
        }
    }
}

/// The forward pass over `layers`, fusing each dense layer with what follows it. Until the
/// first layer with parameters the input's gradient is computed only if `input_grad`.
fn run<B: Dim, E: KernelFloat, T: Tape<E, Cpu>>(
    mut layers: impl Walk<E>,
    mut x: Tensor<(B, Width), E, Cpu, T>,
    input_grad: bool,
) -> Result<Tensor<(B, Width), E, Cpu, T>, CpuError>
where
    Cpu: Device<E>,
{
    let mut needs_grad = input_grad;
    let mut i = 0;
    while i < layers.layers().len() {
        if let Layer::Dense(d) = &layers.layers()[i] {
            let (epilogue, used) = epilogue_after(&layers.layers()[i..]);
            x = d.try_fused(x, epilogue, needs_grad)?;
            needs_grad = true;
            i += used;
            continue;
        }
        needs_grad |= has_params(&layers.layers()[i]);
        x = layers.step(i, x)?;
        i += 1;
    }
    Ok(x)
}

impl<E: KernelFloat> Net<E, Cpu>
where
    Cpu: Device<E>,
{
    /// The forward pass for a batch of data: as `try_forward`, but the input's own gradient
    /// (never read when the input is data) is not computed, which saves the first layer's
    /// largest product on the backward pass.
    pub fn try_forward_data<B: Dim, T: Tape<E, Cpu>>(
        &self,
        x: Tensor<(B, Width), E, Cpu, T>,
    ) -> Result<Tensor<(B, Width), E, Cpu, T>, CpuError> {
        run(self.layers(), x, false)
    }

    /// The training pass for a batch of data: as `try_forward_mut` (batch norm moves its
    /// statistics) without the input's gradient.
    pub fn try_forward_mut_data<B: Dim, T: Tape<E, Cpu>>(
        &mut self,
        x: Tensor<(B, Width), E, Cpu, T>,
    ) -> Result<Tensor<(B, Width), E, Cpu, T>, CpuError> {
        run(self.layers_mut(), x, false)
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> Module<Tensor<(B, Width), E, Cpu, T>> for Net<E, Cpu>
where
    Cpu: Device<E>,
{
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    /// Panics on a wrong input width; check with [`Net::check_input`] first. Batch-norm
    /// layers normalise with batch statistics while traced but keep their moving
    /// statistics: train with `try_forward_mut`.
    fn try_forward(&self, x: Tensor<(B, Width), E, Cpu, T>) -> Result<Self::Output, CpuError> {
        run(self.layers(), x, true)
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> ModuleMut<Tensor<(B, Width), E, Cpu, T>>
    for Net<E, Cpu>
where
    Cpu: Device<E>,
{
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    /// The training forward pass: as `try_forward`, and batch-norm layers also move their
    /// running statistics.
    fn try_forward_mut(
        &mut self,
        x: Tensor<(B, Width), E, Cpu, T>,
    ) -> Result<Self::Output, CpuError> {
        run(self.layers_mut(), x, true)
    }
}
