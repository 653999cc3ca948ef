//! Constraints, Optuna's way: a study names metrics that are constraint values (each <= 0 is
//! satisfied); when a trial ends, their values at its best epoch are kept in its `constraints`
//! attribute (Optuna's system attribute of that name, so optuna-dashboard shows feasibility).
//! The best trials and the Pareto front prefer feasible trials, and NSGA-II ranks by Deb's
//! constrained domination.

use super::Study;
use crate::objective::CONSTRAINTS;
use crate::space::Value;
use crate::trial::{Trial, TrialState};

impl Study {
    /// Names the metrics whose values are the trials' constraints (each <= 0 is satisfied); a
    /// constraint a trial did not report counts as violated (NaN).
    pub fn with_constraints(mut self, metrics: Vec<String>) -> Self {
        self.constraints = metrics;
        self
    }

    /// The metrics that are constraints.
    pub fn constraint_metrics(&self) -> &[String] {
        &self.constraints
    }

    /// Keeps an ended trial's constraint values (at its best epoch, else its last) in its
    /// `constraints` attribute; trials that failed have none, as in Optuna.
    pub(crate) fn record_constraints(&self, trial: &mut Trial) {
        if self.constraints.is_empty()
            || !matches!(trial.state, TrialState::Completed | TrialState::Stopped)
        {
            return;
        }
        let metrics = trial
            .best_metrics()
            .or_else(|| trial.history.last().map(|(_, m)| m));
        let values: Vec<f64> = self
            .constraints
            .iter()
            .map(|name| {
                metrics
                    .and_then(|m| m.get(name).copied())
                    .unwrap_or(f64::NAN)
            })
            .collect();
        let json: Vec<serde_json::Value> = values
            .iter()
            .map(|v| crate::trial::float_json(*v))
            .collect();
        trial.plan.attrs.insert(
            CONSTRAINTS.to_owned(),
            Value::Str(serde_json::Value::Array(json).to_string()),
        );
    }
}
