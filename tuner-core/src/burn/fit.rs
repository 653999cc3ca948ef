//! `BurnNet::fit`: the tuner's training loop over burn's data loader, loss and optimizer.

use super::data::Loader;
use super::net::{batch_loss, gather, scalar};
use super::{BurnConfig, BurnDevice, BurnError, BurnModule, BurnNet};
use crate::data::Dataset;
use crate::model::epoch::{begin_training, end_epoch, schedule, EpochEnd};
use crate::model::metrics;
use crate::model::weights::training_weights;
use crate::model::{Callback, Fit, FitError, History};
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
        let given_rows = train.len();
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
        metrics::check(&fit.metrics, train.num_classes()).map_err(FitError::from)?;
        let weights = training_weights(fit, train, given_rows)?;
        let device = Self::train_device();
        let loader = Loader::new(train);
        let mut history = History::default();
        begin_training(fit, callbacks, &self.callback_states);
        for epoch in fit.initial_epoch..fit.epochs {
            let started = Instant::now();
            for cb in callbacks.iter_mut() {
                cb.on_epoch_begin(epoch);
            }
            device.seed(epoch_seed(self.seed ^ DROPOUT_SALT, epoch));
            let shuffle = fit.shuffle.then(|| epoch_seed(fit.seed, epoch));
            let mut gathered = None;
            let mut non_finite = false;
            let batches = loader.batches(fit.batch_size, shuffle, &device);
            for (b, batch) in batches.iter().enumerate() {
                let batch = batch.map_err(|e| BurnError::Data(e.to_string()))?;
                let outputs = self.module.forward(batch.inputs.clone());
                let (loss, found) = batch_loss(outputs, &batch, weights.as_deref())?;
                let grads = GradientsParams::from_grads(loss.backward(), &self.module);
                let loss = scalar(loss);
                self.module = self
                    .optim
                    .step(self.learning_rate, self.module.clone(), grads);
                gather(&mut gathered, train, &batch, loss, &found);
                for cb in callbacks.iter_mut() {
                    cb.on_batch_end(b, loss);
                }
                if !loss.is_finite() {
                    non_finite = true;
                    break;
                }
            }
            let mut metrics = Metrics::new();
            if let Some(g) = &gathered {
                g.report(&fit.metrics, "", &mut metrics)
                    .map_err(FitError::from)?;
            }
            if let Some(v) = val {
                let batch = fit.batch_size.max(256);
                self.evaluate_into(v, batch, &fit.metrics, "val_", &mut metrics)?;
            }
            self.epochs_completed = epoch + 1;
            let (lr, states) = schedule(epoch, &metrics, callbacks, self.learning_rate);
            self.learning_rate = lr;
            self.callback_states = states;
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
