//! Pruners stop unpromising trials early from their reported learning curves (any oracle).

mod curve;
mod percentile;
mod successive_halving;

pub use percentile::{MedianPruner, PercentilePruner};
pub use successive_halving::SuccessiveHalvingPruner;

use crate::objective::Objectives;
use crate::trial::{Curve, Trial};

/// What a pruner sees after each reported epoch of a running trial.
#[derive(Debug, Clone, Copy)]
pub struct PrunerContext<'a> {
    /// The running trial's number.
    pub trial: u64,
    /// The epoch just reported.
    pub epoch: u32,
    /// The running trial's epochs so far (this execution's), in order.
    pub history: &'a Curve,
    /// Every trial of the study (the running one included, as stored).
    pub trials: &'a [Trial],
    /// What is optimised; pruners compare the scalar score.
    pub objectives: &'a Objectives,
}

/// Decides whether a running trial should stop now.
pub trait Pruner: Send + Sync {
    /// The pruner's name, for messages (e.g. `median`).
    fn name(&self) -> &'static str;

    /// Whether to stop the trial after `ctx.epoch`.
    fn prune(&self, ctx: &PrunerContext<'_>) -> bool;
}
