//! Trials in parallel on one machine (`parallel_trials(n)`): the reproducibility rule, the
//! oracles' pending trials, failures and panics in one trial thread, and what is refused.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tuner::data::fashion_mnist;
use tuner::nn::{Adam, EarlyStopping, Fit, NetSpec};
use tuner::oracle::{Hyperband, Oracle, RandomSearch};
use tuner::prelude::*;
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::trial::{Trial, TrialState};
use tuner::tuner::{Dynamic, TrialError, TunerBuilder};
use tuner::{Tuner, TunerError};

fn tmp(name: &str) -> std::path::PathBuf {
    crate::common::tmp(module_path!(), name)
}

#[hypermodel]
fn small_mlp() -> NetSpec {
    NetSpec::input_shape([28, 28])
        .flatten()
        .dense(hp_int!(units, 32..=128, step = 32))
        .relu()
        .dropout(hp_float!(dropout, 0.0..=0.3, step = 0.1))
        .dense(10)
        .optimizer(Adam::new(hp_float!(learning_rate, 1e-3..=1e-2, log)))
}

/// What a study holds, trial by trial, bit for bit: values, state, score and every epoch.
fn fingerprint(trials: &[Trial]) -> BTreeMap<u64, String> {
    trials
        .iter()
        .map(|t| {
            let epochs: Vec<String> = t
                .history
                .iter()
                .map(|(e, m)| {
                    let m: Vec<String> = m
                        .iter()
                        .map(|(k, v)| format!("{k}={:x}", v.to_bits()))
                        .collect();
                    format!("{e}:{}", m.join(","))
                })
                .collect();
            let score = t.score.map(f64::to_bits);
            let row = format!(
                "{} {:?} {score:?} {}",
                t.values().key(),
                t.state,
                epochs.join(";")
            );
            (t.number, row)
        })
        .collect()
}

/// The study a random search of 6 trained trials leaves, with `parallel` trials at once.
fn random_mlp_study(parallel: usize, dir: &str) -> BTreeMap<u64, String> {
    let (train, test) = fashion_mnist::load_shipped().unwrap();
    let (train, val) = (train.take(512), test.take(200));
    let mut tuner = Tuner::builder::<SmallMlp>(RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(6)
        .seed(11)
        .parallel_trials(parallel)
        .directory(tmp(dir))
        .quiet(true)
        .build()
        .unwrap();
    let report = tuner
        .search(&train, &val, Fit::default().epochs(2).batch_size(64))
        .unwrap();
    assert_eq!((report.trials, report.completed), (6, 6));
    fingerprint(&tuner.trials().unwrap())
}

/// The documented rule: a trial's training depends only on its params, seed and parent, not
/// on how many trials run at once nor on its thread count; so an oracle whose proposal for
/// trial k depends only on the seed and the trials before it (random search) stores the same
/// study, bit for bit, one at a time and in parallel.
#[test]
fn random_search_stores_the_same_study_in_parallel_as_one_at_a_time() {
    let one = random_mlp_study(1, "random1");
    let two = random_mlp_study(2, "random2");
    let three = random_mlp_study(3, "random3");
    assert_eq!(one.len(), 6);
    assert_eq!(one, two);
    assert_eq!(one, three);
}

/// A quiet black-box tuner over one float in its own folder.
fn black_box(oracle: impl Oracle + 'static, dir: &str) -> TunerBuilder<Dynamic> {
    let space = SearchSpace::builder()
        .param(Param::float("x", -3.0, 3.0))
        .build()
        .unwrap();
    Tuner::for_space(space, oracle)
        .objective("loss")
        .directory(tmp(dir))
        .quiet(true)
        .seed(5)
}

/// Waits until `n` trials are inside the objective at once (or 60 s pass): proof that they
/// run in parallel which does not depend on how fast the machine is.
struct Gate {
    inside: Mutex<usize>,
    all_in: Condvar,
    most: AtomicUsize,
}

impl Gate {
    fn new() -> Self {
        Self {
            inside: Mutex::new(0),
            all_in: Condvar::new(),
            most: AtomicUsize::new(0),
        }
    }

    fn enter_and_wait_for(&self, n: usize) {
        let mut inside = self.inside.lock().unwrap();
        *inside += 1;
        self.most.fetch_max(*inside, Ordering::SeqCst);
        self.all_in.notify_all();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while *inside < n && std::time::Instant::now() < deadline {
            inside = self
                .all_in
                .wait_timeout(inside, Duration::from_millis(50))
                .unwrap()
                .0;
        }
    }

    fn leave(&self) {
        *self.inside.lock().unwrap() -= 1;
    }
}

#[test]
fn hyperband_in_parallel_runs_its_whole_plan_with_trials_overlapping() {
    let objective = |hp: &HyperParameters, ctx: &mut tuner::tuner::TrialContext<'_>| {
        let x: f64 = hp.get_as("x")?;
        for epoch in ctx.initial_epoch()..ctx.epochs().unwrap_or(1) {
            let loss = (x - 1.0).powi(2) + 1.0 / f64::from(epoch + 1);
            ctx.report(epoch, [("loss".to_owned(), loss)].into());
        }
        Ok::<_, TrialError>(())
    };
    let mut sequential = black_box(Hyperband::new(9), "hb1").build().unwrap();
    let planned = sequential.search_fn(objective).unwrap().trials;
    let gate = Gate::new();
    let mut tuner = black_box(Hyperband::new(9), "hb3")
        .parallel_trials(3)
        .build()
        .unwrap();
    let report = tuner
        .search_fn_parallel(
            |hp: &HyperParameters, ctx: &mut tuner::tuner::TrialContext<'_>| {
                // The first round of the first bracket has 9 trials: three can start together.
                if ctx.number() < 3 {
                    gate.enter_and_wait_for(3);
                }
                let out = objective(hp, ctx);
                if ctx.number() < 3 {
                    gate.leave();
                }
                out
            },
        )
        .unwrap();
    assert_eq!(
        gate.most.load(Ordering::SeqCst),
        3,
        "three trials ran at once"
    );
    let trials = tuner.trials().unwrap();
    assert_eq!(report.trials, planned);
    assert_eq!(trials.len() as u64, planned);
    assert!(trials.iter().all(|t| t.state == TrialState::Completed));
    // The atomic ask numbers trials without gaps or repeats, and a promotion continues a
    // parent that had finished, with a budget beyond the parent's.
    let numbers: Vec<u64> = trials.iter().map(|t| t.number).collect();
    assert_eq!(numbers, (0..planned).collect::<Vec<_>>());
    for t in &trials {
        if let Some(parent) = t.plan.parent {
            let p = &trials[parent as usize];
            assert_eq!(p.values().key(), t.values().key());
            assert_eq!(Some(t.plan.initial_epoch), p.plan.epochs);
        }
    }
    // Each promoted configuration is promoted once per round.
    let promotions: Vec<(u64, u32)> = trials
        .iter()
        .filter_map(|t| Some((t.plan.parent?, t.plan.initial_epoch)))
        .collect();
    let distinct: HashSet<&(u64, u32)> = promotions.iter().collect();
    assert_eq!(distinct.len(), promotions.len());
}

