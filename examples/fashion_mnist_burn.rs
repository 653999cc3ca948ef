//! The README's main job written against burn: tune the same MLP space as
//! `examples/fashion_mnist.rs` (depth, widths, activation, dropout, learning rate) with
//! Hyperband, retrain the best params on the whole training set, and score them on the test set.
//!
//! `cargo run --release --features burn --example fashion_mnist_burn -- [--data DIR]
//!  [--epochs N] [--directory DIR]`
//!
//! Reads the full set from Debian's `dataset-fashion-mnist` package when it is installed, else the
//! subset shipped in `examples/data/fashion-mnist` (or `--data DIR`). Nothing is downloaded.
//! Trains on burn's `flex` CPU backend (`tuner::burn::Cpu`).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::{gelu, relu, tanh};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;
use tuner::burn::{BurnConfig, BurnModule, BurnSpec};
use tuner::data::fashion_mnist;
use tuner::model::ModelSpec;
use tuner::oracle::Hyperband;
use tuner::prelude::*;
use tuner::Tuner;

/// A hidden layer's activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Act {
    Relu,
    Tanh,
    Gelu,
}
use Act::{Gelu, Relu, Tanh};

/// An MLP over 28x28 images: hidden layers of `units`, one activation, dropout, 10 logits.
#[derive(Config, Debug)]
pub struct MlpConfig {
    /// The hidden layers' widths.
    pub units: Vec<usize>,
    /// Their activation.
    pub activation: Act,
    /// Dropout before the output layer.
    pub dropout: f64,
}

/// The module [`MlpConfig`] builds.
#[derive(Module, Debug)]
pub struct MlpModel {
    hidden: Vec<Linear>,
    #[module(skip)]
    activation: Act,
    dropout: Dropout,
    output: Linear,
}

impl BurnConfig for MlpConfig {
    type Model = MlpModel;

    fn init(&self, device: &Device) -> MlpModel {
        let mut width = 784;
        let mut hidden = Vec::new();
        for &u in &self.units {
            hidden.push(LinearConfig::new(width, u).init(device));
            width = u;
        }
        MlpModel {
            hidden,
            activation: self.activation,
            dropout: DropoutConfig::new(self.dropout).init(),
            output: LinearConfig::new(width, 10).init(device),
        }
    }
}

impl BurnModule for MlpModel {
    fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let mut x = input;
        for layer in &self.hidden {
            x = layer.forward(x);
            x = match self.activation {
                Relu => relu(x),
                Tanh => tanh(x),
                Gelu => gelu(x),
            };
        }
        self.output.forward(self.dropout.forward(x))
    }
}

/// Depth, per-layer width, activation, dropout and learning rate, all tuned: the space of
/// `examples/fashion_mnist.rs`.
#[hypermodel]
fn mlp() -> BurnSpec<MlpConfig> {
    let depth = hp_int!(depth, 1..=3);
    let mut units = Vec::new();
    let mut activation = Relu;
    for i in 0..depth {
        units.push(hp_int!(units[i], 32..=512, step = 32) as usize);
        activation = hp_choice!(activation, [Relu, Tanh, Gelu]);
    }
    let dropout = hp_float!(dropout, 0.0..=0.5, step = 0.1);
    BurnSpec::new(MlpConfig::new(units, activation, dropout)).learning_rate(hp_float!(
        learning_rate,
        1e-4..=1e-2,
        log
    ))
}

struct Args {
    data: Option<PathBuf>,
    epochs: usize,
    directory: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data: None,
        epochs: 10,
        directory: PathBuf::from("tuning"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--data" => args.data = Some(PathBuf::from(value()?)),
            "--epochs" => args.epochs = value()?.parse().map_err(|e| format!("{e}"))?,
            "--directory" => args.directory = PathBuf::from(value()?),
            other => {
                return Err(format!(
                    "unknown argument {other}; use --data DIR, --epochs N, --directory DIR"
                ))
            }
        }
    }
    Ok(args)
}

// `Report` prints a failure as sentences with their causes, not a `Debug` dump.
fn main() -> Result<(), tuner::Report> {
    run().map_err(tuner::Report::boxed)
}

fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args = parse_args()?;
    let started = Instant::now();
    let fm = fashion_mnist::load_with_source(args.data.as_deref())?;
    // The last sixth of the training set scores the trials; the test set is kept for the end.
    let (fit_part, val) = fm.train.split_at(fm.train.len() * 5 / 6);
    println!(
        "Fashion-MNIST from {}: {} train, {} validation, {} test samples (burn, flex CPU)\n",
        fm.source,
        fit_part.len(),
        val.len(),
        fm.test.len()
    );
    let fit = Fit::default().batch_size(128);
    let mut tuner = Tuner::builder::<Mlp>(Hyperband::new(args.epochs as u32).factor(3))
        .objective("val_accuracy")
        .seed(42)
        .directory(&args.directory)
        .project_name("fashion_hyperband_burn")
        .overwrite(true)
        .build()?;
    println!("{}", tuner.search_space_summary());
    let report = tuner.search(&fit_part, &val, fit.clone())?;
    println!(
        "\nHyperband: {} trials in {:.0}s ({})\n",
        report.trials, report.seconds, report.stop_reason
    );
    tuner.results_summary(3)?;
    let best = tuner.best_trials(1)?.remove(0);
    let params = tuner.best_params(1)?.remove(0);
    let epochs = ((best.best_epoch.unwrap_or(0) + 1) as usize).max(3);
    println!(
        "\nBest params (val_accuracy {:.4}): {params:?}",
        best.score.unwrap_or(f64::NAN)
    );
    println!(
        "Retraining on all {} training samples for {epochs} epochs...",
        fm.train.len()
    );
    let retrain = Instant::now();
    let mut net = Mlp::build(&params).build(7)?;
    net.fit(&fm.train, None, &fit.clone().epochs(epochs), &mut [])?;
    let test = net.evaluate(&fm.test, 512)?;
    println!(
        "\ntuned burn MLP: test accuracy {:.4} (retrained in {:.0}s)",
        test["accuracy"],
        retrain.elapsed().as_secs_f64()
    );
    println!("Total time: {:.0}s", started.elapsed().as_secs_f64());
    Ok(())
}
