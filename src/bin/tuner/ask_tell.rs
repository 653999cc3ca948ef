//! `tuner ask` and `tuner tell`: a black-box search run from any language, one trial at a
//! time, through the library's [`Study`](tuner::study::Study).

use crate::error::CliError;
use serde_json::Value as Json;
use std::path::Path;
use std::time::Duration;
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

/// Records an asked trial's values (one per objective) or its failure, after its user
/// attributes.
pub fn tell(
    catalog: &Catalog,
    name: &str,
    number: u64,
    values: &[f64],
    fail: Option<&str>,
    attrs: &[(String, Json)],
) -> Result<(), CliError> {
    let study = catalog.load(name)?;
    if !attrs.is_empty() {
        study.set_user_attrs(number, attrs.iter().cloned())?;
    }
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

/// Fails the asked trials of `name` older than `older_than` and never told, and says which.
pub fn fail_abandoned(catalog: &Catalog, name: &str, older_than: Duration) -> Result<(), CliError> {
    let study = catalog.load(name)?;
    let failed = study.fail_abandoned(older_than)?;
    if failed.is_empty() {
        println!(
            "no asked trial of `{name}` is running and older than {}",
            age_text(older_than)
        );
    } else {
        let list: Vec<String> = failed.iter().map(u64::to_string).collect();
        println!(
            "failed {} abandoned trial(s) of `{name}` (asked over {} ago, never told): {}",
            failed.len(),
            age_text(older_than),
            list.join(", ")
        );
    }
    Ok(())
}

/// An age in seconds, in the form `parse_age` reads.
fn age_text(age: Duration) -> String {
    format!("{}s", age.as_secs_f64())
}

/// `--older-than`: seconds, or a number with a unit `s`, `m`, `h` or `d`.
pub fn parse_age(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        other => {
            return Err(format!(
                "unknown unit `{other}`: use s, m, h or d (e.g. 30m)"
            ))
        }
    };
    let value: f64 = number
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("`{text}` is not an age: give seconds or e.g. 90s, 30m, 2h, 1d"))?;
    Ok(Duration::from_secs_f64(value * scale))
}

/// `--attr KEY=VALUE`: the value as JSON when it parses (`3`, `true`, `[1, 2]`,
/// `"quoted"`), else as the string given.
pub fn parse_attr(text: &str) -> Result<(String, Json), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))?;
    if key.is_empty() {
        return Err(format!("`{text}` has no key before `=`"));
    }
    let json = serde_json::from_str(value).unwrap_or_else(|_| Json::from(value));
    Ok((key.to_owned(), json))
}
