//! A study: its name, its configuration (space, objectives, oracle) and the storage holding
//! its trials, with everything done to it: open or load, ask, report, tell, read the trials
//! and the best ones. The search loop ([`Tuner`](crate::Tuner)), ask and tell, and the `tuner`
//! command all go through it, and every trial ends through the one [`Study::finish`].
//!
//! ```
//! use std::sync::Arc;
//! use tuner_core::objective::Objective;
//! use tuner_core::oracle::RandomSearch;
//! use tuner_core::space::{Param, SearchSpace};
//! use tuner_core::storage::MemoryStorage;
//! use tuner_core::study::Study;
//! use tuner_core::tuner::TrialError;
//!
//! let space = SearchSpace::builder().param(Param::float("x", -2.0, 2.0)).build()?;
//! let storage = Arc::new(MemoryStorage::new());
//! let objectives = Objective::minimize("loss").into();
//! let oracle = Box::new(RandomSearch::new());
//! let study = Study::open(storage.clone(), "demo", space, objectives, oracle, false)?;
//! for _ in 0..4 {
//!     let trial = study.ask()?;
//!     let x: f64 = trial.values().get_as("x")?;
//!     study.tell(trial.number, Ok::<_, TrialError>((x - 1.0).powi(2)))?;
//! }
//! // Another program reads the same study by name.
//! let again = Study::load(storage, "demo")?;
//! assert_eq!(again.trials()?.len(), 4);
//! assert!(again.best(1)?[0].score.unwrap() >= 0.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ask_tell;
mod catalog;
mod config;
mod constraints;
mod enqueue;
mod error;
mod finish;
mod request;
pub mod space_file;
mod view;

pub use ask_tell::ASKED_AT;
pub use catalog::{Catalog, Deleted, Survey, STUDY_DB};
pub use config::StudyConfig;
pub use enqueue::{is_seeded, Seeded, FIXED_PARAMS, SEEDED_FROM};
pub use error::StudyError;
pub use finish::{Finished, Ran};
pub use request::{StudyRequest, DEFAULT_OBJECTIVE};
pub use view::StudyView;

pub(crate) use ask_tell::Next;

use crate::objective::Objectives;
use crate::oracle::{Oracle, OracleConfigError};
use crate::pruner::Pruner;
use crate::space::SearchSpace;
use crate::storage::{optuna, Storage, StorageError};
use crate::trial::{Trial, TrialState};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A study: name, configuration and storage, and the oracle and pruner that act on it.
pub struct Study {
    config: StudyConfig,
    storage: Arc<dyn Storage>,
    /// A loaded study's oracle is rebuilt from its stored settings; when that fails (a custom
    /// oracle, an Optuna study tuner cannot sample) only asking fails, so read commands work
    /// on any study.
    oracle: Result<Box<dyn Oracle>, CannotAsk>,
    pruner: Option<Box<dyn Pruner>>,
    seed: u64,
    max_trials: Option<u64>,
    /// What `report` answered per trial: the epoch it said stop at, or `None` if it never
    /// did. `tell` keeps that verdict rather than asking the pruner again, whose answer may
    /// have changed as other trials ended.
    verdicts: Mutex<HashMap<u64, Option<u32>>>,
    /// Configurations enqueued through this handle (see [`Study::enqueue`]).
    queue: Mutex<Vec<crate::space::HyperParameters>>,
    /// The metrics that are constraint values (see [`Study::with_constraints`]).
    constraints: Vec<String>,
}

impl std::fmt::Debug for Study {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Study")
            .field("name", &self.config.name)
            .field("location", &self.storage.location())
            .field("oracle", &self.config.oracle.name())
            .finish_non_exhaustive()
    }
}

impl Study {
    /// Creates the study in `storage`, or resumes it when it is stored with the same space,
    /// objectives and oracle settings ([`StudyError::Conflict`] names the one that differs);
    /// with `overwrite`, a stored study of that name is replaced.
    pub fn open(
        storage: Arc<dyn Storage>,
        name: &str,
        space: SearchSpace,
        objectives: Objectives,
        oracle: Box<dyn Oracle>,
        overwrite: bool,
    ) -> Result<Self, StudyError> {
        let config = StudyConfig {
            name: name.to_owned(),
            space,
            objectives,
            oracle: oracle.config(),
        };
        let mut stored = storage.open_study(&config, overwrite)?;
        match optuna::optuna_refusal(&stored.oracle) {
            // A study Optuna created records no sampler: any oracle may continue it, in its
            // space and for its objectives.
            Some(None) => stored.oracle = config.oracle.clone(),
            Some(Some(why)) => {
                return Err(StudyError::OptunaSpace {
                    study: name.to_owned(),
                    why,
                })
            }
            None => {}
        }
        config.check_resume(&stored)?;
        Ok(Self::with_parts(config, storage, Ok(oracle)))
    }

