//! Batch normalisation per channel of `[C, H, W]` samples, with Keras' moving statistics.

use super::net::Probe;
use super::spatial::{scratch_values, values, KernelFloat, Scratch};
use super::Width;
use dfdx::nn::{Module, ModuleMut, ModuleVisitor, TensorCollection, TensorOptions};
use dfdx::prelude::{
    Cpu, CpuError, Dim, Dtype, HasShape, PutTape, SplitTape, Storage, Tape, Tensor, TensorFromVec,
};
use dfdx::tensor_ops::{Device, ReshapeTo};
use num_traits::Float;
use rand_distr::uniform::SampleUniform;
use std::cell::Cell;

/// `(x - mean) / sqrt(var + epsilon) * gamma + beta` per channel (Keras' `BatchNormalization`
/// on channels-first images). Training uses the batch's statistics over samples and pixels
/// and (through [`ModuleMut`]) moves the running ones: `moving = momentum * moving + (1 -
/// momentum) * batch`, the biased variance, as Keras. Inference uses the moving statistics.
#[derive(Clone, Debug)]
pub struct BatchNorm2d<E: Dtype, D: Storage<E>> {
    /// Scale per channel, starts at 1.
    pub gamma: Tensor<(Width,), E, D>,
    /// Shift per channel, starts at 0.
    pub beta: Tensor<(Width,), E, D>,
    /// Moving mean per channel (not trained by gradients), starts at 0.
    pub moving_mean: Tensor<(Width,), E, D>,
    /// Moving variance per channel (not trained by gradients), starts at 1.
    pub moving_var: Tensor<(Width,), E, D>,
    /// Settings and the pixels per channel.
    pub config: BatchNormConfig,
    probe: Probe,
}

/// The non-tensor part of a [`BatchNorm2d`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormConfig {
    /// Pixels per channel (`H * W`).
    pub plane: usize,
    /// Weight of the old moving statistics per update (Keras: 0.99).
    pub momentum: f64,
    /// Added to the variance (Keras: 1e-3).
    pub epsilon: f64,
}

fn ones<E: Dtype, D: Device<E>>(t: &mut Tensor<(Width,), E, D>) -> Result<(), D::Err> {
    t.try_fill_with_ones()
}

fn zeros<E: Dtype, D: Device<E>>(t: &mut Tensor<(Width,), E, D>) -> Result<(), D::Err> {
    t.try_fill_with_zeros()
}

impl<E: Dtype, D: Device<E>> BatchNorm2d<E, D> {
    /// A layer normalising `input = [C, H, W]` samples per channel.
    pub fn try_new(
        device: &D,
        input: [usize; 3],
        momentum: f64,
        epsilon: f64,
    ) -> Result<Self, D::Err> {
        let c = (Width(input[0]),);
        Ok(Self {
            gamma: device.try_ones_like(&c)?,
            beta: device.try_zeros_like(&c)?,
            moving_mean: device.try_zeros_like(&c)?,
            moving_var: device.try_ones_like(&c)?,
            config: BatchNormConfig {
                plane: input[1] * input[2],
                momentum,
                epsilon,
            },
            probe: Probe,
        })
    }
}

impl<E: Dtype, D: Storage<E>> BatchNorm2d<E, D> {
    /// Channels normalised.
    pub fn channels(&self) -> usize {
        self.gamma.shape().0.size()
    }
}

impl<E, D> TensorCollection<E, D> for BatchNorm2d<E, D>
where
    E: Dtype + Float + SampleUniform,
    D: Device<E>,
{
    type To<E2: Dtype, D2: Device<E2>> = BatchNorm2d<E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        let config = Cell::new(None);
        visitor.visit_module(
            "",
            |s: &Self| {
                config.set(Some(s.config));
                &s.probe
            },
            |s: &mut Self| {
                config.set(Some(s.config));
                &mut s.probe
            },
        )?;
        let config = config.get().expect(
            "a tuner BatchNorm2d has a run-time size that dfdx's BuildModule cannot know; build it with BatchNorm2d::try_new",
        );
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
                Self::tensor(
                    "moving_mean",
                    |s| &s.moving_mean,
                    |s| &mut s.moving_mean,
                    TensorOptions::detached(zeros::<E, D>),
                ),
                Self::tensor(
                    "moving_var",
                    |s| &s.moving_var,
                    |s| &mut s.moving_var,
                    TensorOptions::detached(ones::<E, D>),
                ),
            ),
            move |(gamma, beta, moving_mean, moving_var)| BatchNorm2d {
                gamma,
                beta,
                moving_mean,
                moving_var,
                config,
                probe: Probe,
            },
        )
    }
}

