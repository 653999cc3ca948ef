//! Ask and tell: trials handed out one at a time and their results recorded later, for
//! objectives evaluated outside the search loop (another thread, another process, another
//! language through the `tuner ask` and `tuner tell` commands), as Optuna's `study.ask()` and
//! `study.tell()`.
//!
//! An asked trial has no heartbeat: it may take as long as it takes, and it is never retried
//! by another worker. The oracle, `max_trials` and the storage are the search loop's own, so
//! asked and searched trials can share a study.

use super::run::{curve, Outcome, TrialError};
use super::search::Next;
use super::{Searchable, Tuner, TunerError};
use crate::space::Value;
use crate::storage::StorageError;
use crate::trial::{Metrics, Trial, TrialState};
use std::time::{SystemTime, UNIX_EPOCH};

/// The plan attribute holding when a trial was asked (seconds since the Unix epoch): `tell`
/// derives the trial's duration from it.
pub const ASKED_AT: &str = "tuner/asked_at";

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl<S: Searchable> Tuner<S> {
    /// Hands out the next trial to evaluate, stored as Running: read its values with
    /// [`params_of`](Self::params_of) and record its result with [`tell`](Self::tell).
    ///
    /// Errors: [`TunerError::SearchOver`] when the oracle is done (e.g. a grid is exhausted)
    /// or `max_trials` is reached; [`TunerError::Busy`] when everything the oracle can hand
    /// out is already asked and not yet told.
    ///
    /// ```
    /// use tuner_core::oracle::RandomSearch;
    /// use tuner_core::space::{Param, SearchSpace};
    /// use tuner_core::storage::MemoryStorage;
    /// use tuner_core::Tuner;
    /// use std::sync::Arc;
    ///
    /// let space = SearchSpace::builder().param(Param::float("x", -2.0, 2.0)).build()?;
    /// let dir = std::env::temp_dir().join(format!("tuner-doc-ask-{}", std::process::id()));
    /// let mut tuner = Tuner::for_space(space, RandomSearch::new())
    ///     .objective("loss")
    ///     .storage(Arc::new(MemoryStorage::new()))
    ///     .directory(&dir)
    ///     .build()?;
    /// for _ in 0..5 {
    ///     let trial = tuner.ask()?;
    ///     let x: f64 = tuner.params_of(&trial)?.get_as("x")?;
    ///     tuner.tell(trial.number, Ok::<_, tuner_core::tuner::TrialError>((x - 1.0).powi(2)))?;
    /// }
    /// assert_eq!(tuner.best_trials(1)?.len(), 1);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ask(&mut self) -> Result<Trial, TunerError> {
        let asked = unix_now();
        let next = self.propose(None, &mut |plan| {
            plan.attrs.insert(ASKED_AT.to_owned(), Value::Float(asked));
        })?;
        match next {
            Next::Trial(trial) => {
                tracing::debug!(study = %self.study, trial = trial.number, "trial asked");
                for cb in &mut self.on_begin {
                    cb(&trial);
                }
                Ok(trial)
            }
            Next::Wait => Err(TunerError::Busy(self.oracle.name())),
            Next::Done(reason) if reason.is_empty() => Err(TunerError::Stalled(self.oracle.name())),
            Next::Done(reason) => Err(TunerError::SearchOver(reason)),
        }
    }

    /// The values of a trial as the tuner's params (typed for a `#[hypermodel]`).
    pub fn params_of(&self, trial: &Trial) -> Result<S::Params, TunerError> {
        Ok(self.model.decode(trial.values())?)
    }

    /// Records one epoch of a running (asked) trial; answers whether the pruner wants it
    /// stopped. Tell `Ok(())` afterwards to finish it from its reported epochs.
    pub fn report(
        &self,
        number: u64,
        epoch: u32,
        metrics: Metrics,
    ) -> Result<crate::model::Control, TunerError> {
        self.storage.report(&self.study, number, epoch, &metrics)?;
        let history = self.running(number)?.history;
        Ok(if self.should_prune(number, epoch, &history) {
            crate::model::Control::Stop
        } else {
            crate::model::Control::Continue
        })
    }

    /// Records the result of an asked trial: a score, a metrics map, `()` for the epochs
    /// given to [`report`](Self::report), or an error (the trial is Failed). A trial whose
    /// objective has no finite value is Failed; one the pruner stops is Stopped. Returns the
    /// trial as stored.
    pub fn tell<O: Into<Outcome>>(
        &mut self,
        number: u64,
        result: Result<O, TrialError>,
    ) -> Result<Trial, TunerError> {
        let mut trial = self.running(number)?;
        let objective = self.objectives.list()[0].name.clone();
        match result.map(Into::into) {
            Ok(outcome) => {
                let reported = outcome == Outcome::Reported;
                let history = std::mem::take(&mut trial.history);
                trial.history = curve(
                    history.into_vec(),
                    outcome,
                    &objective,
                    trial.plan.initial_epoch,
                )
                .into();
                trial.rescore(&self.objectives);
                let last = trial.history.last().map(|(e, _)| *e);
                let pruned = match (reported, last, &self.pruner) {
                    (true, Some(epoch), Some(pruner)) => self
                        .should_prune(number, epoch, &trial.history)
                        .then(|| (epoch, pruner.name())),
                    _ => None,
                };
                if let Some((epoch, pruner)) = pruned {
                    trial.state = TrialState::Stopped;
                    trial.message =
                        Some(format!("pruned after epoch {epoch} by the {pruner} pruner"));
                } else if trial.score.is_some() {
                    trial.state = TrialState::Completed;
                    trial.message = None;
                } else {
                    trial.state = TrialState::Failed;
                    trial.message = Some(format!(
                        "no finite value of `{}` was told",
                        self.objectives.scalar().name
                    ));
                }
            }
            Err(e) => {
                trial.state = TrialState::Failed;
                trial.message = Some(e.message().to_owned());
            }
        }
        if let Some(asked) = trial.plan.attrs.get(ASKED_AT).and_then(Value::as_float) {
            trial.seconds = (unix_now() - asked).max(0.0);
        }
        self.storage.update_trial(&self.study, &trial)?;
        tracing::info!(
            study = %self.study,
            trial = trial.number,
            state = %trial.state,
            score = ?trial.score,
            "trial told"
        );
        for cb in &mut self.on_end {
            cb(&trial);
        }
        Ok(trial)
    }

    /// Trial `number`, which must still be running.
    fn running(&self, number: u64) -> Result<Trial, TunerError> {
        let trial = self
            .storage
            .trials(&self.study)?
            .into_iter()
            .find(|t| t.number == number)
            .ok_or_else(|| StorageError::NoTrial {
                study: self.study.clone(),
                number,
            })?;
        if trial.state != TrialState::Running {
            return Err(TunerError::BadArgument(format!(
                "trial {number} of study `{}` has already ended ({}): only a running trial \
                 can be told",
                self.study, trial.state
            )));
        }
        Ok(trial)
    }
}
