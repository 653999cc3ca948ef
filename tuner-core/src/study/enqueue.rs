//! Warm starts: configurations enqueued to be tried first (Optuna's `enqueue_trial`;
//! KerasTuner users' "try these first"), and a study seeded with an earlier study's trials so
//! its oracle starts with them as history.
//!
//! An enqueued configuration may be partial: the oracle decides the trial as usual and the
//! enqueued values replace its values, the parameters left out (and those its values make
//! live) keeping the oracle's choice. So every oracle places it its own way: Hyperband in the
//! round 0 of the bracket it is filling, with that round's budget, and a promotion is never
//! replaced. The trial keeps the enqueued values in the attribute `fixed_params` (Optuna's
//! system attribute of that name), and a configuration counts as tried once a trial carries
//! it, so a resumed program that enqueues the same configurations again does not run them
//! twice. The queue is the [`Study`] handle's: the workers of one search share it (they share
//! the handle), another process enqueues its own.
//!
//! A seeded trial is copied as it ended (state, epochs, score rescored for this study's
//! objectives, duration) with the attribute `tuner/seeded_from`; it is not counted against
//! `max_trials`, which counts the trials this study ran.

use super::{Study, StudyError};
use crate::space::{HyperParameters, SearchSpace, SpaceError, Value};
use crate::storage::retried;
use crate::trial::{Trial, TrialPlan, TrialState, DIVERGED};
use rand::rngs::ChaCha8Rng;
use rand::SeedableRng;
use std::collections::HashMap;
use std::sync::MutexGuard;

/// The plan attribute holding the enqueued values a trial was made from, as JSON text.
pub const FIXED_PARAMS: &str = "fixed_params";

/// The plan attribute naming the trial a seeded trial copies, as `study#number`.
pub const SEEDED_FROM: &str = "tuner/seeded_from";

/// What [`Study::seed_from`] copied and what it left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seeded {
    /// Each copied trial: its number in the earlier study, then in this one.
    pub copied: Vec<(u64, u64)>,
    /// Each trial left out, by its number in the earlier study, with the reason.
    pub skipped: Vec<(u64, String)>,
}

/// Whether a trial was copied from another study.
pub fn is_seeded(trial: &Trial) -> bool {
    trial.plan.attrs.contains_key(SEEDED_FROM)
}

fn fixed_key(values: &HyperParameters) -> String {
    serde_json::to_string(values).expect("hyperparameter values are plain JSON")
}

impl Study {
    /// Queues `values` (all of a configuration or part of it) to be tried before the oracle's
    /// own choices, in the order enqueued. Each value is checked against the space now: an
    /// unknown name or a value outside its parameter is an error, and nothing is queued.
    pub fn enqueue(&self, values: HyperParameters) -> Result<(), StudyError> {
        for (name, value) in values.iter() {
            let param = self
                .space()
                .get(name)
                .ok_or_else(|| SpaceError::Unknown(name.to_owned()))?;
            param.check_value(value)?;
        }
        self.queue().push(values);
        Ok(())
    }

    /// The enqueued configurations no trial has been made from yet, first to run first.
    pub fn enqueued(&self) -> Result<Vec<HyperParameters>, StudyError> {
        let trials = self.trials()?;
        Ok(pending(&self.queue(), &trials).cloned().collect())
    }

    fn queue(&self) -> MutexGuard<'_, Vec<HyperParameters>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts the first pending enqueued configuration into the oracle's new trial `plan`
    /// (decided from `trials`); a promotion or retry (a plan with a parent) is left alone.
    pub(crate) fn apply_enqueued(&self, trials: &[Trial], plan: &mut TrialPlan) {
        if plan.parent.is_some() {
            return;
        }
        let queue = self.queue();
        let Some(fixed) = pending(&queue, trials).next() else {
            return;
        };
        let mixed = self.seed ^ 0xE17_0E0E ^ (trials.len() as u64).rotate_left(32);
        let mut rng = ChaCha8Rng::seed_from_u64(mixed);
        plan.values = fill(self.space(), fixed, &plan.values, &mut rng);
        plan.attrs
            .insert(FIXED_PARAMS.to_owned(), Value::Str(fixed_key(fixed)));
    }

