//! The search loop: ask the oracle (atomically, through the storage), run, record, repeat.

use super::run::{average, catch, curve, Control, Outcome, TrialContext, TrialError};
use super::{SearchReport, Searchable, Tuner, TunerError};
use crate::oracle::{OracleContext, Suggestion};
use crate::pruner::PrunerContext;
use crate::trial::{Metrics, Trial, TrialState};
use std::time::{Duration, Instant};

/// One execution of a trial, as the loop calls it.
type RunFn<'a, P> = dyn FnMut(&P, &mut TrialContext<'_>) -> Result<Outcome, TrialError> + 'a;

/// A learning curve: each epoch's metrics, in order.
type Curve = Vec<(u32, Metrics)>;

/// How long a worker sleeps while the oracle waits for other workers' trials.
const POLL: Duration = Duration::from_millis(200);

impl<S: Searchable> Tuner<S> {
    /// Searches with a black-box objective (KerasTuner's overridden `run_trial`): `f` gets the
    /// trial's params and context and returns a score, a metrics map, or `()` after reporting
    /// epochs. Errors, panics and NaN scores make the trial Invalid (retried) or Failed; the
    /// search goes on until the oracle is done or `max_trials` is reached.
    pub fn search_fn<O, F>(&mut self, mut f: F) -> Result<SearchReport, TunerError>
    where
        O: Into<Outcome>,
        F: FnMut(&S::Params, &mut TrialContext<'_>) -> Result<O, TrialError>,
    {
        self.search_with(&mut |params, ctx| f(params, ctx).map(Into::into))
    }

    /// The loop behind every `search*` method.
    pub(crate) fn search_with(
        &mut self,
        run: &mut RunFn<'_, S::Params>,
    ) -> Result<SearchReport, TunerError> {
        let started = Instant::now();
        let mut report = SearchReport::default();
        let mut consecutive_failed = 0u32;
        while let Some(mut trial) = self.next_trial(&mut report)? {
            for cb in &mut self.on_begin {
                cb(&trial);
            }
            let t0 = Instant::now();
            self.run_trial(&mut trial, run)?;
            trial.seconds = t0.elapsed().as_secs_f64();
            self.storage.update_trial(&self.study, &trial)?;
            report.record(&trial);
            if !self.settings.quiet {
                println!("{}", self.progress_line(&trial, started.elapsed())?);
            }
            for cb in &mut self.on_end {
                cb(&trial);
            }
            if trial.state == TrialState::Failed {
                consecutive_failed += 1;
                if consecutive_failed >= self.settings.max_consecutive_failed_trials {
                    return Err(TunerError::TooManyFailures {
                        count: consecutive_failed,
                        trial: trial.number,
                        message: trial.message.clone().unwrap_or_default(),
                    });
                }
            } else {
                consecutive_failed = 0;
            }
        }
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Asks the oracle for the next trial and stores it, waiting while other workers finish;
    /// `None` when the search is over (the reason goes in `report`).
    fn next_trial(&self, report: &mut SearchReport) -> Result<Option<Trial>, TunerError> {
        loop {
            let mut answer = None;
            let created = self.storage.create_trial(&self.study, &mut |trials| {
                if let Some(max) = self.settings.max_trials {
                    if trials.len() as u64 >= max {
                        answer = Some(Suggestion::Done(format!("max_trials ({max}) reached")));
                        return None;
                    }
                }
                let ctx = OracleContext {
                    space: self.model.space(),
                    objectives: &self.objectives,
                    trials,
                    seed: self.settings.seed,
                };
                match self.oracle.suggest(&ctx) {
                    Suggestion::Try(plan) => Some(plan),
                    other => {
                        let running = trials.iter().any(|t| t.state == TrialState::Running);
                        answer = Some(match other {
                            Suggestion::Wait if !running => Suggestion::Done(String::new()),
                            other => other,
                        });
                        None
                    }
                }
            })?;
            if let Some(trial) = created {
                return Ok(Some(trial));
            }
            match answer {
                Some(Suggestion::Wait) => std::thread::sleep(POLL),
                Some(Suggestion::Done(reason)) if reason.is_empty() => {
                    return Err(TunerError::Stalled(self.oracle.name()));
                }
                Some(Suggestion::Done(reason)) => {
                    report.stop_reason = reason;
                    return Ok(None);
                }
                _ => unreachable!("the oracle's answer is recorded whenever no trial is created"),
            }
        }
    }

    /// Runs every execution of `trial`, retrying it while Invalid, and sets its final state.
    fn run_trial(
        &self,
        trial: &mut Trial,
        run: &mut RunFn<'_, S::Params>,
    ) -> Result<(), TunerError> {
        let params = match self.model.decode(trial.values()) {
            Ok(p) => p,
            Err(e) => {
                trial.state = TrialState::Failed;
                trial.message = Some(format!("its values do not fit the space: {e}"));
                return Ok(());
            }
        };
        let dir = self.trial_dir(trial.number);
        std::fs::create_dir_all(&dir).map_err(|source| TunerError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let parent_dir = trial.plan.parent.map(|p| self.trial_dir(p));
        loop {
            match self.execute(trial, &params, &dir, parent_dir.as_deref(), run) {
                Ok((history, pruned)) => {
                    trial.history = history;
                    trial.rescore(&self.objectives);
                    if let (Some(epoch), Some(pruner)) = (pruned, &self.pruner) {
                        trial.state = TrialState::Stopped;
                        trial.message = Some(format!(
                            "pruned after epoch {epoch} by the {} pruner",
                            pruner.name()
                        ));
                        return Ok(());
                    }
                    if trial.score.is_some() {
                        trial.state = TrialState::Completed;
                        trial.message = None;
                        return Ok(());
                    }
                    trial.message = Some(format!(
                        "no finite value of `{}` was reported",
                        self.objectives.scalar().name
                    ));
                }
                Err(TrialError::Failed(msg)) => {
                    trial.state = TrialState::Failed;
                    trial.message = Some(msg);
                    return Ok(());
                }
                Err(TrialError::Invalid(msg)) => trial.message = Some(msg),
            }
            if trial.retries >= self.settings.max_retries_per_trial {
                trial.state = TrialState::Failed;
                return Ok(());
            }
            trial.retries += 1;
        }
    }

    /// Runs the executions of one attempt and averages their curves.
    fn execute(
        &self,
        trial: &Trial,
        params: &S::Params,
        dir: &std::path::Path,
        parent_dir: Option<&std::path::Path>,
        run: &mut RunFn<'_, S::Params>,
    ) -> Result<(Curve, Option<u32>), TrialError> {
        let objective = self.objectives.list()[0].name.clone();
        let mut curves = Vec::new();
        let mut pruned = None;
        for execution in 0..self.settings.executions_per_trial {
            let seed = self
                .settings
                .seed
                .wrapping_mul(0x2545_F491_4F6C_DD1D)
                .wrapping_add(trial.number.wrapping_mul(1_000_003))
                .wrapping_add(execution as u64 + trial.retries as u64 * 7919);
            let mut so_far: Curve = Vec::new();
            let mut sink = |epoch: u32, metrics: &Metrics| {
                // Intermediate values are progress, not results: a storage hiccup must not
                // kill the trial, and the final update will carry the whole history anyway.
                let _ = self
                    .storage
                    .report(&self.study, trial.number, epoch, metrics);
                so_far.push((epoch, metrics.clone()));
                // The first execution decides: later ones only refine an average.
                if execution == 0 && self.should_prune(trial.number, epoch, &so_far) {
                    pruned = Some(epoch);
                    return Control::Stop;
                }
                Control::Continue
            };
            let mut ctx = TrialContext::new(
                trial,
                execution,
                seed,
                dir.to_path_buf(),
                parent_dir.map(|p| p.to_path_buf()),
                &mut sink,
            );
            let outcome = catch(|| run(params, &mut ctx))?;
            let reported = ctx.into_reported();
            curves.push(curve(
                reported,
                outcome,
                &objective,
                trial.plan.initial_epoch,
            ));
            if pruned.is_some() {
                break;
            }
        }
        Ok((average(&curves), pruned))
    }

    /// Asks the pruner (if any) about a running trial's curve so far.
    fn should_prune(&self, number: u64, epoch: u32, history: &[(u32, Metrics)]) -> bool {
        let Some(pruner) = &self.pruner else {
            return false;
        };
        // A pruner that cannot see the others cannot judge: keep training.
        let Ok(trials) = self.storage.trials(&self.study) else {
            return false;
        };
        pruner.prune(&PrunerContext {
            trial: number,
            epoch,
            history,
            trials: &trials,
            objectives: &self.objectives,
        })
    }
}
