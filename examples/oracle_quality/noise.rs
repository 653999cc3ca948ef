//! A noisy objective: Branin plus N(0, 1) noise, and the true (noise-free) regret at the point
//! each oracle reports after 50 and 100 trials: the best observation, and for BO also the
//! trial with the best posterior mean (`BayesianOptimization::best_by_posterior_mean`).

use super::{branin, oracle, quantile};
use std::sync::Arc;
use tuner::objective::Objective;
use tuner::oracle::{BayesianOptimization, OracleContext};
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::MemoryStorage;
use tuner::trial::{Trial, TrialState};
use tuner::tuner::TrialError;
use tuner::Tuner;

const BRANIN_MIN: f64 = 0.397_887_357_729_738;

/// A standard normal draw fixed by `seed` and `k` (splitmix64, then Box-Muller).
fn normal(seed: u64, k: u64) -> f64 {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let a = mix(seed.wrapping_mul(1_000_003).wrapping_add(2 * k));
    let b = mix(a ^ (2 * k + 1));
    let u1 = ((a >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let u2 = (b >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The true regret at the best observation among `trials`.
fn at_best_observation(trials: &[Trial]) -> f64 {
    trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .min_by(|a, b| {
            a.score
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.score.unwrap_or(f64::INFINITY))
        })
        .map_or(f64::INFINITY, |t| branin(t.values()) - BRANIN_MIN)
}

/// One noisy search; the true regrets at the reported points after each of `at` trials:
/// `(best observation, best posterior mean)` (the second only for BO).
fn run(oracle_name: &str, seed: u64, at: &[u64]) -> Vec<(f64, Option<f64>)> {
    let space = SearchSpace::builder()
        .param(Param::float("x1", -5.0, 10.0))
        .param(Param::float("x2", 0.0, 15.0))
        .build()
        .expect("valid");
    let dir = std::env::temp_dir().join(format!("tuner-oracle-noise-{}", std::process::id()));
    let max = at.iter().copied().max().unwrap_or(100);
    let mut tuner = Tuner::for_space(space.clone(), oracle(oracle_name))
        .objective("loss")
        .max_trials(max)
        .seed(seed)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(&dir)
        .project_name(format!("noise-{oracle_name}-{seed}"))
        .quiet(true)
        .build()
        .expect("a valid tuner");
    let mut k = 0;
    tuner
        .search_fn(|hp: &HyperParameters, _| {
            k += 1;
            Ok::<_, TrialError>(branin(hp) + normal(seed, k))
        })
        .expect("the search runs");
    let _ = std::fs::remove_dir_all(&dir);
    let trials = tuner.trials().expect("stored");
    let objectives = Objective::minimize("loss").into();
    at.iter()
        .map(|&n| {
            let prefix = &trials[..(n as usize).min(trials.len())];
            let by_mean = (oracle_name == "bayesian").then(|| {
                let ctx = OracleContext {
                    space: &space,
                    objectives: &objectives,
                    trials: prefix,
                    seed,
                };
                BayesianOptimization::new()
                    .best_by_posterior_mean(&ctx)
                    .and_then(|number| prefix.iter().find(|t| t.number == number))
                    .map_or(f64::INFINITY, |t| branin(t.values()) - BRANIN_MIN)
            });
            (at_best_observation(prefix), by_mean)
        })
        .collect()
}

/// Prints the noise table: median true regret over `seeds` seeds at each of `at` trials.
pub fn print(oracles: &[String], seeds: u64, at: &[u64]) {
    println!("\nBranin + N(0, 1): true regret at the reported point, median [25%, 75%] over {seeds} seeds");
    let head: Vec<String> = at.iter().map(|n| format!("{n} trials")).collect();
    println!("| oracle | reported point | {} |", head.join(" | "));
    println!("|---|---|{}", "---|".repeat(at.len()));
    for name in oracles.iter().filter(|o| *o != "grid") {
        let runs: Vec<Vec<(f64, Option<f64>)>> = (0..seeds).map(|s| run(name, s, at)).collect();
        let cell = |i: usize, mean: bool| {
            let v: Vec<f64> = runs
                .iter()
                .filter_map(|r| if mean { r[i].1 } else { Some(r[i].0) })
                .collect();
            format!(
                "{:.3} [{:.3}, {:.3}]",
                quantile(&v, 0.5),
                quantile(&v, 0.25),
                quantile(&v, 0.75)
            )
        };
        let row = |mean: bool| {
            (0..at.len())
                .map(|i| cell(i, mean))
                .collect::<Vec<_>>()
                .join(" | ")
        };
        println!("| {name} | best observation | {} |", row(false));
        if name == "bayesian" {
            println!("| {name} | best posterior mean | {} |", row(true));
        }
    }
}
