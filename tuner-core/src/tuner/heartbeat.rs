//! A running trial's heartbeat: a background thread records that its worker is alive, so a
//! long epoch is never mistaken for a dead worker, and a dead worker's trial goes stale.

use crate::storage::{Storage, StorageError};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Beats for one trial until dropped.
pub(crate) struct Heartbeat {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Heartbeat {
    /// Starts beating for trial `number` every `interval`.
    pub(crate) fn start(
        storage: Arc<dyn Storage>,
        study: String,
        number: u64,
        interval: Duration,
    ) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("tuner-heartbeat-{number}"))
            .spawn(move || {
                // The storage retries a beat through lock waits and reconnects; one that still
                // failed is tried again soon rather than a whole interval later. A trial that
                // has ended (failed as stale by another worker) needs no more beats.
                let mut wait = interval;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                    wait = match storage.heartbeat(&study, number) {
                        Ok(()) => interval,
                        Err(StorageError::Finished { .. }) => return,
                        Err(_) => interval / 4,
                    };
                }
            })
            .ok();
        Self {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
