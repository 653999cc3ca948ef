//! Where training time goes, for measurements (`examples/dense_kernels.rs`): wall time spent
//! in gemm, in the element-wise kernels, assembling batches and in the optimizer, summed over
//! calls while profiling is on. Off by default; when off a kernel pays one relaxed load.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);
static NANOS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];

/// A kind of work a training step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Matrix products (gemm).
    Gemm = 0,
    /// Bias, activations and their derivatives, dropout, softmax cross-entropy.
    Elementwise = 1,
    /// Gathering a batch's rows and targets.
    Data = 2,
    /// The optimizer's update and zeroing the gradients.
    Optimizer = 3,
}

/// Time per phase since the last [`take`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Profile {
    /// Matrix products.
    pub gemm: Duration,
    /// Element-wise kernels.
    pub elementwise: Duration,
    /// Batch assembly.
    pub data: Duration,
    /// Optimizer update.
    pub optimizer: Duration,
}

/// Turns profiling on or off (process-wide).
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// The time gathered since the last call, resetting the counters.
pub fn take() -> Profile {
    let read = |p: Phase| Duration::from_nanos(NANOS[p as usize].swap(0, Ordering::Relaxed));
    Profile {
        gemm: read(Phase::Gemm),
        elementwise: read(Phase::Elementwise),
        data: read(Phase::Data),
        optimizer: read(Phase::Optimizer),
    }
}

/// Runs `f`, adding its wall time to `phase` when profiling is on.
#[inline]
pub(crate) fn timed<R>(phase: Phase, f: impl FnOnce() -> R) -> R {
    if !ENABLED.load(Ordering::Relaxed) {
        return f();
    }
    let start = Instant::now();
    let r = f();
    let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    NANOS[phase as usize].fetch_add(nanos, Ordering::Relaxed);
    r
}
