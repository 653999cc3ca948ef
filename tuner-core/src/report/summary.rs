//! KerasTuner's `results_summary` text, for a tuner or any stored study.

use super::StudyView;
use std::fmt::Write;

/// KerasTuner's `results_summary` layout for the `n` best trials; `location` is what follows
/// "Results in" (the tuner's folder, or the storage's URL).
pub fn results_summary(study: &StudyView<'_>, location: &str, n: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Results summary");
    let _ = writeln!(out, "Results in {location}");
    let _ = writeln!(out, "Showing {n} best trials");
    match study.objectives.list() {
        [one] => {
            let _ = writeln!(out, "{one}");
        }
        many => {
            let list: Vec<String> = many.iter().map(|o| o.to_string()).collect();
            let _ = writeln!(out, "MultiObjective([{}])", list.join(", "));
        }
    }
    for trial in study.best(n) {
        let _ = writeln!(out);
        let _ = writeln!(out, "Trial {} summary", trial.id());
        let _ = writeln!(out, "Hyperparameters:");
        for (name, value) in trial.values().iter() {
            let _ = writeln!(out, "{name}: {value}");
        }
        if let Some(epochs) = trial.plan.epochs {
            let _ = writeln!(out, "tuner/epochs: {epochs}");
            let _ = writeln!(out, "tuner/initial_epoch: {}", trial.plan.initial_epoch);
        }
        if let Some(parent) = trial.plan.parent {
            let _ = writeln!(out, "tuner/trial_id: {parent:02}");
        }
        if let Some(score) = trial.score {
            let _ = writeln!(out, "Score: {score}");
        }
    }
    out
}
