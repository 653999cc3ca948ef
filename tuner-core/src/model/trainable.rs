//! The model interface the search trains through, whatever library the model is written in:
//! [`ModelSpec`] builds a [`Trainable`] from a seed; the trainable fits, evaluates, counts its
//! parameters and checkpoints itself (weights and optimizer state) by path.

use super::{Callback, Fit, History};
use crate::trial::Metrics;
use serde_json::Value as Json;
use std::path::Path;

/// Any error, boxed: what a [`Checkpoint`] handle returns, so callbacks need no model types.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A model the tuner can train: built by a [`ModelSpec`], trained epoch by epoch with callbacks
/// that may stop it, evaluated, saved and loaded (weights and optimizer state together, so a
/// continued run repeats an uninterrupted one).
pub trait Trainable: Sized {
    /// What it trains and evaluates on (e.g. `data::Dataset`).
    type Data: ?Sized;
    /// Why training, evaluation or a checkpoint failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Trains epochs `fit.initial_epoch..fit.epochs`, validating on `val`, calling every
    /// callback's [`Callback::on_epoch_end_with_model`] after each epoch (with `self` as the
    /// checkpoint handle) and stopping when one answers `Stop`. Epoch `e` must shuffle and draw
    /// its random numbers (dropout, augmentation) from `fit.seed`, the model's seed and `e`
    /// alone, so that training `0..2`, saving, loading and training `2..4` equals `0..4`.
    fn fit(
        &mut self,
        train: &Self::Data,
        val: Option<&Self::Data>,
        fit: &Fit,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History, Self::Error>;

    /// Metrics on `data` in inference mode (e.g. `loss`, `accuracy`).
    fn evaluate(&self, data: &Self::Data, batch_size: usize) -> Result<Metrics, Self::Error>;

    /// Trainable parameters (for `max_model_size`).
    fn num_params(&self) -> usize;

    /// Whether `data` holds class labels (`Some(true)`) or real values (`Some(false)`), so the
    /// search can infer the metrics an objective needs and name those `fit` will report
    /// before any trial runs; `None` (the default) when the model cannot tell.
    fn is_classification(_data: &Self::Data) -> Option<bool> {
        None
    }

    /// Writes weights, optimizer state and `metadata` (the tuner's own bookkeeping, returned
    /// unchanged by [`load_checkpoint`](Self::load_checkpoint)) to `path`, whole or not at all.
    fn save_checkpoint(&self, path: &Path, metadata: Option<&Json>) -> Result<(), Self::Error>;

    /// Rebuilds a model from [`save_checkpoint`](Self::save_checkpoint)'s file, ready to
    /// continue training, with the metadata saved beside it.
    fn load_checkpoint(path: &Path) -> Result<(Self, Option<Json>), Self::Error>;
}

/// What a `#[hypermodel]` builder returns when the tuner should train it: a description that
/// builds a [`Trainable`] from a seed.
pub trait ModelSpec {
    /// The model it builds.
    type Model: Trainable;

    /// Builds the model, initialising it from `seed`; an error fails the trial for good.
    fn build(&self, seed: u64) -> Result<Self::Model, <Self::Model as Trainable>::Error>;

    /// Trainable parameters, when known without building (checked against `max_model_size`
    /// before anything is allocated); `None` builds the model and asks it.
    fn num_params(&self) -> Option<usize> {
        None
    }

    /// Whether a checkpointed model was built from this description (a Hyperband child must
    /// continue its parent's architecture); `true` when the model cannot tell.
    fn matches(&self, _model: &Self::Model) -> bool {
        true
    }
}

/// The handle a callback gets to the model being trained: enough to checkpoint it.
pub trait Checkpoint {
    /// Saves the model (weights and optimizer state) and `metadata` to `path`.
    fn save_to(&self, path: &Path, metadata: Option<&Json>) -> Result<(), BoxError>;
}

impl<T: Trainable> Checkpoint for T {
    fn save_to(&self, path: &Path, metadata: Option<&Json>) -> Result<(), BoxError> {
        self.save_checkpoint(path, metadata).map_err(Into::into)
    }
}
