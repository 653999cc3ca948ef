//! Failing and diverging objectives: what is stored, what ends a search, and that the oracles
//! learn from failures instead of proposing the failing region again and again.

use tuner::oracle::{BayesianOptimization, GridSearch, Oracle, RandomSearch, Tpe};
use tuner::space::{HyperParameters, Param, SearchSpace, Value};
use tuner::trial::{Metrics, TrialState, DIVERGED};
use tuner::tuner::{Dynamic, TrialError, TunerBuilder};
use tuner::{Tuner, TunerError};

fn tmp(name: &str) -> std::path::PathBuf {
    crate::common::tmp_path(module_path!(), name)
}

/// A quiet tuner over `space` (stored in SQLite, so attributes round-trip) in its own folder.
fn setup(space: SearchSpace, oracle: impl Oracle + 'static, dir: &str) -> TunerBuilder<Dynamic> {
    Tuner::for_space(space, oracle)
        .directory(tmp(dir))
        .objective("loss")
        .overwrite(true)
        .quiet(true)
}

fn ints(n: i64) -> SearchSpace {
    SearchSpace::builder()
        .param(Param::int("i", 0, n - 1))
        .build()
        .unwrap()
}

#[test]
fn non_finite_objectives_are_failed_as_diverged_with_their_value_kept() {
    let mut tuner = setup(ints(4), GridSearch::new(), "kept").build().unwrap();
    let report = tuner
        .search_fn(|hp: &HyperParameters, _| {
            Ok::<_, TrialError>(match hp.get_as::<i64>("i")? {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => f64::NEG_INFINITY,
                _ => 1.5,
            })
        })
        .unwrap();
    assert_eq!(report.trials, 4);
    let trials = tuner.trials().unwrap();
    for (t, text) in trials.iter().zip(["NaN", "inf", "-inf"]) {
        assert_eq!(t.state, TrialState::Failed, "trial {}", t.number);
        assert!(t.diverged());
        assert_eq!(t.score, None);
        assert_eq!(t.plan.attrs.get(DIVERGED), Some(&Value::Str(text.into())));
        let message = t.message.as_deref().unwrap();
        assert!(message.starts_with("diverged: "), "{message}");
        assert!(message.contains("no finite value of `loss`"), "{message}");
    }
    assert_eq!(trials[3].state, TrialState::Completed);
    assert!(!trials[3].diverged() && !trials[3].plan.attrs.contains_key(DIVERGED));
    // -inf never becomes the best: the only result is the finite one.
    assert_eq!(tuner.best_trials(1).unwrap()[0].score, Some(1.5));
}

#[test]
fn with_the_defaults_a_search_that_always_diverges_runs_to_max_trials() {
    let mut tuner = setup(ints(50), RandomSearch::new(), "always")
        .max_trials(12)
        .build()
        .unwrap();
    let report = tuner
        .search_fn(|_: &HyperParameters, _| Ok::<_, TrialError>(f64::NAN))
        .unwrap();
    assert_eq!(report.trials, 12);
    assert_eq!(report.failed, 12);
}

#[test]
fn errors_still_end_the_search_and_divergence_neither_counts_nor_resets() {
    // error, diverged, error, error: the third error in a row (divergence between) ends it.
    let mut tuner = setup(ints(6), GridSearch::new(), "errors").build().unwrap();
    let err = tuner
        .search_fn(|hp: &HyperParameters, _| match hp.get_as::<i64>("i")? {
            1 => Ok(f64::NAN),
            _ => Err(TrialError::failed("shape mismatch")),
        })
        .unwrap_err();
    match err {
        TunerError::TooManyFailures { count, trial, .. } => assert_eq!((count, trial), (3, 3)),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn kerastuners_rule_counts_divergence_as_a_failure() {
    let mut tuner = setup(ints(50), RandomSearch::new(), "keras")
        .count_diverged_as_failed(true)
        .build()
        .unwrap();
    let err = tuner
        .search_fn(|_: &HyperParameters, _| Ok::<_, TrialError>(f64::INFINITY))
        .unwrap_err();
    match err {
        TunerError::TooManyFailures { count, message, .. } => {
            assert_eq!(count, 3);
            assert!(message.starts_with("diverged"), "{message}");
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn a_curve_that_diverges_late_keeps_its_best_finite_epoch() {
    let mut tuner = setup(ints(1), GridSearch::new(), "late").build().unwrap();
    tuner
        .search_fn(|_: &HyperParameters, ctx| {
            for (epoch, v) in [(0, 0.9), (1, 0.4), (2, f64::NEG_INFINITY), (3, f64::NAN)] {
                ctx.report(epoch, Metrics::from([("loss".into(), v)]));
            }
            Ok::<_, TrialError>(())
        })
        .unwrap();
    let t = &tuner.trials().unwrap()[0];
    assert_eq!(t.state, TrialState::Completed);
    assert_eq!((t.score, t.best_epoch), (Some(0.4), Some(1)));
}

/// Branin with NaN wherever `x1 > 5`.
fn branin_nan(hp: &HyperParameters) -> Result<f64, TrialError> {
    let (x1, x2): (f64, f64) = (hp.get_as("x1")?, hp.get_as("x2")?);
    if x1 > 5.0 {
        return Ok(f64::NAN);
    }
    let pi = std::f64::consts::PI;
    let b = 5.1 / (4.0 * pi * pi);
    Ok((x2 - b * x1 * x1 + 5.0 / pi * x1 - 6.0).powi(2)
        + 10.0 * (1.0 - 1.0 / (8.0 * pi)) * x1.cos()
        + 10.0)
}

/// How many of trials `from..` of a search of `trials` on the NaN-region Branin failed.
fn failures_after(oracle: impl Oracle + 'static, name: &str, trials: u64, from: usize) -> usize {
    let space = SearchSpace::builder()
        .param(Param::float("x1", -5.0, 10.0))
        .param(Param::float("x2", 0.0, 15.0))
        .build()
        .unwrap();
    let mut tuner = setup(space, oracle, name)
        .max_trials(trials)
        .seed(3)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, _| branin_nan(hp))
        .unwrap();
    let all = tuner.trials().unwrap();
    assert_eq!(all.len() as u64, trials, "the search ran to max_trials");
    all[from..]
        .iter()
        .filter(|t| t.state == TrialState::Failed)
        .count()
}

#[test]
fn bayesian_optimisation_leaves_a_failing_region() {
    // Before failures were modelled, nearly every trial after the initial design (6 trials)
    // failed: the acquisition's best point stayed where the last failure was.
    let failed = failures_after(BayesianOptimization::new(), "bo", 30, 10);
    assert!(failed <= 10, "{failed} of the last 20 trials failed");
}

#[test]
fn tpe_counts_failures_as_bad_trials() {
    let failed = failures_after(Tpe::new(), "tpe", 60, 20);
    assert!(failed <= 16, "{failed} of the last 40 trials failed");
}
