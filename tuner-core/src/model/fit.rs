//! `Fit`: how a model trains (Keras' `fit` arguments).

use super::{ClassWeight, FitError, Metric};
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
    /// Metrics reported beside `loss` and the default `accuracy` / `mae`, on the training
    /// data and (as `val_...`) on validation data (none).
    pub metrics: Vec<Metric>,
    /// Weights of the classes in the training loss (none); see `model::weights`.
    pub class_weight: Option<ClassWeight>,
    /// One weight per row of the training data given to `fit`, in the training loss (none).
    pub sample_weight: Option<Vec<f32>>,
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
            metrics: Vec::new(),
            class_weight: None,
            sample_weight: None,
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

    /// Reports these metrics too (Keras' `compile(metrics=[...])`), e.g.
    /// `[Metric::Auc, Metric::F1]`; `"auc".parse::<Metric>()` reads a name.
    pub fn metrics(mut self, metrics: impl IntoIterator<Item = Metric>) -> Self {
        self.metrics = metrics.into_iter().collect();
        self
    }

    /// Adds `metric` to those reported unless it is there already.
    pub fn with_metric(mut self, metric: Metric) -> Self {
        if !self.metrics.contains(&metric) {
            self.metrics.push(metric);
        }
        self
    }

    /// Weighs the classes in the training loss (Keras' `class_weight`).
    pub fn class_weight(mut self, class_weight: ClassWeight) -> Self {
        self.class_weight = Some(class_weight);
        self
    }

    /// Weighs each training row in the loss (Keras' `sample_weight`): one per row of the
    /// training data passed to `fit`.
    pub fn sample_weight(mut self, weights: Vec<f32>) -> Self {
        self.sample_weight = Some(weights);
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
