//! Where a trial stands.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a trial stands (KerasTuner's trial states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TrialState {
    /// Being trained or evaluated now.
    Running,
    /// Finished with a score.
    Completed,
    /// Errored or diverged (no finite score); retried up to `max_retries_per_trial`.
    Invalid,
    /// Errored or diverged for good (retries used up, model too large, a
    /// `TrialError::Failed`, or a NaN/infinite objective: see [`Trial::diverged`](super::Trial::diverged)).
    Failed,
    /// Stopped early by a pruner or by the search ending; keeps its history.
    Stopped,
}

/// The short name of [`TrialState`].
pub type State = TrialState;

impl TrialState {
    /// Whether the trial has ended (everything but Running).
    pub fn is_finished(self) -> bool {
        self != TrialState::Running
    }
}

impl fmt::Display for TrialState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrialState::Running => "RUNNING",
            TrialState::Completed => "COMPLETED",
            TrialState::Invalid => "INVALID",
            TrialState::Failed => "FAILED",
            TrialState::Stopped => "STOPPED",
        })
    }
}

/// The attribute a diverged trial keeps its non-finite objective value in (`"NaN"`, `"inf"`
/// or `"-inf"`, as text: JSON has no number for them).
pub const DIVERGED: &str = "diverged";

impl super::Trial {
    /// Whether the trial failed because its objective diverged (every value it reported was
    /// NaN or infinite), as opposed to an error raised by the objective's code.
    pub fn diverged(&self) -> bool {
        self.state == TrialState::Failed && self.plan.attrs.contains_key(DIVERGED)
    }
}
