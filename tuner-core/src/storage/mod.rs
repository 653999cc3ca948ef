//! Where studies and their trials live: the `Storage` trait and its backends (in-memory,
//! SQLite by default, PostgreSQL behind the `postgres` feature). The SQL backends use Optuna's
//! RDB schema, so Optuna and optuna-dashboard read our studies.

mod memory;
pub(crate) mod optuna;
#[cfg(feature = "postgres")]
mod postgres;
mod rdb;
mod sqlite;
mod url;

pub use memory::MemoryStorage;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStorage;
pub use sqlite::SqliteStorage;
pub use url::{open, open_read_only};

// The study's configuration lives with the study; backends store it as they are handed it.
pub use crate::study::StudyConfig;

use crate::space::Value;
use crate::trial::{Metrics, Trial, TrialPlan, TrialState};
use std::time::Duration;
use thiserror::Error;

/// The plan attribute naming the trial a retry continues (its worker stopped beating).
pub const RETRY_OF: &str = "tuner/retry_of";

/// The plan attribute marking a trial failed because its worker stopped beating: it awaits a
/// retry until a trial names it in [`RETRY_OF`].
pub const STALE: &str = "tuner/stale";

/// The plan attribute holding when a trial was asked (seconds since the Unix epoch). An asked
/// trial has no worker beating for it, so it is never judged stale nor taken over.
pub const ASKED_AT: &str = "tuner/asked_at";

/// A storage backend failed or refused.
#[derive(Debug, Error)]
pub enum StorageError {
    /// No study of that name.
    #[error("no study named `{name}` in {location}: check the name and the storage, or create it")]
    NoStudy {
        /// Study name.
        name: String,
        /// Where it was looked for.
        location: String,
    },
    /// No trial with that number.
    #[error("study `{study}` has no trial number {number}")]
    NoTrial {
        /// Study name.
        study: String,
        /// Trial number.
        number: u64,
    },
    /// The trial has already ended, e.g. another worker failed it after its heartbeat went stale.
    #[error(
        "trial {number} of study `{study}` has already ended (another worker failed it when its \
         heartbeat went stale, and retries it): its result is not recorded"
    )]
    Finished {
        /// Study name.
        study: String,
        /// Trial number.
        number: u64,
    },
    /// The study exists but was written neither by tuner nor completely by Optuna (it has
    /// no objective direction).
    #[error(
        "study `{name}` in {location} was not created by tuner (it has no tuner configuration) \
         and is not a complete Optuna study (it has no objective direction); use another \
         project_name"
    )]
    NotTuner {
        /// Study name.
        name: String,
        /// Where it is.
        location: String,
    },
    /// The database is not one we can read: foreign, corrupt, or from a newer version.
    #[error("storage {location}: {message}; nothing was changed")]
    Schema {
        /// The file or URL.
        location: String,
        /// What is wrong with it.
        message: String,
    },
    /// A storage URL that names no known backend.
    #[error(
        "unknown storage URL `{0}`: use sqlite:///path/to/study.db, \
         postgresql://user@host:port/database, or memory"
    )]
    BadUrl(String),
    /// The backend itself failed (I/O, connection, database).
    #[error("storage {location}: {message}")]
    Backend {
        /// The file, URL or backend.
        location: String,
        /// What went wrong.
        message: String,
    },
}

/// Decides a new trial from every trial of the study; the second argument is the number of a
/// trial failed for a stale heartbeat and not retried yet ([`awaiting_retry`]), which a
/// searching caller retries first.
pub type Decide<'a> = dyn FnMut(&[Trial], Option<u64>) -> Option<TrialPlan> + 'a;

/// A place for studies and trials, safe to share between threads and (for databases) processes.
pub trait Storage: Send + Sync {
    /// A short description of where the data lives (a path or URL), for messages.
    fn location(&self) -> String;

