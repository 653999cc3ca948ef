//! What every model's `fit` does the same way at the end of an epoch, whatever library trains
//! it: the running sums that become `loss` and `accuracy`/`mae`, the verbose line, the
//! callbacks that may stop training, and the history's bookkeeping. One home, so that the dfdx
//! networks and burn models report and stop alike.

use super::{Callback, Checkpoint, Control, EpochMetrics, Fit, History};
use crate::trial::Metrics;
use std::time::Instant;

/// Index of the largest value; `None` if a NaN is present (a NaN prediction is never right).
pub(crate) fn argmax(row: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in row.iter().enumerate() {
        if v.is_nan() {
            return None;
        }
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// Running sums over an epoch or an evaluation.
#[derive(Default)]
pub(crate) struct Totals {
    loss: f64,
    score: f64,
    samples: usize,
}

impl Totals {
    /// Adds a batch of `n` samples: its mean loss and its summed score.
    pub(crate) fn add(&mut self, loss: f64, score: f64, n: usize) {
        self.loss += loss * n as f64;
        self.score += score;
        self.samples += n;
    }

    /// `loss` and `accuracy` (classification) or `mae`, each with `prefix` (`""`, `"val_"`).
    pub(crate) fn metrics(&self, classification: bool, prefix: &str, out: &mut Metrics) {
        let n = self.samples.max(1) as f64;
        out.insert(format!("{prefix}loss"), self.loss / n);
        let name = if classification { "accuracy" } else { "mae" };
        out.insert(format!("{prefix}{name}"), self.score / n);
    }
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
