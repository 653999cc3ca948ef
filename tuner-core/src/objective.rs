//! What a search optimises: a metric name and a direction, inferred from the name as KerasTuner
//! does, and several objectives kept as a Pareto front.

mod hypervolume;
mod pareto;

pub use hypervolume::hypervolume;
pub(crate) use hypervolume::{contributions, greedy_subset, volume};
pub(crate) use pareto::{dominates, fronts, fronts_by};

use crate::trial::Trial;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The direction type and its inference live with the trial model; re-exported here because
/// an objective is where most users meet them.
pub use crate::trial::{Direction, UnknownDirection};

/// One metric to optimise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// The metric's name, e.g. `val_accuracy`.
    pub name: String,
    /// Which way is better.
    pub direction: Direction,
}

impl Objective {
    /// An objective to minimise.
    pub fn minimize(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            direction: Direction::Minimize,
        }
    }

    /// An objective to maximise.
    pub fn maximize(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            direction: Direction::Maximize,
        }
    }

    /// Infers the direction from the metric name, as KerasTuner does (see
    /// [`Direction::infer`], the one rule for objectives, `EarlyStopping` and reports).
    pub fn infer(name: &str) -> Result<Self, UnknownDirection> {
        Direction::infer(name).map(|direction| Self {
            name: name.to_owned(),
            direction,
        })
    }

    /// Whether `a` is strictly better than `b` (NaN is never better).
    pub fn better(&self, a: f64, b: f64) -> bool {
        self.direction.better(a, b)
    }

    /// The value turned into "smaller is better", for sorting and scalarising.
    pub fn loss(&self, value: f64) -> f64 {
        self.direction.loss(value)
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Objective(name=\"{}\", direction=\"{}\")",
            self.name,
            self.direction.short_name()
        )
    }
}

/// One or more objectives. Several are kept as a Pareto front (NSGA-II and the TPE's default
/// split rank them apart) and scalarised as KerasTuner's `MultiObjective` (the sum of the
/// values turned into losses) where one number is needed: a trial's score and best epoch,
/// the best trials, pruners, Bayesian optimisation, Hyperband, and the TPE with
/// `MultiObjectiveSplit::Sum`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objectives(Vec<Objective>);

impl Objectives {
    /// Wraps a non-empty list of objectives; `None` if it is empty.
    pub fn new(list: Vec<Objective>) -> Option<Self> {
        (!list.is_empty()).then_some(Self(list))
    }

    /// The objectives in order.
    pub fn list(&self) -> &[Objective] {
        &self.0
    }

    /// Whether there is more than one objective.
    pub fn is_multi(&self) -> bool {
        self.0.len() > 1
    }

    /// The direction of the scalar score (the single objective's, or minimise for several).
    pub fn direction(&self) -> Direction {
        match self.0.as_slice() {
            [one] => one.direction,
            _ => Direction::Minimize,
        }
    }

    /// The scalar view of one epoch's metrics; `None` if a metric is missing.
    pub fn score(&self, metrics: &BTreeMap<String, f64>) -> Option<f64> {
        match self.0.as_slice() {
            [one] => metrics.get(&one.name).copied(),
            many => many
                .iter()
                .map(|o| metrics.get(&o.name).map(|v| o.loss(*v)))
                .sum(),
        }
    }

    /// The scalar objective, as an [`Objective`] named after its metric(s).
    pub fn scalar(&self) -> Objective {
        match self.0.as_slice() {
            [one] => one.clone(),
            many => Objective::minimize(
                many.iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join("+"),
            ),
        }
    }

