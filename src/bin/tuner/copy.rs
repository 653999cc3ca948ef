//! `tuner copy`: a study with its trials into another storage or under another name, as
//! Optuna's `copy_study`, through the library's `Storage` interface.

use crate::error::CliError;
use std::sync::Arc;
use tuner::storage::{self, Storage, StorageError};
use tuner::study::{Catalog, StudyError};
use tuner::trial::TrialState;

/// Copies study `name` to `to` (a storage URL; by default the folder layout) as `as_name`
/// (by default the same name): its configuration, then each trial in order with its params,
/// attributes, curve, state and score. The copy's trials keep their numbers; their times are
/// the copy's.
pub fn copy(
    catalog: &Catalog,
    name: &str,
    to: Option<&str>,
    as_name: Option<&str>,
) -> Result<(), CliError> {
    let storage_error = |e: StorageError| CliError::from(StudyError::from(e));
    let source = catalog.load(name)?;
    let target_name = as_name.unwrap_or(name);
    let target: Arc<dyn Storage> = match to {
        Some(url) => storage::open(url).map_err(storage_error)?,
        None if target_name == name => return Err(CliError::CopyOntoItself(name.to_owned())),
        None => catalog.storage_for(target_name, true)?,
    };
    if target
        .study_names()
        .map_err(storage_error)?
        .iter()
        .any(|n| n == target_name)
    {
        return Err(CliError::CopyExists {
            study: target_name.to_owned(),
            location: target.location(),
        });
    }
    let mut config = source.config().clone();
    config.name = target_name.to_owned();
    target.open_study(&config, false).map_err(storage_error)?;
    let trials = source.trials()?;
    for trial in &trials {
        let mut plan = Some(trial.plan.clone());
        let copied = target
            .create_trial(target_name, None, &mut |_, _| plan.take())
            .map_err(storage_error)?
            .expect("a trial is always created from a given plan");
        if trial.state == TrialState::Running {
            // Still running where it came from: its epochs so far, and it stays running.
            for (epoch, metrics) in trial.history.clone().into_vec() {
                target
                    .report(target_name, copied.number, epoch, &metrics)
                    .map_err(storage_error)?;
            }
        } else {
            let mut ended = trial.clone();
            ended.number = copied.number;
            target
                .update_trial(target_name, &ended)
                .map_err(storage_error)?;
        }
    }
    println!(
        "copied study `{name}` ({} trials) to `{target_name}` in {}",
        trials.len(),
        target.location()
    );
    Ok(())
}
