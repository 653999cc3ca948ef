//! Running one trial: its context, what it returns, retries, executions and caught panics.

use crate::trial::{Curve, Metrics, Trial};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

pub use crate::model::Control;
pub use crate::trial::{Outcome, TrialError};

/// What one execution of a trial sees: its budget, its folders, its seed and a metric sink.
pub struct TrialContext<'a> {
    trial: &'a Trial,
    execution: u32,
    seed: u64,
    dir: PathBuf,
    /// Whether `dir` was made: on first use, as most black-box objectives write nothing and
    /// a folder per trial is a file system's slowest operation of a fast trial.
    made: std::cell::OnceCell<()>,
    parent_dir: Option<PathBuf>,
    resume_dir: Option<PathBuf>,
    reported: Curve,
    user_attrs: BTreeMap<String, Json>,
    sink: &'a mut dyn FnMut(u32, &Metrics) -> Control,
    notes: Vec<String>,
}

impl<'a> TrialContext<'a> {
    pub(crate) fn new(
        trial: &'a Trial,
        execution: u32,
        seed: u64,
        dir: PathBuf,
        parent_dir: Option<PathBuf>,
        sink: &'a mut dyn FnMut(u32, &Metrics) -> Control,
    ) -> Self {
        Self {
            trial,
            execution,
            seed,
            dir,
            made: std::cell::OnceCell::new(),
            parent_dir,
            resume_dir: None,
            reported: Curve::new(),
            user_attrs: BTreeMap::new(),
            sink,
            notes: Vec::new(),
        }
    }

    /// The trial's number in the study.
    pub fn number(&self) -> u64 {
        self.trial.number
    }

    /// Which execution of the trial this is (0-based; see `executions_per_trial`).
    pub fn execution(&self) -> u32 {
        self.execution
    }

    /// A seed distinct per study seed, trial and execution: seed every generator from it.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Train up to this epoch (exclusive), when the oracle sets a budget (Hyperband).
    pub fn epochs(&self) -> Option<u32> {
        self.trial.plan.epochs
    }

    /// The epoch to start at: non-zero when continuing the parent's checkpoint.
    pub fn initial_epoch(&self) -> u32 {
        self.trial.plan.initial_epoch
    }

    /// The trial whose checkpoint this one continues, if any.
    pub fn parent(&self) -> Option<u64> {
        self.trial.plan.parent
    }

    /// This trial's own folder (for checkpoints); created when first asked for.
    pub fn dir(&self) -> &Path {
        self.made.get_or_init(|| {
            // Not fatal here: the write into it fails next, with the path in its error.
            if let Err(e) = std::fs::create_dir_all(&self.dir) {
                tracing::warn!(path = %self.dir.display(), error = %e, "trial folder not created");
            }
        });
        &self.dir
    }

    /// The parent trial's folder, when continuing its checkpoint.
    pub fn parent_dir(&self) -> Option<&Path> {
        self.parent_dir.as_deref()
    }

    /// The folder of the trial this one retries because its worker died (no heartbeat within
    /// the grace period): its files, e.g. a last-epoch checkpoint, let this trial continue
    /// where that one stopped. Only set with one execution per trial.
    pub fn resume_dir(&self) -> Option<&Path> {
        self.resume_dir.as_deref()
    }

    pub(crate) fn with_resume_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.resume_dir = dir;
        self
    }

    /// Records one epoch's metrics; answers whether to go on.
    pub fn report(&mut self, epoch: u32, metrics: Metrics) -> Control {
        let control = (self.sink)(epoch, &metrics);
        self.reported.insert(epoch, metrics);
        control
    }

    /// The epochs reported so far.
    pub fn reported(&self) -> &[(u32, Metrics)] {
        &self.reported
    }

    /// A warning about this trial (e.g. a collapsed model): logged now, and shown on the
    /// console or live display when the trial ends.
    pub fn warn(&mut self, message: impl Into<String>) {
        let message = message.into();
        tracing::warn!(trial = self.trial.number, "{message}");
        self.notes
            .push(format!("Trial {}: {message}", self.trial.id()));
    }

    pub(crate) fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// Sets a user attribute of the trial (Optuna's `trial.set_user_attr`): any serialisable
    /// value, stored as JSON with the trial when it ends, shown by optuna-dashboard and
    /// returned by [`Trial::user_attrs`]. A value that is not JSON-serialisable (a map with
    /// non-string keys) is an error.
    pub fn set_user_attr(
        &mut self,
        key: impl Into<String>,
        value: impl serde::Serialize,
    ) -> Result<(), TrialError> {
        let key = key.into();
        let json = serde_json::to_value(value)
            .map_err(|e| TrialError::failed(format!("user attribute `{key}`: {e}")))?;
        self.user_attrs.insert(key, json);
        Ok(())
    }

    /// The user attributes set so far by this execution.
    pub fn user_attrs(&self) -> &BTreeMap<String, Json> {
        &self.user_attrs
    }

    /// What the execution reported and the user attributes it set.
    pub(crate) fn into_parts(self) -> (Curve, BTreeMap<String, Json>) {
        (self.reported, self.user_attrs)
    }
}

/// Runs `f`, turning a panic into an Invalid error with the panic's message.
pub(crate) fn catch<T>(f: impl FnOnce() -> Result<T, TrialError>) -> Result<T, TrialError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let msg = panic_message(payload.as_ref());
        Err(TrialError::Invalid(format!("panicked: {msg}")))
    })
}

/// A panic's message, when it carried text.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_invalid_with_message() {
        let r: Result<(), _> = catch(|| panic!("boom {}", 7));
        assert_eq!(r, Err(TrialError::Invalid("panicked: boom 7".into())));
    }
}
