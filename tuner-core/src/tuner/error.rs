//! Errors that end or prevent a search.

use crate::objective::UnknownDirection;
use crate::space::SpaceError;
use crate::storage::StorageError;
use crate::study::StudyError;
use thiserror::Error;

/// Why a tuner could not be built or a search could not go on.
#[derive(Debug, Error)]
pub enum TunerError {
    /// The objective's direction could not be inferred from its name.
    #[error(transparent)]
    Objective(#[from] UnknownDirection),
    /// The objective names a metric the model does not report (checked before any trial).
    #[error(
        "objective `{objective}` is not a metric the model reports; it reports: {reported}. \
         Use one of these, add it with Fit::metrics (for this data: {possible}; `val_` for \
         the validation value), or report it from your own code"
    )]
    UnreportedObjective {
        /// The objective's name.
        objective: String,
        /// What the model reports with the search's `Fit`.
        reported: String,
        /// Every metric the model could report on this data.
        possible: String,
    },
    /// No objective was given where one is required.
    #[error(
        "no objective set: call .objective(\"val_accuracy\") (or Objective::minimize/maximize)"
    )]
    NoObjective,
    /// The storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The search space or a stored value is invalid.
    #[error(transparent)]
    Space(#[from] SpaceError),
    /// The study refused: a conflicting resume, nothing to ask, a trial already ended.
    #[error(transparent)]
    Study(StudyError),
    /// Too many trials in a row failed: something is wrong with every trial, not just one.
    #[error(
        "{count} consecutive trials failed (max_consecutive_failed_trials = {count}); \
         the last one (trial {trial}) failed with: {message}"
    )]
    TooManyFailures {
        /// How many failed in a row.
        count: u32,
        /// The last failed trial's number.
        trial: u64,
        /// Its error.
        message: String,
    },
    /// An argument out of its allowed range.
    #[error("{0}")]
    BadArgument(String),
    /// A results query asked for something that does not exist.
    #[error("{0}")]
    NoResult(String),
    /// A report (export, plot) could not be made or written.
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    /// Reading or writing a trial's files failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Storage and space errors keep their own variants, so callers match them in one place
/// whether the tuner or its study met them.
impl From<StudyError> for TunerError {
    fn from(e: StudyError) -> Self {
        match e {
            StudyError::Storage(e) => TunerError::Storage(e),
            StudyError::Space(e) => TunerError::Space(e),
            other => TunerError::Study(other),
        }
    }
}
