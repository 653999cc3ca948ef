//! Several trials at once on one machine (`parallel_trials(n)`): `n` threads share the study,
//! each asking its next trial through the same atomic ask as separate worker processes (so the
//! oracles see the others' pending trials) and running it through the same [`Runner`] as the
//! one-at-a-time loop. Each thread runs inside a rayon pool of its own, of
//! [`threads_per_trial`] threads: gemm's matrix products, and so dfdx's, split over
//! `rayon::current_num_threads()`, which inside the pool is the pool's size, so `n` trials
//! together use the machine's cores and no more.
//!
//! The display, the user's `on_trial_*` callbacks and the failure limit stay on the calling
//! thread, which receives every trial's start, epochs, notes and end as messages, in the order
//! they happen. A trial thread that meets a storage error stops asking, and so do the others
//! after their current trial; the first error is returned once every thread has stopped. A
//! panic in the objective is the trial's error (Invalid, retried, as one at a time); a panic
//! in a trial thread outside it fails that trial alone, and the other threads go on.

use super::run::{Outcome, TrialContext, TrialError};
use super::search::{Runner, Shown};
use super::{SearchReport, Searchable, Tuner, TunerError};
use crate::storage::StorageError;
use crate::trial::{Metrics, Trial};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::time::Instant;

/// One execution of a trial, callable from several threads at once.
pub(super) type SharedRun<'a, P> =
    dyn Fn(&P, &mut TrialContext<'_>) -> Result<Outcome, TrialError> + Sync + 'a;

/// Compute threads for each of `parallel` trials at once, unless set: the machine's cores
/// divided among the trials, at least one each. Measured on the main job's MLPs (BENCHMARKS,
/// "Parallel trials"): dfdx spreads only its matrix products over threads, so one thread per
/// trial and one trial per core beats one trial on every core at every width tried.
pub(super) fn threads_per_trial(parallel: usize, set: Option<usize>) -> usize {
    set.unwrap_or_else(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores / parallel.max(1)).max(1)
    })
}

/// What a trial thread tells the thread that owns the display.
enum Event {
    Begin(Trial),
    Epoch {
        trial: u64,
        execution: u32,
        epoch: u32,
        metrics: Metrics,
    },
    Note(String),
    End(Trial),
    /// A trial another worker took over: its result here is dropped.
    Gone(u64),
    /// The oracle has nothing more to run, and why.
    Over(String),
    Error(TunerError),
}

/// A trial thread's side of the display: every call becomes a message.
struct Messages<'a>(&'a Sender<Event>);

impl Messages<'_> {
    fn send(&self, event: Event) {
        // The receiver lives until every trial thread has ended.
        let _ = self.0.send(event);
    }
}

impl Shown for Messages<'_> {
    fn epoch_end(&self, trial: u64, execution: u32, epoch: u32, metrics: &Metrics, _: &str) {
        self.send(Event::Epoch {
            trial,
            execution,
            epoch,
            metrics: metrics.clone(),
        });
    }
    fn note(&self, line: &str) {
        self.send(Event::Note(line.to_owned()));
    }
}

impl<S: Searchable + Sync> Tuner<S> {
    /// Searches with `run`, `parallel_trials` trials at a time (one at a time through the
    /// sequential loop when that is 1 and no thread count was set, bit for bit as before).
    pub(super) fn search_shared(
        &mut self,
        run: &SharedRun<'_, S::Params>,
        epochs: Option<u32>,
    ) -> Result<SearchReport, TunerError> {
        if self.settings.parallel_trials <= 1 && self.settings.threads_per_trial.is_none() {
            return self.search_with_budget(&mut |params, ctx| run(params, ctx), epochs);
        }
        self.search_parallel(run, epochs)
    }

