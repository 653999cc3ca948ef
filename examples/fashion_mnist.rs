//! The README's main job: tune an MLP on Fashion-MNIST with Hyperband and random search,
//! retrain the best params on the whole training set, and compare test accuracy with a
//! hand-picked baseline.
//!
//! `cargo run --release --example fashion_mnist -- [--data DIR] [--oracle hyperband|random|both]
//!  [--max-trials N] [--epochs N] [--directory DIR] [--fresh] [--sequential | --parallel N]
//!  [--search-only] [--seed N]`
//!
//! Trials run in parallel, one per core with one compute thread each (measured faster here:
//! BENCHMARKS "Parallel trials"); `--sequential` runs them one at a time on every core, as
//! before. `--search-only` stops after the Hyperband search and prints its summary line (wall
//! and CPU seconds, epochs, parameter-epochs, the best trial's test accuracy) for
//! `benches/peers/kerastuner_hyperband.py`.
//!
//! A killed run resumes where it stopped when started again (its completed trials are kept);
//! `--fresh` starts the studies over.
//!
//! Reads the full set from Debian's `dataset-fashion-mnist` package when it is installed, else the
//! subset shipped in `examples/data/fashion-mnist` (or `--data DIR`). Nothing is downloaded.

use std::path::PathBuf;
use std::time::Instant;
use tuner::data::{fashion_mnist, Dataset};
use tuner::nn::Activation::{Gelu, Relu, Tanh};
use tuner::nn::{Adam, Fit, NetSpec, Network};
use tuner::oracle::{Hyperband, RandomSearch};
use tuner::prelude::*;
use tuner::Tuner;

/// Depth, per-layer width, activation, dropout and learning rate, all tuned.
#[hypermodel]
fn mlp() -> NetSpec {
    let depth = hp_int!(depth, 1..=3);
    let mut net = NetSpec::input_shape([28, 28]).flatten();
    for i in 0..depth {
        net = net
            .dense(hp_int!(units[i], 32..=512, step = 32))
            .activation(hp_choice!(activation, [Relu, Tanh, Gelu]));
    }
    net.dropout(hp_float!(dropout, 0.0..=0.5, step = 0.1))
        .dense(10)
        .optimizer(Adam::new(hp_float!(learning_rate, 1e-4..=1e-2, log)))
}

/// The TensorFlow tutorial's model: one hidden layer of 128 ReLU units, Adam at 1e-3.
fn baseline() -> NetSpec {
    NetSpec::input_shape([28, 28])
        .flatten()
        .dense(128)
        .relu()
        .dense(10)
        .optimizer(Adam::new(1e-3))
}

struct Args {
    data: Option<PathBuf>,
    oracle: String,
    max_trials: u64,
    epochs: usize,
    directory: PathBuf,
    fresh: bool,
    /// Trials at once.
    parallel: usize,
    search_only: bool,
    /// The searches' seed.
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data: None,
        oracle: "both".into(),
        max_trials: 10,
        epochs: 10,
        directory: PathBuf::from("tuning"),
        fresh: false,
        parallel: std::thread::available_parallelism().map_or(1, |n| n.get()),
        search_only: false,
        seed: 42,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--data" => args.data = Some(PathBuf::from(value()?)),
            "--oracle" => args.oracle = value()?,
            "--max-trials" => args.max_trials = value()?.parse().map_err(|e| format!("{e}"))?,
            "--epochs" => args.epochs = value()?.parse().map_err(|e| format!("{e}"))?,
            "--directory" => args.directory = PathBuf::from(value()?),
            "--fresh" => args.fresh = true,
            "--sequential" => args.parallel = 1,
            "--parallel" => args.parallel = value()?.parse().map_err(|e| format!("{e}"))?,
            "--search-only" => args.search_only = true,
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("{e}"))?,
            other => {
                return Err(format!(
                    "unknown argument {other}; use --data DIR, --oracle hyperband|random|both, \
                     --max-trials N, --epochs N, --directory DIR, --fresh, --sequential, \
                     --parallel N, --search-only, --seed N"
                ))
            }
        }
    }
    if !matches!(args.oracle.as_str(), "hyperband" | "random" | "both") {
        return Err(format!(
            "--oracle {}: use hyperband, random or both",
            args.oracle
        ));
    }
    Ok(args)
}

