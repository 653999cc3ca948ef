//! Ask and tell on a tuner: its [`Study`](crate::study::Study)'s ask, report and tell, with
//! the tuner's typed params and its trial callbacks. An asked trial ends through the same
//! [`Study::finish`](crate::study::Study::finish) as a searched one.

use super::run::{Control, Outcome, TrialError};
use super::{Searchable, Tuner, TunerError};
use crate::trial::{Metrics, Trial};

impl<S: Searchable> Tuner<S> {
    /// Hands out the next trial to evaluate, stored as Running: read its values with
    /// [`params_of`](Self::params_of) and record its result with [`tell`](Self::tell).
    ///
    /// Errors: [`StudyError::SearchOver`](crate::study::StudyError::SearchOver) when the oracle is done (e.g. a grid is exhausted)
    /// or `max_trials` is reached; [`StudyError::Busy`](crate::study::StudyError::Busy) when everything the oracle can hand
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
        let trial = self.study.ask()?;
        for cb in &mut self.on_begin {
            cb(&trial);
        }
        Ok(trial)
    }

    /// The values of a trial as the tuner's params (typed for a `#[hypermodel]`).
    pub fn params_of(&self, trial: &Trial) -> Result<S::Params, TunerError> {
        Ok(self.model.decode(trial.values())?)
    }

    /// Records one epoch of a running (asked) trial; answers whether the pruner wants it
    /// stopped. Tell `Ok(())` afterwards to finish it from its reported epochs.
    pub fn report(&self, number: u64, epoch: u32, metrics: Metrics) -> Result<Control, TunerError> {
        Ok(self.study.report(number, epoch, metrics)?)
    }

    /// Records the result of an asked trial: a score, a metrics map, `()` for the epochs
    /// given to [`report`](Self::report), or an error (see
    /// [`Study::tell`](crate::study::Study::tell)). Returns the trial as stored.
    pub fn tell<O: Into<Outcome>>(
        &mut self,
        number: u64,
        result: Result<O, TrialError>,
    ) -> Result<Trial, TunerError> {
        let trial = self.study.tell(number, result)?;
        for cb in &mut self.on_end {
            cb(&trial);
        }
        Ok(trial)
    }
}
