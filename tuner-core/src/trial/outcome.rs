//! What one run of a trial's objective hands back: a result, or why there is none, and the
//! learning curve the two make together.

use super::{Curve, Metrics};
use crate::space::SpaceError;
use std::fmt::Display;

/// What a trial's objective function may return.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The objective's value.
    Score(f64),
    /// Named metrics, the objective among them.
    Metrics(Metrics),
    /// Only what was passed to `TrialContext::report` (a learning curve).
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

/// One execution's learning curve: the reported epochs, then the returned result (if any) as
/// one more epoch, or on its own as epoch `initial_epoch` when nothing was reported.
pub(crate) fn curve(
    reported: Curve,
    outcome: Outcome,
    objective: &str,
    initial_epoch: u32,
) -> Curve {
    let mut reported = reported.into_vec();
    let next = reported.last().map_or(initial_epoch, |(e, _)| e + 1);
    match outcome {
        Outcome::Reported => {}
        Outcome::Score(v) => reported.push((next, Metrics::from([(objective.to_owned(), v)]))),
        Outcome::Metrics(m) => reported.push((next, m)),
    }
    reported.into()
}
