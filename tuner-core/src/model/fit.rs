//! `Fit`: how a model trains (Keras' `fit` arguments).

use super::FitError;
use serde::{Deserialize, Serialize};

/// Training settings, Keras' `fit` arguments with Keras' defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fit {
    /// Samples per gradient step (32).
    pub batch_size: usize,
    /// Index of the epoch to stop before, as Keras: trains epochs `initial_epoch..epochs` (1).
    pub epochs: usize,
    /// The first epoch's number, to continue a run (Hyperband promotions) (0).
    pub initial_epoch: usize,
    /// Shuffle the training samples every epoch (true).
    pub shuffle: bool,
    /// Hold out this last fraction of the training data (taken before shuffling) for
    /// validation when no validation set is given (None).
    pub validation_split: Option<f64>,
    /// Seeds the shuffling; weights and dropout are seeded by the network's own seed (0).
    pub seed: u64,
    /// Print one line per epoch (false).
    pub verbose: bool,
}

impl Default for Fit {
    fn default() -> Self {
        Self {
            batch_size: 32,
            epochs: 1,
            initial_epoch: 0,
            shuffle: true,
            validation_split: None,
            seed: 0,
            verbose: false,
        }
    }
}

impl Fit {
    /// Sets the batch size.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Sets the epoch to stop before.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Sets the first epoch's number.
    pub fn initial_epoch(mut self, initial_epoch: usize) -> Self {
        self.initial_epoch = initial_epoch;
        self
    }

    /// Turns shuffling on or off.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Holds out the last `fraction` of the training data for validation.
    pub fn validation_split(mut self, fraction: f64) -> Self {
        self.validation_split = Some(fraction);
        self
    }

    /// Sets the shuffling seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Prints one line per epoch when true.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// Prints nothing.
    pub fn quiet(self) -> Self {
        self.verbose(false)
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), FitError> {
        if self.batch_size == 0 {
            return Err(FitError::ZeroBatch);
        }
        if let Some(s) = self.validation_split {
            if !(s > 0.0 && s < 1.0) {
                return Err(FitError::ValidationSplit(s));
            }
        }
        Ok(())
    }
}