    /// Whether metrics `a` dominate `b`: no worse in every objective and better in one.
    pub fn dominates(&self, a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> bool {
        let mut strictly = false;
        for o in &self.0 {
            let (Some(x), Some(y)) = (a.get(&o.name), b.get(&o.name)) else {
                return false;
            };
            if o.better(*y, *x) {
                return false;
            }
            strictly |= o.better(*x, *y);
        }
        strictly
    }

    /// Each objective's value in `metrics` turned into a loss, in order; `None` if one is
    /// missing or NaN.
    pub fn losses(&self, metrics: &BTreeMap<String, f64>) -> Option<Vec<f64>> {
        self.0
            .iter()
            .map(|o| {
                metrics
                    .get(&o.name)
                    .filter(|v| !v.is_nan())
                    .map(|v| o.loss(*v))
            })
            .collect()
    }

    /// The indices of the points no other point dominates.
    pub fn pareto_front(&self, points: &[BTreeMap<String, f64>]) -> Vec<usize> {
        (0..points.len())
            .filter(|&i| {
                !points
                    .iter()
                    .enumerate()
                    .any(|(j, p)| j != i && self.dominates(p, &points[i]))
            })
            .collect()
    }
}

/// The plan attribute holding a trial's constraint values (a JSON list; each <= 0 is
/// satisfied, Optuna's convention and its system attribute's name).
pub const CONSTRAINTS: &str = "constraints";

/// A trial's constraint values, if it reported any.
pub fn constraints(trial: &Trial) -> Option<Vec<f64>> {
    match trial.plan.attrs.get(CONSTRAINTS)? {
        crate::space::Value::Str(json) => {
            let list: Vec<serde_json::Value> = serde_json::from_str(json).ok()?;
            list.iter().map(crate::trial::json_float).collect()
        }
        _ => None,
    }
}

/// How far a trial is from feasible: the sum of its positive constraint values (0 when it
/// satisfies them all or reported none; NaN counts as infinitely violated).
pub fn violation(trial: &Trial) -> f64 {
    constraints(trial).map_or(0.0, |c| {
        c.iter()
            .map(|v| {
                if v.is_nan() {
                    f64::INFINITY
                } else {
                    v.max(0.0)
                }
            })
            .sum()
    })
}

impl From<Objective> for Objectives {
    fn from(o: Objective) -> Self {
        Self(vec![o])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_keras_tuner_directions() {
        for name in [
            "loss",
            "val_loss",
            "val_categorical_crossentropy",
            "mae",
            "val_mse",
        ] {
            assert_eq!(
                Objective::infer(name).unwrap().direction,
                Direction::Minimize,
                "{name}"
            );
        }
        for name in [
            "accuracy",
            "val_accuracy",
            "val_acc",
            "auc",
            "val_precision",
            "recall",
        ] {
            assert_eq!(
                Objective::infer(name).unwrap().direction,
                Direction::Maximize,
                "{name}"
            );
        }
        let err = Objective::infer("val_custom").unwrap_err();
        assert!(err
            .to_string()
            .contains("Objective::minimize(\"val_custom\")"));
    }

    #[test]
    fn objectives_and_early_stopping_share_one_inference() {
        // The names EarlyStopping's old rule minimised by mistake, and two it always got right.
        for (name, want) in [
            ("val_categorical_accuracy", Direction::Maximize),
            ("f1", Direction::Maximize),
            ("r2", Direction::Maximize),
            ("val_auc", Direction::Maximize),
            ("loss", Direction::Minimize),
        ] {
            assert_eq!(Objective::infer(name).unwrap().direction, want, "{name}");
            assert_eq!(Direction::infer_or_minimize(name), want, "{name}");
        }
        assert!(Objective::infer("val_custom").is_err());
        assert_eq!(
            Direction::infer_or_minimize("val_custom"),
            Direction::Minimize
        );
    }

    #[test]
    fn objective_compares_by_its_direction() {
        let o = Objective::maximize("auc");
        assert!(o.better(0.9, 0.8) && !o.better(0.8, 0.9));
        assert_eq!(o.loss(0.9), -0.9);
        assert_eq!(o.to_string(), "Objective(name=\"auc\", direction=\"max\")");
    }

    #[test]
    fn pareto_front_keeps_non_dominated_points() {
        let objs =
            Objectives::new(vec![Objective::minimize("a"), Objective::maximize("b")]).unwrap();
        let p = |a: f64, b: f64| BTreeMap::from([("a".into(), a), ("b".into(), b)]);
        let points = [p(1.0, 1.0), p(2.0, 3.0), p(2.0, 1.0), p(0.5, 0.5)];
        assert_eq!(objs.pareto_front(&points), vec![0, 1, 3]);
        assert_eq!(objs.score(&points[1]), Some(2.0 - 3.0));
    }
}
