//! The image path: a small burn CNN (conv2d, max pooling) tuned on Fashion-MNIST images, its
//! filters searched, its best model returned as a burn module that predicts as it scored.

use crate::models::{data, tmp};
use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use std::sync::Arc;
use tuner::burn::{BurnConfig, BurnModule, BurnSpec};
use tuner::oracle::GridSearch;
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::Tuner;

/// Two 3x3 convolutions with 2x2 max pooling, then a dense layer over 10 classes.
#[derive(Config, Debug)]
pub struct CnnConfig {
    /// Filters of the first convolution (the second has twice as many).
    pub filters: usize,
}

/// The module [`CnnConfig`] builds.
#[derive(Module, Debug)]
pub struct Cnn {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    head: Linear,
}

impl BurnConfig for CnnConfig {
    type Model = Cnn;

    fn init(&self, device: &Device) -> Cnn {
        let f = self.filters;
        Cnn {
            conv1: Conv2dConfig::new([1, f], [3, 3]).init(device),
            conv2: Conv2dConfig::new([f, 2 * f], [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            // 28 -> conv 26 -> pool 13 -> conv 11 -> pool 5.
            head: LinearConfig::new(2 * f * 5 * 5, 10).init(device),
        }
    }
}

impl BurnModule for Cnn {
    fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let [batch, _] = input.dims();
        let x = input.reshape([batch, 1, 28, 28]);
        let x = self.pool.forward(relu(self.conv1.forward(x)));
        let x = self.pool.forward(relu(self.conv2.forward(x)));
        self.head.forward(x.flatten(1, 3))
    }
}

#[hypermodel]
fn small_cnn() -> BurnSpec<CnnConfig> {
    BurnSpec::new(CnnConfig::new(hp_choice!(filters, [4, 8]) as usize)).learning_rate(3e-3)
}

#[test]
fn a_tuned_burn_cnn_learns_and_its_best_model_predicts_as_scored() {
    let _serial = crate::models::serial();
    let (train, val) = data();
    let mut tuner = Tuner::builder::<SmallCnn>(GridSearch::new())
        .objective("val_accuracy")
        .seed(2)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp(module_path!(), "cnn"))
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search(&train, &val, Fit::default().epochs(3).batch_size(32))
        .unwrap();
    let trials = tuner.trials().unwrap();
    assert_eq!(trials.len(), 2, "both filter counts");
    for t in &trials {
        let first = t.history[0].1["loss"];
        let last = t.history[2].1["loss"];
        assert!(
            last < first,
            "trial {} learned: {first} -> {last}",
            t.number
        );
    }
    let best = tuner.best_trials(1).unwrap().remove(0);
    let score = best.score.unwrap();
    assert!(
        score > 0.6,
        "a small CNN reaches 60% on 600 images in 3 epochs: {score}"
    );
    let net = tuner.best_models(1).unwrap().remove(0);
    let filters = best.values().get_as::<i64>("filters").unwrap() as usize;
    assert_eq!(net.module().conv1.weight.dims(), [filters, 1, 3, 3]);
    // The best epoch's checkpoint scores what the trial recorded for that epoch.
    let epoch = best.best_epoch.unwrap();
    let recorded = best.history.iter().find(|(e, _)| *e == epoch).unwrap().1["val_accuracy"];
    assert_eq!(net.evaluate(&val, 256).unwrap()["accuracy"], recorded);
    // The burn module itself, out of the tuner, predicts the same classes (all 200 samples
    // in one batch, as the validation above).
    let module = net.into_module();
    let x: Vec<f32> = val.features().to_vec();
    let input = Tensor::<2>::from_data(
        burn::tensor::TensorData::new(x, [val.len(), 784]),
        &Device::flex(),
    );
    let logits = module
        .forward(input)
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();
    let labels = val.labels().unwrap();
    let correct = logits
        .chunks_exact(10)
        .zip(labels)
        .filter(|(row, &l)| {
            let arg = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap()
                .0;
            arg == l
        })
        .count();
    assert_eq!(correct as f64 / val.len() as f64, recorded);
}
