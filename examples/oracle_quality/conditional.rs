//! A conditional space: two branches of a choice, each with a nested condition, where the
//! branch that looks better at first is the worse one. Branch `a` is easy (a broad bowl, every
//! point within 0.45 of its best) but its best is 0.5; branch `b` reaches 0 in a narrower
//! corner (`b_kind = q`, then `b_z` near 0.8), and a random point of `b` is worse than one of
//! `a` on average (1.19 against 0.72). An oracle that settles in `a` after its random start
//! stays at regret 0.5.
//!
//! The same function, define-by-run, is `conditional` in `benches/peers/blackbox_peers.py`,
//! which runs Optuna's TPE on it with the same seeds and budget.

use super::{fmt, median_regret, oracle, quantile};
use std::sync::Arc;
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::MemoryStorage;
use tuner::tuner::TrialError;
use tuner::Tuner;

/// The best value in branch `a`: a run whose best is at least this never left it.
pub const BRANCH_A_BEST: f64 = 0.5;

/// The two-branch space.
pub fn space() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::choice("branch", ["a", "b"]))
        .param(Param::float("a_x", 0.0, 1.0).when("branch", ["a"]))
        .param(Param::boolean("a_deep").when("branch", ["a"]))
        .param(
            Param::float("a_y", 0.0, 1.0)
                .when("branch", ["a"])
                .when("a_deep", [true]),
        )
        .param(Param::float("b_x", 0.0, 1.0).when("branch", ["b"]))
        .param(Param::choice("b_kind", ["p", "q", "r"]).when("branch", ["b"]))
        .param(
            Param::float("b_z", 0.0, 1.0)
                .when("branch", ["b"])
                .when("b_kind", ["q"]),
        )
        .build()
        .expect("a valid space")
}

fn get(hp: &HyperParameters, name: &str) -> f64 {
    hp.get_as::<f64>(name).expect("live in this branch")
}

/// The function (minimised; minimum 0 at `b`, `b_x = 0.2`, `q`, `b_z = 0.8`).
pub fn conditional(hp: &HyperParameters) -> f64 {
    let branch = hp.get_as::<String>("branch").expect("always live");
    if branch == "a" {
        let deep = if hp.get_as::<bool>("a_deep").expect("live in a") {
            (get(hp, "a_y") - 0.5).powi(2)
        } else {
            0.2
        };
        return BRANCH_A_BEST + (get(hp, "a_x") - 0.5).powi(2) + deep;
    }
    let kind = match hp.get_as::<String>("b_kind").expect("live in b").as_str() {
        "p" => 0.6,
        "r" => 0.9,
        _ => 3.0 * (get(hp, "b_z") - 0.8).powi(2),
    };
    3.0 * (get(hp, "b_x") - 0.2).powi(2) + kind
}

/// One run: the regret after each trial and whether each trial was in branch `a`.
fn run(oracle_name: &str, trials: u64, seed: u64) -> (super::Run, Vec<bool>) {
    let dir = std::env::temp_dir().join(format!("tuner-oracle-cond-{}", std::process::id()));
    let mut tuner = Tuner::for_space(space(), oracle(oracle_name))
        .objective("loss")
        .max_trials(trials)
        .seed(seed)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(&dir)
        .project_name(format!("conditional-{oracle_name}-{seed}"))
        .quiet(true)
        .build()
        .expect("a valid tuner");
    tuner
        .search_fn(|hp: &HyperParameters, _| Ok::<_, TrialError>(conditional(hp)))
        .expect("the search runs");
    let _ = std::fs::remove_dir_all(&dir);
    let stored = tuner.trials().expect("stored");
    let in_a = stored
        .iter()
        .map(|t| t.values().get_as::<String>("branch").ok().as_deref() == Some("a"))
        .collect();
    let mut best = f64::INFINITY;
    let regret = stored
        .iter()
        .map(|t| {
            best = best.min(t.score.unwrap_or(f64::INFINITY));
            best
        })
        .collect();
    let run = super::Run {
        regret,
        seconds: Vec::new(),
        failed: vec![false; stored.len()],
        error: None,
    };
    (run, in_a)
}

/// Per oracle: the runs, and per run the share of its trials in branch `a`.
pub fn results(
    oracles: &[String],
    seeds: u64,
    trials: u64,
) -> Vec<(String, Vec<super::Run>, Vec<f64>)> {
    oracles
        .iter()
        .filter(|o| *o != "grid")
        .map(|name| {
            let (runs, shares): (Vec<_>, Vec<_>) = (0..seeds)
                .map(|s| {
                    let (run, in_a) = run(name, trials, s);
                    let share = in_a.iter().filter(|a| **a).count() as f64 / in_a.len() as f64;
                    (run, share)
                })
                .unzip();
            (name.clone(), runs, shares)
        })
        .collect()
}

/// Prints the conditional table: median regret at each budget, the runs stuck in branch `a`
/// (best >= 0.5 at the largest budget) and the median share of trials in `a`.
pub fn print(oracles: &[String], seeds: u64, at: &[u64]) {
    let max = at.iter().copied().max().unwrap_or(100);
    println!("\nConditional two-branch function ({seeds} seeds): median regret [25%, 75%]; runs stuck in branch a after {max}; median share of trials in a");
    let head: Vec<String> = at.iter().map(|n| format!("{n} trials")).collect();
    println!(
        "| oracle | {} | stuck in a | trials in a |",
        head.join(" | ")
    );
    println!("|---|{}---|---|", "---|".repeat(at.len()));
    for (name, runs, shares) in results(oracles, seeds, max) {
        let cells: Vec<String> = at
            .iter()
            .map(|&n| {
                let v: Vec<f64> = runs
                    .iter()
                    .map(|r| r.regret[(n as usize).min(r.regret.len()) - 1])
                    .collect();
                format!(
                    "{} [{}, {}]",
                    fmt(median_regret(&runs, n as usize)),
                    fmt(quantile(&v, 0.25)),
                    fmt(quantile(&v, 0.75))
                )
            })
            .collect();
        let stuck = runs
            .iter()
            .filter(|r| r.regret.last().is_some_and(|b| *b >= BRANCH_A_BEST))
            .count();
        println!(
            "| {name} | {} | {stuck} of {} | {:.0}% |",
            cells.join(" | "),
            runs.len(),
            100.0 * quantile(&shares, 0.5)
        );
    }
}
