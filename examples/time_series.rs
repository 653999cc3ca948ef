//! The seed's time-series scenario: a synthetic series (trend + seasonality + noise, as in the
//! KerasTuner tutorial it comes from) cut into windows of 20 steps; a small dense network predicts
//! the next step. Tuned: the first layer's units (10..=30 step 2) and SGD's momentum
//! (0.9, 0.7, 0.5, 0.3), objective `loss`, 3 executions per trial, random search.
//!
//! `cargo run --release --example time_series -- [--max-trials N] [--epochs N]`

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::f64::consts::PI;
use tuner::data::Dataset;
use tuner::nn::{Fit, Loss, NetSpec, Network, Sgd};
use tuner::oracle::RandomSearch;
use tuner::prelude::*;
use tuner::Tuner;

const WINDOW: usize = 20;
const SPLIT: usize = 1000;

#[hypermodel]
fn windowed() -> NetSpec {
    NetSpec::input(WINDOW)
        .dense(hp_int!(units, 10..=30, step = 2))
        .relu()
        .dense(10)
        .relu()
        .dense(1)
        .loss(Loss::Mse)
        .optimizer(Sgd::new(1e-5).momentum(hp_choice!(momentum, [0.9, 0.7, 0.5, 0.3])))
}

/// baseline 10 + slope 0.05 trend + yearly seasonality of amplitude 40 + noise of sd 5.
fn series(len: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..len)
        .map(|t| {
            let season_time = (t % 365) as f64 / 365.0;
            let pattern = if season_time < 0.4 {
                (season_time * 2.0 * PI).cos()
            } else {
                1.0 / (3.0 * season_time).exp()
            };
            // Box-Muller: one standard normal from two uniforms.
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            let noise = (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos();
            10.0 + 0.05 * t as f64 + 40.0 * pattern + 5.0 * noise
        })
        .collect()
}

/// Every window of `WINDOW` steps, with the step after it as the target.
fn windows(values: &[f64]) -> Result<Dataset, tuner::Report> {
    let n = values.len() - WINDOW;
    let mut features = Vec::with_capacity(n * WINDOW);
    let mut targets = Vec::with_capacity(n);
    for i in 0..n {
        features.extend(values[i..i + WINDOW].iter().map(|v| *v as f32));
        targets.push(values[i + WINDOW] as f32);
    }
    Ok(Dataset::regression(features, vec![WINDOW], targets, 1)?)
}

// `Report` prints a failure as sentences with their causes, not a `Debug` dump.
fn main() -> Result<(), tuner::Report> {
    let (mut max_trials, mut epochs) = (20u64, 30usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| tuner::Report::msg(format!("{a} needs a value")))
        };
        match a.as_str() {
            "--max-trials" => max_trials = value()?.parse()?,
            "--epochs" => epochs = value()?.parse()?,
            other => {
                return Err(tuner::Report::msg(format!(
                    "unknown argument {other}; use --max-trials N, --epochs N"
                )))
            }
        }
    }
    let values = series(4 * 365 + 1, 42);
    let train = windows(&values[..SPLIT])?;
    let valid = windows(&values[SPLIT - WINDOW..])?;
    println!(
        "{} training windows, {} validation windows\n",
        train.len(),
        valid.len()
    );

    let mut tuner = Tuner::builder::<Windowed>(RandomSearch::new())
        .objective("loss")
        .max_trials(max_trials)
        .executions_per_trial(3)
        .seed(51)
        .directory(std::env::temp_dir().join("tuner-time-series"))
        .project_name("windowed")
        .overwrite(true)
        .build()?;
    println!("{}", tuner.search_space_summary());
    let fit = Fit::default().batch_size(32).epochs(epochs);
    let report = tuner.search(&train, &valid, fit)?;
    println!("\n{} trials in {:.1}s\n", report.trials, report.seconds);
    tuner.results_summary(3)?;

    let best: WindowedParams = tuner.best_params(1)?.remove(0);
    let model: Network = tuner.best_models(1)?.remove(0);
    let mae = model.evaluate(&valid, 256)?["mae"];
    let naive: f64 = (SPLIT..values.len())
        .map(|t| (values[t] - values[t - 1]).abs())
        .sum::<f64>()
        / (values.len() - SPLIT) as f64;
    println!(
        "\nbest params: units {}, momentum {}",
        best.units, best.momentum
    );
    println!("validation MAE of the best model: {mae:.3} (naive last-value forecast: {naive:.3})");
    Ok(())
}
