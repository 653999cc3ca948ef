//! `BurnNet::fit`: the tuner's training loop over burn's data loader, loss and optimizer.

use super::data::Loader;
use super::net::{batch_loss, is_classification, scalar, Totals};
use super::{BurnConfig, BurnDevice, BurnError, BurnModule, BurnNet};
use crate::data::Dataset;
use crate::model::epoch::{end_epoch, EpochEnd};
use crate::model::{Callback, Fit, History};
use crate::trial::Metrics;
use ::burn::optim::GradientsParams;
use std::time::Instant;

/// Keeps the dropout stream apart from the shuffling one when `fit.seed` equals the model's
/// seed (the tuner passes the trial seed to both).
const DROPOUT_SALT: u64 = 0xB0E5_D50F_A11E_0001;

/// Mixes a seed and an epoch (splitmix64), so each epoch's shuffle and dropout are
/// reproducible on their own: a continued run draws epoch 3 as an uninterrupted one does.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    let mut z = seed
        ^ (epoch as u64)
            .wrapping_add(1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl<C: BurnConfig, D: BurnDevice> BurnNet<C, D> {
    /// Trains epochs `fit.initial_epoch..fit.epochs` (Keras' `fit`) with burn's optimizer,
    /// validating on `val` or on the `fit.validation_split` tail of `train`. Epoch `e` is
    /// shuffled by burn's loader from `fit.seed` and `e`, and draws dropout from the model's
    /// seed and `e`, so training `0..2`, saving, loading and training `2..4` repeats `0..4`.
    /// A NaN or infinite loss ends training after that epoch's metrics are recorded.
    pub fn fit(
        &mut self,
        train: &Dataset,
        val: Option<&Dataset>,
        fit: &Fit,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History, BurnError> {
        fit.validate()?;
        let split;
        let (train, val) = match (val, fit.validation_split) {
            (Some(v), _) => (train, Some(v)),
            (None, Some(frac)) => {
                let at = (train.len() as f64 * (1.0 - frac)).floor() as usize;
                split = train.split_at(at);
                if split.1.is_empty() {
                    return Err(BurnError::Data(format!(
                        "validation_split {frac} of {} samples leaves no validation sample",
                        train.len()
                    )));
                }
                (&split.0, Some(&split.1))
            }
            (None, None) => (train, None),
        };
        if train.is_empty() {
            return Err(BurnError::Data("the training set is empty".into()));
        }
        let classification = is_classification(train);
        let device = Self::train_device();
        let loader = Loader::new(train);
        let mut history = History::default();
        for cb in callbacks.iter_mut() {
            cb.on_train_begin();
        }
        for epoch in fit.initial_epoch..fit.epochs {
            let started = Instant::now();
            for cb in callbacks.iter_mut() {
                cb.on_epoch_begin(epoch);
            }
            device.seed(epoch_seed(self.seed ^ DROPOUT_SALT, epoch));
            let shuffle = fit.shuffle.then(|| epoch_seed(fit.seed, epoch));
            let mut totals = Totals::default();
            let mut non_finite = false;
            let batches = loader.batches(fit.batch_size, shuffle, &device);
            for (b, batch) in batches.iter().enumerate() {
                let batch = batch.map_err(|e| BurnError::Data(e.to_string()))?;
                let n = batch.targets.len();
                let outputs = self.module.forward(batch.inputs.clone());
                let (loss, score) = batch_loss(outputs, &batch)?;
                let grads = GradientsParams::from_grads(loss.backward(), &self.module);
                let loss = scalar(loss);
                self.module = self
                    .optim
                    .step(self.spec.learning_rate, self.module.clone(), grads);
                totals.add(loss, score, n);
                for cb in callbacks.iter_mut() {
                    cb.on_batch_end(b, loss);
                }
                if !loss.is_finite() {
                    non_finite = true;
                    break;
                }
            }
            let mut metrics = Metrics::new();
            totals.metrics(classification, "", &mut metrics);
            if let Some(v) = val {
                self.evaluate_into(v, fit.batch_size.max(256), "val_", &mut metrics)?;
            }
            self.epochs_completed = epoch + 1;
            let end = EpochEnd {
                epoch,
                started,
                metrics,
                non_finite,
            };
            if end_epoch(end, fit, &*self, callbacks, &mut history) {
                break;
            }
        }
        for cb in callbacks.iter_mut() {
            cb.on_train_end(&history);
        }
        Ok(history)
    }
}
