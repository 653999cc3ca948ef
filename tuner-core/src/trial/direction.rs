//! Which way a metric improves, every comparison that depends on it, and the one rule that
//! infers it from a metric's name (KerasTuner's, used by objectives, `EarlyStopping` and
//! reports alike).

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
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

/// A metric name whose direction could not be inferred.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "cannot infer whether `{0}` should be minimised or maximised: \
     use Objective::minimize(\"{0}\") or Objective::maximize(\"{0}\")"
)]
pub struct UnknownDirection(pub String);

impl Direction {
    /// Infers the direction from a metric name as KerasTuner does: after stripping `val_` and
    /// `weighted_` and `macro_`, losses, cross-entropies and errors are minimised; accuracies, AUC,
    /// precision, recall, F1 and R² maximised; any other name (or one matching both) is an
    /// error asking for an explicit direction.
    pub fn infer(name: &str) -> Result<Self, UnknownDirection> {
        let base = name.strip_prefix("val_").unwrap_or(name);
        let base = base.strip_prefix("weighted_").unwrap_or(base);
        let base = base.strip_prefix("macro_").unwrap_or(base);
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
            || matches!(
                base,
                "auc" | "pr_auc" | "precision" | "recall" | "f1" | "r2"
            );
        match (min, max) {
            (true, false) => Ok(Direction::Minimize),
            (false, true) => Ok(Direction::Maximize),
            _ => Err(UnknownDirection(name.to_owned())),
        }
    }

    /// [`infer`](Self::infer), falling back to `Minimize` with a logged warning for a name it
    /// does not know: Keras' `EarlyStopping` auto mode does the same, because a callback
    /// watching a custom metric should not stop a fit that could otherwise run. Resolve once
    /// (e.g. when training begins), not per epoch, or the warning repeats.
    pub fn infer_or_minimize(name: &str) -> Self {
        Self::infer(name).unwrap_or_else(|e| {
            tracing::warn!(metric = name, "{e}; minimising it");
            Direction::Minimize
        })
    }

    /// Whether this is `Minimize` (the low end of a scale is the good one).
    pub fn smaller_is_better(self) -> bool {
        self == Direction::Minimize
    }

