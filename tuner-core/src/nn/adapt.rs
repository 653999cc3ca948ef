//! Adapting a network's `Normalize` layer to training data, and telling whether a checkpointed
//! network was built from a spec whose normalisation was still to be adapted.

use super::error::NnError;
use super::modules::{Layer, NormStats, Normalize};
use super::network::Network;
use super::spec::{LayerSpec, NetSpec};
use crate::data::Dataset;

impl Network {
    /// Sets the statistics of the first-layer `Normalize` from `data` (Keras' `adapt`),
    /// replacing any earlier ones; `false` when the network has no such layer.
    pub fn adapt(&mut self, data: &Dataset) -> Result<bool, NnError> {
        if !matches!(self.spec.layers.first(), Some(LayerSpec::Normalize { .. })) {
            return Ok(false);
        }
        self.check_data(data)?;
        if data.is_empty() {
            return Err(NnError::Fit(
                "cannot adapt the normalisation to an empty data set".into(),
            ));
        }
        let stats = NormStats::adapt(data);
        self.model
            .replace_fixed(0, Layer::Normalize(Normalize::new(Some(&stats))));
        self.spec.layers[0] = LayerSpec::Normalize { stats: Some(stats) };
        Ok(true)
    }

    /// Adapts the normalisation to `train` unless it already has statistics (set by an
    /// earlier `fit`, `adapt`, the spec, or a loaded checkpoint): `fit` calls it on its
    /// training split, so validation rows never reach the statistics.
    pub(crate) fn adapt_if_unset(&mut self, train: &Dataset) -> Result<(), NnError> {
        if matches!(
            self.spec.layers.first(),
            Some(LayerSpec::Normalize { stats: None })
        ) {
            self.adapt(train)?;
        }
        Ok(())
    }

    /// The statistics of the first-layer `Normalize`, if it has been adapted.
    pub fn norm_stats(&self) -> Option<&NormStats> {
        match self.spec.layers.first() {
            Some(LayerSpec::Normalize { stats }) => stats.as_ref(),
            _ => None,
        }
    }
}

/// Whether `adapted` is `spec` with its unset normalisation statistics filled in (or `spec`
/// itself): how a hypermodel's spec recognises the checkpoint of a network it built.
pub(crate) fn same_but_adapted(spec: &NetSpec, adapted: &NetSpec) -> bool {
    if spec == adapted {
        return true;
    }
    let mut filled = adapted.clone();
    if let (Some(LayerSpec::Normalize { stats: None }), Some(LayerSpec::Normalize { stats })) =
        (spec.layers.first(), filled.layers.first_mut())
    {
        *stats = None;
    }
    *spec == filled
}
