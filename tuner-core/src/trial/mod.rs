//! The trial model: one trial (the values tried, its state, its learning curve and score),
//! the direction a metric improves in and every comparison that follows from it, and the
//! learning curve with its best epoch, average over executions and exact JSON; when it started
//! and completed (`times.rs`).

mod curve;
mod direction;
mod float_json;
mod outcome;
mod state;
mod times;

/// The type of a trial's times (UTC, no zone attached), re-exported so no user names chrono.
pub use chrono::NaiveDateTime;
pub use curve::{Curve, CurveJsonError};
pub use direction::{Direction, UnknownDirection};
pub use float_json::{float_json, json_float};
pub(crate) use outcome::curve;
pub use outcome::{Outcome, TrialError};
pub use state::{State, TrialState, DIVERGED};
pub(crate) use times::now;
pub use times::{parse_stored_time, seconds_between, time_text};

use crate::objective::Objectives;
use crate::space::{HyperParameters, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One epoch's named metric values (e.g. `loss`, `val_accuracy`).
pub type Metrics = BTreeMap<String, f64>;

/// What an oracle asks for: values to try, and (for Hyperband) how to train them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrialPlan {
    /// The values to try.
    pub values: HyperParameters,
    /// Train up to this epoch (exclusive), if the oracle sets a budget.
    pub epochs: Option<u32>,
    /// Start at this epoch, continuing the parent's checkpoint.
    pub initial_epoch: u32,
    /// The trial whose best checkpoint this one continues.
    pub parent: Option<u64>,
    /// Oracle bookkeeping kept with the trial (e.g. Hyperband bracket and round).
    pub attrs: BTreeMap<String, Value>,
}

/// One trial, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// Number within the study, from 0, assigned atomically by the storage.
    pub number: u64,
    /// What was asked.
    pub plan: TrialPlan,
    /// Where it stands.
    pub state: TrialState,
    /// Per-epoch metrics (averaged over executions), in epoch order.
    pub history: Curve,
    /// The best scalar objective value over the epochs.
    pub score: Option<f64>,
    /// The epoch the score comes from.
    pub best_epoch: Option<u32>,
    /// The error or reason that ended an Invalid/Failed/Stopped trial.
    pub message: Option<String>,
    /// How many times it was retried after being Invalid.
    pub retries: u32,
    /// Wall-clock seconds spent on it.
    pub seconds: f64,
    /// Attributes the user set on it (Optuna's `trial.user_attrs`), any JSON.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub user_attrs: BTreeMap<String, serde_json::Value>,
    /// When the storage created it, in UTC (Optuna's `datetime_start`); set by the storage
    /// and read back with the trials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datetime_start: Option<NaiveDateTime>,
    /// When the storage recorded it finished (Optuna's `datetime_complete`); unset while it
    /// runs or waits for a retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datetime_complete: Option<NaiveDateTime>,
}

impl Trial {
    /// A new Running trial.
    pub fn new(number: u64, plan: TrialPlan) -> Self {
        Self {
            number,
            plan,
            state: TrialState::Running,
            history: Curve::new(),
            score: None,
            best_epoch: None,
            message: None,
            retries: 0,
            seconds: 0.0,
            user_attrs: BTreeMap::new(),
            datetime_start: None,
            datetime_complete: None,
        }
    }

    /// Seconds from its start to its completion as the storage recorded them (Optuna's
    /// `duration`), when both are known.
    pub fn duration(&self) -> Option<f64> {
        Some(seconds_between(
            self.datetime_start.as_ref()?,
            self.datetime_complete.as_ref()?,
        ))
    }

    /// KerasTuner's zero-padded id ("00", "01", ...; wider past 99).
    pub fn id(&self) -> String {
        format!("{:02}", self.number)
    }

    /// The tried values.
    pub fn values(&self) -> &HyperParameters {
        &self.plan.values
    }

    /// Metrics of the best epoch (where the score comes from).
    pub fn best_metrics(&self) -> Option<&Metrics> {
        self.history.at(self.best_epoch?)
    }

    /// Sets `score` and `best_epoch` from `history` for `objectives` (see [`Curve::best`]:
    /// NaN epochs never win, ties go to the earliest).
    pub fn rescore(&mut self, objectives: &Objectives) {
        let best = self.history.best(objectives);
        self.best_epoch = best.map(|b| b.0);
        self.score = best.map(|b| b.1);
    }

    /// The history's values for one metric, by epoch.
    pub fn metric(&self, name: &str) -> Vec<(u32, f64)> {
        self.history.metric(name)
    }
}

/// Sorts trials best first by score for `direction`; unscored (or NaN-scored) trials go last,
/// ties by number.
pub fn sort_best_first(trials: &mut [&Trial], direction: Direction) {
    trials.sort_by(|a, b| {
        let nan = |t: &Trial| t.score.unwrap_or(f64::NAN);
        direction
            .best_first(nan(a), nan(b))
            .then(a.number.cmp(&b.number))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Objective;

    #[test]
    fn score_is_best_epoch_and_skips_nan() {
        let mut t = Trial::new(3, TrialPlan::default());
        for (e, v) in [(0, 0.5), (1, 0.8), (2, f64::NAN), (3, 0.7)] {
            t.history
                .insert(e, Metrics::from([("val_accuracy".into(), v)]));
        }
        t.rescore(&Objective::maximize("val_accuracy").into());
        assert_eq!((t.score, t.best_epoch), (Some(0.8), Some(1)));
        assert_eq!(t.id(), "03");
    }

    #[test]
    fn best_metrics_are_the_best_epochs() {
        let mut t = Trial::new(0, TrialPlan::default());
        assert_eq!(t.best_metrics(), None);
        for (e, v) in [(0, 0.9), (1, 0.4), (2, 0.6)] {
            t.history.insert(e, Metrics::from([("loss".into(), v)]));
        }
        t.rescore(&Objective::minimize("loss").into());
        assert_eq!(
            t.best_metrics(),
            Some(&Metrics::from([("loss".into(), 0.4)]))
        );
        assert_eq!(t.metric("loss"), [(0, 0.9), (1, 0.4), (2, 0.6)]);
    }

    #[test]
    fn sorts_best_first_with_unscored_last_and_ties_by_number() {
        let scored = |number: u64, score: Option<f64>| {
            let mut t = Trial::new(number, TrialPlan::default());
            t.score = score;
            t
        };
        let trials = [
            scored(0, None),
            scored(1, Some(0.5)),
            scored(2, Some(f64::NAN)),
            scored(3, Some(0.9)),
            scored(4, Some(0.5)),
            scored(5, Some(0.1)),
        ];
        let order = |direction| {
            let mut refs: Vec<&Trial> = trials.iter().collect();
            sort_best_first(&mut refs, direction);
            refs.iter().map(|t| t.number).collect::<Vec<_>>()
        };
        assert_eq!(order(Direction::Minimize), [5, 1, 4, 3, 0, 2]);
        assert_eq!(order(Direction::Maximize), [3, 1, 4, 5, 0, 2]);
    }

    #[test]
    fn serialised_history_is_the_plain_epoch_pairs() {
        let mut t = Trial::new(7, TrialPlan::default());
        t.history.insert(1, Metrics::from([("loss".into(), 0.25)]));
        t.history.insert(0, Metrics::from([("loss".into(), 0.5)]));
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(
            json["history"],
            serde_json::json!([[0, {"loss": 0.5}], [1, {"loss": 0.25}]])
        );
        // A trial written before `Curve` existed (the same JSON) reads back equal.
        let back: Trial = serde_json::from_value(json).unwrap();
        assert_eq!(back, t);
    }
}
