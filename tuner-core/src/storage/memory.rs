//! In-process storage: for tests and throwaway searches; nothing survives the process.

use super::{Decide, Storage, StorageError, StudyConfig};
use crate::trial::{Metrics, Trial, TrialState};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One study: its configuration, trials, and each trial's last heartbeat.
#[derive(Debug)]
struct Study {
    config: StudyConfig,
    trials: Vec<Trial>,
    beats: Vec<Instant>,
}

/// Studies kept in memory behind a mutex.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    studies: Mutex<BTreeMap<String, Study>>,
}

impl MemoryStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_study<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut Study) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut studies = self.studies.lock().unwrap_or_else(|e| e.into_inner());
        let study = studies.get_mut(name).ok_or_else(|| StorageError::NoStudy {
            name: name.to_owned(),
            location: self.location(),
        })?;
        f(study)
    }

    fn running(study: &mut Study, name: &str, number: u64) -> Result<usize, StorageError> {
        match study.trials.get(number as usize) {
            None => Err(StorageError::NoTrial {
                study: name.to_owned(),
                number,
            }),
            Some(t) if t.state.is_finished() && t.state != TrialState::Invalid => {
                Err(StorageError::Finished {
                    study: name.to_owned(),
                    number,
                })
            }
            Some(_) => Ok(number as usize),
        }
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
        let entry = studies.entry(config.name.clone()).or_insert_with(|| Study {
            config: config.clone(),
            trials: Vec::new(),
            beats: Vec::new(),
        });
        Ok(entry.config.clone())
    }

    fn study_names(&self) -> Result<Vec<String>, StorageError> {
        let studies = self.studies.lock().unwrap_or_else(|e| e.into_inner());
        Ok(studies.keys().cloned().collect())
    }

    fn study(&self, name: &str) -> Result<StudyConfig, StorageError> {
        self.with_study(name, |s| Ok(s.config.clone()))
    }

    fn delete_study(&self, name: &str) -> Result<(), StorageError> {
        let mut studies = self.studies.lock().unwrap_or_else(|e| e.into_inner());
        studies
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| StorageError::NoStudy {
                name: name.to_owned(),
                location: self.location(),
            })
    }

    fn trials(&self, study: &str) -> Result<Vec<Trial>, StorageError> {
        self.with_study(study, |s| Ok(s.trials.clone()))
    }

    fn create_trial(
        &self,
        study: &str,
        stale_after: Option<Duration>,
        decide: &mut Decide<'_>,
    ) -> Result<Option<Trial>, StorageError> {
        self.with_study(study, |s| {
            let stale = stale_after.and_then(|grace| {
                (0..s.trials.len()).find(|&i| {
                    s.trials[i].state == TrialState::Running
                        && !super::is_asked(&s.trials[i])
                        && s.beats[i].elapsed() > grace
                })
            });
            // Decide on a copy in which the stale trial has failed; keep it only if a trial
            // is created, so a declined decision changes nothing.
            let mut view;
            let trials: &[Trial] = match stale {
                Some(i) => {
                    view = s.trials.clone();
                    super::mark_stale(&mut view[i], stale_after.unwrap_or_default());
                    &view
                }
                None => &s.trials,
            };
            let Some(plan) = decide(trials, super::awaiting_retry(trials)) else {
                return Ok(None);
            };
            if let Some(i) = stale {
                super::mark_stale(&mut s.trials[i], stale_after.unwrap_or_default());
                s.trials[i].datetime_complete = Some(crate::trial::now());
            }
            let mut trial = Trial::new(s.trials.len() as u64, plan);
            trial.datetime_start = Some(crate::trial::now());
            s.trials.push(trial.clone());
            s.beats.push(Instant::now());
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
        self.with_study(study, |s| {
            let i = Self::running(s, study, number)?;
            let trial = &mut s.trials[i];
            trial.history.insert(epoch, metrics.clone());
            s.beats[i] = Instant::now();
            Ok(())
        })
    }

    fn heartbeat(&self, study: &str, number: u64) -> Result<(), StorageError> {
        self.with_study(study, |s| {
            let i = Self::running(s, study, number)?;
            s.beats[i] = Instant::now();
            Ok(())
        })
    }

    fn update_trial(&self, study: &str, trial: &Trial) -> Result<(), StorageError> {
        self.with_study(study, |s| {
            let i = Self::running(s, study, trial.number)?;
            // The times are the storage's, as a database's rows keep them.
            let start = s.trials[i].datetime_start;
            s.trials[i] = trial.clone();
            s.trials[i].datetime_start = start;
            s.trials[i].datetime_complete =
                (!matches!(trial.state, TrialState::Running | TrialState::Invalid))
                    .then(crate::trial::now);
            Ok(())
        })
    }
}
