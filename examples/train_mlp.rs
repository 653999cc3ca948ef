//! Trains a 784-256-128-10 MLP on Fashion-MNIST and prints per-epoch time and test accuracy.
//!
//! `cargo run --release --example train_mlp -- [--data DIR] [--epochs N] [--batch-size B]`
//!
//! Reads the full set from Debian's `dataset-fashion-mnist` package when installed, else the
//! subset shipped in `examples/data/fashion-mnist` (or `--data DIR`). Nothing is downloaded.

use std::path::PathBuf;
use std::time::Instant;
use tuner::data::fashion_mnist;
use tuner::nn::{Callback, Fit, Loss, Metrics, NetSpec, Network, Optimizer};

/// Prints how long each epoch took.
struct EpochTimer {
    started: Option<Instant>,
    seconds: Vec<f64>,
}

impl Callback for EpochTimer {
    fn on_epoch_begin(&mut self, _epoch: usize) {
        self.started = Some(Instant::now());
    }

    fn on_epoch_end(&mut self, epoch: usize, metrics: &Metrics) -> tuner::nn::Control {
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
        tuner::nn::Control::Continue
    }
}

// `Report` prints a failure as sentences with their causes, not a `Debug` dump.
fn main() -> Result<(), tuner::Report> {
    let mut data_dir: Option<PathBuf> = None;
    let (mut epochs, mut batch_size) = (5usize, 128usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| tuner::Report::msg(format!("{a} needs a value")))
        };
        match a.as_str() {
            "--data" => data_dir = Some(PathBuf::from(value()?)),
            "--epochs" => epochs = value()?.parse()?,
            "--batch-size" => batch_size = value()?.parse()?,
            other => {
                return Err(tuner::Report::msg(format!(
                    "unknown argument {other}; use --data DIR, --epochs N, --batch-size B"
                )))
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

    let spec = NetSpec::input_shape([28, 28])
        .flatten()
        .dense(256)
        .relu()
        .dense(128)
        .relu()
        .dense(10)
        .optimizer(Optimizer::adam(1e-3))
        .loss(Loss::CrossEntropy);
    let mut net = Network::new(&spec, 42)?;
    println!(
        "784-256-128-10 MLP, {} params, Adam 1e-3, batch {batch_size}",
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
