//! Trials as data: one JSON record or CSV row per trial (number, state, params, score,
//! per-metric best values, start and completion times, duration), as Optuna's
//! `trials_dataframe`, and JSON files of params that serde reads back.
//!
//! A metric's best value follows its direction: the objectives' own, else the one inferred
//! from its name as KerasTuner does (`loss` down, `accuracy` up); a metric whose direction
//! cannot be inferred reports its value at the trial's best epoch.

use super::{ReportError, StudyView};
use crate::space::{HyperParameters, Value};
use crate::trial::{time_text, Direction, Metrics, NaiveDateTime, Trial, TrialState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

/// One trial as exported: what it tried, how it ended and what it scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialRecord {
    /// Number within the study.
    pub number: u64,
    /// How it ended (or `RUNNING`).
    pub state: TrialState,
    /// The values tried (live params only).
    pub params: HyperParameters,
    /// The objective's best value over the epochs.
    pub score: Option<f64>,
    /// The epoch the score comes from.
    pub best_epoch: Option<u32>,
    /// Each metric's best value over the epochs (see the module notes for "best").
    pub metrics: BTreeMap<String, f64>,
    /// When it started, UTC, as ISO 8601 (Optuna's `datetime_start`).
    #[serde(default, with = "iso_time")]
    pub datetime_start: Option<NaiveDateTime>,
    /// When it completed, UTC, as ISO 8601 (Optuna's `datetime_complete`).
    #[serde(default, with = "iso_time")]
    pub datetime_complete: Option<NaiveDateTime>,
    /// Wall-clock seconds spent on it.
    pub duration_s: f64,
    /// How often it was retried after being Invalid.
    pub retries: u32,
    /// Why it failed or stopped, if it did.
    pub message: Option<String>,
    /// Every epoch's metrics, in order (the learning curve).
    pub history: Vec<EpochRecord>,
}

/// One epoch of a trial's learning curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// The epoch (from 0).
    pub epoch: u32,
    /// Its metrics.
    pub metrics: Metrics,
}

impl TrialRecord {
    /// The record of `trial` in `study`.
    pub fn of(study: &StudyView<'_>, trial: &Trial) -> Self {
        Self {
            number: trial.number,
            state: trial.state,
            params: trial.values().clone(),
            score: trial.score,
            best_epoch: trial.best_epoch,
            metrics: best_metric_values(study, trial),
            datetime_start: trial.datetime_start,
            datetime_complete: trial.datetime_complete,
            duration_s: trial.seconds,
            retries: trial.retries,
            message: trial.message.clone(),
            history: trial
                .history
                .iter()
                .map(|(epoch, metrics)| EpochRecord {
                    epoch: *epoch,
                    metrics: metrics.clone(),
                })
                .collect(),
        }
    }
}

/// Which way a metric improves: the objectives' direction, else inferred from its name.
fn metric_direction(study: &StudyView<'_>, name: &str) -> Option<Direction> {
    study
        .objectives
        .list()
        .iter()
        .find(|o| o.name == name)
        .map(|o| o.direction)
        .or_else(|| Direction::infer(name).ok())
}

/// Each metric's best value over the trial's epochs (NaN epochs never win).
pub fn best_metric_values(study: &StudyView<'_>, trial: &Trial) -> BTreeMap<String, f64> {
    let names: BTreeSet<&String> = trial.history.iter().flat_map(|(_, m)| m.keys()).collect();
    let mut out = BTreeMap::new();
    for name in names {
        let value = match metric_direction(study, name) {
            Some(direction) => {
                direction.best_of(trial.history.metric(name).into_iter().map(|(_, v)| v))
            }
            None => trial
                .best_metrics()
                .or_else(|| trial.history.last().map(|(_, m)| m))
                .and_then(|m| m.get(name.as_str()).copied()),
        };
        if let Some(v) = value {
            out.insert(name.clone(), v);
        }
    }
    out
}

/// Every trial's record, by number.
pub fn trial_records(study: &StudyView<'_>) -> Vec<TrialRecord> {
    study
        .trials
        .iter()
        .map(|t| TrialRecord::of(study, t))
        .collect()
}

