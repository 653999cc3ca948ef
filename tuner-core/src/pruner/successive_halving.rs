//! Optuna's `SuccessiveHalvingPruner` (asynchronous successive halving, Li et al. 2018): a
//! trial reaching rung `r`, at epoch `min_resource * reduction_factor^(rate + r)` with `rate`
//! the minimum early-stopping rate, goes on only if its score there is among the best
//! `1 / reduction_factor` of every score recorded at that rung so far.
//!
//! Optuna records rung scores as trial attributes; here they are read back from the stored
//! learning curves (a trial's rung score is its score at the first reported epoch at or past
//! the rung), so the pruner keeps no state and several workers agree.

use super::curve;
use super::{Pruner, PrunerContext};
use crate::trial::{Metrics, TrialState};

/// Asynchronous successive halving over the reported epochs.
#[derive(Debug, Clone, PartialEq)]
pub struct SuccessiveHalvingPruner {
    min_resource: Option<u32>,
    reduction_factor: u32,
    min_early_stopping_rate: u32,
    bootstrap_count: usize,
}

impl Default for SuccessiveHalvingPruner {
    fn default() -> Self {
        Self::new()
    }
}

impl SuccessiveHalvingPruner {
    /// Optuna's defaults: minimum resource estimated from completed trials (their longest
    /// curve / 100, at least 1), reduction factor 4, minimum early-stopping rate 0.
    pub fn new() -> Self {
        Self {
            min_resource: None,
            reduction_factor: 4,
            min_early_stopping_rate: 0,
            bootstrap_count: 0,
        }
    }

    /// Epochs before the first rung (at least 1).
    pub fn min_resource(mut self, epochs: u32) -> Self {
        self.min_resource = Some(epochs.max(1));
        self
    }

    /// How much each rung cuts (at least 2; default 4).
    pub fn reduction_factor(mut self, factor: u32) -> Self {
        self.reduction_factor = factor.max(2);
        self
    }

    /// Shifts every rung by this many factors (default 0).
    pub fn min_early_stopping_rate(mut self, rate: u32) -> Self {
        self.min_early_stopping_rate = rate;
        self
    }

    /// A rung needs more than this many scores before it can stop anyone (default 0).
    pub fn bootstrap_count(mut self, n: usize) -> Self {
        self.bootstrap_count = n;
        self
    }

    /// The first epoch of rung `rung`.
    fn rung_epoch(&self, min_resource: u32, rung: u32) -> u64 {
        u64::from(min_resource)
            * u64::from(self.reduction_factor).saturating_pow(self.min_early_stopping_rate + rung)
    }

    /// The score a curve recorded at `rung`: at its first epoch at or past the rung's epoch.
    fn rung_score(
        &self,
        ctx: &PrunerContext<'_>,
        curve: &[(u32, Metrics)],
        min: u32,
        rung: u32,
    ) -> Option<f64> {
        let at = self.rung_epoch(min, rung);
        curve
            .iter()
            .find(|(e, _)| u64::from(*e) >= at)
            .map(|(_, m)| curve::score(ctx, m))
    }
}

impl Pruner for SuccessiveHalvingPruner {
    fn name(&self) -> &'static str {
        "successive_halving"
    }

    fn prune(&self, ctx: &PrunerContext<'_>) -> bool {
        let Some((_, metrics)) = ctx.history.iter().find(|(e, _)| *e == ctx.epoch) else {
            return false;
        };
        let value = curve::score(ctx, metrics);
        let min = match self.min_resource {
            Some(m) => m,
            None => {
                let longest = ctx
                    .trials
                    .iter()
                    .filter(|t| t.state == TrialState::Completed)
                    .filter_map(|t| t.history.last().map(|(e, _)| *e))
                    .max();
                match longest {
                    Some(last) => (last / 100).max(1),
                    None => return false,
                }
            }
        };
        // Rungs this trial passed at earlier epochs.
        let earlier: Vec<(u32, Metrics)> = ctx
            .history
            .iter()
            .filter(|(e, _)| *e < ctx.epoch)
            .cloned()
            .collect();
        let mut rung = 0;
        while self.rung_score(ctx, &earlier, min, rung).is_some() {
            rung += 1;
        }
        let others: Vec<&[(u32, Metrics)]> = ctx
            .trials
            .iter()
            .filter(|t| t.number != ctx.trial)
            .map(|t| &t.history[..])
            .collect();
        let direction = ctx.objectives.direction();
        loop {
            if u64::from(ctx.epoch) < self.rung_epoch(min, rung) {
                return false;
            }
            if value.is_nan() {
                return true;
            }
            let mut competing: Vec<f64> = others
                .iter()
                .filter_map(|c| self.rung_score(ctx, c, min, rung))
                .filter(|v| !v.is_nan())
                .collect();
            competing.push(value);
            if competing.len() <= self.bootstrap_count {
                return true;
            }
            competing.sort_by(|a, b| direction.best_first(*a, *b));
            let keep = (competing.len() / self.reduction_factor as usize).max(1);
            // Promotable: no worse than the `keep`-th best (ties with it go on).
            if direction.better(competing[keep - 1], value) {
                return true;
            }
            rung += 1;
        }
    }
}
