//! Opening a study from outside a program (`tuner ask`): each part not given is the stored
//! study's, and a new study gets the defaults of a black-box study.

use super::{Catalog, Study, StudyError};
use crate::objective::{Direction, Objective, Objectives};
use crate::oracle::{Oracle as _, OracleConfig, Tpe};
use crate::space::SearchSpace;
use crate::storage::StorageError;

/// The objective a new study gets when none is named.
pub const DEFAULT_OBJECTIVE: &str = "value";

/// What a caller gives about the study it asks trials of; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct StudyRequest {
    /// The search space: required to create the study; must equal a stored study's.
    pub space: Option<SearchSpace>,
    /// The oracle (default for a new study: TPE with Optuna's settings).
    pub oracle: Option<OracleConfig>,
    /// The objective's name (default for a new study: `value`).
    pub objective: Option<String>,
    /// The objective's direction (default: inferred from the name, else minimised).
    pub direction: Option<Direction>,
    /// The seed of the oracle's decisions.
    pub seed: u64,
    /// The most trials the study may hold.
    pub max_trials: Option<u64>,
}

impl StudyRequest {
    /// The objective named (or `default`), with the given or inferred direction (minimised
    /// when the name says nothing: a black-box value is usually a cost).
    fn objectives(&self, default: Option<&str>) -> Option<Objectives> {
        let name = self.objective.as_deref().or(default)?;
        let objective = match self.direction {
            Some(Direction::Minimize) => Objective::minimize(name),
            Some(Direction::Maximize) => Objective::maximize(name),
            None => Objective::infer(name).unwrap_or_else(|_| Objective::minimize(name)),
        };
        Some(objective.into())
    }
}

impl Catalog {
    /// The study `name` to ask trials of: resumed with the stored parts where the request
    /// gives none, or created from the request (which must give a space). A part that
    /// contradicts the stored study is [`StudyError::Conflict`]; a space that differs is
    /// [`StudyError::OtherSpace`]. Nothing is created when the request cannot make a study.
    pub fn open(&self, name: &str, request: StudyRequest) -> Result<Study, StudyError> {
        let missing = || StudyError::NoSpace {
            study: name.to_owned(),
        };
        if request.space.is_none() && !self.may_hold(name) {
            return Err(missing());
        }
        if request.space.as_ref().is_some_and(|s| s.is_empty()) {
            return Err(StudyError::EmptySpace {
                study: name.to_owned(),
            });
        }
        let storage = self.storage_for(name, request.space.is_some())?;
        let stored = match storage.study(name) {
            Ok(config) => Some(config),
            Err(StorageError::NoStudy { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let given_objectives = request.objectives(None);
        let new_objectives = request
            .objectives(Some(DEFAULT_OBJECTIVE))
            .expect("a default name gives an objective");
        let (space, objectives, oracle) = match stored {
            Some(config) => {
                if request.space.as_ref().is_some_and(|s| *s != config.space) {
                    return Err(StudyError::OtherSpace {
                        study: name.to_owned(),
                    });
                }
                // A direction without a name is about the stored objectives (each of them, in
                // a multi-objective study): the same is fine, another is a conflict, never
                // silently ignored.
                let given_objectives = match (&given_objectives, request.direction) {
                    (None, Some(direction)) => Objectives::new(
                        config
                            .objectives
                            .list()
                            .iter()
                            .map(|o| Objective {
                                direction,
                                ..o.clone()
                            })
                            .collect(),
                    ),
                    _ => given_objectives,
                };
                // A study Optuna created records no sampler: TPE, as Optuna's default.
                let stored_oracle = match crate::storage::optuna::optuna_refusal(&config.oracle) {
                    Some(_) => Tpe::new().config(),
                    None => config.oracle,
                };
                (
                    config.space,
                    given_objectives.unwrap_or(config.objectives),
                    request.oracle.unwrap_or(stored_oracle),
                )
            }
            None => (
                request.space.ok_or_else(missing)?,
                new_objectives,
                request.oracle.unwrap_or_else(|| Tpe::new().config()),
            ),
        };
        Ok(
            Study::open(storage, name, space, objectives, oracle.build()?, false)?
                .with_seed(request.seed)
                .with_max_trials(request.max_trials),
        )
    }
}
