//! The one way a trial ends: from what an attempt produced to the stored final state. The
//! search loop, ask and tell, and the `tuner tell` command all end trials here, so a score
//! told from outside is stored exactly as the same score returned inside the loop.

use super::{Study, StudyError};
use crate::space::Value;
use crate::trial::TrialError;
use crate::trial::{Curve, Trial, TrialState, DIVERGED};

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
    /// only finite values count, so a NaN or infinite epoch never wins), then its state and
    /// message:
    /// - stopped by the pruner: Stopped, keeping its history;
    /// - a finite score: Completed;
    /// - the objective reported, but never finite (NaN or +/-inf in every epoch): it diverged.
    ///   Invalid while `may_retry` (a retry runs with another seed), else Failed with a message
    ///   starting `diverged:` and the last value kept as text in the [`DIVERGED`] attribute
    ///   ([`Trial::diverged`]);
    /// - the objective never reported, or a [`TrialError::Invalid`]: Invalid, which is
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
        trial.plan.attrs.remove(DIVERGED);
        let invalid = match attempt {
            Ok(ran) => {
                trial.history = ran.history;
                let best = trial.history.best_finite(self.objectives());
                trial.best_epoch = best.map(|b| b.0);
                trial.score = best.map(|b| b.1);
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
                    _ => {
                        let name = self.objectives().scalar().name;
                        let last = trial
                            .history
                            .iter()
                            .rev()
                            .find_map(|(_, m)| self.objectives().score(m));
                        Some(match last {
                            Some(v) => {
                                trial
                                    .plan
                                    .attrs
                                    .insert(DIVERGED.to_owned(), Value::Str(v.to_string()));
                                format!(
                                    "diverged: no finite value of `{name}` was reported (the \
                                     last was {v})"
                                )
                            }
                            None => format!("no finite value of `{name}` was reported"),
                        })
                    }
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
