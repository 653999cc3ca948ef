//! What the command reports when it fails: the library's errors, with the options that fix
//! them where the command line has one.

use std::error::Error as _;
use thiserror::Error;
use tuner::report::ReportError;
use tuner::study::space_file::SpaceFileError;
use tuner::study::StudyError;

/// Why a command failed.
#[derive(Debug, Error)]
pub enum CliError {
    /// A study that is not in the folder looked in.
    #[error(
        "{0} (pass --storage URL for a study stored elsewhere, or --directory DIR for another \
         folder)"
    )]
    NotInFolder(#[source] StudyError),
    /// A folder of studies that cannot be listed.
    #[error("{0} (pass --directory DIR, or --storage URL)")]
    Unlistable(#[source] StudyError),
    /// A new study asked for without a space.
    #[error(
        "study `{0}` does not exist yet: pass --space FILE (a JSON search space) to create it"
    )]
    NoSpace(String),
    /// A space given for a study that has another one.
    #[error(
        "study `{0}` already exists with another search space: leave out --space (see `tuner \
         space {0}`), or use another study name"
    )]
    OtherSpace(String),
    /// An option that contradicts how the study was created.
    #[error(
        "study `{study}` was created with another {what}: stored {stored}, given {given}; leave \
         out the option that changes it, or use another study name"
    )]
    Changed {
        /// The study.
        study: String,
        /// Which setting.
        what: String,
        /// Its stored value.
        stored: String,
        /// The value the options asked for.
        given: String,
    },
    /// `tell` with a number of values other than the study's objectives.
    #[error(
        "study `{study}` has {count} objective(s) ({objectives}): give one --value per objective"
    )]
    ValueCount {
        /// The study.
        study: String,
        /// How many objectives it has.
        count: usize,
        /// Their names and directions.
        objectives: String,
    },
    /// `copy` to the study itself.
    #[error(
        "copying study `{0}` onto itself: pass --as NAME for a copy beside it, or --to URL for \
         another storage"
    )]
    CopyOntoItself(String),
    /// `copy` to a study that exists.
    #[error(
        "study `{study}` already exists in {location}: delete it first (`tuner delete`), or \
         pass --as NAME"
    )]
    CopyExists {
        /// The target study.
        study: String,
        /// Where it is.
        location: String,
    },
    /// Any other study error.
    #[error(transparent)]
    Study(StudyError),
    /// A report could not be made or written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The search space file could not be read.
    #[error(transparent)]
    SpaceFile(#[from] SpaceFileError),
    /// JSON output could not be written.
    #[error("cannot print JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<StudyError> for CliError {
    fn from(e: StudyError) -> Self {
        match e {
            StudyError::NoDatabase { .. } => CliError::NotInFolder(e),
            StudyError::Unlistable { .. } => CliError::Unlistable(e),
            StudyError::NoSpace { study } => CliError::NoSpace(study),
            StudyError::OtherSpace { study } => CliError::OtherSpace(study),
            StudyError::Conflict {
                study,
                what,
                stored,
                given,
            } => CliError::Changed {
                study,
                what,
                stored,
                given,
            },
            other => CliError::Study(other),
        }
    }
}

impl CliError {
    /// The message and, on lines of their own, the causes it does not already say.
    pub fn report(&self) -> String {
        let mut text = self.to_string();
        let mut source = self.source();
        while let Some(cause) = source {
            let line = cause.to_string();
            if !text.contains(&line) {
                text.push_str("\n  caused by: ");
                text.push_str(&line);
            }
            source = cause.source();
        }
        text
    }
}
