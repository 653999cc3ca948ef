//! The seed's conditional model: one `model_type` choice picks an MLP or a CNN, and each
//! branch's hyperparameters exist only under it (KerasTuner's `conditional_scope`, inferred
//! here from the `if`). Tuned on Fashion-MNIST with Hyperband (or Bayesian optimisation);
//! prints which branch won, then retrains the best MLP and the best CNN for the same epochs on
//! the same data and compares their test accuracy.
//!
//! `cargo run --release --example model_selection -- [--data DIR] [--oracle hyperband|bayesian]
//!  [--epochs N] [--max-trials N] [--train-samples N] [--directory DIR]`
//!
//! Reads Fashion-MNIST from `--data DIR`, else Debian's `dataset-fashion-mnist` package when it
//! is installed, else the 10k/2k subset shipped in `examples/data/fashion-mnist`. Nothing is
//! downloaded. `--train-samples N` keeps the first N training samples (the subset's size, 10000,
//! makes a full run take minutes on two cores).

use std::path::PathBuf;
use std::time::Instant;
use tuner::data::{fashion_mnist, Dataset};
use tuner::nn::{Adam, Fit, NetSpec, Network, Padding};
use tuner::oracle::{BayesianOptimization, Hyperband};
use tuner::prelude::*;
use tuner::trial::{Trial, TrialState};
use tuner::Tuner;

/// An MLP or a CNN: the `mlp_*` parameters are live only when `model_type` is "mlp", the
/// `cnn_*` ones only when it is "cnn"; the learning rate serves both.
#[hypermodel]
pub fn model_selection() -> NetSpec {
    let model_type = hp_choice!(model_type, ["mlp", "cnn"]);
    let net = if model_type == "mlp" {
        let layers = hp_int!(mlp_layers, 1..=3);
        let mut net = NetSpec::input_shape([28, 28]).flatten();
        for i in 0..layers {
            net = net.dense(hp_int!(mlp_units[i], 32..=512, step = 32)).relu();
        }
        net.dropout(hp_float!(mlp_dropout, 0.0..=0.5, step = 0.1))
    } else {
        let blocks = hp_int!(cnn_blocks, 1..=2);
        let kernel = hp_choice!(cnn_kernel, [3, 5]);
        let mut net = NetSpec::input_shape([28, 28]).reshape([1, 28, 28]);
        for i in 0..blocks {
            net = net
                .conv2d_with(
                    hp_choice!(cnn_filters[i], [16, 32]),
                    kernel,
                    1,
                    Padding::Same,
                )
                .relu()
                .max_pool2d(2);
        }
        if hp_bool!(cnn_global_pool) {
            net.global_avg_pool2d()
        } else {
            net.flatten()
        }
    };
    net.dense(10)
        .optimizer(Adam::new(hp_float!(learning_rate, 1e-4..=1e-2, log)))
}

struct Args {
    data: Option<PathBuf>,
    oracle: String,
    epochs: u32,
    max_trials: u64,
    train_samples: Option<usize>,
    directory: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data: None,
        oracle: "hyperband".into(),
        epochs: 6,
        max_trials: 12,
        train_samples: None,
        directory: PathBuf::from("tuning"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|e| format!("{a} {v}: {e}"));
        match a.as_str() {
            "--data" => args.data = Some(PathBuf::from(value()?)),
            "--oracle" => args.oracle = value()?,
            "--epochs" => args.epochs = number(value()?)? as u32,
            "--max-trials" => args.max_trials = number(value()?)?,
            "--train-samples" => args.train_samples = Some(number(value()?)? as usize),
            "--directory" => args.directory = PathBuf::from(value()?),
            other => {
                return Err(format!(
                    "unknown argument {other}; use --data DIR, --oracle hyperband|bayesian, \
                     --epochs N, --max-trials N, --train-samples N, --directory DIR"
                ))
            }
        }
    }
    if !matches!(args.oracle.as_str(), "hyperband" | "bayesian") {
        return Err(format!(
            "--oracle {}: use hyperband or bayesian",
            args.oracle
        ));
    }
    if args.epochs == 0 {
        return Err("--epochs must be at least 1".into());
    }
    Ok(args)
}

/// The branch a trial took.
fn branch(t: &Trial) -> String {
    t.values()
        .get_as::<String>("model_type")
        .unwrap_or_else(|_| "?".into())
}

