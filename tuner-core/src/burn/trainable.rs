//! The burn model as the tuner's [`Trainable`], and its spec as the [`ModelSpec`] that builds
//! it: what lets `Tuner::search` train any `#[hypermodel]` returning a [`BurnSpec`].

use super::{BurnConfig, BurnDevice, BurnError, BurnNet, BurnSpec};
use crate::data::Dataset;
use crate::model::{Callback, Fit, History, ModelSpec, Trainable};
use crate::trial::Metrics;
use ::burn::module::Module;
use serde_json::Value as Json;
use std::path::Path;

impl<C: BurnConfig, D: BurnDevice> Trainable for BurnNet<C, D> {
    type Data = Dataset;
    type Error = BurnError;

    fn fit(
        &mut self,
        train: &Dataset,
        val: Option<&Dataset>,
        fit: &Fit,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History, BurnError> {
        BurnNet::fit(self, train, val, fit, callbacks)
    }

    fn evaluate(&self, data: &Dataset, batch_size: usize) -> Result<Metrics, BurnError> {
        BurnNet::evaluate(self, data, batch_size)
    }

    fn num_params(&self) -> usize {
        BurnNet::num_params(self)
    }

    fn is_classification(data: &Dataset) -> Option<bool> {
        Some(data.num_classes().is_some())
    }

    fn save_checkpoint(&self, path: &Path, metadata: Option<&Json>) -> Result<(), BurnError> {
        self.save_with_metadata(path, metadata)
    }

    fn load_checkpoint(path: &Path) -> Result<(Self, Option<Json>), BurnError> {
        Self::load_with_metadata(path)
    }
}

impl<C: BurnConfig, D: BurnDevice> ModelSpec for BurnSpec<C, D> {
    type Model = BurnNet<C, D>;

    fn build(&self, seed: u64) -> Result<BurnNet<C, D>, BurnError> {
        BurnNet::new(self, seed)
    }

    fn num_params(&self) -> Option<usize> {
        // burn's parameters are lazy: counting them allocates no weights.
        Some(self.config.init(&D::device()).num_params())
    }

    fn matches(&self, model: &BurnNet<C, D>) -> bool {
        model.spec().config_json() == self.config_json()
    }
}
