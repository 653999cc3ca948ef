//! `examples/train_mlp.rs` on burn: a 784-256-128-10 ReLU MLP, Adam 1e-3, batch 128, on burn's
//! `flex` CPU backend through the tuner's burn loop; prints per-epoch time and test accuracy.
//!
//! `cargo run --release --features burn --example train_mlp_burn -- [--data DIR] [--epochs N]
//!  [--batch-size B]`

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use std::path::PathBuf;
use std::time::Instant;
use tuner::burn::{BurnConfig, BurnModule, BurnNet, BurnSpec};
use tuner::data::fashion_mnist;
use tuner::model::{Callback, Control, Fit};
use tuner::trial::Metrics;

/// A 784-`first`-`second`-10 ReLU MLP.
#[derive(Config, Debug)]
pub struct Mlp3Config {
    /// The first hidden layer's width.
    pub first: usize,
    /// The second's.
    pub second: usize,
}

/// The module [`Mlp3Config`] builds.
#[derive(Module, Debug)]
pub struct Mlp3 {
    a: Linear,
    b: Linear,
    c: Linear,
}

impl BurnConfig for Mlp3Config {
    type Model = Mlp3;

    fn init(&self, device: &Device) -> Mlp3 {
        Mlp3 {
            a: LinearConfig::new(784, self.first).init(device),
            b: LinearConfig::new(self.first, self.second).init(device),
            c: LinearConfig::new(self.second, 10).init(device),
        }
    }
}

impl BurnModule for Mlp3 {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.c
            .forward(relu(self.b.forward(relu(self.a.forward(x)))))
    }
}

/// Prints how long each epoch took.
struct EpochTimer {
    started: Option<Instant>,
    seconds: Vec<f64>,
}

impl Callback for EpochTimer {
    fn on_epoch_begin(&mut self, _epoch: usize) {
        self.started = Some(Instant::now());
    }

    fn on_epoch_end(&mut self, epoch: usize, metrics: &Metrics) -> Control {
        let s = self.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
        self.seconds.push(s);
        println!(
            "epoch {:>2}: {s:6.2}s  loss {:.4}  accuracy {:.4}  val_loss {:.4}  val_accuracy {:.4}",
            epoch + 1,
            metrics["loss"],
            metrics["accuracy"],
            metrics["val_loss"],
            metrics["val_accuracy"]
        );
        Control::Continue
    }
}

// `Report` prints a failure as sentences with their causes, not a `Debug` dump.
fn main() -> Result<(), tuner::Report> {
    run().map_err(tuner::Report::boxed)
}

fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut data_dir: Option<PathBuf> = None;
    let (mut epochs, mut batch_size) = (5usize, 128usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--data" => data_dir = Some(PathBuf::from(value()?)),
            "--epochs" => epochs = value()?.parse()?,
            "--batch-size" => batch_size = value()?.parse()?,
            other => {
                return Err(format!(
                    "unknown argument {other}; use --data DIR, --epochs N, --batch-size B"
                )
                .into())
            }
        }
    }
    let fm = fashion_mnist::load_with_source(data_dir.as_deref())?;
    println!(
        "Fashion-MNIST from {}: {} train, {} test samples",
        fm.source,
        fm.train.len(),
        fm.test.len()
    );
    let mut net = BurnNet::new(
        &BurnSpec::new(Mlp3Config::new(256, 128)).learning_rate(1e-3),
        42,
    )?;
    println!(
        "784-256-128-10 MLP on burn flex, {} params, Adam 1e-3, batch {batch_size}",
        net.num_params()
    );
    let mut timer = EpochTimer {
        started: None,
        seconds: Vec::new(),
    };
    let fit = Fit::default().batch_size(batch_size).epochs(epochs).seed(7);
    net.fit(&fm.train, Some(&fm.test), &fit, &mut [&mut timer])?;
    let test = net.evaluate(&fm.test, 1000)?;
    let mean = timer.seconds.iter().sum::<f64>() / timer.seconds.len().max(1) as f64;
    println!(
        "mean epoch time {mean:.2}s over {} epochs of {} samples",
        timer.seconds.len(),
        fm.train.len()
    );
    println!(
        "test accuracy {:.4}  test loss {:.4}",
        test["accuracy"], test["loss"]
    );
    Ok(())
}
