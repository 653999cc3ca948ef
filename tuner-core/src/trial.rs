//! One trial: the values tried, its state, its per-epoch metrics and its score.

use crate::objective::{Direction, Objectives};
use crate::space::{HyperParameters, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Where a trial stands (KerasTuner's trial states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TrialState {
    /// Being trained or evaluated now.
    Running,
    /// Finished with a score.
    Completed,
    /// Errored or scored NaN; retried up to `max_retries_per_trial`.
    Invalid,
    /// Errored for good (retries used up, model too large, or a `TrialError::Failed`).
    Failed,
    /// Stopped early by a pruner or by the search ending; keeps its history.
    Stopped,
}

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

/// Metric values by name: `loss`, `accuracy` or `mae`, and `val_`-prefixed ones.
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
    pub history: Vec<(u32, Metrics)>,
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
}

impl Trial {
    /// A new Running trial.
    pub fn new(number: u64, plan: TrialPlan) -> Self {
        Self {
            number,
            plan,
            state: TrialState::Running,
            history: Vec::new(),
            score: None,
            best_epoch: None,
            message: None,
            retries: 0,
            seconds: 0.0,
        }
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
        let best = self.best_epoch?;
        self.history
            .iter()
            .find(|(e, _)| *e == best)
            .map(|(_, m)| m)
    }

    /// Sets `score` and `best_epoch` from `history` for `objectives` (NaN epochs never win).
    pub fn rescore(&mut self, objectives: &Objectives) {
        let objective = objectives.scalar();
        let mut best: Option<(u32, f64)> = None;
        for (epoch, metrics) in &self.history {
            let Some(v) = objectives.score(metrics) else {
                continue;
            };
            if v.is_nan() {
                continue;
            }
            if best.is_none_or(|(_, b)| objective.better(v, b)) {
                best = Some((*epoch, v));
            }
        }
        self.best_epoch = best.map(|b| b.0);
        self.score = best.map(|b| b.1);
    }

    /// The history's values for one metric, by epoch.
    pub fn metric(&self, name: &str) -> Vec<(u32, f64)> {
        self.history
            .iter()
            .filter_map(|(e, m)| m.get(name).map(|v| (*e, *v)))
            .collect()
    }
}

/// Sorts trials best first by score for `direction`; unscored trials go last, ties by number.
pub fn sort_best_first(trials: &mut [&Trial], direction: Direction) {
    trials.sort_by(|a, b| {
        let key = |t: &Trial| {
            t.score.map(|s| match direction {
                Direction::Minimize => s,
                Direction::Maximize => -s,
            })
        };
        match (key(a), key(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y).then(a.number.cmp(&b.number)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.number.cmp(&b.number),
        }
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
                .push((e, Metrics::from([("val_accuracy".into(), v)])));
        }
        t.rescore(&Objective::maximize("val_accuracy").into());
        assert_eq!((t.score, t.best_epoch), (Some(0.8), Some(1)));
        assert_eq!(t.id(), "03");
    }
}