    /// Whether `a` is strictly better than `b` (NaN is never better, nor beaten).
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Direction::Minimize => a < b,
            Direction::Maximize => a > b,
        }
    }

    /// Whether `current` beats `reference` by more than `min_delta` (Keras' `EarlyStopping`
    /// improvement test; `min_delta` 0 is [`better`](Self::better)).
    pub fn improves(self, current: f64, reference: f64, min_delta: f64) -> bool {
        match self {
            Direction::Minimize => current + min_delta < reference,
            Direction::Maximize => current - min_delta > reference,
        }
    }

    /// The better of `a` and `b`, ignoring a NaN one; `a` on ties.
    pub fn pick(self, a: f64, b: f64) -> f64 {
        if a.is_nan() || self.better(b, a) {
            b
        } else {
            a
        }
    }

    /// The best of `values`, NaN skipped (the first of equal bests); `None` if none is left.
    pub fn best_of(self, values: impl IntoIterator<Item = f64>) -> Option<f64> {
        values
            .into_iter()
            .filter(|v| !v.is_nan())
            .reduce(|a, b| self.pick(a, b))
    }

    /// Orders `a` before `b` when it is better: a total order, best first, NaN after every
    /// number (so a sort never lets an unscored value win).
    pub fn best_first(self, a: f64, b: f64) -> Ordering {
        match (a.is_nan(), b.is_nan()) {
            (false, false) => self.loss(a).total_cmp(&self.loss(b)),
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
        }
    }

    /// The value turned into "smaller is better", for sorting and scalarising.
    pub fn loss(self, value: f64) -> f64 {
        match self {
            Direction::Minimize => value,
            Direction::Maximize => -value,
        }
    }

    /// The percentile of the raw values that lies `q` percent (0-100) from the best end: `q`
    /// when smaller is better, `100 - q` when larger is (Optuna's percentile pruner rule).
    pub fn percentile_from_best(self, q: f64) -> f64 {
        match self {
            Direction::Minimize => q,
            Direction::Maximize => 100.0 - q,
        }
    }

    /// `min` or `max`, as KerasTuner prints an objective's direction.
    pub fn short_name(self) -> &'static str {
        match self {
            Direction::Minimize => "min",
            Direction::Maximize => "max",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{Maximize, Minimize};

    #[test]
    fn inference_table() {
        let table = [
            ("loss", Minimize),
            ("val_loss", Minimize),
            ("val_categorical_crossentropy", Minimize),
            ("mae", Minimize),
            ("val_mse", Minimize),
            ("weighted_mse", Minimize),
            ("reconstruction_loss", Minimize),
            ("val_mean_absolute_error", Minimize),
            ("accuracy", Maximize),
            ("val_accuracy", Maximize),
            ("val_acc", Maximize),
            ("val_categorical_accuracy", Maximize),
            ("val_weighted_accuracy", Maximize),
            ("auc", Maximize),
            ("val_auc", Maximize),
            ("val_precision", Maximize),
            ("recall", Maximize),
            ("f1", Maximize),
            ("val_f1", Maximize),
            ("r2", Maximize),
        ];
        for (name, direction) in table {
            assert_eq!(Direction::infer(name), Ok(direction), "{name}");
            assert_eq!(Direction::infer_or_minimize(name), direction, "{name}");
        }
    }

    #[test]
    fn unknown_names_are_errors_or_minimised() {
        // `accumulated_loss` reads as both an accuracy and a loss: neither wins.
        for name in ["val_custom", "latency", "accumulated_loss"] {
            let err = Direction::infer(name).unwrap_err();
            assert_eq!(err, UnknownDirection(name.to_owned()));
            assert!(err
                .to_string()
                .contains(&format!("Objective::minimize(\"{name}\")")));
            assert_eq!(Direction::infer_or_minimize(name), Minimize, "{name}");
        }
    }

    #[test]
    fn better_and_improves_are_strict_and_nan_never_wins() {
        assert!(Minimize.better(1.0, 2.0) && !Minimize.better(2.0, 1.0));
        assert!(Maximize.better(2.0, 1.0) && !Maximize.better(1.0, 2.0));
        for d in [Minimize, Maximize] {
            assert!(!d.better(1.0, 1.0));
            assert!(!d.better(f64::NAN, 1.0) && !d.better(1.0, f64::NAN));
            assert!(!d.improves(f64::NAN, 1.0, 0.0));
        }
        assert!(Minimize.improves(0.8, 1.0, 0.1) && !Minimize.improves(0.9, 1.0, 0.1));
        assert!(Maximize.improves(1.2, 1.0, 0.1) && !Maximize.improves(1.1, 1.0, 0.1));
        assert!(Maximize.better(f64::INFINITY, 1e300));
    }

    #[test]
    fn pick_and_best_of_skip_nan_and_keep_the_first_tie() {
        assert_eq!(Minimize.pick(3.0, 2.0), 2.0);
        assert_eq!(Maximize.pick(3.0, 2.0), 3.0);
        assert_eq!(Minimize.pick(f64::NAN, 2.0), 2.0);
        assert_eq!(Maximize.pick(2.0, f64::NAN), 2.0);
        assert!(Minimize.pick(f64::NAN, f64::NAN).is_nan());
        // 0.0 == -0.0: the first one stays.
        assert!(Minimize.pick(-0.0, 0.0).is_sign_negative());
        let values = [f64::NAN, 0.5, 0.9, f64::NAN, 0.1];
        assert_eq!(Minimize.best_of(values), Some(0.1));
        assert_eq!(Maximize.best_of(values), Some(0.9));
        assert_eq!(Maximize.best_of([f64::NAN]), None);
        assert_eq!(Maximize.best_of(std::iter::empty()), None);
    }

    #[test]
    fn best_first_sorts_best_first_with_nan_last() {
        let mut v = [0.5, f64::NAN, 0.1, f64::NEG_INFINITY, 0.9];
        v.sort_by(|a, b| Minimize.best_first(*a, *b));
        assert_eq!(&v[..4], &[f64::NEG_INFINITY, 0.1, 0.5, 0.9]);
        assert!(v[4].is_nan());
        v.sort_by(|a, b| Maximize.best_first(*a, *b));
        assert_eq!(&v[..4], &[0.9, 0.5, 0.1, f64::NEG_INFINITY]);
        assert!(v[4].is_nan());
        assert_eq!(Maximize.best_first(1.0, 1.0), Ordering::Equal);
    }

    #[test]
    fn loss_percentile_and_names() {
        assert_eq!((Minimize.loss(2.0), Maximize.loss(2.0)), (2.0, -2.0));
        assert_eq!(Minimize.percentile_from_best(25.0), 25.0);
        assert_eq!(Maximize.percentile_from_best(25.0), 75.0);
        assert!(Minimize.smaller_is_better() && !Maximize.smaller_is_better());
        assert_eq!(
            (Minimize.to_string(), Maximize.short_name()),
            ("min".into(), "max")
        );
        assert_eq!(serde_json::to_string(&Maximize).unwrap(), "\"maximize\"");
    }
}
