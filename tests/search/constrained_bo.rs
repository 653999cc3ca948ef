//! Constraint-aware Bayesian optimisation through the tuner loop: a GP per constraint, the
//! acquisition weighted by the probability that the constraints hold.

use std::sync::Arc;
use tuner::objective::violation;
use tuner::oracle::BayesianOptimization;
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::MemoryStorage;
use tuner::trial::Metrics;
use tuner::tuner::TrialError;
use tuner::Tuner;

/// The constrained minimum of `(x - 0.9)^2 + (y - 0.9)^2` on the disc of radius 0.4 around
/// (0.3, 0.3): the disc's point nearest (0.9, 0.9), at distance `0.6 sqrt 2 - 0.4`.
fn optimum() -> f64 {
    (0.6 * 2f64.sqrt() - 0.4).powi(2)
}

/// The objective and the constraint `c <= 0` (inside the disc); the unconstrained minimum
/// (0.9, 0.9) is infeasible, so a search blind to the constraint is drawn out of the disc.
fn evaluate(hp: &HyperParameters) -> Result<Metrics, TrialError> {
    let x: f64 = hp.get_as("x")?;
    let y: f64 = hp.get_as("y")?;
    Ok(Metrics::from([
        ("loss".to_owned(), (x - 0.9).powi(2) + (y - 0.9).powi(2)),
        ("c".to_owned(), (x - 0.3).powi(2) + (y - 0.3).powi(2) - 0.16),
    ]))
}

/// 40 trials of BO (6 of them the initial design), with or without the constraint declared.
fn search(constrained: bool) -> Vec<tuner::trial::Trial> {
    let space = SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .param(Param::float("y", 0.0, 1.0))
        .build()
        .unwrap();
    let name = format!("constrained-bo-{constrained}");
    let mut builder = Tuner::for_space(space, BayesianOptimization::new())
        .objective("loss")
        .max_trials(40)
        .seed(7)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(crate::common::tmp_path(module_path!(), &name))
        .project_name(name)
        .quiet(true);
    if constrained {
        builder = builder.constraints(["c"]);
    }
    let mut tuner = builder.build().unwrap();
    tuner.search_fn(|hp, _| evaluate(hp)).unwrap();
    tuner.trials().unwrap()
}

fn feasible(t: &tuner::trial::Trial) -> bool {
    let x: f64 = t.values().get_as("x").unwrap();
    let y: f64 = t.values().get_as("y").unwrap();
    (x - 0.3).powi(2) + (y - 0.3).powi(2) <= 0.16
}

#[test]
fn constrained_bo_proposes_feasible_points_and_finds_the_constrained_optimum() {
    let trials = search(true);
    assert_eq!(trials.len(), 40);
    // Every trial keeps its constraint value, and feasibility is read from it.
    assert!(trials.iter().all(|t| (violation(t) == 0.0) == feasible(t)));
    let after_design = &trials[6..];
    let ok = after_design.iter().filter(|t| feasible(t)).count();
    assert!(
        ok * 10 >= after_design.len() * 8,
        "{ok} of {} proposals after the initial design are feasible",
        after_design.len()
    );
    let best = trials
        .iter()
        .filter(|t| feasible(t))
        .map(|t| t.score.unwrap())
        .fold(f64::INFINITY, f64::min);
    assert!(
        best - optimum() < 5e-3,
        "best feasible {best} vs the constrained optimum {}",
        optimum()
    );
}

#[test]
fn without_the_constraint_bo_leaves_the_feasible_region() {
    // The same search blind to the constraint: most proposals go to the infeasible minimum,
    // so the test above measures the constraint model, not the function.
    let trials = search(false);
    let after_design = &trials[6..];
    let ok = after_design.iter().filter(|t| feasible(t)).count();
    assert!(
        ok * 2 < after_design.len(),
        "{ok} of {} feasible without the constraint",
        after_design.len()
    );
}
