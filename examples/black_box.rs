//! Black-box minimisation through the closure API (KerasTuner's overridden `run_trial`):
//! KerasTuner's `x*x + 2x + 1` example with random search, then Branin with random search and
//! a grid, each compared with its known optimum.
//!
//! `cargo run --release --example black_box`

use std::f64::consts::PI;
use tuner::oracle::{GridSearch, RandomSearch};
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::tuner::TrialError;
use tuner::Tuner;

fn branin(x1: f64, x2: f64) -> f64 {
    let b = 5.1 / (4.0 * PI * PI);
    let c = 5.0 / PI;
    let t = 1.0 / (8.0 * PI);
    (x2 - b * x1 * x1 + c * x1 - 6.0).powi(2) + 10.0 * (1.0 - t) * x1.cos() + 10.0
}

/// Branin's global minimum, reached at (-pi, 12.275), (pi, 2.275) and (9.42478, 2.475).
const BRANIN_MIN: f64 = 0.397_887_357_729_738;

// `Report` prints a failure as sentences with their causes, not a `Debug` dump.
fn main() -> Result<(), tuner::Report> {
    let dir = std::env::temp_dir().join("tuner-black-box");

    // KerasTuner's getting-started example: minimise x*x + 2x + 1 over x in [-1, 1].
    let space = SearchSpace::builder()
        .param(Param::float("x", -1.0, 1.0))
        .build()?;
    let mut tuner = Tuner::for_space(space, RandomSearch::new())
        .objective("loss")
        .max_trials(20)
        .seed(1)
        .directory(&dir)
        .project_name("quadratic")
        .overwrite(true)
        .quiet(true)
        .build()?;
    tuner.search_fn(|hp: &HyperParameters, _| {
        let x = hp.get_as::<f64>("x")?;
        Ok::<_, TrialError>(x * x + 2.0 * x + 1.0)
    })?;
    tuner.results_summary(1)?;
    let best = tuner.best_trials(1)?.remove(0);
    println!(
        "\nx*x + 2x + 1: best {:.6} (optimum 0 at x = -1)\n",
        best.score.unwrap_or(f64::NAN)
    );

    // Branin over its usual box, 60 random trials vs an 11 x 11 grid.
    let space = SearchSpace::builder()
        .param(Param::float("x1", -5.0, 10.0).step(1.5))
        .param(Param::float("x2", 0.0, 15.0).step(1.5))
        .build()?;
    let continuous = SearchSpace::builder()
        .param(Param::float("x1", -5.0, 10.0))
        .param(Param::float("x2", 0.0, 15.0))
        .build()?;
    let objective = |hp: &HyperParameters, _: &mut tuner::tuner::TrialContext<'_>| {
        Ok::<_, TrialError>(branin(hp.get_as("x1")?, hp.get_as("x2")?))
    };
    println!(
        "{:<8} {:>7} {:>12} {:>12}",
        "oracle", "trials", "best", "regret"
    );
    let mut random = Tuner::for_space(continuous, RandomSearch::new())
        .objective("loss")
        .max_trials(60)
        .seed(2)
        .directory(&dir)
        .project_name("branin_random")
        .overwrite(true)
        .quiet(true)
        .build()?;
    let report = random.search_fn(objective)?;
    let best = random.best_trials(1)?[0].score.unwrap_or(f64::NAN);
    println!(
        "{:<8} {:>7} {:>12.6} {:>12.6}",
        "random",
        report.trials,
        best,
        best - BRANIN_MIN
    );
    let mut grid = Tuner::for_space(space, GridSearch::new())
        .objective("loss")
        .directory(&dir)
        .project_name("branin_grid")
        .overwrite(true)
        .quiet(true)
        .build()?;
    let report = grid.search_fn(objective)?;
    let best = grid.best_trials(1)?[0].score.unwrap_or(f64::NAN);
    println!(
        "{:<8} {:>7} {:>12.6} {:>12.6}",
        "grid",
        report.trials,
        best,
        best - BRANIN_MIN
    );
    Ok(())
}