/// Says so when a study is resumed rather than started.
fn say_if_resumed(trials: &[tuner::trial::Trial], study: &str) {
    let done = trials.iter().filter(|t| t.state.is_finished()).count();
    if done > 0 {
        println!("Resuming study `{study}`: {done} trials already done (--fresh starts over)\n");
    }
}

/// Epochs trained and parameter-epochs (parameters times epochs trained) over a study's trials.
fn work_done(trials: &[tuner::trial::Trial]) -> Result<(u64, f64), Report> {
    let (mut epochs, mut param_epochs) = (0u64, 0.0);
    for t in trials {
        let trained = t
            .history
            .iter()
            .filter(|(e, _)| *e >= t.plan.initial_epoch)
            .count() as u64;
        let params = Mlp::params_from(t.values())?;
        epochs += trained;
        param_epochs += trained as f64 * Mlp::build(&params).num_params() as f64;
    }
    Ok((epochs, param_epochs))
}

/// Trains `spec` on all of `train` for `epochs`; whether it gets each test image right.
fn test_correct(
    spec: &NetSpec,
    train: &Dataset,
    test: &Dataset,
    epochs: usize,
) -> Result<Vec<bool>, Report> {
    let mut net = Network::new(spec, 7)?;
    net.fit(
        train,
        None,
        &Fit::default().batch_size(128).epochs(epochs),
        &mut [],
    )?;
    let labels = test
        .labels()
        .ok_or_else(|| Report::msg("the test set has no labels"))?;
    let predicted = net.predict_classes(test)?;
    Ok(predicted.iter().zip(labels).map(|(p, l)| p == l).collect())
}

/// Accuracy and its standard error, `sqrt(p (1 - p) / n)`.
fn accuracy(correct: &[bool]) -> (f64, f64) {
    let n = correct.len() as f64;
    let p = correct.iter().filter(|&&c| c).count() as f64 / n;
    (p, (p * (1.0 - p) / n).sqrt())
}

/// McNemar's test of two models on the same images: the two-sided p-value (normal
/// approximation, continuity-corrected) from the images only one of them gets right.
fn mcnemar(a: &[bool], b: &[bool]) -> (usize, usize, f64) {
    let only_a = a.iter().zip(b).filter(|(x, y)| **x && !**y).count();
    let only_b = a.iter().zip(b).filter(|(x, y)| !**x && **y).count();
    let discordant = (only_a + only_b) as f64;
    if discordant == 0.0 {
        return (only_a, only_b, 1.0);
    }
    let z = ((only_a as f64 - only_b as f64).abs() - 1.0).max(0.0) / discordant.sqrt();
    // erfc(z / sqrt 2) by Abramowitz and Stegun 7.1.26 (error below 1.5e-7).
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    (only_a, only_b, poly * (-x * x).exp())
}

