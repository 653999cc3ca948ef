//! 2-D convolution of run-time size: im2col, one gemm for the whole batch, and the
//! transposed products (plus col2im) as its backward pass.

use super::matmul::matmul;
use super::net::Probe;
use super::spatial::{scratch_values, values, KernelFloat, Scratch, Window};
use super::Width;
use dfdx::nn::{Module, ModuleVisitor, TensorCollection, TensorOptions};
use dfdx::prelude::{
    Cpu, CpuError, Dim, Dtype, HasShape, PutTape, SplitTape, Storage, Tape, Tensor, TensorFromVec,
};
use dfdx::tensor_ops::{Device, ReshapeTo};
use num_traits::Float;
use rand_distr::{uniform::SampleUniform, Uniform};
use std::cell::Cell;

/// `filters` kernels of `kernel x kernel` over `[C, H, W]` samples, plus a bias per filter
/// (Keras' `Conv2D`). Samples travel flat, `[C, H, W]` row-major; so does the output,
/// `[filters, out_height, out_width]`.
#[derive(Clone, Debug)]
pub struct Conv2d<E: Dtype, D: Storage<E>> {
    /// Kernels, shape `(filters, channels, kernel, kernel)` as PyTorch and dfdx store them.
    pub weight: Tensor<(Width, Width, Width, Width), E, D>,
    /// Bias, shape `(filters,)`.
    pub bias: Tensor<(Width,), E, D>,
    /// Where the kernel slides over the input.
    pub window: Window,
    probe: Probe,
}

/// Glorot uniform with the receptive field in both fans, as Keras' `Conv2D` initialises.
fn glorot_uniform<E, D>(t: &mut Tensor<(Width, Width, Width, Width), E, D>) -> Result<(), D::Err>
where
    E: Dtype + Float + SampleUniform,
    D: Device<E>,
{
    let (f, c, kh, kw) = *t.shape();
    let field = kh.size() * kw.size();
    let fans = (f.size() + c.size()) * field;
    if fans == 0 {
        return Ok(());
    }
    let limit = E::from_f64((6.0 / fans as f64).sqrt()).expect("finite limit");
    t.try_fill_with_distr(Uniform::new(-limit, limit))
}

fn zeros<E: Dtype, D: Device<E>>(t: &mut Tensor<(Width,), E, D>) -> Result<(), D::Err> {
    t.try_fill_with_zeros()
}

impl<E, D> Conv2d<E, D>
where
    E: Dtype + Float + SampleUniform,
    D: Device<E>,
{
    /// A layer of `filters` kernels sliding as `window` says, weights from the device's rng.
    pub fn try_new(device: &D, window: Window, filters: usize) -> Result<Self, D::Err> {
        let k = Width(window.kernel);
        let mut weight = device.try_zeros_like(&(Width(filters), Width(window.channels), k, k))?;
        glorot_uniform(&mut weight)?;
        let bias = device.try_zeros_like(&(Width(filters),))?;
        Ok(Self {
            weight,
            bias,
            window,
            probe: Probe,
        })
    }
}

impl<E: Dtype, D: Storage<E>> Conv2d<E, D> {
    /// Output channels.
    pub fn filters(&self) -> usize {
        self.weight.shape().0.size()
    }

    /// Values per output sample.
    pub fn output_len(&self) -> usize {
        self.filters() * self.window.positions()
    }
}

impl<E, D> TensorCollection<E, D> for Conv2d<E, D>
where
    E: Dtype + Float + SampleUniform,
    D: Device<E>,
{
    type To<E2: Dtype, D2: Device<E2>> = Conv2d<E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        // The window is not a tensor: read it from the module through the probe's accessor.
        let window = Cell::new(None);
        visitor.visit_module(
            "",
            |s: &Self| {
                window.set(Some(s.window));
                &s.probe
            },
            |s: &mut Self| {
                window.set(Some(s.window));
                &mut s.probe
            },
        )?;
        let window = window.get().expect(
            "a tuner Conv2d has a run-time window that dfdx's BuildModule cannot know; build it with Conv2d::try_new",
        );
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
            move |(weight, bias)| Conv2d {
                weight,
                bias,
                window,
                probe: Probe,
            },
        )
    }
}

