//! What every model's `fit` does the same way at the end of an epoch, whatever library trains
//! it: the verbose line, the
//! callbacks that may stop training, and the history's bookkeeping. One home, so that the dfdx
//! networks and burn models report and stop alike.

use super::{Callback, Checkpoint, Control, EpochMetrics, Fit, History};
use crate::trial::Metrics;
use serde_json::Value as Json;
use std::time::Instant;

/// Starts training: every callback's `on_train_begin`, then, when the run continues a
/// checkpoint (`fit.initial_epoch > 0`) saved with as many callbacks, each one's saved state.
pub(crate) fn begin_training(
    fit: &Fit,
    callbacks: &mut [&mut dyn Callback],
    saved: &[Option<Json>],
) {
    for cb in callbacks.iter_mut() {
        cb.on_train_begin();
    }
    if fit.initial_epoch > 0 && saved.len() == callbacks.len() {
        for (cb, state) in callbacks.iter_mut().zip(saved) {
            if let Some(state) = state {
                cb.restore(state);
            }
        }
    }
}

/// Asks every callback in turn for the learning rate of the next epochs (each sees the rate
/// the previous one chose) and returns the rate to train with, and the callbacks' states to
/// keep in the checkpoint. Runs before the epoch's `on_epoch_end`, so a checkpoint saved by
/// a callback there already holds the new rate and states (a continued run repeats the
/// schedule of an uninterrupted one).
pub(crate) fn schedule(
    epoch: usize,
    metrics: &Metrics,
    callbacks: &mut [&mut dyn Callback],
    learning_rate: f64,
) -> (f64, Vec<Option<Json>>) {
    let mut lr = learning_rate;
    for cb in callbacks.iter_mut() {
        if let Some(next) = cb.on_epoch_end_learning_rate(epoch, metrics, lr) {
            lr = next;
        }
    }
    let states = callbacks.iter().map(|cb| cb.state()).collect();
    (lr, states)
}

/// One epoch just trained: its number, when it began, its metrics, and whether a batch's loss
/// was not finite (training then stops after this epoch).
pub(crate) struct EpochEnd {
    /// The epoch's number, from 0.
    pub(crate) epoch: usize,
    /// When it began (for the verbose line).
    pub(crate) started: Instant,
    /// Its training and validation metrics.
    pub(crate) metrics: Metrics,
    /// Whether a batch's loss was NaN or infinite.
    pub(crate) non_finite: bool,
}

/// Ends an epoch: prints its metrics when `fit.verbose`, gives them to every callback with
/// `model` as the checkpoint handle, and records them. Returns whether training stops here:
/// a callback said so, or the loss was not finite.
pub(crate) fn end_epoch(
    end: EpochEnd,
    fit: &Fit,
    model: &dyn Checkpoint,
    callbacks: &mut [&mut dyn Callback],
    history: &mut History,
) -> bool {
    let EpochEnd {
        epoch,
        started,
        metrics,
        non_finite,
    } = end;
    if fit.verbose {
        let parts: Vec<String> = metrics
            .iter()
            .map(|(k, v)| format!("{k}: {v:.4}"))
            .collect();
        println!(
            "Epoch {}/{} - {:.1}s - {}",
            epoch + 1,
            fit.epochs,
            started.elapsed().as_secs_f64(),
            parts.join(" - ")
        );
    }
    let mut stop = false;
    for cb in callbacks.iter_mut() {
        stop |= cb.on_epoch_end_with_model(epoch, &metrics, model) == Control::Stop;
    }
    history.epochs.push(EpochMetrics { epoch, metrics });
    if non_finite {
        history.non_finite_loss = true;
        return true;
    }
    if stop {
        history.stopped_early = epoch + 1 < fit.epochs;
        return true;
    }
    false
}
