//! Several objectives' results: the hypervolume of the front after each trial (how a
//! multi-objective search progresses, as Optuna's `plot_hypervolume_history`), and the front
//! as CSV.

use super::{Searchable, Tuner, TunerError};
use crate::objective::{hypervolume, violation, Objectives};
use crate::report::export::write_file;
use crate::trial::{Trial, TrialState};
use std::path::Path;
use thiserror::Error;

/// A reference point that does not fit the objectives.
#[derive(Debug, Clone, PartialEq, Error)]
#[error(
    "the hypervolume's reference point has {given} coordinates but the study has {objectives} \
     objectives: give one value per objective, in their order, worse than any value that \
     should count"
)]
pub struct ReferenceError {
    /// Coordinates given.
    pub given: usize,
    /// Objectives of the study.
    pub objectives: usize,
}

/// A completed, feasible trial's objectives as losses at its best epoch.
fn losses(objectives: &Objectives, trial: &Trial) -> Option<Vec<f64>> {
    if trial.state != TrialState::Completed || violation(trial) > 0.0 {
        return None;
    }
    objectives.losses(trial.best_metrics()?)
}

/// After each trial (by number), the hypervolume of the front of the completed feasible
/// trials so far, bounded by `reference` (one value per objective, in the objective's own
/// units: e.g. an accuracy to maximise of 0.5 counts only trials above 0.5).
pub fn hypervolume_history(
    objectives: &Objectives,
    trials: &[Trial],
    reference: &[f64],
) -> Result<Vec<(u64, f64)>, ReferenceError> {
    let list = objectives.list();
    if reference.len() != list.len() {
        return Err(ReferenceError {
            given: reference.len(),
            objectives: list.len(),
        });
    }
    let reference: Vec<f64> = list
        .iter()
        .zip(reference)
        .map(|(o, r)| o.loss(*r))
        .collect();
    let mut front: Vec<Vec<f64>> = Vec::new();
    let mut volume = 0.0;
    let mut history = Vec::with_capacity(trials.len());
    for trial in trials {
        if let Some(p) = losses(objectives, trial) {
            let covered = front.iter().any(|q| q.iter().zip(&p).all(|(a, b)| a <= b));
            if !covered {
                front.retain(|q| !p.iter().zip(q).all(|(a, b)| a <= b));
                front.push(p);
                volume = hypervolume(&front, &reference);
            }
        }
        history.push((trial.number, volume));
    }
    Ok(history)
}

/// The front's trials as CSV: `number`, each objective's value at the trial's best epoch,
/// then each parameter of the space (empty when inactive).
pub fn front_csv(objectives: &Objectives, params: &[String], front: &[Trial]) -> String {
    let mut out = String::from("number");
    for name in objectives.list().iter().map(|o| &o.name).chain(params) {
        out.push(',');
        out.push_str(&csv_field(name));
    }
    out.push('\n');
    for trial in front {
        out.push_str(&trial.number.to_string());
        let best = trial.best_metrics();
        for o in objectives.list() {
            out.push(',');
            if let Some(v) = best.and_then(|m| m.get(&o.name)) {
                out.push_str(&v.to_string());
            }
        }
        for name in params {
            out.push(',');
            if let Some(v) = trial.values().get(name) {
                out.push_str(&csv_field(&v.to_string()));
            }
        }
        out.push('\n');
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

impl<S: Searchable> Tuner<S> {
    /// The hypervolume of the front after each trial; see [`hypervolume_history`].
    pub fn hypervolume_history(&self, reference: &[f64]) -> Result<Vec<(u64, f64)>, TunerError> {
        let trials = self.trials()?;
        hypervolume_history(self.objectives(), &trials, reference)
            .map_err(|e| TunerError::BadArgument(e.to_string()))
    }

    /// Writes [`pareto_front`](Self::pareto_front) as CSV to `path` (see [`front_csv`]).
    pub fn export_pareto_front(&self, path: &Path) -> Result<(), TunerError> {
        let front = self.pareto_front()?;
        let params: Vec<String> = self
            .space()
            .params()
            .iter()
            .map(|p| p.name.clone())
            .collect();
        Ok(write_file(
            path,
            &front_csv(self.objectives(), &params, &front),
        )?)
    }
}
