//! The search loop: ask the oracle (atomically, through the storage), run, record, repeat.
//! One trial at a time here; several at once on threads in `parallel.rs`, which runs each
//! trial through the same [`Runner`] and ends it through the same [`Tuner::trial_ended`].

use super::heartbeat::Heartbeat;
use super::run::{catch, Control, Outcome, TrialContext, TrialError};
use super::{SearchReport, Searchable, Settings, Tuner, TunerError};
use crate::report::progress::Progress;
use crate::storage::{retried, StorageError};
use crate::study::{Finished, Next, Ran, Study, StudyError};
use crate::trial::curve;
use crate::trial::{Curve, Metrics, Trial, TrialState};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// One execution of a trial, as the loop calls it.
pub(super) type RunFn<'a, P> =
    dyn FnMut(&P, &mut TrialContext<'_>) -> Result<Outcome, TrialError> + 'a;

/// How long a worker sleeps while the oracle waits for other workers' trials.
const POLL: Duration = Duration::from_millis(200);

impl<S: Searchable> Tuner<S> {
    /// Searches with a black-box objective (KerasTuner's overridden `run_trial`): `f` gets the
    /// trial's params and context and returns a score, a metrics map, or `()` after reporting
    /// epochs. Errors, panics and NaN or infinite scores make the trial Invalid (retried) or
    /// Failed; the search goes on until the oracle is done or `max_trials` is reached, or
    /// until `max_consecutive_failed_trials` trials in a row failed with an error (diverged
    /// trials do not count: see [`TunerBuilder::count_diverged_as_failed`](super::TunerBuilder::count_diverged_as_failed)).
    pub fn search_fn<O, F>(&mut self, mut f: F) -> Result<SearchReport, TunerError>
    where
        O: Into<Outcome>,
        F: FnMut(&S::Params, &mut TrialContext<'_>) -> Result<O, TrialError>,
    {
        self.search_with(&mut |params, ctx| f(params, ctx).map(Into::into))
    }

    /// [`search_fn`](Self::search_fn) for an objective that may run on several threads at
    /// once (`Fn + Sync`): with [`parallel_trials(n)`](super::TunerBuilder::parallel_trials),
    /// `n` trials run at a time; with 1 it is `search_fn`.
    pub fn search_fn_parallel<O, F>(&mut self, f: F) -> Result<SearchReport, TunerError>
    where
        S: Sync,
        O: Into<Outcome>,
        F: Fn(&S::Params, &mut TrialContext<'_>) -> Result<O, TrialError> + Sync,
    {
        self.search_shared(&|params, ctx| f(params, ctx).map(Into::into), None)
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
        if self.settings.parallel_trials > 1 {
            return Err(TunerError::BadArgument(format!(
                "parallel_trials({}) needs an objective that may run on several threads at \
                 once: use search_fn_parallel (an Fn + Sync closure), or search/search_split \
                 without callbacks (callbacks serve every trial in turn); or set \
                 parallel_trials(1)",
                self.settings.parallel_trials
            )));
        }
        let (started, cpu) = (Instant::now(), cpu_time::ProcessTime::now());
        let mut report = SearchReport::default();
        let mut consecutive_failed = 0u32;
        let progress = self.display()?;
        loop {
            let runner = self.runner();
            let Some(mut trial) = runner.next_trial(&mut report, &|| true)? else {
                break;
            };
            for cb in &mut self.on_begin {
                cb(&trial);
            }
            progress.trial_begin(&trial, trial.plan.epochs.or(epochs));
            let runner = self.runner();
            match runner.run_beating(&mut trial, run, &progress) {
                Ok(()) => {}
                Err(TunerError::Storage(StorageError::Finished { .. })) => {
                    runner.taken_over(&trial, &progress);
                    progress.trial_gone(trial.number);
                    continue;
                }
                Err(e) => return Err(e),
            }
            let mut ended = std::mem::take(&mut self.on_end);
            let verdict = self.trial_ended(
                &trial,
                &mut report,
                &mut consecutive_failed,
                (&progress, started),
                &mut ended,
            );
            self.on_end = ended;
            verdict?;
        }
        report.stamp((started, cpu));
        Ok(report)
    }

    /// The search's display, counting the trials already in the study.
    pub(super) fn display(&self) -> Result<Progress, TunerError> {
        let existing = if self.settings.quiet {
            0
        } else {
            self.trials()?.len() as u64
        };
        // Hyperband knows its total without max_trials: the display shows it and an ETA.
        let total = crate::report::console::planned_trials(
            self.study.max_trials(),
            &self.study.config().oracle,
        );
        Ok(Progress::start(self.settings.quiet, total, existing))
    }

    /// The part of the study a trial runs on: shared by every thread of a parallel search.
    pub(super) fn runner(&self) -> Runner<'_, S> {
        Runner {
            study: &self.study,
            settings: &self.settings,
            model: &self.model,
        }
    }

    /// What follows a stored trial, in the thread that owns the display and the callbacks:
    /// the report's counts, its line, the `on_end` callbacks, and the failure limit (an error
    /// once `max_consecutive_failed_trials` trials in a row failed, in the order they ended).
    pub(super) fn trial_ended(
        &self,
        trial: &Trial,
        report: &mut SearchReport,
        consecutive_failed: &mut u32,
        (progress, started): (&Progress, Instant),
        on_end: &mut [super::TrialCallback],
    ) -> Result<(), TunerError> {
        report.record(trial);
        if progress.shows_lines() {
            let best = self.best_trials(1)?.into_iter().next();
            let line =
                self.progress_line(trial, started.elapsed(), best.as_ref(), progress.width());
            let best = best.map(|b| (b.score.unwrap_or(f64::NAN), b.id()));
            progress.trial_end(trial.number, &line, best);
        }
        for cb in on_end {
            cb(trial);
        }
        // A diverged trial is a result of the search, not a fault of the user's code: it
        // neither counts toward the limit nor resets it (unless KerasTuner's rule is on).
        let neutral = trial.diverged() && !self.settings.count_diverged;
        if trial.state == TrialState::Failed && !neutral {
            *consecutive_failed += 1;
            if *consecutive_failed >= self.settings.max_consecutive_failed_trials {
                return Err(TunerError::TooManyFailures {
                    count: *consecutive_failed,
                    trial: trial.number,
                    message: trial.message.clone().unwrap_or_default(),
                });
            }
        } else if !neutral {
            *consecutive_failed = 0;
        }
        Ok(())
    }
}

/// Where a running trial's epochs and notes are shown: the display itself when trials run one
/// at a time, a message to the thread that owns it when they run in parallel.
pub(super) trait Shown {
    /// Trial `trial` reported `epoch` of its `execution`.
    fn epoch_end(&self, trial: u64, execution: u32, epoch: u32, metrics: &Metrics, objective: &str);
    /// A line that is not a trial's result.
    fn note(&self, line: &str);
}

impl Shown for Progress {
    fn epoch_end(
        &self,
        trial: u64,
        execution: u32,
        epoch: u32,
        metrics: &Metrics,
        objective: &str,
    ) {
        Progress::epoch_end(self, trial, execution, epoch, metrics, objective);
    }
    fn note(&self, line: &str) {
        Progress::note(self, line);
    }
}

/// What running a trial needs of a tuner, and nothing it must not share between threads (the
/// user's `on_trial_*` callbacks stay with the thread that owns the display).
pub(super) struct Runner<'t, S> {
    pub(super) study: &'t Study,
    pub(super) settings: &'t Settings,
    pub(super) model: &'t S,
}

impl<S: Searchable> Runner<'_, S> {
    fn trial_dir(&self, number: u64) -> PathBuf {
        self.settings.dir.join(format!("trial_{number:04}"))
    }

    /// Runs `trial` to its stored end with its heartbeat beating meanwhile.
    pub(super) fn run_beating(
        &self,
        trial: &mut Trial,
        run: &mut RunFn<'_, S::Params>,
        progress: &dyn Shown,
    ) -> Result<(), TunerError> {
        tracing::debug!(study = %self.study.name(), trial = trial.number, "trial started");
        let beat = Heartbeat::start(
            self.study.storage().clone(),
            self.study.name().to_owned(),
            trial.number,
            self.settings.heartbeat,
        );
        let ended = self.run_trial(trial, run, progress);
        drop(beat);
        ended
    }

    /// This worker stalled past the grace period and another one took the trial over: its
    /// verdict stands, and this result is dropped.
    pub(super) fn taken_over(&self, trial: &Trial, progress: &dyn Shown) {
        tracing::warn!(
            study = %self.study.name(),
            trial = trial.number,
            "trial taken over by another worker after its heartbeat went stale"
        );
        progress.note(&format!(
            "Trial {} was taken over by another worker after its heartbeat went stale; its \
             result here is dropped",
            trial.id()
        ));
    }

    /// Asks the oracle for the next trial and stores it, waiting while other workers finish;
    /// `None` when the search is over (the reason goes in `report`) or, while waiting, when
    /// `keep_going` says stop. A trial whose worker stopped beating is failed by the storage
    /// and comes back here first, as a retry.
    pub(super) fn next_trial(
        &self,
        report: &mut SearchReport,
        keep_going: &dyn Fn() -> bool,
    ) -> Result<Option<Trial>, TunerError> {
        loop {
            match self.study.propose(Some(self.settings.grace), &mut |_| {})? {
                Next::Trial(trial) => return Ok(Some(trial)),
                Next::Wait if !keep_going() => return Ok(None),
                Next::Wait => std::thread::sleep(POLL),
                Next::Done(reason) if reason.is_empty() => {
                    return Err(StudyError::Stalled(self.study.oracle_name().to_owned()).into());
                }
                Next::Done(reason) => {
                    report.stop_reason = reason;
                    return Ok(None);
                }
            }
        }
    }

    /// Runs every execution of `trial`, retrying it while Invalid, and ends it through the
    /// study's [`finish`](crate::study::Study::finish), which stores its final state.
    fn run_trial(
        &self,
        trial: &mut Trial,
        run: &mut RunFn<'_, S::Params>,
        progress: &dyn Shown,
    ) -> Result<(), TunerError> {
        let t0 = Instant::now();
        let params = match self.model.decode(trial.values()) {
            Ok(p) => p,
            Err(e) => {
                let failed = TrialError::Failed(format!("its values do not fit the space: {e}"));
                self.study
                    .finish(trial, Err(failed), t0.elapsed().as_secs_f64(), false)?;
                return Ok(());
            }
        };
        // Made by the trial's context when the objective first asks for it.
        let dir = self.trial_dir(trial.number);
        let parent_dir = trial.plan.parent.map(|p| self.trial_dir(p));
        loop {
            let mut attrs = std::collections::BTreeMap::new();
            let (parent, dir) = (parent_dir.as_deref(), &dir);
            let attempt = self.execute(trial, &params, dir, parent, run, progress, &mut attrs);
            // Kept whatever the attempt's outcome, as Optuna keeps a failed trial's.
            trial.user_attrs.extend(attrs);
            let may_retry = trial.retries < self.settings.max_retries_per_trial;
            let seconds = t0.elapsed().as_secs_f64();
            match self.study.finish(trial, attempt, seconds, may_retry)? {
                Finished::Stored => return Ok(()),
                Finished::Retry => trial.retries += 1,
            }
        }
    }

    /// Runs the executions of one attempt and averages their curves; the user attributes they
    /// set go to `user_attrs`, whatever the outcome.
    #[allow(clippy::too_many_arguments)]
    fn execute(
        &self,
        trial: &Trial,
        params: &S::Params,
        dir: &std::path::Path,
        parent_dir: Option<&std::path::Path>,
        run: &mut RunFn<'_, S::Params>,
        progress: &dyn Shown,
        user_attrs: &mut std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<Ran, TrialError> {
        let objective = self.study.objectives().list()[0].name.clone();
        let mut curves = Vec::new();
        let mut pruned = None;
        for execution in 0..self.settings.executions_per_trial {
            let seed = self
                .study
                .seed()
                .wrapping_mul(0x2545_F491_4F6C_DD1D)
                .wrapping_add(trial.number.wrapping_mul(1_000_003))
                .wrapping_add(execution as u64 + trial.retries as u64 * 7919);
            let mut so_far = Curve::new();
            let mut sink = |epoch: u32, metrics: &Metrics| {
                // Intermediate values are progress, not results: a storage hiccup must not
                // kill the trial, and the final update will carry the whole history anyway.
                if let Err(e) =
                    self.study
                        .storage()
                        .report(self.study.name(), trial.number, epoch, metrics)
                {
                    tracing::debug!(trial = trial.number, epoch, error = %e, "epoch not stored");
                }
                progress.epoch_end(trial.number, execution, epoch, metrics, &objective);
                so_far.insert(epoch, metrics.clone());
                // The first execution decides: later ones only refine an average.
                if execution == 0 && self.study.should_prune(trial.number, epoch, &so_far) {
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
            let outcome = catch(|| run(params, &mut ctx));
            for note in ctx.take_notes() {
                progress.note(&note);
            }
            let (reported, attrs) = ctx.into_parts();
            user_attrs.extend(attrs);
            let outcome = outcome?;
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
        // One execution is its own curve: averaging it would only turn -0.0 into 0.0, and a
        // searched trial must store what the same outcome told through `tell` stores.
        let history = if curves.len() == 1 {
            curves.remove(0)
        } else {
            Curve::average(&curves)
        };
        Ok(Ran {
            history,
            pruned_at: pruned,
        })
    }

    /// The folder a retry continues, when its files can be continued (with one execution per
    /// trial: several executions are averaged, and restart together): of every trial in its
    /// chain of retries, the one whose files were written last, so a retry that died before
    /// writing anything does not throw away what the trials before it trained.
    fn resume_dir(&self, trial: &Trial) -> Option<std::path::PathBuf> {
        let from = retried(&trial.plan)?;
        if self.settings.executions_per_trial != 1 || trial.retries != 0 {
            return None;
        }
        let trials = self.study.trials().unwrap_or_default();
        let mut chain = vec![from];
        let mut seen = std::collections::HashSet::from([trial.number, from]);
        while let Some(before) = trials
            .iter()
            .find(|t| t.number == *chain.last().expect("never empty"))
            .and_then(|t| retried(&t.plan))
            .filter(|n| seen.insert(*n))
        {
            chain.push(before);
        }
        let newest = chain
            .iter()
            .filter_map(|&n| written(&self.trial_dir(n)).map(|at| (at, n)))
            .max_by_key(|(at, _)| *at)
            .map_or(from, |(_, n)| n);
        Some(self.trial_dir(newest))
    }
}

/// How far `dir` got: whether it holds a last-epoch checkpoint, and when that (or else its
/// newest file) was written; `None` when it holds no file. A checkpoint beats any other file.
fn written(dir: &std::path::Path) -> Option<(bool, std::time::SystemTime)> {
    let modified = |p: &std::path::Path| std::fs::metadata(p).ok()?.modified().ok();
    if let Some(at) = modified(&dir.join(super::LAST_CHECKPOINT)) {
        return Some((true, at));
    }
    let newest = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .filter_map(|m| m.modified().ok())
        .max()?;
    Some((false, newest))
}
