//! Oracles decide what to try next from the study's whole history, so that a resumed search or
//! a second worker makes the same kind of decision as the first.

mod asha;
mod bayesian;
mod bohb;
mod config;
mod grid;
mod hyperband;
mod nsga2;
mod promotion;
mod random;
mod tpe;

pub use asha::Asha;
pub use bayesian::{Acquisition, BayesianOptimization, Scalarisation};
pub use bohb::Bohb;
pub use config::{OracleConfig, OracleConfigError, OracleDifference};
pub use grid::GridSearch;
pub use hyperband::{Hyperband, HyperbandSchedule};
pub use nsga2::{Crossover, Mutation, Nsga2};
pub use random::RandomSearch;
pub use tpe::{MultiObjectiveSplit, Tpe};

use crate::objective::Objectives;
use crate::space::SearchSpace;
use crate::trial::{Trial, TrialPlan};
use rand::rngs::ChaCha8Rng;
use rand::SeedableRng;
use std::collections::HashSet;

/// Everything an oracle may look at when it decides.
#[derive(Debug, Clone, Copy)]
pub struct OracleContext<'a> {
    /// The space searched.
    pub space: &'a SearchSpace,
    /// What is optimised.
    pub objectives: &'a Objectives,
    /// Every trial so far, running ones included, by number.
    pub trials: &'a [Trial],
    /// The study's seed.
    pub seed: u64,
}

impl OracleContext<'_> {
    /// A random stream fixed by the seed and the number of the trial being decided, so a
    /// resumed or repeated search draws exactly what the first one drew.
    pub fn rng(&self) -> ChaCha8Rng {
        let mixed = self
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(self.trials.len() as u64);
        ChaCha8Rng::seed_from_u64(mixed)
    }

    /// The keys of every configuration already handed out (running or finished).
    pub fn tried(&self) -> HashSet<String> {
        self.trials.iter().map(|t| t.values().key()).collect()
    }
}

/// An oracle's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Suggestion {
    /// Run this.
    Try(TrialPlan),
    /// Nothing to run until running trials (of this or other workers) end.
    Wait,
    /// The search is over, for the reason given.
    Done(String),
}

/// Decides the next trial from the history.
pub trait Oracle: Send + Sync {
    /// The oracle's name, e.g. `random`.
    fn name(&self) -> &'static str;

    /// The settings that define the oracle, stored with the study to detect conflicting resumes.
    fn config(&self) -> OracleConfig;

    /// The next trial to run, a reason to wait, or the end of the search.
    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion;
}

/// A boxed oracle (e.g. one chosen at run time) is an oracle.
impl<O: Oracle + ?Sized> Oracle for Box<O> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn config(&self) -> OracleConfig {
        (**self).config()
    }
    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion {
        (**self).suggest(ctx)
    }
}
