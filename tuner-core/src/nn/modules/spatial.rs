//! What the image layers share: the float types their CPU kernels run on, where a sliding
//! window sits on a `[channels, height, width]` sample, and the plumbing of a custom op
//! (forward on raw values, backward registered on dfdx's tape).
//!
//! dfdx 0.13 builds its own convolution only on nightly, so these layers bring their own
//! kernels. They run on dfdx's `Cpu` device through its public API: values are copied out
//! with `copy_into`, results come back through `tensor_from_vec`, and gradients are added
//! to the buffers `Gradients::get_or_alloc_mut` hands out, keyed by tensor id like dfdx's own.

use crate::nn::spec::Padding;
use dfdx::prelude::{
    Cpu, CpuError, Dim, Dtype, HasShape, PutTape, Shape, SplitTape, Tape, Tensor, TensorFromVec,
};
use dfdx::tensor_ops::ReshapeTo;
use num_traits::Float;
use rand_distr::uniform::SampleUniform;
use std::cell::RefCell;
use std::thread::LocalKey;

use super::activation::Activate;
use super::Width;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The element types the CPU kernels support (the ones gemm multiplies): `f32` and `f64`.
pub trait KernelFloat:
    Dtype + Float + SampleUniform + Send + Sync + Pooled + Activate + sealed::Sealed
{
}
impl KernelFloat for f32 {}
impl KernelFloat for f64 {}

/// Element types with a per-thread pool of scratch buffers.
pub trait Pooled: Copy + Default + 'static {
    #[doc(hidden)]
    fn pool() -> &'static LocalKey<RefCell<Vec<Vec<Self>>>>;
}

macro_rules! pooled {
    ($($t:ty),*) => {$(
        impl Pooled for $t {
            fn pool() -> &'static LocalKey<RefCell<Vec<Vec<$t>>>> {
                thread_local! {
                    static POOL: RefCell<Vec<Vec<$t>>> = const { RefCell::new(Vec::new()) };
                }
                &POOL
            }
        }
    )*};
}
pooled!(f32, f64, u32);

/// Buffers a thread keeps for reuse, and the bytes they may hold in all.
const POOL_BUFFERS: usize = 24;
const POOL_BYTES: usize = 256 << 20;

/// A buffer from the calling thread's pool, returned to it when dropped. Every training
/// step needs the same large temporaries (unfolded images, transposed gradients); fresh
/// allocations of that size come from the kernel each time and cost a page fault per page.
pub(crate) struct Scratch<T: Pooled>(Vec<T>);

impl<T: Pooled> Scratch<T> {
    /// `len` values left from an earlier use (or defaults): for buffers the caller
    /// overwrites entirely, so that no time goes into clearing them.
    pub(crate) fn overwritten(len: usize) -> Self {
        let mut v = Self::take_stale(len);
        v.resize(len, T::default());
        Scratch(v)
    }

    /// A copy of `src`.
    pub(crate) fn copied(src: &[T]) -> Self {
        let mut v = Self::take(src.len());
        v.extend_from_slice(src);
        Scratch(v)
    }

    /// An empty vector with room for `len`, the smallest pooled one that fits if any.
    fn take(len: usize) -> Vec<T> {
        let mut v = Self::take_stale(len);
        v.clear();
        v
    }

    /// A pooled vector with room for `len` and at most `len` old values, or a new one.
    fn take_stale(len: usize) -> Vec<T> {
        T::pool()
            .with(|p| {
                let mut pool = p.borrow_mut();
                let best = pool
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.capacity() >= len)
                    .min_by_key(|(_, v)| v.capacity())
                    .map(|(i, _)| i);
                best.map(|i| pool.swap_remove(i))
            })
            .map(|mut v| {
                v.truncate(len);
                v
            })
            .unwrap_or_else(|| Vec::with_capacity(len))
    }
}

impl<T: Pooled> Drop for Scratch<T> {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        let _ = T::pool().try_with(|p| {
            let mut pool = p.borrow_mut();
            let bytes = |pool: &Vec<Vec<T>>| {
                pool.iter().map(|v| v.capacity()).sum::<usize>() * std::mem::size_of::<T>()
            };
            pool.push(v);
            // Over budget: let the smallest buffers go first.
            while pool.len() > POOL_BUFFERS || bytes(&pool) > POOL_BYTES {
                let smallest = (0..pool.len())
                    .min_by_key(|&i| pool[i].capacity())
                    .expect("non-empty");
                pool.swap_remove(smallest);
            }
        });
    }
}