/// Unfolds a batch of `[C, H, W]` samples into a `(C*K*K) x (B*P)` matrix (P output
/// positions): column `b*P + p` holds the input values under the window at position `p`,
/// zero where the window hangs over the padding.
fn im2col<E: KernelFloat>(w: &Window, batch: usize, x: &[E]) -> Scratch<E> {
    let (k, s) = (w.kernel, w.stride);
    let (p, ow) = (w.positions(), w.out_width);
    let cols_n = batch * p;
    let mut cols = Scratch::overwritten(w.channels * k * k * cols_n);
    let plane_len = w.height * w.width;
    for c in 0..w.channels {
        for ki in 0..k {
            for kj in 0..k {
                let row = (c * k + ki) * k + kj;
                let dst_row = &mut cols[row * cols_n..(row + 1) * cols_n];
                let valid = w.valid_columns(kj);
                for b in 0..batch {
                    let plane = &x[(b * w.channels + c) * plane_len..][..plane_len];
                    for oh in 0..w.out_height {
                        let dst = &mut dst_row[b * p + oh * ow..][..ow];
                        let Some(ih) = Window::source(oh, ki, s, w.pad_top, w.height) else {
                            dst.fill(E::zero());
                            continue;
                        };
                        let src = &plane[ih * w.width..(ih + 1) * w.width];
                        dst[..valid.start].fill(E::zero());
                        dst[valid.end..].fill(E::zero());
                        let first = valid.start * s + kj - w.pad_left;
                        if s == 1 {
                            dst[valid.clone()].copy_from_slice(&src[first..first + valid.len()]);
                        } else {
                            for (d, &v) in dst[valid.clone()]
                                .iter_mut()
                                .zip(src[first..].iter().step_by(s))
                            {
                                *d = v;
                            }
                        }
                    }
                }
            }
        }
    }
    cols
}

/// The adjoint of [`im2col`]: adds each column entry back onto the input value it came from.
fn col2im_add<E: KernelFloat>(w: &Window, batch: usize, cols: &[E], dx: &mut [E]) {
    let (k, s) = (w.kernel, w.stride);
    let (p, ow) = (w.positions(), w.out_width);
    let cols_n = batch * p;
    let plane_len = w.height * w.width;
    for c in 0..w.channels {
        for ki in 0..k {
            for kj in 0..k {
                let row = (c * k + ki) * k + kj;
                let src_row = &cols[row * cols_n..(row + 1) * cols_n];
                let valid = w.valid_columns(kj);
                for b in 0..batch {
                    let plane = &mut dx[(b * w.channels + c) * plane_len..][..plane_len];
                    for oh in 0..w.out_height {
                        let Some(ih) = Window::source(oh, ki, s, w.pad_top, w.height) else {
                            continue;
                        };
                        let dst = &mut plane[ih * w.width..(ih + 1) * w.width];
                        let src = &src_row[b * p + oh * ow..][..ow][valid.clone()];
                        let first = valid.start * s + kj - w.pad_left;
                        for (d, &v) in dst[first..].iter_mut().step_by(s).zip(src) {
                            *d += v;
                        }
                    }
                }
            }
        }
    }
}

