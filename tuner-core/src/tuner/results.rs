//! What a search leaves behind: the best trials and params, KerasTuner's summary, progress lines.

use super::{Searchable, Tuner, TunerError};
use crate::space::HyperParameters;
use crate::trial::{sort_best_first, Trial, TrialState};
use std::fmt::Write;
use std::time::Duration;

/// Counts of what one `search` call did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchReport {
    /// Trials this call ran.
    pub trials: u64,
    /// Of which Completed.
    pub completed: u64,
    /// Of which Failed.
    pub failed: u64,
    /// Retries of Invalid trials.
    pub retries: u64,
    /// Why the search ended.
    pub stop_reason: String,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl SearchReport {
    pub(crate) fn record(&mut self, trial: &Trial) {
        self.trials += 1;
        self.retries += trial.retries as u64;
        match trial.state {
            TrialState::Completed => self.completed += 1,
            TrialState::Failed => self.failed += 1,
            _ => {}
        }
    }
}

impl<S: Searchable> Tuner<S> {
    /// Every trial of the study, by number.
    pub fn trials(&self) -> Result<Vec<Trial>, TunerError> {
        Ok(self.storage.trials(&self.study)?)
    }

    /// The `n` best completed trials, best first.
    pub fn best_trials(&self, n: usize) -> Result<Vec<Trial>, TunerError> {
        let trials = self.trials()?;
        let mut done: Vec<&Trial> = trials
            .iter()
            .filter(|t| t.state == TrialState::Completed && t.score.is_some())
            .collect();
        sort_best_first(&mut done, self.objectives.direction());
        Ok(done.into_iter().take(n).cloned().collect())
    }

    /// The completed trials no other completed trial dominates in every objective (at each
    /// trial's best epoch), by number; with one objective, the best trial(s).
    pub fn pareto_front(&self) -> Result<Vec<Trial>, TunerError> {
        let done: Vec<Trial> = self
            .trials()?
            .into_iter()
            .filter(|t| t.state == TrialState::Completed && t.best_metrics().is_some())
            .collect();
        let points: Vec<_> = done
            .iter()
            .map(|t| t.best_metrics().cloned().unwrap_or_default())
            .collect();
        Ok(self
            .objectives
            .pareto_front(&points)
            .into_iter()
            .map(|i| done[i].clone())
            .collect())
    }

    /// The values of the `n` best trials, best first.
    pub fn best_values(&self, n: usize) -> Result<Vec<HyperParameters>, TunerError> {
        Ok(self
            .best_trials(n)?
            .into_iter()
            .map(|t| t.plan.values)
            .collect())
    }

    /// The typed params of the `n` best trials, best first; an error if none completed.
    pub fn best_params(&self, n: usize) -> Result<Vec<S::Params>, TunerError> {
        let best = self.best_trials(n)?;
        if best.is_empty() {
            return Err(TunerError::NoResult(format!(
                "study `{}` has no completed trial yet: run `search` first",
                self.study
            )));
        }
        best.iter()
            .map(|t| self.model.decode(t.values()).map_err(TunerError::from))
            .collect()
    }

    /// How many more trials `max_trials` allows (`None` when unlimited).
    pub fn remaining_trials(&self) -> Result<Option<u64>, TunerError> {
        let used = self.trials()?.len() as u64;
        Ok(self.settings.max_trials.map(|m| m.saturating_sub(used)))
    }

    /// KerasTuner's `results_summary` text for the `n` best trials.
    pub fn results_summary_string(&self, n: usize) -> Result<String, TunerError> {
        let mut out = String::new();
        let _ = writeln!(out, "Results summary");
        let _ = writeln!(out, "Results in {}", self.settings.dir.display());
        let _ = writeln!(out, "Showing {n} best trials");
        match self.objectives.list() {
            [one] => {
                let _ = writeln!(out, "{one}");
            }
            many => {
                let list: Vec<String> = many.iter().map(|o| o.to_string()).collect();
                let _ = writeln!(out, "MultiObjective([{}])", list.join(", "));
            }
        }
        for trial in self.best_trials(n)? {
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
        Ok(out)
    }

    /// Prints [`results_summary_string`](Self::results_summary_string).
    pub fn results_summary(&self, n: usize) -> Result<(), TunerError> {
        print!("{}", self.results_summary_string(n)?);
        Ok(())
    }

    /// KerasTuner's `search_space_summary` text.
    pub fn search_space_summary(&self) -> String {
        self.model.space().summary()
    }

    /// One line for a finished trial: number, state, values, score, best so far, elapsed.
    pub(crate) fn progress_line(
        &self,
        trial: &Trial,
        elapsed: Duration,
    ) -> Result<String, TunerError> {
        let of = self
            .settings
            .max_trials
            .map_or(String::new(), |m| format!("/{m}"));
        let values: Vec<String> = trial
            .values()
            .iter()
            .map(|(k, v)| format!("{k}={}", short(v)))
            .collect();
        let mut line = format!(
            "Trial {}{of} {} in {:.1}s [{}]",
            trial.id(),
            trial.state,
            trial.seconds,
            values.join(", ")
        );
        if let Some(epochs) = trial.plan.epochs {
            let _ = write!(line, " epochs {}..{}", trial.plan.initial_epoch, epochs);
        }
        match (trial.score, &trial.message) {
            (Some(s), _) => {
                let _ = write!(line, " score {s:.6}");
            }
            (None, Some(m)) => {
                let _ = write!(line, " ({m})");
            }
            _ => {}
        }
        if let Some(best) = self.best_trials(1)?.first() {
            let _ = write!(
                line,
                " | best {:.6} (trial {})",
                best.score.unwrap_or(f64::NAN),
                best.id()
            );
        }
        let _ = write!(line, " | elapsed {:.0}s", elapsed.as_secs_f64());
        Ok(line)
    }
}

fn short(v: &crate::space::Value) -> String {
    match v {
        crate::space::Value::Float(f) => format!("{f:.4e}")
            .parse::<f64>()
            .map_or_else(|_| f.to_string(), |x| format!("{x}")),
        other => other.to_string(),
    }
}
