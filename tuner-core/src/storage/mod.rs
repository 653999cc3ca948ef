//! Where studies and their trials live: the `Storage` trait and its backends.

mod memory;

pub use memory::MemoryStorage;

use crate::objective::Objectives;
use crate::space::SearchSpace;
use crate::trial::{Metrics, Trial, TrialPlan};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What a study is: fixed when it is created, checked when it is resumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyConfig {
    /// The study's name (the tuner's `project_name`).
    pub name: String,
    /// The space searched.
    pub space: SearchSpace,
    /// What is optimised.
    pub objectives: Objectives,
    /// The oracle's name and settings.
    pub oracle: serde_json::Value,
}

/// A storage backend failed or refused.
#[derive(Debug, Error)]
pub enum StorageError {
    /// No study of that name.
    #[error("no study named `{0}` in this storage: check the name, or create it")]
    NoStudy(String),
    /// No trial with that number.
    #[error("study `{study}` has no trial number {number}")]
    NoTrial {
        /// Study name.
        study: String,
        /// Trial number.
        number: u64,
    },
    /// The backend itself failed (I/O, database, corrupt data).
    #[error("storage `{location}`: {message}")]
    Backend {
        /// The file, URL or backend.
        location: String,
        /// What went wrong.
        message: String,
    },
}

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

    /// Atomically reads the trials, asks `decide` for a plan and stores it as a new Running trial
    /// with the next number; `None` when `decide` declines. Workers sharing the storage never
    /// see each other's half-made decisions.
    fn create_trial(
        &self,
        study: &str,
        decide: &mut dyn FnMut(&[Trial]) -> Option<TrialPlan>,
    ) -> Result<Option<Trial>, StorageError>;

    /// Records one epoch's metrics of a running trial (intermediate values; also a heartbeat).
    fn report(
        &self,
        study: &str,
        number: u64,
        epoch: u32,
        metrics: &Metrics,
    ) -> Result<(), StorageError>;

    /// Stores the trial's state, history, score and message (called when it ends).
    fn update_trial(&self, study: &str, trial: &Trial) -> Result<(), StorageError>;
}