fn main() -> Result<(), Report> {
    let args = parse_args().map_err(Report::msg)?;
    let started = Instant::now();
    let fm = fashion_mnist::load_with_source(args.data.as_deref())?;
    // The last sixth of the training set scores the trials; the test set is kept for the end.
    let (fit_part, val) = fm.train.split_at(fm.train.len() * 5 / 6);
    println!(
        "Fashion-MNIST from {}: {} train, {} validation, {} test samples\n",
        fm.source,
        fit_part.len(),
        val.len(),
        fm.test.len()
    );
    let fit = Fit::default().batch_size(128);
    let mut finalists: Vec<(String, f64, MlpParams, u32)> = Vec::new();

    if args.oracle != "random" {
        let mut tuner = Tuner::builder::<Mlp>(Hyperband::new(args.epochs as u32).factor(3))
            .objective("val_accuracy")
            .parallel_trials(args.parallel)
            .seed(args.seed)
            .directory(&args.directory)
            .project_name("fashion_hyperband")
            .overwrite(args.fresh)
            .build()?;
        say_if_resumed(&tuner.trials()?, "fashion_hyperband");
        println!("{}", tuner.search_space_summary());
        let report = tuner.search(&fit_part, &val, fit.clone())?;
        println!(
            "\nHyperband: {} trials in {:.0}s, {:.0}s CPU, {} at once ({})\n",
            report.trials, report.seconds, report.cpu_seconds, args.parallel, report.stop_reason
        );
        tuner.results_summary(3)?;
        if args.search_only {
            let (epochs, param_epochs) = work_done(&tuner.trials()?)?;
            let best = tuner.best_models(1)?.remove(0);
            let test_accuracy = best.evaluate(&fm.test, 512)?["accuracy"];
            println!(
                "SUMMARY wall={:.1} cpu={:.1} trials={} epochs={epochs} \
                 param_epochs={param_epochs:.0} test_accuracy={test_accuracy:.4} parallel={}",
                report.seconds, report.cpu_seconds, report.trials, args.parallel
            );
            return Ok(());
        }
        let best = tuner.best_trials(1)?.remove(0);
        finalists.push((
            "hyperband".into(),
            best.score.unwrap_or(f64::NAN),
            tuner.best_params(1)?.remove(0),
            best.best_epoch.unwrap_or(0) + 1,
        ));
    }
    if args.oracle != "hyperband" {
        let mut tuner = Tuner::builder::<Mlp>(RandomSearch::new())
            .objective("val_accuracy")
            .max_trials(args.max_trials)
            .parallel_trials(args.parallel)
            .seed(args.seed)
            .directory(&args.directory)
            .project_name("fashion_random")
            .overwrite(args.fresh)
            .build()?;
        say_if_resumed(&tuner.trials()?, "fashion_random");
        let epochs = (args.epochs / 3).max(1);
        let report = tuner.search(&fit_part, &val, fit.clone().epochs(epochs))?;
        println!(
            "\nRandom search: {} trials of {epochs} epochs in {:.0}s\n",
            report.trials, report.seconds
        );
        tuner.results_summary(3)?;
        let best = tuner.best_trials(1)?.remove(0);
        finalists.push((
            "random".into(),
            best.score.unwrap_or(f64::NAN),
            tuner.best_params(1)?.remove(0),
            best.best_epoch.unwrap_or(0) + 1,
        ));
    }

    finalists.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (oracle, val_acc, params, best_epochs) = finalists.remove(0);
    let epochs = (best_epochs as usize).max(3);
    println!("\nBest params ({oracle}, val_accuracy {val_acc:.4}): {params:?}");
    println!(
        "Retraining on all {} training samples for {epochs} epochs...",
        fm.train.len()
    );
    let tuned = test_correct(&Mlp::build(&params), &fm.train, &fm.test, epochs)?;
    let base = test_correct(&baseline(), &fm.train, &fm.test, epochs)?;
    let ((t, t_se), (b, b_se)) = (accuracy(&tuned), accuracy(&base));
    println!("\n{:<36} {:>22}", "model", "test accuracy (95% CI)");
    let row = |name: &str, p: f64, se: f64| println!("{name:<36} {p:>13.4} ± {:.4}", 1.96 * se);
    row("baseline 784-128-10 relu, adam 1e-3", b, b_se);
    row(&format!("tuned ({oracle})"), t, t_se);
    let (only_tuned, only_base, p) = mcnemar(&tuned, &base);
    println!(
        "\nDifference {:+.4} on the same {} images ({only_tuned} right only by the tuned\n\
         model, {only_base} only by the baseline): McNemar p = {p:.3}, {} at the 5% level.",
        t - b,
        tuned.len(),
        if p < 0.05 {
            "significant"
        } else {
            "not significant"
        }
    );
    println!("\nTotal time: {:.0}s", started.elapsed().as_secs_f64());
    Ok(())
}