/// The trials as a pretty-printed JSON array of [`TrialRecord`]s (non-finite numbers as null).
pub fn trials_json(study: &StudyView<'_>) -> String {
    let mut json = serde_json::to_string_pretty(&trial_records(study))
        .unwrap_or_else(|e| format!("\"unserialisable trials: {e}\""));
    json.push('\n');
    json
}

/// The trials as CSV, one row per trial: `number, state, score, best_epoch, datetime_start,
/// datetime_complete, duration_s, retries` (times as ISO 8601, UTC), then `params_<name>` for each parameter (space order, then any others),
/// `best_<metric>` for each metric (sorted), and `message`. Empty cells are missing values.
pub fn trials_csv(study: &StudyView<'_>) -> String {
    let mut params: Vec<String> = study
        .space
        .params()
        .iter()
        .map(|p| p.name.clone())
        .collect();
    let extra: BTreeSet<&str> = study
        .trials
        .iter()
        .flat_map(|t| t.values().iter().map(|(k, _)| k))
        .filter(|k| study.space.get(k).is_none())
        .collect();
    params.extend(extra.into_iter().map(str::to_owned));
    let records = trial_records(study);
    let metrics: BTreeSet<&String> = records.iter().flat_map(|r| r.metrics.keys()).collect();

    let mut header: Vec<String> = [
        "number",
        "state",
        "score",
        "best_epoch",
        "datetime_start",
        "datetime_complete",
        "duration_s",
        "retries",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(params.iter().map(|p| format!("params_{p}")));
    header.extend(metrics.iter().map(|m| format!("best_{m}")));
    header.push("message".to_owned());

    let mut out = String::new();
    write_row(&mut out, header.iter().map(String::as_str));
    for r in &records {
        let mut cells: Vec<String> = vec![
            r.number.to_string(),
            r.state.to_string(),
            r.score.map(float).unwrap_or_default(),
            r.best_epoch.map(|e| e.to_string()).unwrap_or_default(),
            r.datetime_start.as_ref().map(time_text).unwrap_or_default(),
            r.datetime_complete
                .as_ref()
                .map(time_text)
                .unwrap_or_default(),
            float(r.duration_s),
            r.retries.to_string(),
        ];
        cells.extend(
            params
                .iter()
                .map(|p| r.params.get(p).map(value_cell).unwrap_or_default()),
        );
        cells.extend(
            metrics
                .iter()
                .map(|m| r.metrics.get(*m).map(|v| float(*v)).unwrap_or_default()),
        );
        cells.push(r.message.clone().unwrap_or_default());
        write_row(&mut out, cells.iter().map(String::as_str));
    }
    out
}

/// Writes `value` as pretty JSON to `path`: e.g. a `#[hypermodel]`'s typed params, which
/// `serde_json::from_str::<MlpParams>` reads straight back.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), ReportError> {
    let mut json = serde_json::to_string_pretty(value).map_err(|e| ReportError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    json.push('\n');
    write_file(path, &json)
}

/// Writes `text` to `path`, creating its folder.
pub fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)
}

/// An optional time as the same ISO 8601 text the CSV has (`null` when unknown).
mod iso_time {
    use crate::trial::{parse_stored_time, time_text, NaiveDateTime};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&time_text(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => parse_stored_time(&text).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("`{text}` is not a time like 2026-12-02T13:21:46"))
            }),
        }
    }
}

/// A float as its shortest round-trip digits (`NaN`, `inf`, `-inf` for the others).
fn float(v: f64) -> String {
    format!("{v}")
}

fn value_cell(v: &Value) -> String {
    match v {
        Value::Float(f) => float(*f),
        other => other.to_string(),
    }
}

/// One RFC 4180 row: cells holding a comma, quote or line break are quoted.
fn write_row<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            let _ = write!(out, "\"{}\"", cell.replace('"', "\"\""));
        } else {
            out.push_str(cell);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_with_separators_are_quoted() {
        let mut out = String::new();
        write_row(&mut out, ["a", "b,c", "say \"hi\"", "x\ny"].into_iter());
        assert_eq!(out, "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\"\n");
    }
}
