//! `Network::fit`: Keras' training loop, with callbacks, validation and per-epoch seeding.

use super::batch::BatchTargets;
use super::error::NnError;
use super::modules::denormals::FlushDenormals;
use super::modules::profile::{timed, Phase};
use super::modules::training_pool::train_on_all_threads;
use super::network::Network;
use crate::data::{Dataset, Targets};
use crate::model::epoch::{begin_training, end_epoch, schedule, EpochEnd};
use crate::model::metrics;
use crate::model::weights::training_weights;
use crate::model::{Callback, Fit, FitError, History};
use crate::trial::Metrics;
use dfdx::prelude::Cpu;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::time::Instant;

/// Keeps the dropout stream apart from the shuffling one when `fit.seed` equals the
/// network's seed (the tuner passes the trial seed to both).
const DROPOUT_SALT: u64 = 0xD50F_A11E_5EED_0001;

/// Mixes the fit seed and the epoch so each epoch's order is reproducible on its own
/// (a continued run shuffles epoch 3 exactly as an uninterrupted one).
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    let mut z = seed
        ^ (epoch as u64)
            .wrapping_add(1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Network {
    /// Trains for epochs `fit.initial_epoch..fit.epochs` (Keras' `fit`), validating on `val`
    /// or on the `fit.validation_split` tail of `train`. A NaN or infinite loss ends training
    /// after that epoch's metrics are recorded (`History::non_finite_loss`), it never panics.
    /// Epoch `e` shuffles from `fit.seed` and `e`, and draws dropout and augmentation from the
    /// network's seed and `e`: training `0..2`, saving, loading and training `2..4` repeats
    /// training `0..4` bit for bit.
    ///
    /// Products run on every thread of the current rayon pool (the global one, as wide as
    /// `RAYON_NUM_THREADS` or the cores, when called from outside any pool), whose other
    /// workers poll for them while training runs; values do not depend on the thread count.
    /// Subnormal floats are flushed to zero while it runs, as XLA does.
    pub fn fit(
        &mut self,
        train: &Dataset,
        val: Option<&Dataset>,
        fit: &Fit,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History, NnError> {
        fit.validate()?;
        self.check_data(train)?;
        let given_rows = train.len();
        let split;
        let (train, val) = match (val, fit.validation_split) {
            (Some(v), _) => (train, Some(v)),
            (None, Some(frac)) => {
                let at = (train.len() as f64 * (1.0 - frac)).floor() as usize;
                split = train.split_at(at);
                if split.1.is_empty() {
                    return Err(NnError::Fit(format!(
                        "validation_split {frac} of {} samples leaves no validation sample",
                        train.len()
                    )));
                }
                (&split.0, Some(&split.1))
            }
            (None, None) => (train, None),
        };
        if let Some(v) = val {
            self.check_data(v)?;
        }
        if train.is_empty() {
            return Err(NnError::Fit("the training set is empty".into()));
        }
        self.adapt_if_unset(train)?;
        metrics::check(&fit.metrics, train.num_classes()).map_err(FitError::from)?;
        let weights = training_weights(fit, train, given_rows)?;
        let (w_in, w_out) = (self.model.input_width(), self.model.output_width());
        let mut history = History::default();
        let _flush = FlushDenormals::new();
        let polling = train_on_all_threads();
        begin_training(fit, callbacks, &self.callback_states);
        let mut order: Vec<usize> = (0..train.len()).collect();
        // A batch's labels or target values, refilled in place for every batch.
        let (mut labels, mut values): (Vec<usize>, Vec<f32>) = (Vec::new(), Vec::new());
        for epoch in fit.initial_epoch..fit.epochs {
            let started = Instant::now();
            for cb in callbacks.iter_mut() {
                cb.on_epoch_begin(epoch);
            }
            // Dropout and augmentation draw from the input's device: seeding it per epoch
            // makes epoch `e` the same whether or not the run was checkpointed before it.
            let device = Cpu::seed_from_u64(epoch_seed(self.seed ^ DROPOUT_SALT, epoch));
            // Back to 0..n in place (no allocation, no sort), then this epoch's permutation.
            order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
            if fit.shuffle {
                order.shuffle(&mut ChaCha8Rng::seed_from_u64(epoch_seed(fit.seed, epoch)));
            }
            let mut gathered = self.predictions(train);
            let mut non_finite = false;
            for (b, idx) in order.chunks(fit.batch_size).enumerate() {
                let (x, batch_weights) = timed(Phase::Data, || {
                    let mut x = Vec::with_capacity(idx.len() * w_in);
                    for &i in idx {
                        x.extend_from_slice(train.row(i));
                    }
                    labels.clear();
                    values.clear();
                    match train.targets() {
                        Targets::Classes { labels: all, .. } => {
                            labels.extend(idx.iter().map(|&i| all[i]));
                        }
                        Targets::Values { values: all, .. } => {
                            for &i in idx {
                                values.extend_from_slice(&all[i * w_out..(i + 1) * w_out]);
                            }
                        }
                    }
                    let batch_weights: Option<Vec<f32>> = weights
                        .as_ref()
                        .map(|w| idx.iter().map(|&i| w[i]).collect());
                    (x, batch_weights)
                });
                let targets = match train.targets() {
                    Targets::Classes { .. } => BatchTargets::Classes(&labels),
                    Targets::Values { .. } => BatchTargets::Values(&values),
                };
                if let Some(polling) = &polling {
                    polling.rearm();
                }
                let (loss, outputs) =
                    self.step(&device, x, idx.len(), targets, batch_weights.as_deref())?;
                targets.gather(&mut gathered, loss, &outputs);
                for cb in callbacks.iter_mut() {
                    cb.on_batch_end(b, loss);
                }
                if !loss.is_finite() {
                    non_finite = true;
                    break;
                }
            }
            let mut metrics = Metrics::new();
            gathered
                .report(&fit.metrics, "", &mut metrics)
                .map_err(FitError::from)?;
            if let Some(v) = val {
                let batch = fit.batch_size.max(256);
                self.evaluate_into(v, batch, &fit.metrics, "val_", &mut metrics)?;
            }
            self.epochs_completed = epoch + 1;
            let (lr, states) = schedule(epoch, &metrics, callbacks, self.opt.learning_rate());
            self.opt.set_learning_rate(lr);
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
