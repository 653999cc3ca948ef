//! Constrained Branin (Gelbart, Snoek & Adams 2014): Branin on [-5, 10] x [0, 15] subject to
//! `(x1 - 2.5)^2 + (x2 - 7.5)^2 <= 50`, so of Branin's three minima (0.397887) only (pi,
//! 2.275) is feasible and the other two lure an oracle that ignores the constraint. Each run
//! goes through the real tuner loop with the constraint declared (`Tuner::constraints`), or
//! not (`-blind`: the same objective, the oracle never told); the regret is the best feasible
//! value found minus 0.397887, from the trials' own metrics either way.

use std::f64::consts::PI;
use std::sync::Arc;
use tuner::objective::Objective;
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::MemoryStorage;
use tuner::trial::Metrics;
use tuner::tuner::TrialError;
use tuner::Tuner;

/// Branin's minimum, reached at the one feasible minimiser (pi, 2.275).
pub const OPTIMUM: f64 = 0.397_887_357_729_738_2;

/// Branin.
pub fn branin(x1: f64, x2: f64) -> f64 {
    let b = 5.1 / (4.0 * PI * PI);
    let c = 5.0 / PI;
    let t = 1.0 / (8.0 * PI);
    (x2 - b * x1 * x1 + c * x1 - 6.0).powi(2) + 10.0 * (1.0 - t) * x1.cos() + 10.0
}

/// The constraint value: <= 0 inside the disc of radius sqrt(50) around (2.5, 7.5).
pub fn constraint(x1: f64, x2: f64) -> f64 {
    (x1 - 2.5).powi(2) + (x2 - 7.5).powi(2) - 50.0
}

/// One run of `oracle` (a name of `super::oracle`, `-blind` for an undeclared constraint):
/// the regret among feasible trials after each of `trials` (NaN while none is feasible) and
/// the share of feasible trials after the tenth.
pub fn run(oracle: &str, seed: u64, trials: &[usize]) -> (Vec<f64>, f64) {
    let (name, blind) = match oracle.strip_suffix("-blind") {
        Some(base) => (base, true),
        None => (oracle, false),
    };
    let space = SearchSpace::builder()
        .param(Param::float("x1", -5.0, 10.0))
        .param(Param::float("x2", 0.0, 15.0))
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("tuner-cbranin-{}", std::process::id()));
    let mut builder = Tuner::for_space(space, super::oracle(name))
        .objectives([Objective::minimize("f")])
        .storage(Arc::new(MemoryStorage::new()))
        .directory(&dir)
        .max_trials(*trials.iter().max().unwrap() as u64)
        .seed(seed)
        .quiet(true);
    if !blind {
        builder = builder.constraints(["c"]);
    }
    let mut tuner = builder.build().unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, _| {
            let (x1, x2): (f64, f64) = (hp.get_as("x1")?, hp.get_as("x2")?);
            Ok::<_, TrialError>(Metrics::from([
                ("f".to_owned(), branin(x1, x2)),
                ("c".to_owned(), constraint(x1, x2)),
            ]))
        })
        .unwrap();
    let history = tuner.trials().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    // Per trial (by number): its value if feasible.
    let feasible: Vec<Option<f64>> = history
        .iter()
        .map(|t| {
            let m = t.best_metrics()?;
            (m.get("c")? <= &0.0).then(|| m["f"])
        })
        .collect();
    let regret = trials
        .iter()
        .map(|&k| {
            feasible[..k.min(feasible.len())]
                .iter()
                .flatten()
                .fold(f64::NAN, |best, v| best.min(*v))
                - OPTIMUM
        })
        .collect();
    let late = &feasible[10.min(feasible.len())..];
    let share = late.iter().filter(|v| v.is_some()).count() as f64 / late.len().max(1) as f64;
    (regret, share)
}