/// A training forward's output with the batch's per-channel mean and variance.
type Trained<B, E, T> = (Tensor<(B, Width), E, Cpu, T>, Vec<E>, Vec<E>);

/// Per-channel sums over every sample and pixel of `x` (`[B, C, plane]`).
fn channel_sums<E: KernelFloat>(
    x: &[E],
    c: usize,
    plane: usize,
    f: impl Fn(usize, E) -> E,
) -> Vec<E> {
    let mut sums = vec![E::zero(); c];
    for (i, chunk) in x.chunks_exact(plane).enumerate() {
        let ch = i % c;
        sums[ch] = chunk.iter().fold(sums[ch], |a, &v| a + f(ch, v));
    }
    sums
}

impl<E: KernelFloat> BatchNorm2d<E, Cpu> {
    /// Normalises with the moving statistics (inference; no gradients recorded).
    fn infer<B: Dim>(
        &self,
        x: Tensor<(B, Width), E, Cpu>,
    ) -> Result<Tensor<(B, Width), E, Cpu>, CpuError> {
        let (c, plane) = (self.channels(), self.config.plane);
        let x = x.try_contiguous()?;
        let shape = *x.shape();
        let eps = E::from_f64(self.config.epsilon).expect("finite epsilon");
        let (gamma, beta) = (values(&self.gamma), values(&self.beta));
        let (mean, var) = (values(&self.moving_mean), values(&self.moving_var));
        let scale: Vec<E> = (0..c).map(|i| gamma[i] / (var[i] + eps).sqrt()).collect();
        let mut out = values(&x);
        for (i, chunk) in out.chunks_exact_mut(plane).enumerate() {
            let ch = i % c;
            for v in chunk {
                *v = (*v - mean[ch]) * scale[ch] + beta[ch];
            }
        }
        x.device().try_tensor_from_vec(out, shape)
    }

