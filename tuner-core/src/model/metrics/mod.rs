//! The metrics a training loop reports, and the one home of their math, independent of any
//! network library: the dfdx loop and `Network::evaluate`, and the burn loop, gather an epoch's
//! outputs in [`Predictions`] and ask it for the selected [`Metric`]s.
//!
//! Conventions (Keras' names, sklearn's definitions where Keras has none):
//! - classification outputs are logits, one per class; binary metrics (`auc`, `pr_auc`,
//!   `precision`, `recall`, `f1`) need exactly two classes, class 1 being the positive one and
//!   its softmax probability the score;
//! - `auc` is the ROC area by the trapezoid over distinct thresholds, which equals the
//!   Mann-Whitney statistic with ties counted 1/2; `pr_auc` is sklearn's average precision
//!   (the step function over distinct thresholds, no interpolation); both are NaN when the
//!   data hold a single class;
//! - precision of a classifier that predicts no positive is 0 (sklearn's `zero_division=0`);
//!   `macro_*` average the per-class values over every class;
//! - `top_{k}_accuracy` counts a sample right when fewer than `k` classes score strictly
//!   above its true class;
//! - `log_loss` is the mean of `-ln p(true class)` with `p` clipped to `[1e-15, 1 - 1e-15]`,
//!   unweighted (the `loss` carries the class and sample weights);
//! - regression metrics average over every output value; `r2` averages the per-output R²
//!   (sklearn's `uniform_average`), a constant target scoring 1 if predicted exactly, else 0.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

mod math;
// Gathering a whole epoch's outputs is what the network libraries' loops do.
#[cfg(any(feature = "nn", feature = "burn", test))]
mod predictions;
#[cfg(test)]
mod tests;

pub use math::{
    accuracy, argmax, average_precision, log_loss, mae, mse, per_class_prf, probabilities, r2,
    roc_auc, softmax, top_k_accuracy,
};
#[cfg(any(feature = "nn", feature = "burn"))]
pub(crate) use predictions::Predictions;

/// A metric the training loops can report; its [`name`](Self::name) is the key in each
/// epoch's metrics (`val_` prefixed on validation data).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Metric {
    /// Share of samples whose largest logit is their class (`accuracy`).
    Accuracy,
    /// Share of samples whose class is among the `k` best scored (`top_{k}_accuracy`).
    TopKAccuracy(usize),
    /// ROC AUC of a binary classifier (`auc`).
    Auc,
    /// Average precision, the area under the precision-recall step curve (`pr_auc`).
    PrAuc,
    /// Precision of class 1 in a binary problem (`precision`).
    Precision,
    /// Recall of class 1 in a binary problem (`recall`).
    Recall,
    /// F1 of class 1 in a binary problem (`f1`).
    F1,
    /// Unweighted mean of every class's precision (`macro_precision`).
    MacroPrecision,
    /// Unweighted mean of every class's recall (`macro_recall`).
    MacroRecall,
    /// Unweighted mean of every class's F1 (`macro_f1`).
    MacroF1,
    /// Mean negative log-probability of the true class (`log_loss`).
    LogLoss,
    /// Mean squared error (`mse`).
    Mse,
    /// Square root of the mean squared error over the whole epoch (`rmse`).
    Rmse,
    /// Mean absolute error (`mae`).
    Mae,
    /// Coefficient of determination (`r2`).
    R2,
}

/// The fixed-name metrics, in the order they are listed to users.
const FIXED: [Metric; 14] = [
    Metric::Accuracy,
    Metric::Auc,
    Metric::PrAuc,
    Metric::Precision,
    Metric::Recall,
    Metric::F1,
    Metric::MacroPrecision,
    Metric::MacroRecall,
    Metric::MacroF1,
    Metric::LogLoss,
    Metric::Mse,
    Metric::Rmse,
    Metric::Mae,
    Metric::R2,
];

impl Metric {
    /// The key it is reported under (without `val_`).
    pub fn name(self) -> String {
        let fixed = match self {
            Metric::TopKAccuracy(k) => return format!("top_{k}_accuracy"),
            Metric::Accuracy => "accuracy",
            Metric::Auc => "auc",
            Metric::PrAuc => "pr_auc",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::F1 => "f1",
            Metric::MacroPrecision => "macro_precision",
            Metric::MacroRecall => "macro_recall",
            Metric::MacroF1 => "macro_f1",
            Metric::LogLoss => "log_loss",
            Metric::Mse => "mse",
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::R2 => "r2",
        };
        fixed.to_owned()
    }

    /// Whether it scores class labels (else real-valued targets).
    pub fn for_classification(self) -> bool {
        !matches!(self, Metric::Mse | Metric::Rmse | Metric::Mae | Metric::R2)
    }

    /// What every loop reports without being asked: `accuracy` (classes) or `mae` (values).
    pub fn default_for(classification: bool) -> Metric {
        if classification {
            Metric::Accuracy
        } else {
            Metric::Mae
        }
    }

