//! Running one trial: its context, what it returns, retries, executions and caught panics.

use crate::space::SpaceError;
use crate::trial::{Curve, Metrics, Trial};
use std::fmt::Display;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

pub use crate::model::Control;

/// What a trial's objective function may return.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The objective's value.
    Score(f64),
    /// Named metrics, the objective among them.
    Metrics(Metrics),
    /// Only what was passed to [`TrialContext::report`] (a learning curve).
    Reported,
}

impl From<f64> for Outcome {
    fn from(v: f64) -> Self {
        Outcome::Score(v)
    }
}
impl From<Metrics> for Outcome {
    fn from(m: Metrics) -> Self {
        Outcome::Metrics(m)
    }
}
impl From<()> for Outcome {
    fn from(_: ()) -> Self {
        Outcome::Reported
    }
}

/// Why a trial did not produce a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrialError {
    /// Worth retrying (KerasTuner's Invalid): retried up to `max_retries_per_trial`.
    Invalid(String),
    /// Not worth retrying (KerasTuner's `FailedTrialError`).
    Failed(String),
}

impl TrialError {
    /// A retryable error.
    pub fn invalid(e: impl Display) -> Self {
        TrialError::Invalid(e.to_string())
    }
    /// An error that ends the trial for good.
    pub fn failed(e: impl Display) -> Self {
        TrialError::Failed(e.to_string())
    }
    /// The message.
    pub fn message(&self) -> &str {
        match self {
            TrialError::Invalid(m) | TrialError::Failed(m) => m,
        }
    }
}

impl Display for TrialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for TrialError {}

impl From<String> for TrialError {
    fn from(e: String) -> Self {
        TrialError::Invalid(e)
    }
}
impl From<&str> for TrialError {
    fn from(e: &str) -> Self {
        TrialError::Invalid(e.to_owned())
    }
}
impl From<std::io::Error> for TrialError {
    fn from(e: std::io::Error) -> Self {
        TrialError::invalid(e)
    }
}
impl From<SpaceError> for TrialError {
    fn from(e: SpaceError) -> Self {
        TrialError::failed(e)
    }
}
impl From<Box<dyn std::error::Error + Send + Sync>> for TrialError {
    fn from(e: Box<dyn std::error::Error + Send + Sync>) -> Self {
        TrialError::invalid(e)
    }
}

/// What one execution of a trial sees: its budget, its folders, its seed and a metric sink.
pub struct TrialContext<'a> {
    trial: &'a Trial,
    execution: u32,
    seed: u64,
    dir: PathBuf,
    parent_dir: Option<PathBuf>,
    resume_dir: Option<PathBuf>,
    reported: Vec<(u32, Metrics)>,
    sink: &'a mut dyn FnMut(u32, &Metrics) -> Control,
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
            parent_dir,
            resume_dir: None,
            reported: Vec::new(),
            sink,
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

    /// This trial's own folder (for checkpoints); created before the trial runs.
    pub fn dir(&self) -> &Path {
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
        self.reported.retain(|(e, _)| *e != epoch);
        self.reported.push((epoch, metrics));
        control
    }

    /// The epochs reported so far.
    pub fn reported(&self) -> &[(u32, Metrics)] {
        &self.reported
    }

    pub(crate) fn into_reported(self) -> Vec<(u32, Metrics)> {
        self.reported
    }
}

/// Runs `f`, turning a panic into an Invalid error with the panic's message.
pub(crate) fn catch<T>(f: impl FnOnce() -> Result<T, TrialError>) -> Result<T, TrialError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_owned());
        Err(TrialError::Invalid(format!("panicked: {msg}")))
    })
}

/// One execution's learning curve: the reported epochs, then the returned result (if any) as
/// one more epoch, or on its own as epoch `initial_epoch` when nothing was reported.
pub(crate) fn curve(
    mut reported: Vec<(u32, Metrics)>,
    outcome: Outcome,
    objective: &str,
    initial_epoch: u32,
) -> Curve {
    reported.sort_by_key(|(e, _)| *e);
    let next = reported.last().map_or(initial_epoch, |(e, _)| e + 1);
    match outcome {
        Outcome::Reported => {}
        Outcome::Score(v) => reported.push((next, Metrics::from([(objective.to_owned(), v)]))),
        Outcome::Metrics(m) => reported.push((next, m)),
    }
    reported.into()
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
