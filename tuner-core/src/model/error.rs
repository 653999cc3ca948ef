//! Training settings that cannot be used.

use thiserror::Error;

/// A [`Fit`](super::Fit) setting out of range.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FitError {
    /// A batch must hold at least one sample.
    #[error("batch_size is 0; use at least 1")]
    ZeroBatch,
    /// The held-out fraction must leave samples on both sides.
    #[error("validation_split {0} is outside (0, 1); pass a fraction such as 0.2")]
    ValidationSplit(f64),
    /// `class_weight` must give one weight per class.
    #[error("class_weight gives {given} weights but the data has {classes} classes; give one per class or use ClassWeight::Balanced")]
    ClassWeights {
        /// Weights given.
        given: usize,
        /// Classes in the data.
        classes: usize,
    },
    /// `sample_weight` must give one weight per row of the training data.
    #[error(
        "sample_weight has {given} weights but the training data has {rows} rows; give one per row"
    )]
    SampleWeights {
        /// Weights given.
        given: usize,
        /// Rows of the data passed to fit.
        rows: usize,
    },
    /// A weight must be a finite number, at least 0.
    #[error("weight {0} is negative or not finite; weights must be finite and >= 0")]
    BadWeight(f64),
    /// Weights need a classification loss.
    #[error("class_weight and sample_weight apply to classification losses; the data has real-valued targets, so drop them")]
    WeightsNeedClasses,
    /// A selected metric cannot be computed on this data.
    #[error(transparent)]
    Metric(#[from] super::metrics::MetricError),
}
