//! Why a study could not be opened, asked, told or read.

use crate::oracle::OracleConfigError;
use crate::space::SpaceError;
use crate::storage::StorageError;
use crate::trial::TrialState;
use std::path::PathBuf;
use thiserror::Error;

/// A study operation failed.
#[derive(Debug, Error)]
pub enum StudyError {
    /// The storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The search space or a stored value is invalid.
    #[error(transparent)]
    Space(#[from] SpaceError),
    /// The stored oracle cannot be rebuilt.
    #[error(transparent)]
    Oracle(#[from] OracleConfigError),
    /// Resuming a study with settings that differ from the stored ones.
    #[error(
        "study `{study}` already exists with a different {what}: stored {stored}, given {given}; \
         pass .overwrite(true) to start afresh or use another project_name"
    )]
    Conflict {
        /// Study name.
        study: String,
        /// Which setting differs, e.g. `objective` or ``tpe setting `n_startup_trials` ``.
        what: String,
        /// The stored setting.
        stored: String,
        /// The setting given now.
        given: String,
    },
    /// A result told (or an epoch reported) for a trial that has already ended.
    #[error(
        "trial {number} of study `{study}` has already ended ({state}): only a running trial \
         can be told"
    )]
    NotRunning {
        /// Study name.
        study: String,
        /// Trial number.
        number: u64,
        /// Its state.
        state: TrialState,
    },
    /// `ask` found nothing to hand out: the search is over, for the reason given.
    #[error("the search is over: {0}")]
    SearchOver(String),
    /// `ask` found every trial the oracle can hand out running: tell their results first.
    #[error(
        "the {0} oracle has nothing to hand out while asked trials are running: tell their \
         results first"
    )]
    Busy(String),
    /// The oracle asked to wait although no trial is running anywhere.
    #[error("the {0} oracle waits for running trials, but none is running in this study")]
    Stalled(String),
    /// Best trials were asked of a study where none has completed.
    #[error("study `{study}` has no completed trial yet ({trials} trials in all)")]
    NoCompleted {
        /// Study name.
        study: String,
        /// How many trials it has, in any state.
        trials: usize,
    },
    /// A study that does not exist yet, asked for without a space to create it from.
    #[error("study `{study}` does not exist yet: give a search space to create it")]
    NoSpace {
        /// Study name.
        study: String,
    },
    /// A study asked to be created with a space holding no parameter.
    #[error(
        "study `{study}` would have an empty search space: give at least one parameter (the \
         format is what `tuner space STUDY --json` prints, or Optuna's distributions)"
    )]
    EmptySpace {
        /// Study name.
        study: String,
    },
    /// Some databases or studies found could not be read (`tuner studies`).
    #[error("{} of the databases or studies found could not be read:\n{}", problems.len(), problems.join("\n"))]
    Unreadable {
        /// One line per problem: where, and why.
        problems: Vec<String>,
    },
    /// A space given for a stored study that has another one.
    #[error("study `{study}` already exists with another search space")]
    OtherSpace {
        /// Study name.
        study: String,
    },
    /// A study looked for in a folder of per-study databases that has none for it.
    #[error("no study named `{study}`: there is no {}{}", db.display(), listed(dir, others))]
    NoDatabase {
        /// Study name.
        study: String,
        /// The database it would be in.
        db: PathBuf,
        /// The folder of per-study databases.
        dir: PathBuf,
        /// The studies the folder does hold.
        others: Vec<String>,
    },
    /// A storage that does not hold the study asked for.
    #[error("{source} ({})", if names.is_empty() { "the storage holds no study".to_owned() } else { format!("it holds: {}", names.join(", ")) })]
    NotInStorage {
        /// The storage's answer.
        source: StorageError,
        /// The studies it does hold.
        names: Vec<String>,
    },
    /// Deleting a study's folder failed after the study itself was deleted.
    #[error("the study is deleted, but its folder {} stays: {source}", dir.display())]
    FolderLeft {
        /// The folder.
        dir: PathBuf,
        /// Why it could not be removed.
        source: std::io::Error,
    },
    /// A folder of per-study databases that cannot be listed.
    #[error("cannot list {}: {source}", dir.display())]
    Unlistable {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A study Optuna created whose parameters tuner's oracles cannot sample.
    #[error(
        "study `{study}` was created by Optuna and tuner cannot ask trials of it: {why}; it can \
         still be listed, summarised, plotted and exported (continue it with Optuna)"
    )]
    OptunaSpace {
        /// Study name.
        study: String,
        /// Each parameter tuner has no kind for, with its distribution and why.
        why: String,
    },
    /// A value for a user attribute that is not JSON-serialisable.
    #[error("user attribute `{key}` of trial {number}: {source}")]
    UserAttr {
        /// The attribute.
        key: String,
        /// The trial.
        number: u64,
        /// Why it cannot be stored.
        source: serde_json::Error,
    },
    /// Reading or writing a study's files failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// "; studies in DIR: a, b" when the folder holds any.
fn listed(dir: &std::path::Path, names: &[String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!("; studies in {}: {}", dir.display(), names.join(", "))
    }
}
