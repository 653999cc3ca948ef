//! The search loop with KerasTuner's rules: counts, retries, failures, executions, Hyperband.

use crate::six_points;
use std::cell::Cell;
use std::rc::Rc;
use tuner::objective::Objective;
use tuner::oracle::{GridSearch, Hyperband, Oracle, RandomSearch};
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::trial::{Metrics, TrialState};
use tuner::tuner::{Dynamic, Outcome, TrialError, TunerBuilder};
use tuner::{Tuner, TunerError};

fn seed_time_series_space() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::int("units", 10, 30).step(2))
        .param(Param::choice("momentum", [0.9, 0.7, 0.5, 0.3]))
        .build()
        .unwrap()
}

fn tmp(name: &str) -> std::path::PathBuf {
    crate::common::tmp_path(module_path!(), name)
}

/// A quiet tuner over `space` in its own temporary folder.
fn setup(space: SearchSpace, oracle: impl Oracle + 'static, dir: &str) -> TunerBuilder<Dynamic> {
    Tuner::for_space(space, oracle)
        .directory(tmp(dir))
        .quiet(true)
}

#[test]
fn grid_over_the_seed_space_runs_exactly_44_distinct_trials() {
    let mut tuner = setup(seed_time_series_space(), GridSearch::new(), "grid44")
        .objective("loss")
        .build()
        .unwrap();
    let report = tuner
        .search_fn(|hp: &HyperParameters, _| {
            let units = hp.get_as::<i64>("units")? as f64;
            let m = hp.get_as::<f64>("momentum")?;
            Ok::<_, TrialError>((units - 20.0).abs() + m)
        })
        .unwrap();
    assert_eq!(report.trials, 44);
    assert!(report.stop_reason.contains("44"), "{}", report.stop_reason);
    let trials = tuner.trials().unwrap();
    let keys: std::collections::HashSet<String> = trials.iter().map(|t| t.values().key()).collect();
    assert_eq!(keys.len(), 44);
    let best = &tuner.best_values(1).unwrap()[0];
    assert_eq!(best.get_as::<i64>("units").unwrap(), 20);
    assert_eq!(best.get_as::<f64>("momentum").unwrap(), 0.3);
}

#[test]
fn random_search_on_six_points_runs_six_and_stops_cleanly() {
    let mut tuner = setup(six_points(), RandomSearch::new(), "random6")
        .objective("loss")
        .max_trials(50)
        .seed(7)
        .build()
        .unwrap();
    let report = tuner
        .search_fn(|hp: &HyperParameters, _| Ok::<_, TrialError>(hp.get_as::<i64>("a")? as f64))
        .unwrap();
    assert_eq!(report.trials, 6);
    assert!(
        report.stop_reason.contains("all 6"),
        "{}",
        report.stop_reason
    );
    assert_eq!(tuner.remaining_trials().unwrap(), Some(44));
}

#[test]
fn max_trials_counts_every_trial() {
    let space = SearchSpace::builder()
        .param(Param::float("x", -5.0, 5.0))
        .build()
        .unwrap();
    let mut tuner = setup(space, RandomSearch::new(), "max12")
        .objective("loss")
        .max_trials(12)
        .build()
        .unwrap();
    let report = tuner
        .search_fn(|hp: &HyperParameters, _| {
            let x = hp.get_as::<f64>("x")?;
            Ok::<_, TrialError>(x * x + 2.0 * x + 1.0)
        })
        .unwrap();
    assert_eq!(report.trials, 12);
    assert_eq!(tuner.remaining_trials().unwrap(), Some(0));
    let best = tuner.best_trials(1).unwrap()[0].score.unwrap();
    let all: Vec<f64> = tuner
        .trials()
        .unwrap()
        .iter()
        .filter_map(|t| t.score)
        .collect();
    assert!(all.iter().all(|s| *s >= best));
}