impl<T: Pooled> std::ops::Deref for Scratch<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: Pooled> std::ops::DerefMut for Scratch<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

/// Where a square window (a convolution kernel or a pool) slides over a `[C, H, W]` sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// Input channels.
    pub channels: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Window side.
    pub kernel: usize,
    /// Step between window positions, in both directions.
    pub stride: usize,
    /// Zero rows added above the input (more may be implied below).
    pub pad_top: usize,
    /// Zero columns added left of the input (more may be implied right).
    pub pad_left: usize,
    /// Output height.
    pub out_height: usize,
    /// Output width.
    pub out_width: usize,
}

/// Keras' padding for `same`: the output is `ceil(size / stride)` long and the padding is
/// split with the odd one at the end. Returns `(before, after)`.
pub fn same_padding(size: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let out = size.div_ceil(stride.max(1));
    let total = ((out.saturating_sub(1)) * stride + kernel).saturating_sub(size);
    (total / 2, total - total / 2)
}

impl Window {
    /// A window over `input` (`[C, H, W]`) with explicit zero padding `[top, bottom, left,
    /// right]`; the error says what does not fit.
    pub fn new(
        input: [usize; 3],
        kernel: usize,
        stride: usize,
        padding: [usize; 4],
    ) -> Result<Window, String> {
        let [channels, height, width] = input;
        if channels == 0 || height == 0 || width == 0 {
            return Err(format!("the input shape {input:?} has a zero dimension"));
        }
        if kernel == 0 {
            return Err("the window size is 0; use at least 1".into());
        }
        if stride == 0 {
            return Err("the stride is 0; use at least 1".into());
        }
        let [top, bottom, left, right] = padding;
        if top >= kernel || bottom >= kernel || left >= kernel || right >= kernel {
            return Err(format!(
                "padding {padding:?} is as wide as the window ({kernel}), so some outputs would see only padding"
            ));
        }
        let (ph, pw) = (height + top + bottom, width + left + right);
        if kernel > ph || kernel > pw {
            return Err(format!(
                "the {kernel}x{kernel} window does not fit the {ph}x{pw} (padded) input; use a smaller window or padding same"
            ));
        }
        Ok(Window {
            channels,
            height,
            width,
            kernel,
            stride,
            pad_top: top,
            pad_left: left,
            out_height: (ph - kernel) / stride + 1,
            out_width: (pw - kernel) / stride + 1,
        })
    }

    /// A window over `input` with Keras' `valid` (none) or `same` padding.
    pub fn padded(
        input: [usize; 3],
        kernel: usize,
        stride: usize,
        padding: Padding,
    ) -> Result<Window, String> {
        let pads = match padding {
            Padding::Valid => [0; 4],
            Padding::Same => {
                let (t, b) = same_padding(input[1], kernel, stride);
                let (l, r) = same_padding(input[2], kernel, stride);
                [t, b, l, r]
            }
        };
        Window::new(input, kernel, stride, pads)
    }

    /// Values per input sample.
    pub fn input_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Output positions per channel.
    pub fn positions(&self) -> usize {
        self.out_height * self.out_width
    }

    /// The input rows (or columns, with the matching arguments) the window at output `o`
    /// covers with offset `k`: `o * stride + k - pad`, if inside `0..size`.
    #[inline(always)]
    pub(crate) fn source(
        o: usize,
        k: usize,
        stride: usize,
        pad: usize,
        size: usize,
    ) -> Option<usize> {
        (o * stride + k).checked_sub(pad).filter(|&i| i < size)
    }

    /// The output columns `ow` whose window column `kj` lands inside the input: a range, so
    /// inner loops run without bounds tests.
    #[inline(always)]
    pub(crate) fn valid_columns(&self, kj: usize) -> std::ops::Range<usize> {
        let s = self.stride;
        // ow * s + kj >= pad_left  and  ow * s + kj < width + pad_left
        let lo = self.pad_left.saturating_sub(kj).div_ceil(s);
        let hi = (self.width + self.pad_left)
            .saturating_sub(kj)
            .div_ceil(s)
            .min(self.out_width);
        lo.min(hi)..hi
    }
}