    /// Creates the study if missing (or replaces it, with `overwrite`), and returns the stored
    /// configuration, which the caller compares with its own to detect conflicting resumes.
    fn open_study(
        &self,
        config: &StudyConfig,
        overwrite: bool,
    ) -> Result<StudyConfig, StorageError>;

    /// The names of the studies stored.
    fn study_names(&self) -> Result<Vec<String>, StorageError>;

    /// The configuration of a stored study.
    fn study(&self, name: &str) -> Result<StudyConfig, StorageError>;

    /// Deletes a study and its trials.
    fn delete_study(&self, name: &str) -> Result<(), StorageError>;

    /// Every trial of the study, by number.
    fn trials(&self, study: &str) -> Result<Vec<Trial>, StorageError>;

    /// With `stale_after`, first fails every Running trial (asked ones excepted) whose heartbeat
    /// this handle has seen unchanged for that long while the database was reachable (the
    /// heartbeats are looked at every `stale_after / 8`, not on every call); then reads the
    /// trials, asks `decide` for a plan and stores it as a new Running trial with the next
    /// number, provided no other trial was created meanwhile (else it decides again). When `decide` declines, nothing changes and `None` is returned. Workers sharing
    /// the storage never take the same number nor decide from each other's half-made trials.
    fn create_trial(
        &self,
        study: &str,
        stale_after: Option<Duration>,
        decide: &mut Decide<'_>,
    ) -> Result<Option<Trial>, StorageError>;

    /// Records one epoch's metrics of a running trial (intermediate values; also a heartbeat).
    fn report(
        &self,
        study: &str,
        number: u64,
        epoch: u32,
        metrics: &Metrics,
    ) -> Result<(), StorageError>;

    /// Records that a running trial's worker is alive.
    fn heartbeat(&self, study: &str, number: u64) -> Result<(), StorageError>;

    /// Stores the trial's state, history, score and message (called when it ends). A trial
    /// that has already ended is not changed: [`StorageError::Finished`].
    fn update_trial(&self, study: &str, trial: &Trial) -> Result<(), StorageError>;
}

/// Fails a trial whose worker stopped beating (what every backend records), marking it as
/// awaiting a retry.
pub(crate) fn mark_stale(trial: &mut Trial, grace: Duration) {
    trial.state = TrialState::Failed;
    trial.plan.attrs.insert(STALE.to_owned(), Value::Bool(true));
    trial.message = Some(format!(
        "no heartbeat for over {:.0?}: its worker died or hung; it is retried as a new trial",
        grace
    ));
}

/// The plan of the trial that retries `stale`: same values and budget, tagged with its origin.
pub fn retry_plan(stale: &Trial) -> TrialPlan {
    let mut plan = stale.plan.clone();
    plan.attrs.remove(STALE);
    plan.attrs
        .insert(RETRY_OF.to_owned(), Value::Int(stale.number as i64));
    plan
}

/// The trial a plan retries, if it is a retry.
pub fn retried(plan: &TrialPlan) -> Option<u64> {
    plan.attrs
        .get(RETRY_OF)
        .and_then(Value::as_int)
        .map(|n| n as u64)
}

/// Whether a trial was handed out by `ask` (no worker beats for it).
pub fn is_asked(trial: &Trial) -> bool {
    trial.plan.attrs.contains_key(ASKED_AT)
}

/// The oldest trial failed for a stale heartbeat that no trial retries yet. Failing and
/// retrying are separate steps (failing never waits for the study-wide lock), so whoever
/// creates the next trial retries it, even if the worker that failed it died in between.
pub fn awaiting_retry(trials: &[Trial]) -> Option<u64> {
    let retried: std::collections::HashSet<u64> =
        trials.iter().filter_map(|t| retried(&t.plan)).collect();
    trials
        .iter()
        .find(|t| {
            t.state == TrialState::Failed
                && t.plan.attrs.get(STALE) == Some(&Value::Bool(true))
                && !retried.contains(&t.number)
        })
        .map(|t| t.number)
}