#[test]
fn executions_per_trial_average_the_curves() {
    let mut tuner = setup(six_points(), GridSearch::new(), "exec")
        .objective("loss")
        .max_trials(1)
        .executions_per_trial(3)
        .build()
        .unwrap();
    tuner
        .search_fn(|_: &HyperParameters, ctx| {
            let e = ctx.execution() as f64;
            for epoch in 0..2 {
                ctx.report(epoch, Metrics::from([("loss".into(), e + epoch as f64)]));
            }
            Ok::<_, TrialError>(())
        })
        .unwrap();
    let trial = &tuner.trials().unwrap()[0];
    // executions 0,1,2 -> epoch 0 mean 1.0, epoch 1 mean 2.0; best (min) is epoch 0.
    assert_eq!(trial.metric("loss"), vec![(0, 1.0), (1, 2.0)]);
    assert_eq!((trial.score, trial.best_epoch), (Some(1.0), Some(0)));
}

#[test]
fn invalid_trials_are_retried_then_failed() {
    let calls = Rc::new(Cell::new(0));
    let seen = calls.clone();
    let mut tuner = setup(six_points(), GridSearch::new(), "retry")
        .objective("loss")
        .max_trials(2)
        .max_retries_per_trial(2)
        .max_consecutive_failed_trials(5)
        .build()
        .unwrap();
    let report = tuner
        .search_fn(move |hp: &HyperParameters, _| {
            seen.set(seen.get() + 1);
            if hp.get_as::<i64>("a")? == 1 && !hp.get_as::<bool>("b")? {
                return Err(TrialError::invalid("flaky data loader"));
            }
            Ok(1.0)
        })
        .unwrap();
    let trials = tuner.trials().unwrap();
    assert_eq!(trials[0].state, TrialState::Failed);
    assert_eq!(trials[0].retries, 2);
    assert_eq!(trials[0].message.as_deref(), Some("flaky data loader"));
    assert_eq!(trials[1].state, TrialState::Completed);
    assert_eq!(calls.get(), 3 + 1);
    assert_eq!((report.failed, report.completed, report.retries), (1, 1, 2));
}

#[test]
fn nan_score_is_invalid_and_failed_errors_are_not_retried() {
    let mut tuner = setup(six_points(), GridSearch::new(), "nan")
        .objective("loss")
        .max_trials(2)
        .max_retries_per_trial(3)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, _| {
            if hp.get_as::<bool>("b")? {
                return Err(TrialError::failed("model too large"));
            }
            Ok(f64::NAN)
        })
        .unwrap();
    let trials = tuner.trials().unwrap();
    assert_eq!(trials[0].state, TrialState::Failed);
    assert_eq!(trials[0].retries, 3, "NaN is Invalid, so it is retried");
    assert_eq!(trials[1].retries, 0, "Failed is final");
    assert!(tuner.best_params(1).is_err());
}

#[test]
fn consecutive_failures_end_the_search_with_the_last_message() {
    let mut tuner = setup(seed_time_series_space(), GridSearch::new(), "consecutive")
        .objective("loss")
        .build()
        .unwrap();
    let err = tuner
        .search_fn(|_: &HyperParameters, _| -> Result<f64, TrialError> {
            Err(TrialError::failed("CUDA out of memory"))
        })
        .unwrap_err();
    match err {
        TunerError::TooManyFailures { count, message, .. } => {
            assert_eq!(count, 3);
            assert_eq!(message, "CUDA out of memory");
        }
        other => panic!("unexpected {other}"),
    }
    assert_eq!(tuner.trials().unwrap().len(), 3);
}

#[test]
fn a_panicking_objective_does_not_abort_the_search() {
    let mut tuner = setup(six_points(), GridSearch::new(), "panic")
        .objective("loss")
        .build()
        .unwrap();
    let report = tuner
        .search_fn(|hp: &HyperParameters, _| {
            let a = hp.get_as::<i64>("a")?;
            assert!(a != 2, "a == 2 is not supported");
            Ok::<_, TrialError>(a as f64)
        })
        .unwrap();
    assert_eq!((report.trials, report.completed, report.failed), (6, 4, 2));
    let failed = tuner
        .trials()
        .unwrap()
        .into_iter()
        .find(|t| t.state == TrialState::Failed);
    assert!(failed
        .unwrap()
        .message
        .unwrap()
        .contains("a == 2 is not supported"));
}

