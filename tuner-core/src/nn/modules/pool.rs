//! Pooling over `[C, H, W]` samples: windowed max and average, and their global forms.

use super::spatial::{sample_op, KernelFloat, Scratch, Window};
use super::Width;
use dfdx::nn::Module;
use dfdx::prelude::{Cpu, CpuError, Dim, HasShape, Tape, Tensor};
use std::ops::Range;

/// The largest value under each window, per channel (Keras' `MaxPooling2D`); padding never
/// wins. The gradient goes to the first maximum of each window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool2d {
    /// Where the window slides.
    pub window: Window,
}

/// The mean under each window, per channel (Keras' `AveragePooling2D`); padded positions are
/// left out of the mean, as TensorFlow does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvgPool2d {
    /// Where the window slides.
    pub window: Window,
}

/// The mean of each channel: `[C, H, W]` to `[C]` (Keras' `GlobalAveragePooling2D`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalAvgPool2d {
    /// The input shape `[C, H, W]`.
    pub input: [usize; 3],
}

/// The largest value of each channel: `[C, H, W]` to `[C]` (Keras' `GlobalMaxPooling2D`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalMaxPool2d {
    /// The input shape `[C, H, W]`.
    pub input: [usize; 3],
}

fn check_width(found: usize, expected: usize, what: &str, shape: [usize; 3]) {
    assert_eq!(
        found, expected,
        "{what} expects {shape:?} samples ({expected} values)"
    );
}

/// Calls `f(output index, plane offset, input rows, input columns)` for every window
/// position of every channel of every sample; the ranges leave out padding.
fn for_each_window(
    w: &Window,
    batch: usize,
    mut f: impl FnMut(usize, usize, Range<usize>, Range<usize>),
) {
    let (hw, k, s) = (w.height * w.width, w.kernel, w.stride);
    let span = |o: usize, pad: usize, size: usize| {
        let start = (o * s).max(pad) - pad;
        let end = (o * s + k).min(size + pad) - pad;
        start..end
    };
    let mut o = 0;
    for plane in 0..batch * w.channels {
        for oh in 0..w.out_height {
            let rows = span(oh, w.pad_top, w.height);
            for ow in 0..w.out_width {
                f(o, plane * hw, rows.clone(), span(ow, w.pad_left, w.width));
                o += 1;
            }
        }
    }
}

impl MaxPool2d {
    /// Values per output sample.
    pub fn output_len(&self) -> usize {
        self.window.channels * self.window.positions()
    }
}

impl AvgPool2d {
    /// Values per output sample.
    pub fn output_len(&self) -> usize {
        self.window.channels * self.window.positions()
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> Module<Tensor<(B, Width), E, Cpu, T>> for MaxPool2d {
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Width), E, Cpu, T>) -> Result<Self::Output, CpuError> {
        let w = self.window;
        check_width(
            x.shape().1 .0,
            w.input_len(),
            "max_pool2d",
            [w.channels, w.height, w.width],
        );
        let batch = x.shape().0.size();
        sample_op(
            x,
            self.output_len(),
            |x, out| {
                assert!(x.len() <= u32::MAX as usize, "max_pool2d: batch too large");
                let mut arg = Scratch::<u32>::overwritten(out.len());
                for_each_window(&w, batch, |o, base, rows, cols| {
                    // Branch-free running maximum: which input wins is data, not control.
                    let mut best = base + rows.start * w.width + cols.start;
                    let mut top = E::neg_infinity();
                    for ih in rows {
                        let start = base + ih * w.width + cols.start;
                        for (j, &v) in x[start..start + cols.len()].iter().enumerate() {
                            let better = v > top;
                            top = if better { v } else { top };
                            best = if better { start + j } else { best };
                        }
                    }
                    out[o] = x[best];
                    arg[o] = best as u32;
                });
                arg
            },
            |arg, g_out, g_in| {
                for (&i, &g) in arg.iter().zip(g_out) {
                    g_in[i as usize] += g;
                }
            },
        )
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> Module<Tensor<(B, Width), E, Cpu, T>> for AvgPool2d {
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Width), E, Cpu, T>) -> Result<Self::Output, CpuError> {
        let w = self.window;
        check_width(
            x.shape().1 .0,
            w.input_len(),
            "avg_pool2d",
            [w.channels, w.height, w.width],
        );
        let batch = x.shape().0.size();
        sample_op(
            x,
            self.output_len(),
            |x, out| {
                for_each_window(&w, batch, |o, base, rows, cols| {
                    let count = E::from_usize(rows.len() * cols.len()).expect("a small count");
                    let mut sum = E::zero();
                    for ih in rows {
                        let row = base + ih * w.width;
                        sum = x[row + cols.start..row + cols.end]
                            .iter()
                            .fold(sum, |a, &v| a + v);
                    }
                    out[o] = sum / count;
                });
            },
            move |(), g_out, g_in| {
                for_each_window(&w, batch, |o, base, rows, cols| {
                    let count = E::from_usize(rows.len() * cols.len()).expect("a small count");
                    let share = g_out[o] / count;
                    for ih in rows {
                        let row = base + ih * w.width;
                        for v in &mut g_in[row + cols.start..row + cols.end] {
                            *v += share;
                        }
                    }
                });
            },
        )
    }
}

impl GlobalAvgPool2d {
    fn plane(&self) -> usize {
        self.input[1] * self.input[2]
    }
}

impl GlobalMaxPool2d {
    fn plane(&self) -> usize {
        self.input[1] * self.input[2]
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> Module<Tensor<(B, Width), E, Cpu, T>>
    for GlobalAvgPool2d
{
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Width), E, Cpu, T>) -> Result<Self::Output, CpuError> {
        let [c, h, w] = self.input;
        check_width(x.shape().1 .0, c * h * w, "global_avg_pool2d", self.input);
        let hw = self.plane();
        let scale = E::one() / E::from_usize(hw).expect("a plane size");
        sample_op(
            x,
            c,
            |x, out| {
                for (o, plane) in out.iter_mut().zip(x.chunks_exact(hw)) {
                    *o = plane.iter().fold(E::zero(), |a, &v| a + v) * scale;
                }
            },
            move |(), g_out, g_in| {
                for (&g, plane) in g_out.iter().zip(g_in.chunks_exact_mut(hw)) {
                    let share = g * scale;
                    for v in plane {
                        *v += share;
                    }
                }
            },
        )
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> Module<Tensor<(B, Width), E, Cpu, T>>
    for GlobalMaxPool2d
{
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Width), E, Cpu, T>) -> Result<Self::Output, CpuError> {
        let [c, h, w] = self.input;
        check_width(x.shape().1 .0, c * h * w, "global_max_pool2d", self.input);
        let hw = self.plane();
        sample_op(
            x,
            c,
            |x, out| {
                assert!(
                    x.len() <= u32::MAX as usize,
                    "global_max_pool2d: batch too large"
                );
                let mut arg = Scratch::<u32>::overwritten(out.len());
                for (o, plane) in x.chunks_exact(hw).enumerate() {
                    let mut best = 0;
                    for (i, &v) in plane.iter().enumerate() {
                        if v > plane[best] {
                            best = i;
                        }
                    }
                    out[o] = plane[best];
                    arg[o] = (o * hw + best) as u32;
                }
                arg
            },
            |arg, g_out, g_in| {
                for (&i, &g) in arg.iter().zip(g_out) {
                    g_in[i as usize] += g;
                }
            },
        )
    }
}
