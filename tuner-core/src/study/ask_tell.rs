//! Deciding trials and recording their results: the atomic decision the search loop and `ask`
//! share, and ask / report / tell for objectives evaluated outside the loop (another thread,
//! another process, another language through `tuner ask` and `tuner tell`), as Optuna's
//! `study.ask()` and `study.tell()`.
//!
//! An asked trial has no heartbeat: it may take as long as it takes, it is never judged stale
//! nor taken over by a search worker, and a search's end does not wait for it (it is recorded
//! whenever it is told). The rule for an asker that died: its trial stays Running until
//! [`Study::fail_abandoned`] fails the asked trials older than an age the operator picks (a
//! later `tell` of one is then refused as not running). Asked and searched trials can share a
//! study.

use super::{is_seeded, Finished, Ran, Study, StudyError};
use crate::model::Control;
use crate::oracle::{OracleContext, Suggestion};
use crate::pruner::PrunerContext;
use crate::space::Value;
use crate::storage::{is_asked, retried, retry_plan};
use crate::trial::{curve, Curve, Metrics, Trial, TrialPlan, TrialState};
use crate::trial::{Outcome, TrialError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The plan attribute holding when a trial was asked (seconds since the Unix epoch): `tell`
/// derives the trial's duration from it, and it marks the trial as asked.
pub use crate::storage::ASKED_AT;

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// What the oracle (through the storage) answered when asked for a trial.
pub(crate) enum Next {
    /// A new Running trial, stored.
    Trial(Trial),
    /// Nothing to run until running trials end.
    Wait,
    /// The search is over, for this reason (empty: the oracle waits for trials that no
    /// worker is running).
    Done(String),
}

impl Study {
    /// One atomic decision: with `stale_after` (a searching worker), a trial whose worker
    /// stopped beating is retried first; else the oracle decides from the history (and
    /// `max_trials`). `edit` may add to a new trial's plan before it is stored.
    pub(crate) fn propose(
        &self,
        stale_after: Option<Duration>,
        edit: &mut dyn FnMut(&mut TrialPlan),
    ) -> Result<Next, StudyError> {
        let oracle = self.oracle()?;
        let name = self.name();
        let mut answer = None;
        let created = self
            .storage
            .create_trial(name, stale_after, &mut |trials, stale| {
                let stale = stale
                    .filter(|_| stale_after.is_some())
                    .and_then(|n| trials.iter().find(|t| t.number == n));
                if let Some(stale) = stale {
                    tracing::info!(study = %name, trial = stale.number, "retrying a stale trial");
                    return Some(retry_plan(stale));
                }
                // The study is not over while searched trials run elsewhere: their workers may
                // die, and then their trials are retried here. Asked trials are never retried,
                // so a search does not wait for them; an asker is told to tell them first.
                let searching = stale_after.is_some();
                let running = trials
                    .iter()
                    .any(|t| t.state == TrialState::Running && !(searching && is_asked(t)));
                if let Some(max) = self.max_trials {
                    // A retry replaces its failed trial: it does not use up another slot.
                    // Seeded trials are history copied in, not trials this study ran.
                    let used = trials
                        .iter()
                        .filter(|t| retried(&t.plan).is_none() && !is_seeded(t))
                        .count();
                    if used as u64 >= max {
                        answer = Some(if running {
                            Suggestion::Wait
                        } else {
                            Suggestion::Done(format!("max_trials ({max}) reached"))
                        });
                        return None;
                    }
                }
                let ctx = OracleContext {
                    space: self.space(),
                    objectives: self.objectives(),
                    trials,
                    seed: self.seed,
                };
                match oracle.suggest(&ctx) {
                    Suggestion::Try(mut plan) => {
                        self.apply_enqueued(trials, &mut plan);
                        edit(&mut plan);
                        Some(plan)
                    }
                    other => {
                        // An oracle may wait for asked trials: they will be told.
                        let any_running = trials.iter().any(|t| t.state == TrialState::Running);
                        answer = Some(match other {
                            Suggestion::Wait if !any_running => Suggestion::Done(String::new()),
                            Suggestion::Done(_) if running => Suggestion::Wait,
                            other => other,
                        });
                        None
                    }
                }
            })?;
        if let Some(trial) = created {
            return Ok(Next::Trial(trial));
        }
        match answer {
            Some(Suggestion::Wait) => Ok(Next::Wait),
            Some(Suggestion::Done(reason)) => Ok(Next::Done(reason)),
            _ => unreachable!("the oracle's answer is recorded whenever no trial is created"),
        }
    }

    /// Hands out the next trial to evaluate, stored as Running; record its result with
    /// [`tell`](Self::tell).
    ///
    /// Errors: [`StudyError::SearchOver`] when the oracle is done (e.g. a grid is exhausted)
    /// or `max_trials` is reached; [`StudyError::Busy`] when everything the oracle can hand
    /// out is already asked and not yet told.
    pub fn ask(&self) -> Result<Trial, StudyError> {
        let asked = unix_now();
        let next = self.propose(None, &mut |plan| {
            plan.attrs.insert(ASKED_AT.to_owned(), Value::Float(asked));
        })?;
        match next {
            Next::Trial(trial) => {
                tracing::debug!(study = %self.name(), trial = trial.number, "trial asked");
                Ok(trial)
            }
            Next::Wait => Err(StudyError::Busy(self.oracle_name().to_owned())),
            Next::Done(reason) if reason.is_empty() => {
                Err(StudyError::Stalled(self.oracle_name().to_owned()))
            }
            Next::Done(reason) => Err(StudyError::SearchOver(reason)),
        }
    }

    /// Fails every asked trial still running that was asked more than `older_than` ago (by
    /// this machine's clock): the rule for trials whose asker died (a killed `tuner ask`, a
    /// crashed client), which nobody else will tell. Returns their numbers; a later `tell` of
    /// one is refused as not running.
    pub fn fail_abandoned(&self, older_than: Duration) -> Result<Vec<u64>, StudyError> {
        let now = unix_now();
        let mut failed = Vec::new();
        for mut trial in self.trials()? {
            let Some(asked) = trial.plan.attrs.get(ASKED_AT).and_then(Value::as_float) else {
                continue;
            };
            let age = now - asked;
            if trial.state != TrialState::Running || age < older_than.as_secs_f64() {
                continue;
            }
            let message = format!(
                "asked {age:.0} s ago and never told: its asker is presumed dead \
                 (failed by fail_abandoned)"
            );
            match self.finish(&mut trial, Err(TrialError::Failed(message)), age, false) {
                Ok(_) => failed.push(trial.number),
                // Told meanwhile: its result stands.
                Err(StudyError::Storage(crate::storage::StorageError::Finished { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(failed)
    }

    /// Records one epoch of a running (asked) trial; answers whether the pruner wants it
    /// stopped. Tell `Ok(())` afterwards to finish it from its reported epochs.
    pub fn report(&self, number: u64, epoch: u32, metrics: Metrics) -> Result<Control, StudyError> {
        self.storage.report(self.name(), number, epoch, &metrics)?;
        let history = self.running(number)?.history;
        let stop = self.should_prune(number, epoch, &history);
        let mut verdicts = self.verdicts.lock().unwrap_or_else(|e| e.into_inner());
        let verdict = verdicts.entry(number).or_insert(None);
        if stop && verdict.is_none() {
            *verdict = Some(epoch);
        }
        Ok(if stop {
            Control::Stop
        } else {
            Control::Continue
        })
    }

    /// Records the result of an asked trial: a score, a metrics map, `()` for the epochs
    /// given to [`report`](Self::report), or an error. It ends through
    /// [`finish`](Self::finish) as a searched trial does, with no retry (nobody is left to
    /// run it again): no finite objective value or any error is Failed; a trial `report`
    /// told to stop is Stopped. Returns the trial as stored.
    pub fn tell<O: Into<Outcome>>(
        &self,
        number: u64,
        result: Result<O, TrialError>,
    ) -> Result<Trial, StudyError> {
        let mut trial = self.running(number)?;
        let objective = self.objectives().list()[0].name.clone();
        let attempt = result.map(|outcome| {
            let outcome = outcome.into();
            let only_reported = outcome == Outcome::Reported;
            let reported = std::mem::take(&mut trial.history);
            let history = curve(reported, outcome, &objective, trial.plan.initial_epoch);
            Ran {
                pruned_at: self.pruned_at(number, &history, only_reported),
                history,
            }
        });
        let seconds = trial
            .plan
            .attrs
            .get(ASKED_AT)
            .and_then(Value::as_float)
            .map_or(0.0, |asked| (unix_now() - asked).max(0.0));
        let finished = self.finish(&mut trial, attempt, seconds, false)?;
        debug_assert_eq!(finished, Finished::Stored, "a told trial is never retried");
        self.verdicts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&number);
        Ok(trial)
    }

    /// The epoch the pruner stopped trial `number` at: the verdict `report` gave through this
    /// handle, or, for a trial reported elsewhere and told as its reported epochs alone, the
    /// pruner's answer at its last epoch.
    fn pruned_at(&self, number: u64, history: &Curve, only_reported: bool) -> Option<u32> {
        self.pruner()?;
        let verdicts = self.verdicts.lock().unwrap_or_else(|e| e.into_inner());
        match verdicts.get(&number) {
            Some(verdict) => *verdict,
            None if !only_reported => None,
            None => {
                drop(verdicts);
                let (last, _) = history.last()?;
                self.should_prune(number, *last, history).then_some(*last)
            }
        }
    }

    /// Asks the pruner (if any) about a running trial's curve so far.
    pub(crate) fn should_prune(&self, number: u64, epoch: u32, history: &Curve) -> bool {
        let Some(pruner) = self.pruner() else {
            return false;
        };
        // A pruner that cannot see the others cannot judge: keep training.
        let Ok(trials) = self.trials() else {
            return false;
        };
        pruner.prune(&PrunerContext {
            trial: number,
            epoch,
            history,
            trials: &trials,
            objectives: self.objectives(),
        })
    }

    /// Sets user attributes of a running trial (Optuna's `trial.set_user_attr`), replacing
    /// those of the same keys: any serialisable value, stored as JSON, shown by
    /// optuna-dashboard and returned by Optuna's `trial.user_attrs` and [`Trial::user_attrs`].
    pub fn set_user_attrs<K, V>(
        &self,
        number: u64,
        attrs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Trial, StudyError>
    where
        K: Into<String>,
        V: serde::Serialize,
    {
        let mut trial = self.running(number)?;
        for (key, value) in attrs {
            let key = key.into();
            let json = serde_json::to_value(value).map_err(|source| StudyError::UserAttr {
                key: key.clone(),
                number,
                source,
            })?;
            trial.user_attrs.insert(key, json);
        }
        self.storage.update_trial(self.name(), &trial)?;
        Ok(trial)
    }

    /// Sets one user attribute of a running trial: [`set_user_attrs`](Self::set_user_attrs).
    pub fn set_user_attr(
        &self,
        number: u64,
        key: &str,
        value: impl serde::Serialize,
    ) -> Result<Trial, StudyError> {
        self.set_user_attrs(number, [(key, value)])
    }
}