#[test]
fn hyperband_runs_keras_tuner_brackets_and_continues_parents() {
    let space = SearchSpace::builder()
        .param(Param::float("lr", 1e-4, 1e-1).log())
        .build()
        .unwrap();
    let mut tuner = setup(space, Hyperband::new(10).factor(3), "hyperband")
        .objective("val_loss")
        .seed(3)
        .build()
        .unwrap();
    let report = tuner
        .search_fn(|hp: &HyperParameters, ctx| {
            let lr = hp.get_as::<f64>("lr")?;
            let end = ctx.epochs().expect("Hyperband sets an epoch budget");
            for epoch in ctx.initial_epoch()..end {
                let loss = (lr.log10() + 2.0).powi(2) + 1.0 / (epoch as f64 + 1.0);
                ctx.report(epoch, Metrics::from([("val_loss".into(), loss)]));
            }
            Ok::<_, TrialError>(())
        })
        .unwrap();
    // 12x2, 4x4, 2x10 / 6x4, 2x10 / 4x10
    assert_eq!(report.trials, 12 + 4 + 2 + 6 + 2 + 4);
    let trials = tuner.trials().unwrap();
    let budgets: Vec<(u32, u32)> = trials
        .iter()
        .map(|t| (t.plan.initial_epoch, t.plan.epochs.unwrap()))
        .collect();
    assert_eq!(budgets.iter().filter(|b| **b == (0, 2)).count(), 12);
    assert_eq!(budgets.iter().filter(|b| **b == (2, 4)).count(), 4);
    assert_eq!(budgets.iter().filter(|b| **b == (4, 10)).count(), 2 + 2);
    assert_eq!(budgets.iter().filter(|b| **b == (0, 4)).count(), 6);
    assert_eq!(budgets.iter().filter(|b| **b == (0, 10)).count(), 4);
    // Promoted trials continue the best of their round with the same values.
    for t in trials.iter().filter(|t| t.plan.parent.is_some()) {
        let parent = &trials[t.plan.parent.unwrap() as usize];
        assert_eq!(parent.values(), t.values());
        assert_eq!(parent.plan.epochs, Some(t.plan.initial_epoch));
    }
    let round0: Vec<_> = trials.iter().filter(|t| t.plan.epochs == Some(2)).collect();
    let promoted: Vec<_> = trials
        .iter()
        .filter(|t| t.plan.initial_epoch == 2)
        .map(|t| t.plan.parent.unwrap())
        .collect();
    let mut scores: Vec<f64> = round0.iter().map(|t| t.score.unwrap()).collect();
    scores.sort_by(f64::total_cmp);
    for p in promoted {
        assert!(
            trials[p as usize].score.unwrap() <= scores[3],
            "only the best 4 are promoted"
        );
    }
}

#[test]
fn resuming_with_another_objective_is_an_error_naming_it() {
    let storage: std::sync::Arc<dyn tuner::storage::Storage> =
        std::sync::Arc::new(tuner::storage::MemoryStorage::new());
    let build = |objective: Objective| {
        setup(six_points(), GridSearch::new(), "conflict")
            .objectives([objective])
            .storage(storage.clone())
            .build()
    };
    build(Objective::minimize("loss")).unwrap();
    let err = build(Objective::maximize("loss")).err().unwrap();
    assert!(err.to_string().contains("different objective"), "{err}");
}

#[test]
fn a_closure_may_return_a_metrics_map() {
    let mut tuner = setup(six_points(), GridSearch::new(), "metrics")
        .objective("val_accuracy")
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, _| {
            let a = hp.get_as::<i64>("a")? as f64;
            Ok::<_, TrialError>(Outcome::Metrics(Metrics::from([
                ("val_accuracy".into(), a / 10.0),
                ("loss".into(), 1.0 - a / 10.0),
            ])))
        })
        .unwrap();
    let summary = tuner.results_summary_string(2).unwrap();
    assert!(
        summary.starts_with("Results summary\nResults in "),
        "{summary}"
    );
    assert!(summary.contains("Showing 2 best trials"));
    assert!(summary.contains("Objective(name=\"val_accuracy\", direction=\"max\")"));
    assert!(summary.contains("a: 3\n"));
    assert!(summary.contains("Score: 0.3"));
}

