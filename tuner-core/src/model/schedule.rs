//! Learning-rate schedules as callbacks: [`ReduceLROnPlateau`] (Keras' rule).

use super::{Callback, Mode};
use crate::trial::{Direction, Metrics};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Multiplies the learning rate by `factor` when `monitor` has not improved by more than
/// `min_delta` for `patience` epochs, never below `min_lr`, then waits `cooldown` epochs
/// before counting again (Keras' `ReduceLROnPlateau`, defaults included: `val_loss`, factor
/// 0.1, patience 10, min_delta 1e-4, cooldown 0, min_lr 0, mode inferred). Its counters are
/// kept in the model's checkpoints, so a continued run reduces exactly when an uninterrupted
/// one would.
#[derive(Clone, Debug, PartialEq)]
pub struct ReduceLROnPlateau {
    /// The metric watched, e.g. `"val_loss"`.
    pub monitor: String,
    /// The learning rate is multiplied by this (in (0, 1)).
    pub factor: f64,
    /// Epochs without improvement before the rate is reduced.
    pub patience: usize,
    /// The least change that counts as an improvement.
    pub min_delta: f64,
    /// Epochs to wait after a reduction before counting again.
    pub cooldown: usize,
    /// The rate is never reduced below this.
    pub min_lr: f64,
    /// Direction of improvement.
    pub mode: Mode,
    direction: Option<Direction>,
    counters: Counters,
}

/// What changes from epoch to epoch, as kept in checkpoints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Counters {
    /// The best value so far (`None` before the first one).
    best: Option<f64>,
    wait: usize,
    cooldown_counter: usize,
    reductions: usize,
}

impl ReduceLROnPlateau {
    /// Watches `monitor` with Keras' defaults.
    pub fn new(monitor: impl Into<String>) -> Self {
        Self {
            monitor: monitor.into(),
            factor: 0.1,
            patience: 10,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
            mode: Mode::Auto,
            direction: None,
            counters: Counters::default(),
        }
    }

    /// Sets the factor; panics unless it is in (0, 1), as Keras raises for `factor >= 1`.
    pub fn factor(mut self, factor: f64) -> Self {
        assert!(
            factor > 0.0 && factor < 1.0,
            "ReduceLROnPlateau factor {factor} must be in (0, 1): it multiplies the rate"
        );
        self.factor = factor;
        self
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

    /// Sets the cooldown.
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Sets the lowest rate.
    pub fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }

    /// Sets the mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// How many times it reduced the rate in this training.
    pub fn reductions(&self) -> usize {
        self.counters.reductions
    }
}

impl Callback for ReduceLROnPlateau {
    fn on_train_begin(&mut self) {
        self.direction = Some(self.mode.direction(&self.monitor));
        self.counters = Counters::default();
    }

    fn on_epoch_end_learning_rate(
        &mut self,
        _epoch: usize,
        metrics: &Metrics,
        learning_rate: f64,
    ) -> Option<f64> {
        let Some(&current) = metrics.get(&self.monitor) else {
            tracing::warn!(
                monitor = self.monitor,
                "ReduceLROnPlateau: the metric is not reported; the learning rate is unchanged"
            );
            return None;
        };
        let direction = *self
            .direction
            .get_or_insert_with(|| self.mode.direction(&self.monitor));
        let c = &mut self.counters;
        if c.cooldown_counter > 0 {
            c.cooldown_counter -= 1;
            c.wait = 0;
        }
        let improved = match c.best {
            None => !current.is_nan(),
            Some(best) => direction.improves(current, best, self.min_delta),
        };
        if improved {
            c.best = Some(current);
            c.wait = 0;
            return None;
        }
        // As Keras, the cooldown is looked at again after counting down: its last epoch
        // already waits.
        if c.cooldown_counter > 0 {
            return None;
        }
        c.wait += 1;
        // Keras compares the rates in f32, so a rate already at min_lr is left alone.
        if c.wait >= self.patience && (learning_rate as f32) > (self.min_lr as f32) {
            c.cooldown_counter = self.cooldown;
            c.wait = 0;
            c.reductions += 1;
            return Some((learning_rate * self.factor).max(self.min_lr));
        }
        None
    }

    fn state(&self) -> Option<Json> {
        serde_json::to_value(&self.counters).ok()
    }

    fn restore(&mut self, state: &Json) {
        match serde_json::from_value(state.clone()) {
            Ok(counters) => self.counters = counters,
            Err(e) => {
                tracing::warn!("ReduceLROnPlateau: unreadable saved state ({e}); starting over")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: f64) -> Metrics {
        Metrics::from([("val_loss".to_owned(), v)])
    }

    #[test]
    fn reduces_after_patience_then_cools_down() {
        let mut r = ReduceLROnPlateau::new("val_loss")
            .patience(2)
            .factor(0.5)
            .cooldown(1)
            .min_lr(0.2);
        r.on_train_begin();
        let mut lr = 1.0;
        let mut rates = Vec::new();
        for (e, v) in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
            .into_iter()
            .enumerate()
        {
            if let Some(next) = r.on_epoch_end_learning_rate(e, &m(v), lr) {
                lr = next;
            }
            rates.push(lr);
        }
        // Epoch 0 sets the best; 1 and 2 wait, 2 reduces; 3 ends the cooldown and waits
        // (Keras' order); 4 reduces; 5 waits; 6 reduces to the floor 0.2 (not 0.125); 7 waits.
        assert_eq!(rates, vec![1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]);
        assert_eq!(r.reductions(), 3);
    }

    #[test]
    fn an_improvement_by_more_than_min_delta_resets_the_wait() {
        let mut r = ReduceLROnPlateau::new("val_loss")
            .patience(1)
            .min_delta(0.1);
        r.on_train_begin();
        assert_eq!(r.on_epoch_end_learning_rate(0, &m(1.0), 1.0), None);
        assert_eq!(r.on_epoch_end_learning_rate(1, &m(0.8), 1.0), None);
        // 0.75 is not 0.1 below 0.8: a plateau.
        assert_eq!(r.on_epoch_end_learning_rate(2, &m(0.75), 1.0), Some(0.1));
    }

    #[test]
    fn state_round_trips() {
        let mut r = ReduceLROnPlateau::new("val_loss").patience(3);
        r.on_train_begin();
        r.on_epoch_end_learning_rate(0, &m(1.0), 1.0);
        r.on_epoch_end_learning_rate(1, &m(2.0), 1.0);
        let saved = r.state().unwrap();
        let mut again = ReduceLROnPlateau::new("val_loss").patience(3);
        again.on_train_begin();
        again.restore(&saved);
        assert_eq!(again.counters, r.counters);
    }
}