    /// The stored study `name`, as it was created ([`StorageError::NoStudy`] if there is none).
    /// A study Optuna created is read with the configuration its rows imply, and asked with
    /// TPE (Optuna's default sampler) when tuner has a kind for each of its distributions.
    pub fn load(storage: Arc<dyn Storage>, name: &str) -> Result<Self, StudyError> {
        let config = storage.study(name)?;
        let oracle = match optuna::optuna_refusal(&config.oracle) {
            Some(None) => Ok(Box::new(crate::oracle::Tpe::new()) as Box<dyn Oracle>),
            Some(Some(why)) => Err(CannotAsk::Optuna(why)),
            None => config.oracle.build().map_err(CannotAsk::Config),
        };
        Ok(Self::with_parts(config, storage, oracle))
    }

    /// Whether Optuna created the study (tuner derived its configuration from Optuna's rows).
    pub fn created_by_optuna(&self) -> bool {
        optuna::optuna_refusal(&self.config.oracle).is_some()
    }

    fn with_parts(
        config: StudyConfig,
        storage: Arc<dyn Storage>,
        oracle: Result<Box<dyn Oracle>, CannotAsk>,
    ) -> Self {
        Self {
            config,
            storage,
            oracle,
            pruner: None,
            seed: 0,
            max_trials: None,
            verdicts: Mutex::new(HashMap::new()),
            queue: Mutex::new(Vec::new()),
            constraints: Vec::new(),
        }
    }

    /// Stops unpromising trials early from their reported epochs.
    pub fn with_pruner(mut self, pruner: Option<Box<dyn Pruner>>) -> Self {
        self.pruner = pruner;
        self
    }

    /// The seed the oracle's decisions derive from (not stored: each worker gives its own).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The most trials the study may hold (all states count, as in KerasTuner).
    pub fn with_max_trials(mut self, max_trials: Option<u64>) -> Self {
        self.max_trials = max_trials;
        self
    }

    /// The study's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// What the study is: name, space, objectives, oracle settings.
    pub fn config(&self) -> &StudyConfig {
        &self.config
    }

    /// The space searched.
    pub fn space(&self) -> &SearchSpace {
        &self.config.space
    }

    /// The objective(s) optimised.
    pub fn objectives(&self) -> &Objectives {
        &self.config.objectives
    }

    /// The storage holding the study.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The study's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The most trials the study may hold, if limited.
    pub fn max_trials(&self) -> Option<u64> {
        self.max_trials
    }

    /// The pruner, if any.
    pub fn pruner(&self) -> Option<&dyn Pruner> {
        self.pruner.as_deref()
    }

    /// The oracle's name (a custom oracle's own).
    pub fn oracle_name(&self) -> &str {
        self.config.oracle.name()
    }

    /// Every trial of the study, by number.
    pub fn trials(&self) -> Result<Vec<Trial>, StudyError> {
        Ok(self.storage.trials(&self.config.name)?)
    }

    /// Trial `number`.
    pub fn trial(&self, number: u64) -> Result<Trial, StudyError> {
        self.trials()?
            .into_iter()
            .find(|t| t.number == number)
            .ok_or_else(|| {
                StorageError::NoTrial {
                    study: self.config.name.clone(),
                    number,
                }
                .into()
            })
    }

    /// Trial `number`, which must still be running.
    pub fn running(&self, number: u64) -> Result<Trial, StudyError> {
        let trial = self.trial(number)?;
        if trial.state != TrialState::Running {
            return Err(StudyError::NotRunning {
                study: self.config.name.clone(),
                number,
                state: trial.state,
            });
        }
        Ok(trial)
    }

    /// The `n` best completed trials, best first for the objectives' direction (ties by
    /// number); empty when none has completed.
    pub fn best(&self, n: usize) -> Result<Vec<Trial>, StudyError> {
        let trials = self.trials()?;
        Ok(self.view(&trials).best(n).into_iter().cloned().collect())
    }

    /// Like [`best`](Self::best), but a study with no completed trial is an error saying so.
    pub fn best_completed(&self, n: usize) -> Result<Vec<Trial>, StudyError> {
        let trials = self.trials()?;
        let best: Vec<Trial> = self.view(&trials).best(n).into_iter().cloned().collect();
        if best.is_empty() {
            return Err(StudyError::NoCompleted {
                study: self.config.name.clone(),
                trials: trials.len(),
            });
        }
        Ok(best)
    }

    /// The study as the [`report`] functions read it, with these trials.
    pub fn view<'a>(&'a self, trials: &'a [Trial]) -> StudyView<'a> {
        StudyView::from_config(&self.config, trials)
    }

    /// The oracle that decides the study's trials.
    fn oracle(&self) -> Result<&dyn Oracle, StudyError> {
        match &self.oracle {
            Ok(oracle) => Ok(oracle.as_ref()),
            Err(CannotAsk::Config(e)) => Err(e.clone().into()),
            Err(CannotAsk::Optuna(why)) => Err(StudyError::OptunaSpace {
                study: self.config.name.clone(),
                why: why.clone(),
            }),
        }
    }
}

/// Why a loaded study has no oracle to ask trials with.
enum CannotAsk {
    /// Its stored oracle settings cannot be rebuilt.
    Config(OracleConfigError),
    /// Optuna created it with distributions tuner has no kind for.
    Optuna(String),
}