/// Stops every odd-numbered trial after its second epoch.
struct OddTrials;

impl tuner::pruner::Pruner for OddTrials {
    fn name(&self) -> &'static str {
        "odd"
    }
    fn prune(&self, ctx: &tuner::pruner::PrunerContext<'_>) -> bool {
        ctx.trial % 2 == 1 && ctx.epoch >= 1 && ctx.history.len() == 2
    }
}

#[test]
fn a_pruned_trial_is_stopped_keeps_its_history_and_frees_its_slot() {
    let mut tuner = setup(six_points(), GridSearch::new(), "pruned")
        .objective("val_loss")
        .max_trials(4)
        .pruner(OddTrials)
        .build()
        .unwrap();
    let report = tuner
        .search_fn(|_: &HyperParameters, ctx| {
            for epoch in 0..5 {
                let m = Metrics::from([("val_loss".into(), 1.0 / (epoch as f64 + 1.0))]);
                if ctx.report(epoch, m) == tuner::tuner::Control::Stop {
                    break;
                }
            }
            Ok::<_, TrialError>(())
        })
        .unwrap();
    assert_eq!(report.trials, 4);
    let trials = tuner.trials().unwrap();
    let states: Vec<TrialState> = trials.iter().map(|t| t.state).collect();
    use TrialState::{Completed, Stopped};
    assert_eq!(states, vec![Completed, Stopped, Completed, Stopped]);
    assert_eq!(trials[1].history.len(), 2);
    assert_eq!(trials[1].score, Some(0.5));
    assert!(trials[1].message.as_deref().unwrap().contains("odd pruner"));
    assert!(tuner
        .best_trials(4)
        .unwrap()
        .iter()
        .all(|t| t.state == Completed));
}

#[test]
fn two_objectives_keep_a_pareto_front_and_a_scalar_view() {
    let space = SearchSpace::builder()
        .param(Param::int("x", 0, 4))
        .build()
        .unwrap();
    let mut tuner = setup(space, GridSearch::new(), "pareto")
        .objectives([Objective::minimize("cost"), Objective::maximize("quality")])
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, _| {
            let x = hp.get_as::<i64>("x")? as f64;
            // x = 4 is dominated by x = 3 (same quality, higher cost).
            let quality = x.min(3.0) * 2.0;
            Ok::<_, TrialError>(Metrics::from([
                ("cost".into(), x),
                ("quality".into(), quality),
            ]))
        })
        .unwrap();
    let front: Vec<i64> = tuner
        .pareto_front()
        .unwrap()
        .iter()
        .map(|t| t.values().get_as::<i64>("x").unwrap())
        .collect();
    assert_eq!(front, vec![0, 1, 2, 3]);
    // Scalarised: cost - quality, smallest at x = 3 (3 - 6 = -3).
    let best = tuner.best_trials(1).unwrap().remove(0);
    assert_eq!(best.values().get_as::<i64>("x").unwrap(), 3);
    assert_eq!(best.score, Some(-3.0));
}

#[test]
fn hyperband_iterations_repeat_every_bracket() {
    let space = SearchSpace::builder()
        .param(Param::float("lr", 1e-4, 1e-1).log())
        .build()
        .unwrap();
    let mut tuner = setup(
        space,
        Hyperband::new(10).factor(3).iterations(2),
        "hb-iterations",
    )
    .objective("val_loss")
    .build()
    .unwrap();
    let report = tuner
        .search_fn(|hp: &HyperParameters, ctx| {
            let lr = hp.get_as::<f64>("lr")?;
            for epoch in ctx.initial_epoch()..ctx.epochs().unwrap() {
                ctx.report(
                    epoch,
                    Metrics::from([("val_loss".into(), lr / (epoch + 1) as f64)]),
                );
            }
            Ok::<_, TrialError>(())
        })
        .unwrap();
    assert_eq!(report.trials, 2 * 30);
    assert!(
        report.stop_reason.contains("all 2 Hyperband iteration(s)"),
        "{}",
        report.stop_reason
    );
}

