//! The one way a trial ends: from what an attempt produced to the stored final state. The
//! search loop, ask and tell, and the `tuner tell` command all end trials here, so a score
//! told from outside is stored exactly as the same score returned inside the loop.

use super::{Study, StudyError};
use crate::trial::TrialError;
use crate::trial::{Curve, Trial, TrialState};

/// What one attempt at a trial produced, before the study judges it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ran {
    /// The learning curve: each epoch's metrics (averaged over executions), in epoch order.
    pub history: Curve,
    /// The epoch after which the study's pruner stopped the trial, if it did.
    pub pruned_at: Option<u32>,
}

/// What [`Study::finish`] did with an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// The trial's final state is stored.
    Stored,
    /// The attempt was Invalid and may be retried: nothing is stored; run it again.
    Retry,
}

impl Study {
    /// Ends an attempt at `trial`: its history and score (the best epoch's objective value;
    /// NaN epochs never count), then its state and message:
    /// - stopped by the pruner: Stopped, keeping its history;
    /// - a finite score: Completed;
    /// - no finite score (e.g. NaN) or a [`TrialError::Invalid`]: Invalid, which is
    ///   [`Finished::Retry`] when `may_retry`, else Failed;
    /// - a [`TrialError::Failed`]: Failed.
    ///
    /// A final state is stored with `seconds`; a trial another worker has already ended is
    /// left as it is ([`StorageError::Finished`](crate::storage::StorageError::Finished)).
    pub fn finish(
        &self,
        trial: &mut Trial,
        attempt: Result<Ran, TrialError>,
        seconds: f64,
        may_retry: bool,
    ) -> Result<Finished, StudyError> {
        let invalid = match attempt {
            Ok(ran) => {
                trial.history = ran.history;
                trial.rescore(self.objectives());
                match (ran.pruned_at, self.pruner()) {
                    (Some(epoch), Some(pruner)) => {
                        trial.state = TrialState::Stopped;
                        trial.message = Some(format!(
                            "pruned after epoch {epoch} by the {} pruner",
                            pruner.name()
                        ));
                        None
                    }
                    _ if trial.score.is_some() => {
                        trial.state = TrialState::Completed;
                        trial.message = None;
                        None
                    }
                    _ => Some(format!(
                        "no finite value of `{}` was reported",
                        self.objectives().scalar().name
                    )),
                }
            }
            Err(TrialError::Failed(message)) => {
                trial.state = TrialState::Failed;
                trial.message = Some(message);
                None
            }
            Err(TrialError::Invalid(message)) => Some(message),
        };
        if let Some(message) = invalid {
            trial.message = Some(message);
            if may_retry {
                return Ok(Finished::Retry);
            }
            trial.state = TrialState::Failed;
        }
        trial.seconds = seconds;
        self.storage.update_trial(self.name(), trial)?;
        tracing::info!(
            study = %self.name(),
            trial = trial.number,
            state = %trial.state,
            score = ?trial.score,
            seconds = trial.seconds,
            "trial finished"
        );
        Ok(Finished::Stored)
    }
}