    /// Copies `earlier`'s finished trials into this study as history: each trial's values
    /// are kept for the parameters this space has and makes live, and it is copied when they
    /// are a valid configuration here and its metrics hold this study's first objective
    /// (else it is skipped, with the reason). Running trials are not copied.
    pub fn seed_from(&self, earlier: &Study) -> Result<Seeded, StudyError> {
        self.seed_trials(earlier.name(), &earlier.trials()?)
    }

    /// [`seed_from`](Self::seed_from) with the trials given, `origin` naming where they
    /// come from (kept in each copy's `tuner/seeded_from`).
    pub fn seed_trials(&self, origin: &str, trials: &[Trial]) -> Result<Seeded, StudyError> {
        let mut seeded = Seeded::default();
        for source in trials {
            match self.translate(origin, source) {
                Ok(copy) => {
                    let number = self.store_copy(copy)?;
                    seeded.copied.push((source.number, number));
                }
                Err(reason) => seeded.skipped.push((source.number, reason)),
            }
        }
        Ok(seeded)
    }

    /// `source` as a trial of this study, or why it cannot be one.
    fn translate(&self, origin: &str, source: &Trial) -> Result<Trial, String> {
        if matches!(source.state, TrialState::Running | TrialState::Invalid) {
            return Err("it has not finished".to_owned());
        }
        let space = self.space();
        let mut values = HyperParameters::new();
        for param in space.params() {
            if let Some(value) = source.values().get(&param.name) {
                if space.is_active(param, &values) {
                    values.insert(param.name.clone(), value.clone());
                }
            }
        }
        space.check(&values).map_err(|e| e.to_string())?;
        let mut attrs = std::collections::BTreeMap::from([(
            SEEDED_FROM.to_owned(),
            Value::Str(format!("{origin}#{}", source.number)),
        )]);
        if let Some(diverged) = source.plan.attrs.get(DIVERGED) {
            attrs.insert(DIVERGED.to_owned(), diverged.clone());
        }
        let mut copy = source.clone();
        copy.plan = TrialPlan {
            values,
            epochs: source.plan.epochs,
            initial_epoch: 0,
            parent: None,
            attrs,
        };
        copy.retries = 0;
        if copy.state == TrialState::Completed {
            copy.rescore(self.objectives());
            if copy.score.is_none() {
                let name = &self.objectives().list()[0].name;
                return Err(format!("its metrics have no finite `{name}`"));
            }
        }
        Ok(copy)
    }

    /// Stores a finished copy as this study's next trial; returns its number.
    fn store_copy(&self, copy: Trial) -> Result<u64, StudyError> {
        let plan = copy.plan.clone();
        let created = self
            .storage
            .create_trial(self.name(), None, &mut |_, _| Some(plan.clone()))?
            .expect("the plan is always given");
        let mut stored = copy;
        stored.number = created.number;
        self.storage.update_trial(self.name(), &stored)?;
        Ok(created.number)
    }
}

/// The enqueued configurations no trial was made from yet: each trial carrying one's
/// `fixed_params` (a retry of a trial excepted) uses up one copy of it.
fn pending<'q>(
    queue: &'q [HyperParameters],
    trials: &[Trial],
) -> impl Iterator<Item = &'q HyperParameters> {
    let mut used: HashMap<String, usize> = HashMap::new();
    for trial in trials.iter().filter(|t| retried(&t.plan).is_none()) {
        if let Some(Value::Str(key)) = trial.plan.attrs.get(FIXED_PARAMS) {
            *used.entry(key.clone()).or_default() += 1;
        }
    }
    queue.iter().filter(move |values| {
        let left = used.entry(fixed_key(values)).or_default();
        if *left > 0 {
            *left -= 1;
            false
        } else {
            true
        }
    })
}

/// A configuration of `space`: each live parameter takes its `fixed` value, else the
/// `suggested` one, else a random draw (a parameter that only the fixed values make live).
fn fill(
    space: &SearchSpace,
    fixed: &HyperParameters,
    suggested: &HyperParameters,
    rng: &mut ChaCha8Rng,
) -> HyperParameters {
    let mut values = HyperParameters::new();
    // Declaration order puts parents before children, so liveness is decided on set values.
    for param in space.params() {
        if !space.is_active(param, &values) {
            continue;
        }
        let value = fixed
            .get(&param.name)
            .or_else(|| suggested.get(&param.name))
            .cloned()
            .unwrap_or_else(|| param.sample(rng));
        values.insert(param.name.clone(), value);
    }
    values
}
