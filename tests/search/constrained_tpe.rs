//! The TPE with constraints (Optuna's rule: infeasible trials are good only after every
//! feasible one, least violated first): once feasible trials are known it stops sampling an
//! infeasible region that scores better, with one objective and with two; the same search with
//! the constraint undeclared keeps going there.

use std::sync::Arc;
use tuner::objective::{violation, Objective};
use tuner::oracle::Tpe;
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::MemoryStorage;
use tuner::trial::Metrics;
use tuner::tuner::TrialError;
use tuner::Tuner;

const TRIALS: u64 = 60;

/// The values of one trial at (x, y): f = x + 0.2 y (one objective), f1 = x and
/// f2 = 1 - x + y (two), and the constraint 0.4 - x (feasible for x >= 0.4: every better
/// value of f, and 40% of the two objectives' front, is infeasible).
fn evaluate(hp: &HyperParameters) -> Result<Metrics, TrialError> {
    let (x, y): (f64, f64) = (hp.get_as("x")?, hp.get_as("y")?);
    Ok(Metrics::from([
        ("f".into(), x + 0.2 * y),
        ("f1".into(), x),
        ("f2".into(), 1.0 - x + y),
        ("c".into(), 0.4 - x),
    ]))
}

/// Runs 60 trials; returns the share of feasible trials among trials 21..60 (judged from
/// the metrics, declared or not) and the smallest feasible `f`.
fn run(name: &str, objectives: &[&str], declared: bool) -> (f64, f64) {
    let space = SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .param(Param::float("y", 0.0, 1.0))
        .build()
        .unwrap();
    let mut builder = Tuner::for_space(space, Tpe::new())
        .objectives(objectives.iter().map(|o| Objective::minimize(*o)))
        .storage(Arc::new(MemoryStorage::new()))
        .directory(crate::common::tmp_path(module_path!(), name))
        .max_trials(TRIALS)
        .seed(11)
        .quiet(true);
    if declared {
        builder = builder.constraints(["c"]);
    }
    let mut tuner = builder.build().unwrap();
    tuner.search_fn(|hp, _| evaluate(hp)).unwrap();
    let trials = tuner.trials().unwrap();
    assert_eq!(trials.len() as u64, TRIALS);
    let feasible = |t: &tuner::trial::Trial| t.best_metrics().unwrap()["c"] <= 0.0;
    if declared {
        // What the oracle read agrees with the metrics.
        assert!(trials.iter().all(|t| feasible(t) == (violation(t) == 0.0)));
    }
    let late = &trials[20..];
    let share = late.iter().filter(|t| feasible(t)).count() as f64 / late.len() as f64;
    let best = trials
        .iter()
        .filter(|t| feasible(t))
        .map(|t| t.best_metrics().unwrap()["f"])
        .fold(f64::INFINITY, f64::min);
    (share, best)
}

#[test]
fn constrained_tpe_leaves_the_better_scoring_infeasible_region() {
    let (share, best) = run("one", &["f"], true);
    let (blind_share, _) = run("one-blind", &["f"], false);
    assert!(
        share >= blind_share + 0.2,
        "declared {share} vs undeclared {blind_share} of the late trials feasible"
    );
    // The feasible optimum is 0.4 (x = 0.4, y = 0).
    assert!(best < 0.5, "best feasible f {best}");
}

#[test]
fn constrained_motpe_keeps_to_the_feasible_part_of_the_front() {
    let (share, _) = run("two", &["f1", "f2"], true);
    let (blind_share, _) = run("two-blind", &["f1", "f2"], false);
    assert!(
        share >= blind_share + 0.2,
        "declared {share} vs undeclared {blind_share}"
    );
}
