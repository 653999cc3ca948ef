//! What a search optimises: a metric name and a direction, inferred from the name as KerasTuner
//! does, and several objectives kept as a Pareto front.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

/// Whether smaller or larger values of a metric are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Smaller is better (losses, errors).
    Minimize,
    /// Larger is better (accuracies, AUC).
    Maximize,
}

/// An objective name whose direction could not be inferred.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "cannot infer whether `{0}` should be minimised or maximised: \
     use Objective::minimize(\"{0}\") or Objective::maximize(\"{0}\")"
)]
pub struct UnknownDirection(pub String);

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

    /// Infers the direction from the metric name, as KerasTuner does.
    pub fn infer(name: &str) -> Result<Self, UnknownDirection> {
        let base = name.strip_prefix("val_").unwrap_or(name);
        let base = base.strip_prefix("weighted_").unwrap_or(base);
        let min = base == "loss"
            || base.contains("crossentropy")
            || matches!(
                base,
                "ce" | "mse" | "mae" | "mape" | "msle" | "rmse" | "hinge" | "squared_hinge"
            )
            || base.ends_with("_loss")
            || base.ends_with("_error");
        let max = base.starts_with("acc")
            || base.ends_with("accuracy")
            || matches!(base, "auc" | "precision" | "recall" | "f1" | "r2");
        match (min, max) {
            (true, false) => Ok(Self::minimize(name)),
            (false, true) => Ok(Self::maximize(name)),
            _ => Err(UnknownDirection(name.to_owned())),
        }
    }

    /// Whether `a` is strictly better than `b` (NaN is never better).
    pub fn better(&self, a: f64, b: f64) -> bool {
        match self.direction {
            Direction::Minimize => a < b,
            Direction::Maximize => a > b,
        }
    }

    /// The value turned into "smaller is better", for sorting and scalarising.
    pub fn loss(&self, value: f64) -> f64 {
        match self.direction {
            Direction::Minimize => value,
            Direction::Maximize => -value,
        }
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = match self.direction {
            Direction::Minimize => "min",
            Direction::Maximize => "max",
        };
        write!(f, "Objective(name=\"{}\", direction=\"{dir}\")", self.name)
    }
}

/// One or more objectives; several are kept as a Pareto front and scalarised as KerasTuner's
/// `MultiObjective` (sum of the values turned into losses).
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
    fn pareto_front_keeps_non_dominated_points() {
        let objs =
            Objectives::new(vec![Objective::minimize("a"), Objective::maximize("b")]).unwrap();
        let p = |a: f64, b: f64| BTreeMap::from([("a".into(), a), ("b".into(), b)]);
        let points = [p(1.0, 1.0), p(2.0, 3.0), p(2.0, 1.0), p(0.5, 0.5)];
        assert_eq!(objs.pareto_front(&points), vec![0, 1, 3]);
        assert_eq!(objs.score(&points[1]), Some(2.0 - 3.0));
    }
}
