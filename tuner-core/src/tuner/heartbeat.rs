//! A running trial's heartbeat: a background thread records that its worker is alive, so a
//! long epoch is never mistaken for a dead worker, and a dead worker's trial goes stale.

use crate::storage::Storage;
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
                // A failed beat is retried at the next interval; if the storage stays
                // unreachable the trial goes stale and another worker retries it.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    let _ = storage.heartbeat(&study, number);
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