#[test]
fn a_panic_in_one_trial_thread_fails_that_trial_alone() {
    let mut tuner = black_box(RandomSearch::new(), "panic")
        .max_trials(8)
        .parallel_trials(2)
        .build()
        .unwrap();
    let report = tuner
        .search_fn_parallel(
            |hp: &HyperParameters, ctx: &mut tuner::tuner::TrialContext<'_>| {
                if ctx.number() == 2 {
                    panic!("trial two breaks");
                }
                Ok::<_, TrialError>(hp.get_as::<f64>("x")?.powi(2))
            },
        )
        .unwrap();
    assert_eq!((report.trials, report.completed, report.failed), (8, 7, 1));
    let trials = tuner.trials().unwrap();
    let failed: Vec<&Trial> = trials
        .iter()
        .filter(|t| t.state == TrialState::Failed)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].number, 2);
    assert!(failed[0]
        .message
        .as_deref()
        .unwrap_or("")
        .contains("trial two breaks"));
}

#[test]
fn consecutive_failures_end_a_parallel_search_with_nothing_left_running() {
    let mut tuner = black_box(RandomSearch::new(), "failing")
        .max_trials(50)
        .parallel_trials(2)
        .max_consecutive_failed_trials(3)
        .build()
        .unwrap();
    let began = Arc::new(AtomicUsize::new(0));
    let ended = Arc::new(AtomicUsize::new(0));
    let (b, e) = (began.clone(), ended.clone());
    tuner.on_trial_begin(move |_| {
        b.fetch_add(1, Ordering::SeqCst);
    });
    tuner.on_trial_end(move |_| {
        e.fetch_add(1, Ordering::SeqCst);
    });
    let err = tuner
        .search_fn_parallel(
            |_: &HyperParameters, _: &mut tuner::tuner::TrialContext<'_>| {
                Err::<f64, _>(TrialError::failed("the data is missing"))
            },
        )
        .unwrap_err();
    match err {
        TunerError::TooManyFailures { count, message, .. } => {
            assert_eq!(count, 3);
            assert!(message.contains("the data is missing"), "{message}");
        }
        other => panic!("expected TooManyFailures, got {other}"),
    }
    let trials = tuner.trials().unwrap();
    // The limit stops new asks once the caller's thread has counted the third failure; by
    // then each of the 2 threads may have asked one more, which ends and is stored.
    assert!((3..=5).contains(&trials.len()), "{} trials", trials.len());
    assert!(trials.iter().all(|t| t.state == TrialState::Failed));
    // Every trial that began was seen ending, on the caller's thread.
    assert_eq!(began.load(Ordering::SeqCst), trials.len());
    assert_eq!(ended.load(Ordering::SeqCst), trials.len());
}

#[test]
fn what_cannot_run_in_parallel_is_refused_with_the_way_out() {
    let mut tuner = black_box(RandomSearch::new(), "refused")
        .max_trials(2)
        .parallel_trials(2)
        .build()
        .unwrap();
    let err = tuner
        .search_fn(|hp: &HyperParameters, _| Ok::<_, TrialError>(hp.get_as::<f64>("x")?))
        .unwrap_err()
        .to_string();
    assert!(err.contains("search_fn_parallel"), "{err}");
    assert!(tuner.trials().unwrap().is_empty());

    let (train, test) = fashion_mnist::load_shipped().unwrap();
    let (train, val) = (train.take(64), test.take(64));
    let mut tuner = Tuner::builder::<SmallMlp>(RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(2)
        .parallel_trials(2)
        .directory(tmp("callbacks"))
        .quiet(true)
        .build()
        .unwrap();
    let mut early = EarlyStopping::new("val_accuracy");
    let err = tuner
        .search_with_callbacks(&train, &val, Fit::default().epochs(1), &mut [&mut early])
        .unwrap_err()
        .to_string();
    assert!(err.contains("callbacks"), "{err}");
}