/// A tensor's values in row-major order (small tensors: weights, statistics).
pub(crate) fn values<S: Shape, E: KernelFloat, T>(t: &Tensor<S, E, Cpu, T>) -> Vec<E> {
    let mut v = vec![E::zero(); t.shape().num_elements()];
    t.copy_into(&mut v);
    v
}

/// A tensor's values in row-major order, in a pooled buffer (activations).
pub(crate) fn scratch_values<S: Shape, E: KernelFloat, T>(t: &Tensor<S, E, Cpu, T>) -> Scratch<E> {
    let mut v = Scratch::overwritten(t.shape().num_elements());
    t.copy_into(&mut v);
    v
}

/// A taped op on a batch of flat samples without parameters: `forward` fills the output
/// (`out_width` values per sample) from the input and returns what the backward pass needs;
/// `backward` adds to the input's gradient given the output's. Nothing is recorded (and
/// nothing kept) when gradients are not being traced.
pub(crate) fn sample_op<B, E, T, S>(
    x: Tensor<(B, Width), E, Cpu, T>,
    out_width: usize,
    forward: impl FnOnce(&[E], &mut [E]) -> S,
    backward: impl FnOnce(S, &[E], &mut [E]) + 'static,
) -> Result<Tensor<(B, Width), E, Cpu, T>, CpuError>
where
    B: Dim,
    E: KernelFloat,
    T: Tape<E, Cpu>,
    S: 'static,
{
    // Our kernels read the physical layout: make sure it is the logical one (a no-op,
    // recorded on the tape only if a copy was needed).
    let x = x.try_contiguous()?;
    let (x, mut tape) = x.split_tape();
    let batch = x.shape().0;
    let xs = scratch_values(&x);
    let mut out = vec![E::zero(); batch.size() * out_width];
    let saved = forward(&xs, &mut out);
    drop(xs);
    let out = x
        .device()
        .try_tensor_from_vec(out, (batch, Width(out_width)))?;
    if T::OWNS_TAPE {
        let (x_id, out_id) = (x.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            let g_out = Scratch::copied(grads.get_or_alloc_mut(&out_id)?);
            let g_in = grads.get_or_alloc_mut(&x_id)?;
            backward(saved, &g_out, g_in);
            Ok(())
        });
    }
    Ok(out.put_tape(tape))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_follows_keras() {
        // 28 wide, 3x3, stride 1: 1 each side; stride 2 on 28: out 14, total 1, all after.
        assert_eq!(same_padding(28, 3, 1), (1, 1));
        assert_eq!(same_padding(28, 3, 2), (0, 1));
        assert_eq!(same_padding(5, 4, 1), (1, 2));
        assert_eq!(same_padding(4, 1, 2), (0, 0));
    }

    #[test]
    fn windows_size_their_outputs() {
        let w = Window::padded([1, 28, 28], 3, 1, Padding::Valid).unwrap();
        assert_eq!((w.out_height, w.out_width), (26, 26));
        let w = Window::padded([1, 28, 28], 3, 2, Padding::Same).unwrap();
        assert_eq!((w.out_height, w.out_width), (14, 14));
        let w = Window::padded([2, 13, 13], 2, 2, Padding::Valid).unwrap();
        assert_eq!((w.out_height, w.out_width), (6, 6));
        assert!(Window::padded([1, 2, 2], 3, 1, Padding::Valid).is_err());
        assert!(Window::new([1, 4, 4], 2, 1, [2, 0, 0, 0]).is_err());
    }

    #[test]
    fn valid_columns_match_the_bounds_test() {
        for (width, kernel, stride, pad) in [(5, 3, 1, 1), (7, 3, 2, 1), (6, 4, 3, 2), (4, 1, 2, 0)]
        {
            let w = Window::new([1, 5, width], kernel, stride, [0, 0, pad, pad]).unwrap();
            for kj in 0..kernel {
                let expected: Vec<usize> = (0..w.out_width)
                    .filter(|&o| Window::source(o, kj, stride, pad, width).is_some())
                    .collect();
                let got: Vec<usize> = w.valid_columns(kj).collect();
                assert_eq!(
                    got, expected,
                    "width {width} kernel {kernel} stride {stride} kj {kj}"
                );
            }
        }
    }
}