    /// Normalises with the batch's statistics, recorded on the tape; returns them too.
    fn train<B: Dim, T: Tape<E, Cpu>>(
        &self,
        x: Tensor<(B, Width), E, Cpu, T>,
    ) -> Result<Trained<B, E, T>, CpuError> {
        let (c, plane) = (self.channels(), self.config.plane);
        let x = x.try_contiguous()?;
        let (x, mut tape) = x.split_tape();
        let shape = *x.shape();
        assert_eq!(
            shape.1 .0,
            c * plane,
            "batch_norm2d expects {c} channels of {plane} values"
        );
        let count = E::from_usize(shape.0.size() * plane).expect("a count");
        let eps = E::from_f64(self.config.epsilon).expect("finite epsilon");
        let mut xhat = scratch_values(&x);
        let mean: Vec<E> = channel_sums(&xhat, c, plane, |_, v| v)
            .into_iter()
            .map(|s| s / count)
            .collect();
        let var: Vec<E> = channel_sums(&xhat, c, plane, |ch, v| (v - mean[ch]) * (v - mean[ch]))
            .into_iter()
            .map(|s| s / count)
            .collect();
        let inv_std: Vec<E> = var.iter().map(|&v| E::one() / (v + eps).sqrt()).collect();
        let (gamma, beta) = (values(&self.gamma), values(&self.beta));
        let mut out = vec![E::zero(); xhat.len()];
        for (i, (xc, oc)) in xhat
            .chunks_exact_mut(plane)
            .zip(out.chunks_exact_mut(plane))
            .enumerate()
        {
            let ch = i % c;
            for (xv, ov) in xc.iter_mut().zip(oc) {
                *xv = (*xv - mean[ch]) * inv_std[ch];
                *ov = *xv * gamma[ch] + beta[ch];
            }
        }
        let out = x.device().try_tensor_from_vec(out, shape)?;
        if T::OWNS_TAPE {
            let (x_id, g_id, b_id, out_id) = (
                x.ghost(),
                self.gamma.ghost(),
                self.beta.ghost(),
                out.ghost(),
            );
            tape.add_backward_op(move |grads| {
                let g = Scratch::copied(grads.get_or_alloc_mut(&out_id)?);
                let sum_g = channel_sums(&g, c, plane, |_, v| v);
                let mut sum_gx = vec![E::zero(); c];
                for (i, (gc, xc)) in g
                    .chunks_exact(plane)
                    .zip(xhat.chunks_exact(plane))
                    .enumerate()
                {
                    let ch = i % c;
                    sum_gx[ch] = gc
                        .iter()
                        .zip(xc)
                        .fold(sum_gx[ch], |a, (&gv, &xv)| a + gv * xv);
                }
                let g_beta = grads.get_or_alloc_mut(&b_id)?;
                for ch in 0..c {
                    g_beta[ch] += sum_g[ch];
                }
                let g_gamma = grads.get_or_alloc_mut(&g_id)?;
                for ch in 0..c {
                    g_gamma[ch] += sum_gx[ch];
                }
                // dx = gamma / std * (g - mean(g) - xhat * mean(g * xhat)), per channel.
                let g_x = grads.get_or_alloc_mut(&x_id)?;
                for (i, ((dc, gc), xc)) in g_x
                    .chunks_exact_mut(plane)
                    .zip(g.chunks_exact(plane))
                    .zip(xhat.chunks_exact(plane))
                    .enumerate()
                {
                    let ch = i % c;
                    let k = gamma[ch] * inv_std[ch];
                    let (mg, mgx) = (sum_g[ch] / count, sum_gx[ch] / count);
                    for ((d, &gv), &xv) in dc.iter_mut().zip(gc).zip(xc) {
                        *d += k * (gv - mg - xv * mgx);
                    }
                }
                Ok(())
            });
        }
        Ok((out.put_tape(tape), mean, var))
    }

    /// Moves the running statistics toward a batch's.
    fn update_moving(&mut self, mean: &[E], var: &[E]) {
        let m = E::from_f64(self.config.momentum).expect("finite momentum");
        let blend = |t: &mut Tensor<(Width,), E, Cpu>, batch: &[E]| {
            let old = values(t);
            let new: Vec<E> = old
                .iter()
                .zip(batch)
                .map(|(&o, &b)| m * o + (E::one() - m) * b)
                .collect();
            t.copy_from(&new);
        };
        blend(&mut self.moving_mean, mean);
        blend(&mut self.moving_var, var);
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> Module<Tensor<(B, Width), E, Cpu, T>>
    for BatchNorm2d<E, Cpu>
{
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    /// Batch statistics while gradients are traced (the moving ones stay: use
    /// `try_forward_mut` to train), moving statistics otherwise.
    fn try_forward(&self, x: Tensor<(B, Width), E, Cpu, T>) -> Result<Self::Output, CpuError> {
        if T::OWNS_TAPE {
            Ok(self.train(x)?.0)
        } else {
            let (x, tape) = x.split_tape();
            Ok(self.infer(x)?.put_tape(tape))
        }
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> ModuleMut<Tensor<(B, Width), E, Cpu, T>>
    for BatchNorm2d<E, Cpu>
{
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    /// As `try_forward`, and while training also moves the running statistics.
    fn try_forward_mut(
        &mut self,
        x: Tensor<(B, Width), E, Cpu, T>,
    ) -> Result<Self::Output, CpuError> {
        if T::OWNS_TAPE {
            let (y, mean, var) = self.train(x)?;
            self.update_moving(&mean, &var);
            Ok(y)
        } else {
            self.try_forward(x)
        }
    }
}