    /// Every metric that applies to classes (`top_5_accuracy` standing for any `k`) or values.
    pub fn all_for(classification: bool) -> Vec<Metric> {
        let mut all: Vec<Metric> = FIXED
            .into_iter()
            .filter(|m| m.for_classification() == classification)
            .collect();
        if classification {
            all.insert(1, Metric::TopKAccuracy(5));
        }
        all
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl From<Metric> for String {
    fn from(m: Metric) -> String {
        m.name()
    }
}

/// A metric name that is not one of [`Metric`]'s.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error(
    "unknown metric `{0}`; known: accuracy, top_{{k}}_accuracy (e.g. top_5_accuracy), auc, \
     pr_auc, precision, recall, f1, macro_precision, macro_recall, macro_f1, log_loss, mse, \
     rmse, mae, r2"
)]
pub struct UnknownMetric(pub String);

impl FromStr for Metric {
    type Err = UnknownMetric;

    /// Parses a reported name (`"auc"`, `"top_3_accuracy"`); Keras' `top_k_categorical_accuracy`
    /// is `top_5_accuracy` (its default `k`), `roc_auc` is `auc`, `average_precision` is `pr_auc`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "top_k_categorical_accuracy" | "top_k_accuracy" => return Ok(Metric::TopKAccuracy(5)),
            "roc_auc" => return Ok(Metric::Auc),
            "average_precision" => return Ok(Metric::PrAuc),
            _ => {}
        }
        if let Some(k) = s
            .strip_prefix("top_")
            .and_then(|r| r.strip_suffix("_accuracy"))
        {
            return match k.parse::<usize>() {
                Ok(k) if k > 0 => Ok(Metric::TopKAccuracy(k)),
                _ => Err(UnknownMetric(s.to_owned())),
            };
        }
        FIXED
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownMetric(s.to_owned()))
    }
}

impl TryFrom<String> for Metric {
    type Error = UnknownMetric;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// A metric that cannot be computed on the data it was asked for.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MetricError {
    /// A binary metric on a data set with another number of classes.
    #[error(
        "metric `{metric}` is for two classes but the data has {classes}; use its macro_ \
         version (macro_f1, macro_precision, macro_recall) or accuracy"
    )]
    NotBinary {
        /// The metric.
        metric: String,
        /// Classes in the data.
        classes: usize,
    },
    /// A metric asked of the wrong kind of targets.
    #[error(
        "metric `{metric}` needs {needs} targets but the data has {has} targets; \
         drop it from Fit::metrics"
    )]
    WrongTargets {
        /// The metric.
        metric: String,
        /// What it needs.
        needs: &'static str,
        /// What the data has.
        has: &'static str,
    },
}

/// Checks that every one of `metrics` can be computed on targets of this kind and number of
/// classes (`None` for real-valued targets), before any epoch is trained.
pub fn check(metrics: &[Metric], classes: Option<usize>) -> Result<(), MetricError> {
    for &m in metrics {
        match (classes, m.for_classification()) {
            (None, true) => {
                return Err(MetricError::WrongTargets {
                    metric: m.name(),
                    needs: "class",
                    has: "real-valued",
                })
            }
            (Some(_), false) => {
                return Err(MetricError::WrongTargets {
                    metric: m.name(),
                    needs: "real-valued",
                    has: "class",
                })
            }
            (Some(c), true) if c != 2 && is_binary(m) => {
                return Err(MetricError::NotBinary {
                    metric: m.name(),
                    classes: c,
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether a metric is defined for two classes only.
fn is_binary(m: Metric) -> bool {
    matches!(
        m,
        Metric::Auc | Metric::PrAuc | Metric::Precision | Metric::Recall | Metric::F1
    )
}

/// The metric names a model reports with `metrics` selected: `loss`, the default metric, the
/// selected ones that apply to the targets' kind, and each `val_` version when `validation`.
pub fn reported_names(metrics: &[Metric], classification: bool, validation: bool) -> Vec<String> {
    let default = Metric::default_for(classification);
    let mut base = vec!["loss".to_owned(), default.name()];
    for m in metrics {
        if *m != default && !base.contains(&m.name()) {
            base.push(m.name());
        }
    }
    let mut all = base.clone();
    if validation {
        all.extend(base.iter().map(|n| format!("val_{n}")));
    }
    all
}

/// `fit` with every metric the objectives name (`val_auc` turns on [`Metric::Auc`]) that
/// applies to the targets' kind added to `fit.metrics`.
pub fn with_objective_metrics<'a>(
    mut fit: super::Fit,
    objectives: impl IntoIterator<Item = &'a str>,
    classification: bool,
) -> super::Fit {
    for name in objectives {
        let base = name.strip_prefix("val_").unwrap_or(name);
        if let Ok(m) = base.parse::<Metric>() {
            if m.for_classification() == classification {
                fit = fit.with_metric(m);
            }
        }
    }
    fit
}

/// The first of `objectives` that is not among `reported`, if any.
pub fn unreported<'a>(
    objectives: impl IntoIterator<Item = &'a str>,
    reported: &[String],
) -> Option<&'a str> {
    objectives
        .into_iter()
        .find(|o| !reported.iter().any(|r| r == o))
}
