//! Random image augmentation as layers (Keras' `RandomFlip`, `RandomTranslation`,
//! `RandomContrast`): active only while gradients are traced, so `fit` augments its training
//! batches and `evaluate`/`predict` see the images as they are. The draws come from the
//! network's seeded device, like dropout's, so a training run is reproducible per seed.

use super::spatial::{sample_op, KernelFloat};
use super::Width;
use crate::nn::spec::FlipMode;
use dfdx::nn::Module;
use dfdx::prelude::{Cpu, CpuError, Dim, HasShape, RandomU64, Tape, Tensor};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// Mirrors each image with probability 1/2 per enabled axis (each axis drawn independently).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandomFlip {
    /// The sample shape `[C, H, W]`.
    pub input: [usize; 3],
    /// Which axes may be mirrored.
    pub mode: FlipMode,
}

/// Shifts each image by a whole number of pixels drawn uniformly from
/// `[-factor * size, factor * size]` per axis, filling the uncovered border with zeros.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RandomTranslation {
    /// The sample shape `[C, H, W]`.
    pub input: [usize; 3],
    /// Largest vertical shift, as a fraction of the height.
    pub height_factor: f64,
    /// Largest horizontal shift, as a fraction of the width.
    pub width_factor: f64,
}

/// Scales each image's deviation from its per-channel mean by a factor drawn uniformly from
/// `[1 - factor, 1 + factor]` (values are not clipped).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RandomContrast {
    /// The sample shape `[C, H, W]`.
    pub input: [usize; 3],
    /// Largest relative change of contrast, in `[0, 1]`.
    pub factor: f64,
}

/// One rng per batch, seeded from the tensor's device so that runs repeat per seed.
fn batch_rng<S: dfdx::prelude::Shape, E: KernelFloat, T>(x: &Tensor<S, E, Cpu, T>) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(x.device().random_u64())
}

/// Moves values by an index map (`None`: the output is 0); its backward adds each output's
/// gradient onto its source.
fn gather<B: Dim, E: KernelFloat, T: Tape<E, Cpu>>(
    x: Tensor<(B, Width), E, Cpu, T>,
    map: Vec<Option<usize>>,
) -> Result<Tensor<(B, Width), E, Cpu, T>, CpuError> {
    let width = x.shape().1 .0;
    sample_op(
        x,
        width,
        |x, out| {
            for (o, src) in out.iter_mut().zip(&map) {
                *o = src.map_or(E::zero(), |i| x[i]);
            }
            map
        },
        |map, g_out, g_in| {
            for (&g, src) in g_out.iter().zip(&map) {
                if let Some(i) = src {
                    g_in[*i] += g;
                }
            }
        },
    )
}

fn check(found: usize, input: [usize; 3], what: &str) {
    let expected: usize = input.iter().product();
    assert_eq!(
        found, expected,
        "{what} expects {input:?} samples ({expected} values)"
    );
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> Module<Tensor<(B, Width), E, Cpu, T>> for RandomFlip {
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Width), E, Cpu, T>) -> Result<Self::Output, CpuError> {
        if !T::OWNS_TAPE {
            return Ok(x);
        }
        check(x.shape().1 .0, self.input, "random_flip");
        let [c, h, w] = self.input;
        let (may_h, may_v) = match self.mode {
            FlipMode::Horizontal => (true, false),
            FlipMode::Vertical => (false, true),
            FlipMode::HorizontalAndVertical => (true, true),
        };
        let mut rng = batch_rng(&x);
        let n = x.shape().0.size();
        let mut map = Vec::with_capacity(n * c * h * w);
        for b in 0..n {
            let flip_h = may_h && rng.random::<bool>();
            let flip_v = may_v && rng.random::<bool>();
            for ch in 0..c {
                for i in 0..h {
                    let si = if flip_v { h - 1 - i } else { i };
                    for j in 0..w {
                        let sj = if flip_h { w - 1 - j } else { j };
                        map.push(Some(((b * c + ch) * h + si) * w + sj));
                    }
                }
            }
        }
        gather(x, map)
    }
}

/// A whole-pixel shift drawn from `[-factor * size, factor * size]`.
fn shift(rng: &mut ChaCha8Rng, factor: f64, size: usize) -> isize {
    let most = factor * size as f64;
    if most <= 0.0 {
        return 0;
    }
    (rng.random_range(-most..=most)).round() as isize
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> Module<Tensor<(B, Width), E, Cpu, T>>
    for RandomTranslation
{
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Width), E, Cpu, T>) -> Result<Self::Output, CpuError> {
        if !T::OWNS_TAPE {
            return Ok(x);
        }
        check(x.shape().1 .0, self.input, "random_translation");
        let [c, h, w] = self.input;
        let mut rng = batch_rng(&x);
        let n = x.shape().0.size();
        let mut map = Vec::with_capacity(n * c * h * w);
        for b in 0..n {
            let dy = shift(&mut rng, self.height_factor, h);
            let dx = shift(&mut rng, self.width_factor, w);
            for ch in 0..c {
                for i in 0..h {
                    let si = i as isize - dy;
                    for j in 0..w {
                        let sj = j as isize - dx;
                        let inside = (0..h as isize).contains(&si) && (0..w as isize).contains(&sj);
                        map.push(
                            inside.then(|| ((b * c + ch) * h + si as usize) * w + sj as usize),
                        );
                    }
                }
            }
        }
        gather(x, map)
    }
}

impl<B: Dim, E: KernelFloat, T: Tape<E, Cpu>> Module<Tensor<(B, Width), E, Cpu, T>>
    for RandomContrast
{
    type Output = Tensor<(B, Width), E, Cpu, T>;
    type Error = CpuError;

    fn try_forward(&self, x: Tensor<(B, Width), E, Cpu, T>) -> Result<Self::Output, CpuError> {
        if !T::OWNS_TAPE {
            return Ok(x);
        }
        check(x.shape().1 .0, self.input, "random_contrast");
        let [c, h, w] = self.input;
        let plane = h * w;
        let mut rng = batch_rng(&x);
        let n = x.shape().0.size();
        let f = self.factor;
        let factors: Vec<E> = (0..n)
            .map(|_| {
                let v = if f > 0.0 {
                    rng.random_range(1.0 - f..=1.0 + f)
                } else {
                    1.0
                };
                E::from_f64(v).expect("finite factor")
            })
            .collect();
        let count = E::from_usize(plane).expect("a plane size");
        let width = c * plane;
        sample_op(
            x,
            width,
            |x, out| {
                for (p, (xs, os)) in x
                    .chunks_exact(plane)
                    .zip(out.chunks_exact_mut(plane))
                    .enumerate()
                {
                    let k = factors[p / c];
                    let mean = xs.iter().fold(E::zero(), |a, &v| a + v) / count;
                    for (o, &v) in os.iter_mut().zip(xs) {
                        *o = (v - mean) * k + mean;
                    }
                }
                factors
            },
            move |factors, g_out, g_in| {
                for (p, (gs, ds)) in g_out
                    .chunks_exact(plane)
                    .zip(g_in.chunks_exact_mut(plane))
                    .enumerate()
                {
                    let k = factors[p / c];
                    let spread = gs.iter().fold(E::zero(), |a, &v| a + v) * (E::one() - k) / count;
                    for (d, &g) in ds.iter_mut().zip(gs) {
                        *d += k * g + spread;
                    }
                }
            },
        )
    }
}
