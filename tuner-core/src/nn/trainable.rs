//! The dfdx network as the tuner's [`Trainable`], and its spec as the [`ModelSpec`] that
//! builds it: what lets `Tuner::search` train any `#[hypermodel]` returning a [`NetSpec`].

use super::checkpoint::read_checkpoint_info;
use super::error::NnError;
use super::network::Network;
use super::spec::NetSpec;
use crate::data::Dataset;
use crate::model::{Callback, Fit, History, ModelSpec, Trainable};
use crate::trial::Metrics;
use serde_json::Value as Json;
use std::path::Path;

impl Trainable for Network {
    type Data = Dataset;
    type Error = NnError;

    fn fit(
        &mut self,
        train: &Dataset,
        val: Option<&Dataset>,
        fit: &Fit,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History, NnError> {
        Network::fit(self, train, val, fit, callbacks)
    }

    fn evaluate(&self, data: &Dataset, batch_size: usize) -> Result<Metrics, NnError> {
        Network::evaluate(self, data, batch_size)
    }

    fn num_params(&self) -> usize {
        Network::num_params(self)
    }

    fn is_classification(data: &Dataset) -> Option<bool> {
        Some(data.num_classes().is_some())
    }

    fn save_checkpoint(&self, path: &Path, metadata: Option<&Json>) -> Result<(), NnError> {
        self.save_with_metadata(path, metadata)
    }

    fn load_checkpoint(path: &Path) -> Result<(Self, Option<Json>), NnError> {
        // The header is read twice (here and by `load`): a few kilobytes against the weights.
        let metadata = read_checkpoint_info(path)?.metadata;
        Ok((Network::load(path)?, metadata))
    }
}

impl ModelSpec for NetSpec {
    type Model = Network;

    fn build(&self, seed: u64) -> Result<Network, NnError> {
        Network::new(self, seed)
    }

    fn num_params(&self) -> Option<usize> {
        // An invalid spec is left to `build`, whose error says what is wrong with it.
        self.validate().is_ok().then(|| NetSpec::num_params(self))
    }

    fn matches(&self, model: &Network) -> bool {
        super::adapt::same_but_adapted(self, model.spec())
    }
}
