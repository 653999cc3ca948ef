//! Riding through what a shared database does to its workers: a lock held elsewhere (waits
//! are bounded by the backend, then retried), a connection lost to a server restart or a
//! network blip (reconnected, retried). A transaction is run again from its start, so every
//! caller's closure must be safe to re-run: reads come before writes, and a write whose commit
//! may have gone through is recognised on the next attempt (see `create.rs`, `update_trial`).

use crate::storage::StorageError;
use std::time::{Duration, Instant};

/// How long a transaction keeps being retried before its error is reported.
pub(crate) const RETRY_FOR: Duration = Duration::from_secs(600);
/// The longest pause between two attempts: short, so that a worker kept from beating by a
/// lock beats soon after the lock is gone (lock waits themselves are bounded by the backend).
const MAX_PAUSE: Duration = Duration::from_millis(200);
/// How often a worker that keeps retrying says so.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// How one attempt at a transaction failed.
pub(crate) enum Attempt {
    /// Transient (lock wait timed out, connection lost): worth another try.
    Retry(StorageError),
    /// Final: reported as it is.
    Fail(StorageError),
}

/// Runs `attempt` until it succeeds, fails for good, or has been retried for [`RETRY_FOR`];
/// pauses (with jitter, so workers do not retry in lockstep) release whatever the attempt
/// held, so other threads' heartbeats get through meanwhile.
pub(crate) fn retrying<T>(
    location: &str,
    mut attempt: impl FnMut() -> Result<T, Attempt>,
) -> Result<T, StorageError> {
    let started = Instant::now();
    let mut warned = started;
    let mut pause = Duration::from_millis(10);
    loop {
        match attempt() {
            Ok(v) => return Ok(v),
            Err(Attempt::Fail(e)) => return Err(e),
            Err(Attempt::Retry(e)) => {
                if started.elapsed() >= RETRY_FOR {
                    return Err(StorageError::Backend {
                        location: location.to_owned(),
                        message: format!(
                            "still failing after retrying for {:.0?}: {e}; check that the \
                             database is up and that no other program holds its locks",
                            RETRY_FOR
                        ),
                    });
                }
                if warned.elapsed() >= WARN_EVERY {
                    warned = Instant::now();
                    tracing::warn!(
                        storage = %location,
                        error = %e,
                        waited = ?started.elapsed(),
                        "the database is locked or unreachable; retrying"
                    );
                }
                let jitter = 0.5 + rand::random::<f64>();
                std::thread::sleep(pause.mul_f64(jitter));
                pause = (pause * 2).min(MAX_PAUSE);
            }
        }
    }
}