/// Trains `params`' network on all of `train` for `epochs` and returns its test accuracy.
fn retrain(
    params: &ModelSelectionParams,
    train: &Dataset,
    test: &Dataset,
    epochs: usize,
) -> Result<f64, tuner::Report> {
    let mut net = Network::new(&ModelSelection::build(params), 7)?;
    net.fit(
        train,
        None,
        &Fit::default().batch_size(128).epochs(epochs),
        &mut [],
    )?;
    Ok(net.evaluate(test, 512)?["accuracy"])
}

// `Report` prints a failure as sentences with their causes, not a `Debug` dump.
fn main() -> Result<(), tuner::Report> {
    let args = parse_args().map_err(tuner::Report::msg)?;
    let started = Instant::now();
    let fm = fashion_mnist::load_with_source(args.data.as_deref())?;
    let train = match args.train_samples {
        Some(n) => fm.train.take(n),
        None => fm.train.clone(),
    };
    // The last sixth of the training samples scores the trials; the test set is for the end.
    let (fit_part, val) = train.split_at(train.len() * 5 / 6);
    println!(
        "Fashion-MNIST from {}: {} train, {} validation, {} test samples\n",
        fm.source,
        fit_part.len(),
        val.len(),
        fm.test.len()
    );
    let builder = match args.oracle.as_str() {
        "hyperband" => Tuner::builder::<ModelSelection>(Hyperband::new(args.epochs).factor(3)),
        _ => Tuner::builder::<ModelSelection>(BayesianOptimization::new())
            .max_trials(args.max_trials),
    };
    let builder = builder
        .objective("val_accuracy")
        .seed(42)
        .directory(&args.directory)
        .project_name(format!("model_selection_{}", args.oracle))
        .overwrite(true);
    let mut tuner = builder.build()?;
    println!("{}", tuner.search_space_summary());
    let fit = Fit::default().batch_size(128).epochs(args.epochs as usize);
    let report = tuner.search(&fit_part, &val, fit)?;
    println!(
        "\n{}: {} trials in {:.0}s ({})\n",
        args.oracle, report.trials, report.seconds, report.stop_reason
    );
    tuner.results_summary(5)?;

    let trials = tuner.trials()?;
    println!(
        "\n{:<6} {:>7} {:>15} {:>15}",
        "branch", "trials", "best val_acc", "test (ckpt)"
    );
    let mut best_of: Vec<(String, Trial)> = Vec::new();
    for b in ["mlp", "cnn"] {
        let mine: Vec<&Trial> = trials.iter().filter(|t| branch(t) == b).collect();
        let best = mine
            .iter()
            .filter(|t| t.state == TrialState::Completed && t.score.is_some())
            .max_by(|x, y| x.score.unwrap().total_cmp(&y.score.unwrap()));
        match best {
            Some(t) => {
                let test = tuner.load_model(t)?.evaluate(&fm.test, 512)?["accuracy"];
                println!(
                    "{b:<6} {:>7} {:>15.4} {:>15.4}",
                    mine.len(),
                    t.score.unwrap(),
                    test
                );
                best_of.push((b.to_owned(), (*t).clone()));
            }
            None => println!("{b:<6} {:>7} {:>15} {:>15}", mine.len(), "-", "-"),
        }
    }
    let winner = tuner.best_trials(1)?.remove(0);
    let model = tuner.best_models(1)?.remove(0);
    println!(
        "\nWinning branch: {} (trial {}, val_accuracy {:.4}); its checkpoint scores {:.4} on the test set",
        branch(&winner),
        winner.id(),
        winner.score.unwrap_or(f64::NAN),
        model.evaluate(&fm.test, 512)?["accuracy"]
    );

    // A like-for-like comparison: each branch's best params retrained for the same epochs.
    let epochs = args.epochs as usize;
    println!(
        "\nRetraining each branch's best params on all {} training samples for {epochs} epochs:",
        train.len()
    );
    for (b, t) in &best_of {
        let params = ModelSelection::params_from(t.values())?;
        let t0 = Instant::now();
        let acc = retrain(&params, &train, &fm.test, epochs)?;
        println!(
            "  {b}: test accuracy {acc:.4} ({:.0}s, {} parameters)",
            t0.elapsed().as_secs_f64(),
            ModelSelection::build(&params).num_params()
        );
    }
    println!("\nTotal time: {:.0}s", started.elapsed().as_secs_f64());
    Ok(())
}
