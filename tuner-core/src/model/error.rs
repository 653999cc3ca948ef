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
}