impl<E: KernelFloat> Conv2d<E, Cpu> {
    /// The convolution of a batch of flat samples, recorded on the tape when traced.
    pub fn try_conv<B: Dim, T: Tape<E, Cpu>>(
        &self,
        x: Tensor<(B, Width), E, Cpu, T>,
    ) -> Result<Tensor<(B, Width), E, Cpu, T>, CpuError> {
        let w = self.window;
        let (filters, p) = (self.filters(), w.positions());
        let rows = w.channels * w.kernel * w.kernel;
        let x = x.try_contiguous()?;
        let (x, mut tape) = x.split_tape();
        let batch = x.shape().0;
        let n = batch.size();
        assert_eq!(
            x.shape().1.size(),
            w.input_len(),
            "conv2d expects {:?} samples ({} values)",
            [w.channels, w.height, w.width],
            w.input_len()
        );
        let cols = im2col(&w, n, &scratch_values(&x));
        let weight = values(&self.weight);
        let bias = values(&self.bias);
        // (filters x B*P) = weight (filters x rows) * cols (rows x B*P)
        let mut out_t = Scratch::overwritten(filters * n * p);
        matmul(
            (filters, rows, n * p),
            &weight,
            [rows, 1],
            &cols,
            [n * p, 1],
            &mut out_t,
            [n * p, 1],
            false,
        );
        // Back to sample-major [B, filters, P], adding the bias on the way.
        let mut out = vec![E::zero(); n * filters * p];
        for b in 0..n {
            for f in 0..filters {
                let src = &out_t[f * n * p + b * p..][..p];
                let dst = &mut out[(b * filters + f) * p..][..p];
                for (d, &v) in dst.iter_mut().zip(src) {
                    *d = v + bias[f];
                }
            }
        }
        drop(out_t);
        let out = x
            .device()
            .try_tensor_from_vec(out, (batch, Width(filters * p)))?;
        if T::OWNS_TAPE {
            let (x_id, w_id, b_id, out_id) = (
                x.ghost(),
                self.weight.ghost(),
                self.bias.ghost(),
                out.ghost(),
            );
            tape.add_backward_op(move |grads| {
                // g as (filters x B*P), the layout of the forward product.
                let mut g_t = Scratch::overwritten(filters * n * p);
                {
                    let g = grads.get_or_alloc_mut(&out_id)?;
                    for b in 0..n {
                        for f in 0..filters {
                            g_t[f * n * p + b * p..][..p]
                                .copy_from_slice(&g[(b * filters + f) * p..][..p]);
                        }
                    }
                }
                let g_bias = grads.get_or_alloc_mut(&b_id)?;
                for f in 0..filters {
                    let sum = g_t[f * n * p..(f + 1) * n * p]
                        .iter()
                        .fold(E::zero(), |a, &v| a + v);
                    g_bias[f] += sum;
                }
                // dW (filters x rows) += g_t (filters x B*P) * cols^T (B*P x rows)
                let g_weight = grads.get_or_alloc_mut(&w_id)?;
                matmul(
                    (filters, n * p, rows),
                    &g_t,
                    [n * p, 1],
                    &cols,
                    [1, n * p],
                    g_weight,
                    [rows, 1],
                    true,
                );
                // dcols (rows x B*P) = W^T (rows x filters) * g_t (filters x B*P)
                let mut d_cols = cols;
                matmul(
                    (rows, filters, n * p),
                    &weight,
                    [1, rows],
                    &g_t,
                    [n * p, 1],
                    &mut d_cols,
                    [n * p, 1],
                    false,
                );
                drop(g_t);
                col2im_add(&w, n, &d_cols, grads.get_or_alloc_mut(&x_id)?);
                Ok(())
            });
        }
        Ok(out.put_tape(tape))
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> Module<Tensor<(B, Width), E, Cpu, T>>
    for Conv2d<E, Cpu>
{
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    /// Panics if samples do not hold `channels * height * width` values.
    fn try_forward(&self, x: Tensor<(B, Width), E, Cpu, T>) -> Result<Self::Output, CpuError> {
        self.try_conv(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, loop by loop, to check the fast path against.
    fn direct(w: &Window, filters: usize, x: &[f64], weight: &[f64], bias: &[f64]) -> Vec<f64> {
        let k = w.kernel;
        let mut out = Vec::new();
        let n = x.len() / w.input_len();
        for b in 0..n {
            for f in 0..filters {
                for oh in 0..w.out_height {
                    for ow in 0..w.out_width {
                        let mut acc = bias[f];
                        for c in 0..w.channels {
                            for ki in 0..k {
                                for kj in 0..k {
                                    let ih = Window::source(oh, ki, w.stride, w.pad_top, w.height);
                                    let iw = Window::source(ow, kj, w.stride, w.pad_left, w.width);
                                    if let (Some(ih), Some(iw)) = (ih, iw) {
                                        acc += x
                                            [((b * w.channels + c) * w.height + ih) * w.width + iw]
                                            * weight[((f * w.channels + c) * k + ki) * k + kj];
                                    }
                                }
                            }
                        }
                        out.push(acc);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn im2col_and_gemm_match_the_definition() {
        let dev = Cpu::default();
        for (input, k, s, pads, filters) in [
            ([2, 5, 6], 3, 1, [1, 1, 1, 1], 3),
            ([1, 7, 7], 3, 2, [0, 0, 0, 0], 2),
            ([3, 6, 5], 2, 2, [0, 1, 1, 0], 4),
            ([2, 4, 4], 1, 1, [0, 0, 0, 0], 1),
        ] {
            let w = Window::new(input, k, s, pads).unwrap();
            let conv: Conv2d<f64, Cpu> = Conv2d::try_new(&dev, w, filters).unwrap();
            let n = 2;
            let xs: Vec<f64> = (0..n * w.input_len())
                .map(|i| ((i * 7919) % 23) as f64 / 11.0 - 1.0)
                .collect();
            let x = dev.tensor_from_vec(xs.clone(), (n, Width(w.input_len())));
            let got = conv.try_conv(x).unwrap().as_vec();
            let want = direct(&w, filters, &xs, &conv.weight.as_vec(), &conv.bias.as_vec());
            assert_eq!(got.len(), want.len());
            for (g, e) in got.iter().zip(&want) {
                assert!((g - e).abs() < 1e-12, "{input:?} k{k} s{s}: {g} vs {e}");
            }
        }
    }
}