/// What a trial ends with in both paths below, by the value of its `i`.
fn same_outcome(i: i64) -> Result<Outcome, TrialError> {
    match i {
        0 => Ok(Outcome::Score(0.25)),
        1 => Ok(Outcome::Score(f64::NAN)),
        2 => Ok(Outcome::Metrics(Metrics::from([
            ("loss".into(), 0.5),
            ("acc".into(), 0.75),
        ]))),
        // The objective is missing: no finite score, like NaN.
        3 => Ok(Outcome::Metrics(Metrics::from([("acc".into(), 0.75)]))),
        4 => Err(TrialError::invalid("flaky data loader")),
        5 => Err(TrialError::failed("model too large")),
        6 => Ok(Outcome::Score(-0.0)),
        _ => Ok(Outcome::Reported),
    }
}

/// The epochs trial `i = 7` reports before returning `()`.
fn same_curve() -> Vec<(u32, Metrics)> {
    vec![
        (0, Metrics::from([("loss".into(), 0.9)])),
        (1, Metrics::from([("loss".into(), 0.4)])),
    ]
}

/// A trial as both paths store it, without what only timing decides.
fn untimed(mut t: tuner::trial::Trial) -> tuner::trial::Trial {
    t.seconds = 0.0;
    t.plan.attrs.remove(tuner::tuner::ASKED_AT);
    // The storage stamps the completion time as it stores the trial, after `tell` built the
    // value it returns; tests/report/timeline.rs checks the times.
    t.datetime_start = None;
    t.datetime_complete = None;
    t
}

/// The search loop and ask/tell end trials through the one `Study::finish`: the same outcome
/// (a score, NaN, a metrics map, a missing objective, errors, a reported curve) is stored
/// as the same trial either way.
#[test]
fn searched_and_told_trials_are_stored_alike() {
    let space = || {
        SearchSpace::builder()
            .param(Param::int("i", 0, 7))
            .build()
            .unwrap()
    };
    let mut tuner = setup(space(), GridSearch::new(), "same-search")
        .objective("loss")
        .max_consecutive_failed_trials(10)
        .overwrite(true)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, ctx| {
            let i = hp.get_as::<i64>("i")?;
            if i == 7 {
                for (epoch, m) in same_curve() {
                    ctx.report(epoch, m);
                }
            }
            same_outcome(i)
        })
        .unwrap();
    let searched: Vec<_> = tuner.trials().unwrap().into_iter().map(untimed).collect();

    let db = tmp("same-told").join("study.db");
    let _ = std::fs::remove_dir_all(tmp("same-told"));
    std::fs::create_dir_all(tmp("same-told")).unwrap();
    let storage = std::sync::Arc::new(tuner::storage::SqliteStorage::open(&db).unwrap());
    let study = tuner::study::Study::open(
        storage,
        "untitled_project",
        space(),
        Objective::minimize("loss").into(),
        Box::new(GridSearch::new()),
        false,
    )
    .unwrap();
    let mut told = Vec::new();
    for _ in 0..8 {
        let trial = study.ask().unwrap();
        let i = trial.values().get_as::<i64>("i").unwrap();
        if i == 7 {
            for (epoch, m) in same_curve() {
                study.report(trial.number, epoch, m).unwrap();
            }
        }
        told.push(untimed(study.tell(trial.number, same_outcome(i)).unwrap()));
    }
    // Trials are compared as Debug text: NaN is never equal to itself.
    let stored: Vec<_> = study.trials().unwrap().into_iter().map(untimed).collect();
    assert_eq!(
        format!("{stored:?}"),
        format!("{told:?}"),
        "tell returns the trial as stored"
    );
    assert_eq!(searched.len(), 8);
    for (s, t) in searched.iter().zip(&told) {
        assert_eq!(
            format!("{s:?}"),
            format!("{t:?}"),
            "trial {} differs between search and tell",
            s.number
        );
    }
    use TrialState::{Completed, Failed};
    let states: Vec<TrialState> = searched.iter().map(|t| t.state).collect();
    assert_eq!(
        states,
        [Completed, Failed, Completed, Failed, Failed, Failed, Completed, Completed]
    );
    assert!(searched[1]
        .message
        .as_deref()
        .unwrap()
        .contains("no finite value of `loss`"));
    assert_eq!(searched[2].score, Some(0.5));
    assert_eq!(
        searched[6].score.map(f64::to_bits),
        Some((-0.0f64).to_bits())
    );
    assert_eq!(
        (searched[7].score, searched[7].best_epoch),
        (Some(0.4), Some(1))
    );
}

