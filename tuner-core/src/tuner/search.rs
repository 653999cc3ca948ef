//! The search loop: ask the oracle (atomically, through the storage), run, record, repeat.

use super::heartbeat::Heartbeat;
use super::run::{average, catch, curve, Control, Outcome, TrialContext, TrialError};
use super::{SearchReport, Searchable, Tuner, TunerError};
use crate::oracle::{OracleContext, Suggestion};
use crate::pruner::PrunerContext;
use crate::report::progress::Progress;
use crate::storage::{retried, retry_plan, StorageError};
use crate::trial::{Curve, Metrics, Trial, TrialPlan, TrialState};
use std::time::{Duration, Instant};

/// One execution of a trial, as the loop calls it.
type RunFn<'a, P> = dyn FnMut(&P, &mut TrialContext<'_>) -> Result<Outcome, TrialError> + 'a;

/// How long a worker sleeps while the oracle waits for other workers' trials.
const POLL: Duration = Duration::from_millis(200);

/// What the oracle (through the storage) answered when asked for a trial.
pub(super) enum Next {
    /// A new Running trial, stored.
    Trial(Trial),
    /// Nothing to run until running trials end.
    Wait,
    /// The search is over, for this reason (empty: the oracle waits for trials that no
    /// worker is running).
    Done(String),
}

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
        self.search_with_budget(run, None)
    }

    /// The search loop; `epochs` is each trial's budget when the oracle sets none, for the
    /// progress display.
    pub(crate) fn search_with_budget(
        &mut self,
        run: &mut RunFn<'_, S::Params>,
        epochs: Option<u32>,
    ) -> Result<SearchReport, TunerError> {
        let started = Instant::now();
        let mut report = SearchReport::default();
        let mut consecutive_failed = 0u32;
        let existing = if self.settings.quiet {
            0
        } else {
            self.trials()?.len() as u64
        };
        let progress = Progress::start(self.settings.quiet, self.settings.max_trials, existing);
        while let Some(mut trial) = self.next_trial(&mut report)? {
            for cb in &mut self.on_begin {
                cb(&trial);
            }
            tracing::debug!(study = %self.study, trial = trial.number, "trial started");
            progress.trial_begin(&trial, trial.plan.epochs.or(epochs));
            let t0 = Instant::now();
            let beat = Heartbeat::start(
                self.storage.clone(),
                self.study.clone(),
                trial.number,
                self.settings.heartbeat,
            );
            let ran = self.run_trial(&mut trial, run, &progress);
            drop(beat);
            ran?;
            trial.seconds = t0.elapsed().as_secs_f64();
            match self.storage.update_trial(&self.study, &trial) {
                Ok(()) => {}
                // This worker stalled past the grace period and another one took the trial
                // over: its verdict stands, and this result is dropped.
                Err(StorageError::Finished { .. }) => {
                    tracing::warn!(
                        study = %self.study,
                        trial = trial.number,
                        "trial taken over by another worker after its heartbeat went stale"
                    );
                    progress.note(&format!(
                        "Trial {} was taken over by another worker after its heartbeat went \
                         stale; its result here is dropped",
                        trial.id()
                    ));
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            report.record(&trial);
            tracing::info!(
                study = %self.study,
                trial = trial.number,
                state = %trial.state,
                score = ?trial.score,
                seconds = trial.seconds,
                "trial finished"
            );
            if progress.shows_lines() {
                let best = self.best_trials(1)?.into_iter().next();
                let line = self.progress_line(&trial, started.elapsed(), best.as_ref());
                progress.trial_end(&line, best.map(|b| (b.score.unwrap_or(f64::NAN), b.id())));
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
    /// `None` when the search is over (the reason goes in `report`). A trial whose worker
    /// stopped beating is failed by the storage and comes back here first, as a retry.
    fn next_trial(&self, report: &mut SearchReport) -> Result<Option<Trial>, TunerError> {
        loop {
            match self.propose(Some(self.settings.grace), &mut |_| {})? {
                Next::Trial(trial) => return Ok(Some(trial)),
                Next::Wait => std::thread::sleep(POLL),
                Next::Done(reason) if reason.is_empty() => {
                    return Err(TunerError::Stalled(self.oracle.name()));
                }
                Next::Done(reason) => {
                    report.stop_reason = reason;
                    return Ok(None);
                }
            }
        }
    }

    /// One atomic decision: with `stale_after`, a trial whose worker stopped beating is
    /// retried first; else the oracle decides from the history (and `max_trials`). `edit`
    /// may add to a new trial's plan before it is stored.
    pub(super) fn propose(
        &self,
        stale_after: Option<Duration>,
        edit: &mut dyn FnMut(&mut TrialPlan),
    ) -> Result<Next, TunerError> {
        let mut answer = None;
        let created =
            self.storage
                .create_trial(&self.study, stale_after, &mut |trials, stale| {
                    if let Some(stale) = stale.and_then(|n| trials.iter().find(|t| t.number == n)) {
                        tracing::warn!(
                            study = %self.study,
                            trial = stale.number,
                            "no heartbeat within the grace period: the trial is failed and retried"
                        );
                        return Some(retry_plan(stale));
                    }
                    // The study is not over while trials run elsewhere: their workers may die,
                    // and then their trials are retried here.
                    let running = trials.iter().any(|t| t.state == TrialState::Running);
                    if let Some(max) = self.settings.max_trials {
                        // A retry replaces its failed trial: it does not use up another slot.
                        let used = trials.iter().filter(|t| retried(&t.plan).is_none()).count();
                        if used as u64 >= max {
                            answer = Some(if running {
                                Suggestion::Wait
                            } else {
                                Suggestion::Done(format!("max_trials ({max}) reached"))
                            });
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
                        Suggestion::Try(mut plan) => {
                            edit(&mut plan);
                            Some(plan)
                        }
                        other => {
                            answer = Some(match other {
                                Suggestion::Wait if !running => Suggestion::Done(String::new()),
                                Suggestion::Done(_) if running => Suggestion::Wait,
                                other => other,
                            });
                            None
                        }
                    }
                })?;
        if let Some(trial) = created {
            return Ok(Next::Trial(trial));
        }
        match answer {
            Some(Suggestion::Wait) => Ok(Next::Wait),
            Some(Suggestion::Done(reason)) => Ok(Next::Done(reason)),
            _ => unreachable!("the oracle's answer is recorded whenever no trial is created"),
        }
    }

    /// Runs every execution of `trial`, retrying it while Invalid, and sets its final state.
    fn run_trial(
        &self,
        trial: &mut Trial,
        run: &mut RunFn<'_, S::Params>,
        progress: &Progress,
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
            match self.execute(trial, &params, &dir, parent_dir.as_deref(), run, progress) {
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
        progress: &Progress,
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
            let mut so_far = Curve::new();
            let mut sink = |epoch: u32, metrics: &Metrics| {
                // Intermediate values are progress, not results: a storage hiccup must not
                // kill the trial, and the final update will carry the whole history anyway.
                if let Err(e) = self
                    .storage
                    .report(&self.study, trial.number, epoch, metrics)
                {
                    tracing::debug!(trial = trial.number, epoch, error = %e, "epoch not stored");
                }
                progress.epoch_end(execution, epoch, metrics, &objective);
                so_far.insert(epoch, metrics.clone());
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
            )
            .with_resume_dir(self.resume_dir(trial));
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
        Ok((average(&curves).into(), pruned))
    }

    /// The folder of the trial a retry continues, when its files can be continued: with one
    /// execution per trial (several executions are averaged, and restart together).
    fn resume_dir(&self, trial: &Trial) -> Option<std::path::PathBuf> {
        let from = retried(&trial.plan)?;
        (self.settings.executions_per_trial == 1 && trial.retries == 0)
            .then(|| self.trial_dir(from))
    }

    /// Asks the pruner (if any) about a running trial's curve so far.
    pub(super) fn should_prune(&self, number: u64, epoch: u32, history: &Curve) -> bool {
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