    fn search_parallel(
        &mut self,
        run: &SharedRun<'_, S::Params>,
        epochs: Option<u32>,
    ) -> Result<SearchReport, TunerError> {
        let (started, cpu) = (Instant::now(), cpu_time::ProcessTime::now());
        let n = self.settings.parallel_trials.max(1);
        let threads = threads_per_trial(n, self.settings.threads_per_trial);
        let progress = self.display()?;
        let objective = self.objectives().list()[0].name.clone();
        let mut on_begin = std::mem::take(&mut self.on_begin);
        let mut on_end = std::mem::take(&mut self.on_end);
        let mut report = SearchReport::default();
        let mut consecutive_failed = 0u32;
        let mut error: Option<TunerError> = None;
        let stop = AtomicBool::new(false);
        let this = &*self;
        let runner = this.runner();
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<Event>();
            for worker in 0..n {
                let (tx, runner, stop) = (tx.clone(), &runner, &stop);
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(move |i| format!("tuner-trial-{worker}-{i}"))
                    .build();
                let pool = match pool {
                    Ok(pool) => pool,
                    Err(e) => {
                        let why =
                            format!("cannot start the threads of parallel trial {worker}: {e}");
                        Messages(&tx).send(Event::Error(TunerError::BadArgument(why)));
                        break;
                    }
                };
                scope.spawn(move || pool.install(|| work(runner, run, &tx, stop)));
            }
            drop(tx);
            for event in rx {
                match event {
                    Event::Begin(trial) => {
                        for cb in &mut on_begin {
                            cb(&trial);
                        }
                        progress.trial_begin(&trial, trial.plan.epochs.or(epochs));
                    }
                    Event::Epoch {
                        trial,
                        execution,
                        epoch,
                        metrics,
                    } => progress.epoch_end(trial, execution, epoch, &metrics, &objective),
                    Event::Note(line) => progress.note(&line),
                    Event::Gone(number) => progress.trial_gone(number),
                    Event::End(trial) => {
                        let counted = this.trial_ended(
                            &trial,
                            &mut report,
                            &mut consecutive_failed,
                            (&progress, started),
                            &mut on_end,
                        );
                        if let Err(e) = counted {
                            stop.store(true, Ordering::SeqCst);
                            error.get_or_insert(e);
                        }
                    }
                    Event::Over(reason) => {
                        if report.stop_reason.is_empty() {
                            report.stop_reason = reason;
                        }
                    }
                    Event::Error(e) => {
                        stop.store(true, Ordering::SeqCst);
                        error.get_or_insert(e);
                    }
                }
            }
        });
        self.on_begin = on_begin;
        self.on_end = on_end;
        match error {
            Some(e) => Err(e),
            None => {
                report.stamp((started, cpu));
                Ok(report)
            }
        }
    }
}

/// One trial thread: ask, run, tell the display, until the oracle is done or `stop` is set.
fn work<S: Searchable>(
    runner: &Runner<'_, S>,
    run: &SharedRun<'_, S::Params>,
    tx: &Sender<Event>,
    stop: &AtomicBool,
) {
    let messages = Messages(tx);
    let keep_going = || !stop.load(Ordering::SeqCst);
    let mut over = SearchReport::default();
    while keep_going() {
        let mut trial = match runner.next_trial(&mut over, &keep_going) {
            Ok(Some(trial)) => trial,
            Ok(None) => break,
            Err(e) => return messages.send(Event::Error(e)),
        };
        messages.send(Event::Begin(trial.clone()));
        let t0 = Instant::now();
        let mut call = |params: &S::Params, ctx: &mut TrialContext<'_>| run(params, ctx);
        let ran = catch_unwind(AssertUnwindSafe(|| {
            runner.run_beating(&mut trial, &mut call, &messages)
        }));
        match ran {
            Ok(Ok(())) => messages.send(Event::End(trial)),
            Ok(Err(TunerError::Storage(StorageError::Finished { .. }))) => {
                runner.taken_over(&trial, &messages);
                messages.send(Event::Gone(trial.number));
            }
            Ok(Err(e)) => return messages.send(Event::Error(e)),
            // The objective's own panics are caught per execution: this one is the thread's.
            Err(payload) => {
                let why = super::run::panic_message(payload.as_ref());
                let failed = TrialError::Failed(format!("its trial thread panicked: {why}"));
                let seconds = t0.elapsed().as_secs_f64();
                match runner.study.finish(&mut trial, Err(failed), seconds, false) {
                    Ok(_) => messages.send(Event::End(trial)),
                    Err(e) => return messages.send(Event::Error(e.into())),
                }
            }
        }
    }
    if !over.stop_reason.is_empty() {
        messages.send(Event::Over(over.stop_reason));
    }
}
