//! The burn models the tests tune: an MLP whose widths, dropout and learning rate are searched.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use tuner::burn::{BurnConfig, BurnModule, BurnSpec};
use tuner::data::{fashion_mnist, Dataset};
use tuner::prelude::*;

/// A multi-layer perceptron: `units` hidden ReLU layers, dropout, `outputs` logits.
#[derive(Config, Debug)]
pub struct MlpConfig {
    /// Values per sample.
    pub inputs: usize,
    /// The hidden layers' widths.
    pub units: Vec<usize>,
    /// Classes.
    pub outputs: usize,
    /// Dropout before the output layer.
    #[config(default = 0.0)]
    pub dropout: f64,
}

/// The module [`MlpConfig`] builds.
#[derive(Module, Debug)]
pub struct Mlp {
    pub hidden: Vec<Linear>,
    pub dropout: Dropout,
    pub output: Linear,
}

impl BurnConfig for MlpConfig {
    type Model = Mlp;

    fn init(&self, device: &Device) -> Mlp {
        let mut width = self.inputs;
        let hidden = self
            .units
            .iter()
            .map(|&u| {
                let layer = LinearConfig::new(width, u).init(device);
                width = u;
                layer
            })
            .collect();
        Mlp {
            hidden,
            dropout: DropoutConfig::new(self.dropout).init(),
            output: LinearConfig::new(width, self.outputs).init(device),
        }
    }
}

impl BurnModule for Mlp {
    fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let mut x = input;
        for layer in &self.hidden {
            x = relu(layer.forward(x));
        }
        self.output.forward(self.dropout.forward(x))
    }
}

/// One or two hidden layers, their widths, dropout and Adam's learning rate, all searched.
#[hypermodel]
pub fn small() -> BurnSpec<MlpConfig> {
    let depth = hp_int!(depth, 1..=2);
    let mut units = Vec::new();
    for i in 0..depth {
        units.push(hp_int!(units[i], 16..=48, step = 16) as usize);
    }
    let config =
        MlpConfig::new(784, units, 10).with_dropout(hp_float!(dropout, 0.0..=0.2, step = 0.1));
    BurnSpec::new(config).learning_rate(hp_float!(lr, 1e-3..=1e-2, log))
}

/// 600 training and 200 validation samples of the shipped subset.
pub fn data() -> (Dataset, Dataset) {
    let (train, _) = fashion_mnist::load_shipped().unwrap();
    let (a, rest) = train.split_at(600);
    (a, rest.take(200))
}

/// A fresh folder for test `name` of `module`.
pub fn tmp(module: &str, name: &str) -> std::path::PathBuf {
    crate::common::tmp(module, name)
}

/// Holds the other burn tests of this binary off while one trains: burn's CPU backend draws
/// weights and dropout from one random generator per process, so two trainings at once
/// would interleave their draws and no run would be reproducible.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
