//! What a search leaves behind: the best trials and params, KerasTuner's summary, progress lines.

use super::{Searchable, Tuner, TunerError};
use crate::objective::violation;
use crate::oracle::{BayesianOptimization, OracleConfig, OracleContext};
use crate::report::{self, StudyView};
use crate::space::HyperParameters;
use crate::trial::{Trial, TrialState};
use serde::Serialize;
use std::path::Path;
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
    /// CPU seconds of the whole process over the search (all threads, user + system), so a
    /// search's cost can be read on a loaded machine; the process's own work beside the search
    /// counts too.
    pub cpu_seconds: f64,
}

impl SearchReport {
    /// Stamps the wall and CPU time since `started`, at the end of a search.
    pub(crate) fn stamp(&mut self, started: (std::time::Instant, cpu_time::ProcessTime)) {
        self.seconds = started.0.elapsed().as_secs_f64();
        self.cpu_seconds = started.1.elapsed().as_secs_f64();
    }

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
        Ok(self.study.trials()?)
    }

    /// The `n` best completed trials, best first.
    pub fn best_trials(&self, n: usize) -> Result<Vec<Trial>, TunerError> {
        Ok(self.study.best(n)?)
    }

    /// The finished trial a Gaussian process over all finished trials predicts best: the
    /// smallest posterior mean of the (scalar) loss at an observation, see
    /// [`BayesianOptimization::best_by_posterior_mean`]. Under a noisy objective this is a
    /// better report than `best_trials(1)`, whose best observation favours lucky draws; on a
    /// deterministic one the two agree. The GP uses the study's output-warping setting when
    /// its oracle is Bayesian and the defaults otherwise, so it works after any oracle.
    pub fn best_predicted(&self) -> Result<Trial, TunerError> {
        let trials = self.trials()?;
        let bo = match &self.study.config().oracle {
            OracleConfig::Bayesian { output_warping, .. } => {
                BayesianOptimization::new().output_warping(*output_warping)
            }
            _ => BayesianOptimization::new(),
        };
        let ctx = OracleContext {
            space: self.study.space(),
            objectives: self.objectives(),
            trials: &trials,
            seed: self.study.seed(),
        };
        let number = bo.best_by_posterior_mean(&ctx).ok_or_else(|| {
            TunerError::NoResult(format!(
                "study `{}` has no finished trial with a finite score yet: run `search` first",
                self.study.name()
            ))
        })?;
        trials
            .into_iter()
            .find(|t| t.number == number)
            .ok_or_else(|| TunerError::NoResult(format!("trial {number} is not stored")))
    }

    /// The completed trials no other completed trial dominates in every objective (at each
    /// trial's best epoch), by number; with one objective, the best trial(s).
    pub fn pareto_front(&self) -> Result<Vec<Trial>, TunerError> {
        let done: Vec<Trial> = self
            .trials()?
            .into_iter()
            .filter(|t| t.state == TrialState::Completed && t.best_metrics().is_some())
            .collect();
        // Feasible trials only, when there are any (Optuna's front of a constrained study).
        let done = if done.iter().any(|t| violation(t) == 0.0) {
            done.into_iter().filter(|t| violation(t) == 0.0).collect()
        } else {
            done
        };
        let points: Vec<_> = done
            .iter()
            .map(|t| t.best_metrics().cloned().unwrap_or_default())
            .collect();
        Ok(self
            .objectives()
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
                self.study.name()
            )));
        }
        best.iter()
            .map(|t| self.model.decode(t.values()).map_err(TunerError::from))
            .collect()
    }

    /// How many more trials `max_trials` allows (`None` when unlimited).
    pub fn remaining_trials(&self) -> Result<Option<u64>, TunerError> {
        let used = self.trials()?.len() as u64;
        Ok(self.study.max_trials().map(|m| m.saturating_sub(used)))
    }

    /// KerasTuner's `results_summary` text for the `n` best trials.
    pub fn results_summary_string(&self, n: usize) -> Result<String, TunerError> {
        let trials = self.trials()?;
        let view = self.view(&trials);
        Ok(report::results_summary(
            &view,
            &self.settings.dir.display().to_string(),
            n,
        ))
    }

    /// The study as the [`report`] functions read it, with these trials.
    pub fn view<'a>(&'a self, trials: &'a [Trial]) -> StudyView<'a> {
        self.study.view(trials)
    }

    /// Writes every trial as CSV, one row per trial (see [`report::export::trials_csv`]).
    pub fn export_trials_csv(&self, path: impl AsRef<Path>) -> Result<(), TunerError> {
        let trials = self.trials()?;
        let csv = report::export::trials_csv(&self.view(&trials));
        Ok(report::export::write_file(path.as_ref(), &csv)?)
    }

    /// Writes every trial as a JSON array (see [`report::export::TrialRecord`]).
    pub fn export_trials_json(&self, path: impl AsRef<Path>) -> Result<(), TunerError> {
        let trials = self.trials()?;
        let json = report::export::trials_json(&self.view(&trials));
        Ok(report::export::write_file(path.as_ref(), &json)?)
    }

    /// Writes the best trial's params as JSON: for a `#[hypermodel]`, its typed params struct,
    /// which `serde_json::from_str::<MlpParams>` reads straight back.
    pub fn export_best_params(&self, path: impl AsRef<Path>) -> Result<(), TunerError>
    where
        S::Params: Serialize,
    {
        let best = self.best_params(1)?;
        Ok(report::export::write_json(path.as_ref(), &best[0])?)
    }

    /// Draws a plot of the study into `path` (`.svg` or `.png`).
    #[cfg(feature = "plots")]
    pub fn plot(
        &self,
        kind: report::plot::PlotKind,
        path: impl AsRef<Path>,
    ) -> Result<(), TunerError> {
        let trials = self.trials()?;
        Ok(report::plot::write(
            kind,
            &self.view(&trials),
            path.as_ref(),
        )?)
    }

    /// Each parameter's PED-ANOVA importance, most important first (see
    /// [`report::importance`]).
    pub fn param_importances(&self) -> Result<Vec<(String, f64)>, TunerError> {
        let trials = self.trials()?;
        Ok(report::importance::param_importances(&self.view(&trials)))
    }

    /// Prints [`results_summary_string`](Self::results_summary_string).
    pub fn results_summary(&self, n: usize) -> Result<(), TunerError> {
        print!("{}", self.results_summary_string(n)?);
        Ok(())
    }

    /// The search space as a table that fits 80 columns: a parameter a line with its kind,
    /// range, default and condition. KerasTuner's exact layout is `space().summary()`.
    pub fn search_space_summary(&self) -> String {
        report::console::space_text(self.model.space(), report::console::DEFAULT_WIDTH)
    }

    /// A finished trial's lines for the console, `width` columns wide (see
    /// [`report::console::trial_lines`]).
    pub(crate) fn progress_line(
        &self,
        trial: &Trial,
        elapsed: Duration,
        best: Option<&Trial>,
        width: usize,
    ) -> String {
        let total =
            report::console::planned_trials(self.study.max_trials(), &self.study.config().oracle);
        report::console::trial_lines(trial, total, best, elapsed, width)
    }
}
