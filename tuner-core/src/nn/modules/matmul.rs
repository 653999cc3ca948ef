//! Dense matrix products on gemm, split over the threads of the current rayon pool.
//!
//! gemm's own threading (`Parallelism::Rayon`) scales poorly on the shapes a training step
//! has (a weight gradient with K = batch gained 3% from a second thread; BENCHMARKS "Dense
//! training kernels"), so a product is cut here into blocks of whole output rows (or
//! columns), and each block runs gemm's single-threaded kernel, the blocks spread over the
//! threads. The blocks depend only on the product's shape and the inner (K) dimension is
//! never split, so every output element is summed in the same order whatever the thread
//! count: results do not depend on it.

use super::denormals::FlushDenormals;
use super::spatial::KernelFloat;

/// Below this many multiply-adds a product runs on one thread (a split costs a few µs).
const SPLIT_FROM: usize = 1 << 18;
/// How many blocks a large product is cut into, whatever the thread count (one per core on
/// the 2-core machines measured; fewer threads run several blocks in turn).
const SPLIT_PARTS: usize = 2;
/// Blocks are whole multiples of this many rows or columns (gemm's register tiles).
const BLOCK_ALIGN: usize = 16;

/// Strides (elements) of a matrix: `[row stride, column stride]`.
pub(crate) type Strides = [usize; 2];

/// `dst (m x n) = [dst +] lhs (m x k) * rhs (k x n)`, each given as a slice with its row and
/// column strides, on as many threads as the current rayon pool has.
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul<E: KernelFloat>(
    mkn: (usize, usize, usize),
    lhs: &[E],
    lhs_strides: Strides,
    rhs: &[E],
    rhs_strides: Strides,
    dst: &mut [E],
    dst_strides: Strides,
    accumulate: bool,
) {
    matmul_on(
        rayon::current_num_threads(),
        mkn,
        lhs,
        lhs_strides,
        rhs,
        rhs_strides,
        dst,
        dst_strides,
        accumulate,
    )
}

/// [`matmul`] on at most `threads` threads of the current pool.
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul_on<E: KernelFloat>(
    threads: usize,
    (m, k, n): (usize, usize, usize),
    lhs: &[E],
    [lhs_rs, lhs_cs]: Strides,
    rhs: &[E],
    [rhs_rs, rhs_cs]: Strides,
    dst: &mut [E],
    [dst_rs, dst_cs]: Strides,
    accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    let last = |rs: usize, cs: usize, rows: usize, cols: usize| {
        (rows.saturating_sub(1)) * rs + (cols.saturating_sub(1)) * cs
    };
    // The bounds gemm relies on; checked once per product, never per element.
    assert!(
        k == 0 || last(lhs_rs, lhs_cs, m, k) < lhs.len(),
        "lhs too short"
    );
    assert!(
        k == 0 || last(rhs_rs, rhs_cs, k, n) < rhs.len(),
        "rhs too short"
    );
    assert!(last(dst_rs, dst_cs, m, n) < dst.len(), "dst too short");
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    dst[i * dst_rs + j * dst_cs] = E::zero();
                }
            }
        }
        return;
    }
    let product = Product {
        k,
        lhs: lhs.as_ptr(),
        lhs_strides: [lhs_rs, lhs_cs],
        rhs: rhs.as_ptr(),
        rhs_strides: [rhs_rs, rhs_cs],
        dst: dst.as_mut_ptr(),
        dst_strides: [dst_rs, dst_cs],
        accumulate,
    };
    // Split the longer side of the output; the other operand is then read whole by each block.
    let by_rows = m >= n;
    let side = if by_rows { m } else { n };
    // The blocks follow from the shape alone, never from the thread count: gemm does not sum
    // an output element the same way in every block shape (a 64x784x64 block, alone,
    // differed in the last bit from the same columns of the 64x784x256 product), so only
    // the same blocks give the same values on any number of threads.
    let parts = if m * n * k < SPLIT_FROM {
        1
    } else {
        SPLIT_PARTS.min(side / BLOCK_ALIGN).max(1)
    };
    let block = side.div_ceil(parts).div_ceil(BLOCK_ALIGN) * BLOCK_ALIGN;
    let ranges = (0..side)
        .step_by(block)
        .map(|start| start..(start + block).min(side));
    if parts == 1 || threads < 2 {
        for range in ranges {
            // SAFETY: the blocks cover disjoint output rows (columns), inside the slices by
            // the asserts above.
            unsafe { product.block(by_rows, range, m, n) };
        }
        return;
    }
    let product = &product;
    // The first block runs on the calling thread, the others on the pool: from outside a
    // pool that keeps the caller working instead of waiting for two woken workers.
    rayon::in_place_scope(|s| {
        let mut ranges = ranges;
        let first = ranges.next();
        for range in ranges {
            // SAFETY: the blocks cover disjoint output rows (columns), each inside `dst`;
            // the inputs are only read, and `dst` overlaps neither (borrowed mutably).
            s.spawn(move |_| unsafe { product.block(by_rows, range, m, n) });
        }
        if let Some(range) = first {
            // SAFETY: as for the spawned blocks.
            unsafe { product.block(by_rows, range, m, n) }
        }
    });
}

