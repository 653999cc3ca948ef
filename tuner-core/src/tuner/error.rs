//! Errors that end or prevent a search.

use crate::objective::UnknownDirection;
use crate::space::SpaceError;
use crate::storage::StorageError;
use thiserror::Error;

/// Why a tuner could not be built or a search could not go on.
#[derive(Debug, Error)]
pub enum TunerError {
    /// The objective's direction could not be inferred from its name.
    #[error(transparent)]
    Objective(#[from] UnknownDirection),
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
    /// Resuming a study with settings that differ from the stored ones.
    #[error(
        "study `{study}` already exists with a different {what}: stored {stored}, given {given}; \
         pass .overwrite(true) to start afresh or use another project_name"
    )]
    Conflict {
        /// Study name.
        study: String,
        /// Which setting differs.
        what: &'static str,
        /// The stored setting.
        stored: String,
        /// The setting given now.
        given: String,
    },
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
    /// The oracle asked to wait although no trial is running anywhere.
    #[error("the {0} oracle waits for running trials, but none is running in this study")]
    Stalled(&'static str),
    /// An argument out of its allowed range.
    #[error("{0}")]
    BadArgument(String),
    /// A results query asked for something that does not exist.
    #[error("{0}")]
    NoResult(String),
    /// A report (export, plot) could not be made or written.
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    /// `ask` found nothing to hand out: the search is over, for the reason given.
    #[error("the search is over: {0}")]
    SearchOver(String),
    /// `ask` found every trial the oracle can hand out running: tell their results first.
    #[error(
        "the {0} oracle has nothing to hand out while asked trials are running: tell their \
         results first"
    )]
    Busy(&'static str),
    /// Reading or writing a trial's files failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}