/// A NaN score is Invalid: the loop retries it, and only then fails it.
#[test]
fn a_nan_score_is_retried_before_it_fails() {
    let mut tuner = setup(six_points(), GridSearch::new(), "nan-retry")
        .objective("loss")
        .max_trials(1)
        .max_retries_per_trial(1)
        .build()
        .unwrap();
    let calls = Rc::new(Cell::new(0));
    let seen = calls.clone();
    tuner
        .search_fn(move |_: &HyperParameters, _| {
            seen.set(seen.get() + 1);
            Ok::<_, TrialError>(if seen.get() == 1 { f64::NAN } else { 2.0 })
        })
        .unwrap();
    let trial = &tuner.trials().unwrap()[0];
    assert_eq!(calls.get(), 2);
    assert_eq!(
        (trial.state, trial.retries, trial.score),
        (TrialState::Completed, 1, Some(2.0))
    );
    assert_eq!(trial.message, None);
}

/// A trial `report` told to stop stays Stopped when told, even if the pruner would now let it
/// go on; one it never stopped is Completed though the pruner would now stop it.
#[test]
fn tell_keeps_the_pruners_verdict_from_report() {
    /// Stops trial 0 at its first look, then never again.
    struct Once(std::sync::atomic::AtomicBool);
    impl tuner::pruner::Pruner for Once {
        fn name(&self) -> &'static str {
            "once"
        }
        fn prune(&self, _: &tuner::pruner::PrunerContext<'_>) -> bool {
            !self.0.swap(true, std::sync::atomic::Ordering::SeqCst)
        }
    }
    let study = tuner::study::Study::open(
        std::sync::Arc::new(tuner::storage::MemoryStorage::new()),
        "verdict",
        six_points(),
        Objective::minimize("loss").into(),
        Box::new(GridSearch::new()),
        false,
    )
    .unwrap()
    .with_pruner(Some(Box::new(Once(Default::default()))));
    let loss = |v: f64| Metrics::from([("loss".into(), v)]);
    let first = study.ask().unwrap();
    assert_eq!(
        study.report(first.number, 0, loss(1.0)).unwrap(),
        tuner::tuner::Control::Stop
    );
    let told = study.tell(first.number, Ok::<_, TrialError>(())).unwrap();
    assert_eq!(told.state, TrialState::Stopped);
    assert!(told.message.unwrap().contains("once pruner"));
    let second = study.ask().unwrap();
    assert_eq!(
        study.report(second.number, 0, loss(2.0)).unwrap(),
        tuner::tuner::Control::Continue
    );
    let told = study.tell(second.number, Ok::<_, TrialError>(())).unwrap();
    assert_eq!(told.state, TrialState::Completed);
}

#[test]
fn resuming_with_another_oracle_setting_names_it() {
    let storage: std::sync::Arc<dyn tuner::storage::Storage> =
        std::sync::Arc::new(tuner::storage::MemoryStorage::new());
    let build = |factor: u32| {
        setup(
            six_points(),
            Hyperband::new(9).factor(factor),
            "oracle-setting",
        )
        .objective("loss")
        .storage(storage.clone())
        .build()
    };
    build(3).unwrap();
    let err = build(4).err().unwrap().to_string();
    assert!(
        err.contains("different hyperband setting `factor`: stored 3, given 4"),
        "{err}"
    );
}