/// One product's operands as raw pointers, so disjoint blocks of its output can be written
/// from several threads.
struct Product<E> {
    k: usize,
    lhs: *const E,
    lhs_strides: Strides,
    rhs: *const E,
    rhs_strides: Strides,
    dst: *mut E,
    dst_strides: Strides,
    accumulate: bool,
}

// SAFETY: a `Product` lives only inside `matmul_on`, whose borrows of the slices outlast
// every block; blocks write disjoint parts of `dst`.
unsafe impl<E: Sync> Sync for Product<E> {}

impl<E: KernelFloat> Product<E> {
    /// Computes output rows (`by_rows`) or columns `range` of the `m x n` output on the
    /// calling thread.
    ///
    /// # Safety
    /// `range` must lie within the output, and no other thread may write the same block.
    unsafe fn block(&self, by_rows: bool, range: std::ops::Range<usize>, m: usize, n: usize) {
        // A pool thread flushes subnormals as the training thread does.
        let _flush = FlushDenormals::new();
        let [lhs_rs, lhs_cs] = self.lhs_strides;
        let [rhs_rs, rhs_cs] = self.rhs_strides;
        let [dst_rs, dst_cs] = self.dst_strides;
        let (rows, cols, lhs, rhs, dst) = if by_rows {
            (
                range.len(),
                n,
                self.lhs.add(range.start * lhs_rs),
                self.rhs,
                self.dst.add(range.start * dst_rs),
            )
        } else {
            (
                m,
                range.len(),
                self.lhs,
                self.rhs.add(range.start * rhs_cs),
                self.dst.add(range.start * dst_cs),
            )
        };
        gemm::gemm(
            rows,
            cols,
            self.k,
            dst,
            dst_cs as isize,
            dst_rs as isize,
            self.accumulate,
            lhs,
            lhs_cs as isize,
            lhs_rs as isize,
            rhs,
            rhs_cs as isize,
            rhs_rs as isize,
            if self.accumulate { E::one() } else { E::zero() },
            E::one(),
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A naive product in f64, the reference.
    fn reference(m: usize, k: usize, n: usize, a: &[f32], b: &[f32]) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k)
                    .map(|p| f64::from(a[i * k + p]) * f64::from(b[p * n + j]))
                    .sum();
            }
        }
        c
    }

    #[test]
    fn split_products_equal_the_whole_and_the_reference() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("a pool");
        // Shapes of a training step: split by rows (m >= n) and by columns.
        for (m, k, n) in [
            (128, 784, 352),
            (352, 128, 100),
            (40, 300, 200),
            (7, 5, 3),
            (64, 784, 256),
            (256, 64, 784),
            (128, 64, 256),
            (64, 128, 256),
            (64, 256, 128),
        ] {
            let a: Vec<f32> = (0..m * k)
                .map(|i| ((i * 7919) % 23) as f32 / 11.0 - 1.0)
                .collect();
            let b: Vec<f32> = (0..k * n)
                .map(|i| ((i * 104_729) % 19) as f32 / 9.0 - 1.0)
                .collect();
            let want = reference(m, k, n, &a, &b);
            let mut results = Vec::new();
            for threads in [1, 2, 3] {
                let mut c = vec![1.0f32; m * n];
                pool.install(|| {
                    matmul_on(
                        threads,
                        (m, k, n),
                        &a,
                        [k, 1],
                        &b,
                        [n, 1],
                        &mut c,
                        [n, 1],
                        true,
                    )
                });
                for (got, want) in c.iter().zip(&want) {
                    let tol = 1e-4 * (1.0 + want.abs());
                    assert!(
                        (f64::from(*got) - 1.0 - want).abs() < tol,
                        "{got} vs {want}"
                    );
                }
                results.push(c);
            }
            assert!(results.windows(2).all(|w| w[0] == w[1]), "{m}x{k}x{n}");
        }
    }
}
