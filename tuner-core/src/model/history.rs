//! Per-epoch metrics and the training history.

use crate::trial::Metrics;
use serde::{Deserialize, Serialize};

/// The metrics of one epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// The epoch's number, counted from 0 as Keras' `history.epoch` (continues from `initial_epoch`).
    pub epoch: usize,
    /// Its metrics.
    pub metrics: Metrics,
}

/// What `fit` did, epoch by epoch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// One entry per epoch trained.
    pub epochs: Vec<EpochMetrics>,
    /// A callback asked to stop before the last epoch.
    pub stopped_early: bool,
    /// A batch produced a NaN or infinite loss; training stopped after that epoch's metrics.
    pub non_finite_loss: bool,
}

impl History {
    /// Number of epochs trained.
    pub fn len(&self) -> usize {
        self.epochs.len()
    }

    /// True when no epoch was trained.
    pub fn is_empty(&self) -> bool {
        self.epochs.is_empty()
    }

    /// The last epoch's metrics.
    pub fn last(&self) -> Option<&EpochMetrics> {
        self.epochs.last()
    }

    /// One metric across epochs (NaN where an epoch lacks it).
    pub fn metric(&self, name: &str) -> Vec<f64> {
        self.epochs
            .iter()
            .map(|e| e.metrics.get(name).copied().unwrap_or(f64::NAN))
            .collect()
    }

    /// The epoch numbers trained.
    pub fn epoch_numbers(&self) -> Vec<usize> {
        self.epochs.iter().map(|e| e.epoch).collect()
    }
}
