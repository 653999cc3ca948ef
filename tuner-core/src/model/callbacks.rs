//! Hooks into `fit`: observe batches and epochs, stop early (pruning, Hyperband, patience).

use super::{Checkpoint, History};
use crate::trial::Direction;
use crate::trial::Metrics;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// What `fit` should do after an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on training.
    Continue,
    /// Stop after this epoch (its metrics are kept).
    Stop,
}

/// Called by `fit`; every method has a do-nothing default. Passed to the tuner's `search`, one
/// callback serves every trial in turn: reset its state in `on_train_begin` (as
/// [`EarlyStopping`] does), which each trial's training calls first.
pub trait Callback {
    /// Before the first epoch.
    fn on_train_begin(&mut self) {}
    /// Before each epoch.
    fn on_epoch_begin(&mut self, _epoch: usize) {}
    /// After each training batch, with its mean loss.
    fn on_batch_end(&mut self, _batch: usize, _loss: f64) {}
    /// After each epoch, with its metrics (validation ones included); `Stop` ends training.
    fn on_epoch_end(&mut self, _epoch: usize, _metrics: &Metrics) -> Control {
        Control::Continue
    }
    /// What `fit` calls after each epoch: [`on_epoch_end`](Self::on_epoch_end) plus a handle
    /// that saves the model, for callbacks that checkpoint it. The default ignores the handle.
    fn on_epoch_end_with_model(
        &mut self,
        epoch: usize,
        metrics: &Metrics,
        _model: &dyn Checkpoint,
    ) -> Control {
        self.on_epoch_end(epoch, metrics)
    }
    /// After each epoch, before [`on_epoch_end`](Self::on_epoch_end): the learning rate the
    /// next epochs train with, given the current one; `None` keeps it. This is how a schedule
    /// such as [`ReduceLROnPlateau`](super::ReduceLROnPlateau) changes the optimizer's rate in
    /// every loop; the model keeps the rate in its checkpoints.
    fn on_epoch_end_learning_rate(
        &mut self,
        _epoch: usize,
        _metrics: &Metrics,
        _learning_rate: f64,
    ) -> Option<f64> {
        None
    }
    /// State the model keeps in its checkpoints (e.g. a schedule's counters), so that a run
    /// continued from one (`initial_epoch > 0`) resumes it exactly; `None` keeps nothing.
    fn state(&self) -> Option<Json> {
        None
    }
    /// Restores what [`state`](Self::state) returned, after `on_train_begin`, when a run
    /// continues from a checkpoint holding it.
    fn restore(&mut self, _state: &Json) {}
    /// After the last epoch.
    fn on_train_end(&mut self, _history: &History) {}
}

/// Whether smaller or larger values of a metric are better.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Inferred from the name as the tuner infers an objective's direction.
    #[default]
    Auto,
    /// Smaller is better.
    Min,
    /// Larger is better.
    Max,
}

impl Mode {
    /// The direction of improvement for `metric`. `Auto` follows the tuner's own inference
    /// ([`Direction::infer`], KerasTuner's rules); a name it cannot place is minimised, as
    /// Keras' `EarlyStopping` does, with a warning.
    pub fn direction(self, metric: &str) -> Direction {
        match self {
            Mode::Auto => Direction::infer_or_minimize(metric),
            Mode::Min => Direction::Minimize,
            Mode::Max => Direction::Maximize,
        }
    }
}

/// Stops training when `monitor` has not improved by more than `min_delta` for `patience`
/// epochs (Keras' `EarlyStopping` rule, including `baseline`).
#[derive(Clone, Debug, PartialEq)]
pub struct EarlyStopping {
    /// The metric watched, e.g. `"val_loss"`.
    pub monitor: String,
    /// Epochs without improvement tolerated.
    pub patience: usize,
    /// The least change that counts as an improvement.
    pub min_delta: f64,
    /// Direction of improvement.
    pub mode: Mode,
    /// Training also stops unless the metric beats this value within `patience` epochs.
    pub baseline: Option<f64>,
    best: Option<f64>,
    /// `mode` resolved for `monitor` when training begins (inferred once, not every epoch).
    direction: Option<Direction>,
    best_epoch: Option<usize>,
    wait: usize,
    stopped_epoch: Option<usize>,
}

impl EarlyStopping {
    /// Watches `monitor` with patience 0, min_delta 0, mode inferred.
    pub fn new(monitor: impl Into<String>) -> Self {
        Self {
            monitor: monitor.into(),
            patience: 0,
            min_delta: 0.0,
            mode: Mode::Auto,
            baseline: None,
            best: None,
            direction: None,
            best_epoch: None,
            wait: 0,
            stopped_epoch: None,
        }
    }

    /// Sets the patience.
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// Sets min_delta (its sign is ignored).
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta.abs();
        self
    }

    /// Sets the mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the baseline.
    pub fn baseline(mut self, baseline: f64) -> Self {
        self.baseline = Some(baseline);
        self
    }

    /// The epoch at which it stopped training, if it did.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    /// The best value seen and its epoch.
    pub fn best(&self) -> Option<(f64, usize)> {
        self.best.zip(self.best_epoch)
    }

    fn improves(&self, current: f64, reference: Option<f64>) -> bool {
        let Some(reference) = reference else {
            return !current.is_nan();
        };
        let direction = self
            .direction
            .unwrap_or_else(|| self.mode.direction(&self.monitor));
        direction.improves(current, reference, self.min_delta)
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self) {
        self.direction = Some(self.mode.direction(&self.monitor));
        self.best = None;
        self.best_epoch = None;
        self.wait = 0;
        self.stopped_epoch = None;
    }

    fn on_epoch_end(&mut self, epoch: usize, metrics: &Metrics) -> Control {
        let Some(&current) = metrics.get(&self.monitor) else {
            return Control::Continue;
        };
        self.wait += 1;
        if self.improves(current, self.best) {
            self.best = Some(current);
            self.best_epoch = Some(epoch);
            if self.baseline.is_none() || self.improves(current, self.baseline) {
                self.wait = 0;
            }
            return Control::Continue;
        }
        if self.wait >= self.patience && epoch > 0 {
            self.stopped_epoch = Some(epoch);
            return Control::Stop;
        }
        Control::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_mode_agrees_with_the_objective_inference() {
        for name in [
            "val_categorical_accuracy",
            "f1",
            "r2",
            "val_auc",
            "accuracy",
        ] {
            assert_eq!(Mode::Auto.direction(name), Direction::Maximize, "{name}");
        }
        for name in ["loss", "val_loss", "val_mae", "custom_thing"] {
            assert_eq!(Mode::Auto.direction(name), Direction::Minimize, "{name}");
        }
        assert_eq!(Mode::Max.direction("loss"), Direction::Maximize);
    }

    #[test]
    fn early_stopping_on_an_accuracy_waits_for_it_to_fall() {
        let mut es = EarlyStopping::new("val_categorical_accuracy").patience(1);
        es.on_train_begin();
        let m = |v: f64| Metrics::from([("val_categorical_accuracy".to_owned(), v)]);
        assert_eq!(es.on_epoch_end(0, &m(0.5)), Control::Continue);
        assert_eq!(es.on_epoch_end(1, &m(0.7)), Control::Continue);
        assert_eq!(es.on_epoch_end(2, &m(0.6)), Control::Stop);
        assert_eq!(es.best(), Some((0.7, 1)));
    }
}
