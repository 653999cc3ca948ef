//! In-process storage: for tests and throwaway searches; nothing survives the process.

use super::{Storage, StorageError, StudyConfig};
use crate::trial::{Metrics, Trial, TrialPlan};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Studies kept in memory behind a mutex.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    studies: Mutex<BTreeMap<String, (StudyConfig, Vec<Trial>)>>,
}

impl MemoryStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_study<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut (StudyConfig, Vec<Trial>)) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut studies = self.studies.lock().unwrap_or_else(|e| e.into_inner());
        let study = studies
            .get_mut(name)
            .ok_or_else(|| StorageError::NoStudy(name.to_owned()))?;
        f(study)
    }
}

impl Storage for MemoryStorage {
    fn location(&self) -> String {
        "memory".to_owned()
    }

    fn open_study(
        &self,
        config: &StudyConfig,
        overwrite: bool,
    ) -> Result<StudyConfig, StorageError> {
        let mut studies = self.studies.lock().unwrap_or_else(|e| e.into_inner());
        if overwrite {
            studies.remove(&config.name);
        }
        let entry = studies
            .entry(config.name.clone())
            .or_insert_with(|| (config.clone(), Vec::new()));
        Ok(entry.0.clone())
    }

    fn study_names(&self) -> Result<Vec<String>, StorageError> {
        let studies = self.studies.lock().unwrap_or_else(|e| e.into_inner());
        Ok(studies.keys().cloned().collect())
    }

    fn study(&self, name: &str) -> Result<StudyConfig, StorageError> {
        self.with_study(name, |s| Ok(s.0.clone()))
    }

    fn delete_study(&self, name: &str) -> Result<(), StorageError> {
        let mut studies = self.studies.lock().unwrap_or_else(|e| e.into_inner());
        studies
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| StorageError::NoStudy(name.to_owned()))
    }

    fn trials(&self, study: &str) -> Result<Vec<Trial>, StorageError> {
        self.with_study(study, |s| Ok(s.1.clone()))
    }

    fn create_trial(
        &self,
        study: &str,
        decide: &mut dyn FnMut(&[Trial]) -> Option<TrialPlan>,
    ) -> Result<Option<Trial>, StorageError> {
        self.with_study(study, |(_, trials)| {
            let Some(plan) = decide(trials) else {
                return Ok(None);
            };
            let trial = Trial::new(trials.len() as u64, plan);
            trials.push(trial.clone());
            Ok(Some(trial))
        })
    }

    fn report(
        &self,
        study: &str,
        number: u64,
        epoch: u32,
        metrics: &Metrics,
    ) -> Result<(), StorageError> {
        self.with_study(study, |(_, trials)| {
            let trial = trials
                .get_mut(number as usize)
                .ok_or_else(|| StorageError::NoTrial {
                    study: study.to_owned(),
                    number,
                })?;
            trial.history.retain(|(e, _)| *e != epoch);
            trial.history.push((epoch, metrics.clone()));
            trial.history.sort_by_key(|(e, _)| *e);
            Ok(())
        })
    }

    fn update_trial(&self, study: &str, trial: &Trial) -> Result<(), StorageError> {
        self.with_study(study, |(_, trials)| {
            let slot =
                trials
                    .get_mut(trial.number as usize)
                    .ok_or_else(|| StorageError::NoTrial {
                        study: study.to_owned(),
                        number: trial.number,
                    })?;
            *slot = trial.clone();
            Ok(())
        })
    }
}
