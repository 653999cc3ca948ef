//! What can go wrong building, training or checkpointing a burn model.

use std::path::PathBuf;
use thiserror::Error;

/// Why a burn model could not be built, trained, evaluated, saved or loaded.
#[derive(Debug, Error)]
pub enum BurnError {
    /// The spec cannot be trained.
    #[error("invalid burn spec: {0}")]
    Spec(String),
    /// The training settings are invalid.
    #[error("invalid fit settings: {0}")]
    Fit(#[from] crate::model::FitError),
    /// The data does not fit the model or the training settings.
    #[error("{0}")]
    Data(String),
    /// The model's output does not fit the targets.
    #[error("the model outputs {found} values per sample but the targets need {expected}; make the model's last layer {expected} wide")]
    OutputWidth {
        /// What the targets need (classes, or values per sample).
        expected: usize,
        /// What the model's forward returned.
        found: usize,
    },
    /// burn refused a record (weights or optimizer state).
    #[error("burn record of {path}: {reason}")]
    Record {
        /// The checkpoint file.
        path: PathBuf,
        /// burn's message.
        reason: String,
    },
    /// A checkpoint file is not one this module wrote, or is damaged.
    #[error("{path} is not a tuner burn checkpoint: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a checkpoint failed.
    #[error("checkpoint {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}
