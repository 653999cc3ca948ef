//! Optuna's `PercentilePruner` and `MedianPruner`: stop a trial whose best score so far is
//! worse than the given percentile of the completed trials' scores at the same epoch.

use super::curve;
use super::{Pruner, PrunerContext};
use crate::trial::TrialState;

/// Stops a trial whose best score so far falls outside the best `percentile` percent of the
/// completed trials' scores at the same epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct PercentilePruner {
    percentile: f64,
    n_startup_trials: usize,
    n_warmup_steps: u32,
    interval_steps: u32,
    n_min_trials: usize,
}

impl PercentilePruner {
    /// Keeps the best `percentile` percent (clamped to 0..=100; 25 keeps the top quarter).
    /// Defaults as Optuna: 5 startup trials, no warm-up, every epoch, 1 trial minimum.
    pub fn new(percentile: f64) -> Self {
        Self {
            percentile: percentile.clamp(0.0, 100.0),
            n_startup_trials: 5,
            n_warmup_steps: 0,
            interval_steps: 1,
            n_min_trials: 1,
        }
    }

    /// No pruning until this many trials have completed (default 5).
    pub fn n_startup_trials(mut self, n: usize) -> Self {
        self.n_startup_trials = n;
        self
    }

    /// No pruning before this epoch (default 0).
    pub fn n_warmup_steps(mut self, n: u32) -> Self {
        self.n_warmup_steps = n;
        self
    }

    /// Check only every `n` epochs after the warm-up (default 1; at least 1).
    pub fn interval_steps(mut self, n: u32) -> Self {
        self.interval_steps = n.max(1);
        self
    }

    /// At least this many completed trials must have reported the epoch (default 1).
    pub fn n_min_trials(mut self, n: usize) -> Self {
        self.n_min_trials = n.max(1);
        self
    }

    /// Whether `epoch` is the first reported epoch of its checking interval.
    fn first_in_interval(&self, ctx: &PrunerContext<'_>) -> bool {
        let step = ctx.epoch;
        let nearest = (step - self.n_warmup_steps) / self.interval_steps * self.interval_steps
            + self.n_warmup_steps;
        let previous = ctx
            .history
            .iter()
            .map(|(e, _)| *e)
            .filter(|e| *e != step)
            .max();
        previous.is_none_or(|p| p < nearest)
    }
}

impl Pruner for PercentilePruner {
    fn name(&self) -> &'static str {
        "percentile"
    }

    fn prune(&self, ctx: &PrunerContext<'_>) -> bool {
        let completed: Vec<_> = ctx
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Completed && t.number != ctx.trial)
            .collect();
        if completed.is_empty() || completed.len() < self.n_startup_trials {
            return false;
        }
        if ctx.epoch < self.n_warmup_steps || !self.first_in_interval(ctx) {
            return false;
        }
        let direction = ctx.objectives.direction();
        let best = curve::best(ctx, ctx.history);
        if best.is_nan() {
            return true;
        }
        let at_step: Vec<f64> = completed
            .iter()
            .filter_map(|t| curve::at(ctx, &t.history, ctx.epoch))
            .collect();
        if at_step.len() < self.n_min_trials {
            return false;
        }
        let threshold =
            curve::percentile(&at_step, direction.percentile_from_best(self.percentile));
        if threshold.is_nan() {
            return false;
        }
        direction.better(threshold, best)
    }
}

/// Stops a trial whose best score so far is worse than the median of the completed trials'
/// scores at the same epoch (the percentile pruner at 50).
#[derive(Debug, Clone, PartialEq)]
pub struct MedianPruner(PercentilePruner);

impl Default for MedianPruner {
    fn default() -> Self {
        Self::new()
    }
}

impl MedianPruner {
    /// Optuna's defaults: 5 startup trials, no warm-up, every epoch.
    pub fn new() -> Self {
        Self(PercentilePruner::new(50.0))
    }

    /// No pruning until this many trials have completed (default 5).
    pub fn n_startup_trials(self, n: usize) -> Self {
        Self(self.0.n_startup_trials(n))
    }

    /// No pruning before this epoch (default 0).
    pub fn n_warmup_steps(self, n: u32) -> Self {
        Self(self.0.n_warmup_steps(n))
    }

    /// Check only every `n` epochs after the warm-up (default 1).
    pub fn interval_steps(self, n: u32) -> Self {
        Self(self.0.interval_steps(n))
    }

    /// At least this many completed trials must have reported the epoch (default 1).
    pub fn n_min_trials(self, n: usize) -> Self {
        Self(self.0.n_min_trials(n))
    }
}

impl Pruner for MedianPruner {
    fn name(&self) -> &'static str {
        "median"
    }

    fn prune(&self, ctx: &PrunerContext<'_>) -> bool {
        self.0.prune(ctx)
    }
}
