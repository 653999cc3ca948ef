//! `tuner ask` and `tuner tell`: a black-box search run from any language, one trial at a
//! time, through the library's [`Study`](tuner::study::Study).

use crate::error::CliError;
use std::path::Path;
use tuner::objective::Direction;
use tuner::oracle::OracleConfig;
use tuner::report::text::objectives_text;
use tuner::study::{space_file, Catalog, StudyRequest};
use tuner::trial::Metrics;
use tuner::tuner::{Outcome, TrialError};

/// The options of `tuner ask`.
pub struct AskArgs<'a> {
    /// The search space file, to create the study.
    pub space: Option<&'a Path>,
    /// The oracle of a new study.
    pub oracle: Option<OracleConfig>,
    /// The objective's name for a new study.
    pub objective: Option<String>,
    /// The objective's direction for a new study.
    pub direction: Option<Direction>,
    /// The study's seed.
    pub seed: u64,
    /// The most trials the study may hold.
    pub max_trials: Option<u64>,
}

/// Hands out a trial: prints `{"number", "params"}` (and its epochs, for Hyperband).
pub fn ask(catalog: &Catalog, name: &str, args: &AskArgs<'_>) -> Result<(), CliError> {
    let request = StudyRequest {
        space: args.space.map(space_file::read).transpose()?,
        oracle: args.oracle.clone(),
        objective: args.objective.clone(),
        direction: args.direction,
        seed: args.seed,
        max_trials: args.max_trials,
    };
    let trial = catalog.open(name, request)?.ask()?;
    let mut out = serde_json::json!({"number": trial.number, "params": trial.values()});
    if let Some(epochs) = trial.plan.epochs {
        out["epochs"] = epochs.into();
        out["initial_epoch"] = trial.plan.initial_epoch.into();
    }
    println!("{out}");
    Ok(())
}

/// Records an asked trial's values (one per objective) or its failure.
pub fn tell(
    catalog: &Catalog,
    name: &str,
    number: u64,
    values: &[f64],
    fail: Option<&str>,
) -> Result<(), CliError> {
    let study = catalog.load(name)?;
    let result: Result<Outcome, TrialError> = match fail {
        Some(message) => Err(TrialError::failed(message)),
        None => {
            let list = study.objectives().list();
            if values.len() != list.len() {
                return Err(CliError::ValueCount {
                    study: name.to_owned(),
                    count: list.len(),
                    objectives: objectives_text(study.objectives()),
                });
            }
            let metrics: Metrics = list
                .iter()
                .map(|o| o.name.clone())
                .zip(values.iter().copied())
                .collect();
            Ok(Outcome::Metrics(metrics))
        }
    };
    let trial = study.tell(number, result)?;
    match trial.score {
        Some(score) => println!(
            "trial {number} of `{name}`: {} with score {score}",
            trial.state
        ),
        None => println!(
            "trial {number} of `{name}`: {} ({})",
            trial.state,
            trial.message.unwrap_or_default()
        ),
    }
    Ok(())
}
