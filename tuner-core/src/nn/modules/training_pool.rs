//! The training thread's pool: `Network::fit` trains as worker 0 of a rayon pool of its own,
//! whose other workers poll for the blocks its products and activations are split into.

use super::denormals::FlushDenormals;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Readies the calling thread to train on every thread of its pool: joins it to a rayon
/// pool of its own as wide as the current one (once per thread, unless it already works for
/// some pool, a parallel trial's say), and keeps that pool's other workers polling for work
/// until the returned guard is dropped.
///
/// A product split from a thread outside any pool hands every block to pool workers and
/// waits; from a worker, it runs one block itself and the other workers steal the rest. And
/// a rayon worker that found nothing to do for a few dozen rounds sleeps, so each split
/// would first wake it (tens of µs on a VM, against ~100 µs of work per block). On a training
/// step's products (batch 128, 2 cores) that measured 195-205 GFLOP/s from outside, 230-240
/// from a worker (BENCHMARKS "Dense training kernels"). Polling costs the other cores' idle
/// time while a network trains, as OpenMP's and Eigen's spinning workers do; a poller with
/// nothing to run yields its core to any thread that has work.
///
/// The pool lives as long as the thread: rayon keeps a thread registered with the pool it
/// joined even after the pool is dropped, so it is never dropped early.
pub(crate) fn train_on_all_threads() -> Option<KeepPolling> {
    thread_local! {
        static POOL: std::cell::OnceCell<Option<rayon::ThreadPool>> =
            const { std::cell::OnceCell::new() };
    }
    let own = POOL.with(|pool| {
        if let Some(made) = pool.get() {
            return made.is_some();
        }
        let threads = rayon::current_num_threads();
        if rayon::current_thread_index().is_some() || threads < 2 {
            return false;
        }
        let made = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("tuner-train-{i}"))
            .use_current_thread()
            .build()
            // Without a pool of its own the thread trains as before, on the global one.
            .ok();
        pool.get_or_init(|| made).is_some()
    });
    // Only this thread's own pool: in someone else's, polling workers would run that
    // pool's other jobs nested inside the poll.
    own.then(KeepPolling::start)
}

/// Other workers of the calling thread's pool polling for its jobs: each poller stops after
/// [`POLL_IDLE`] without a job, or when this is dropped; [`KeepPolling::rearm`] (once per
/// training step) starts them again.
pub(crate) struct KeepPolling {
    stop: Arc<AtomicBool>,
    alive: Arc<AtomicUsize>,
}

/// How long a poller waits for a job before it lets its worker sleep: longer than the gaps
/// of a training step between two split products, short enough that a thread which stopped
/// training (or is starved of a core) does not keep one busy.
const POLL_IDLE: Duration = Duration::from_millis(2);

impl KeepPolling {
    /// Starts them; the caller is worker 0 of its own pool, of two or more threads.
    fn start() -> Self {
        let polling = KeepPolling {
            stop: Arc::new(AtomicBool::new(false)),
            alive: Arc::new(AtomicUsize::new(0)),
        };
        polling.rearm();
        polling
    }

    /// Starts pollers on the other workers again if they have all stopped.
    pub(crate) fn rearm(&self) {
        if self.alive.load(Ordering::Acquire) > 0 {
            return;
        }
        let others = rayon::current_num_threads().saturating_sub(1);
        self.alive.fetch_add(others, Ordering::AcqRel);
        for _ in 0..others {
            let (stop, alive) = (self.stop.clone(), self.alive.clone());
            rayon::spawn(move || {
                // This thread (worker 0) may run a poller left in its own queue while it
                // waits for a split; it must not poll there, or it would wait for itself.
                if rayon::current_thread_index() != Some(0) {
                    poll(&stop);
                }
                alive.fetch_sub(1, Ordering::AcqRel);
            });
        }
    }
}

/// Runs the pool's pending jobs as they come, until `stop` or [`POLL_IDLE`] without one.
fn poll(stop: &AtomicBool) {
    // The jobs run here are the training thread's, which flushes subnormals.
    let _flush = FlushDenormals::new();
    let mut idle_since = Instant::now();
    while !stop.load(Ordering::Acquire) {
        if rayon::yield_now() == Some(rayon::Yield::Executed) {
            idle_since = Instant::now();
        } else if idle_since.elapsed() > POLL_IDLE {
            return;
        } else {
            // Other threads (or programs) with work get the core first.
            std::thread::yield_now();
        }
    }
}

impl Drop for KeepPolling {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}
