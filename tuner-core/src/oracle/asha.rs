//! Asynchronous successive halving (ASHA, Li et al. 2018, "A System for Massively Parallel
//! Hyperparameter Tuning"): rung `k` trains to `min_epochs * factor^k` epochs (the last rung
//! to `max_epochs`). Whenever a worker asks, the highest rung with a promotable trial promotes
//! one: a completed trial among the best `floor(n / factor)` of the `n` completed at its rung,
//! not promoted yet. Otherwise a new configuration starts at rung 0. Nothing ever waits for a
//! rung to fill, so many workers sharing one study stay busy; each decision is made afresh from
//! the stored history (the storage's atomic ask keeps two workers from taking the same trial).
//! A promoted trial continues its parent's checkpoint, as in Hyperband. Ranking at a rung is
//! [`super::promotion`]'s (by score, or by Pareto front with several objectives).
//!
//! The search runs until `max_trials` (or until the space has no untried configuration and
//! nothing is left to promote).

use super::hyperband::random_fresh;
use super::{promotion, Oracle, OracleConfig, OracleContext, Suggestion};
use crate::space::Value;
use crate::trial::{Trial, TrialPlan, TrialState};
use std::collections::{BTreeMap, HashSet};

/// The plan attribute holding a trial's ASHA rung.
const RUNG: &str = "asha/rung";

/// Asynchronous successive halving (see the module documentation).
///
/// ```
/// use tuner_core::oracle::Asha;
///
/// // Rungs at 1, 3 and 9 epochs, then the maximum, 20.
/// assert_eq!(Asha::new(20).min_epochs(1).factor(3).rungs(), vec![1, 3, 9, 20]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Asha {
    min_epochs: u32,
    max_epochs: u32,
    factor: u32,
}

impl Asha {
    /// ASHA training models for at most `max_epochs` epochs: first rung 1 epoch, factor 3.
    pub fn new(max_epochs: u32) -> Self {
        Self {
            min_epochs: 1,
            max_epochs: max_epochs.max(1),
            factor: 3,
        }
    }

    /// The epochs of rung 0 (at least 1, at most `max_epochs`).
    pub fn min_epochs(mut self, epochs: u32) -> Self {
        self.min_epochs = epochs.clamp(1, self.max_epochs);
        self
    }

    /// The reduction factor between rungs (at least 2).
    pub fn factor(mut self, factor: u32) -> Self {
        self.factor = factor.max(2);
        self
    }

    /// Each rung's epoch budget, rung 0 first; the last is `max_epochs`.
    pub fn rungs(&self) -> Vec<u32> {
        let mut rungs = Vec::new();
        let mut epochs = u64::from(self.min_epochs);
        while epochs < u64::from(self.max_epochs) {
            rungs.push(epochs as u32);
            epochs *= u64::from(self.factor);
        }
        rungs.push(self.max_epochs);
        rungs
    }
}

fn rung_of(trial: &Trial) -> Option<usize> {
    trial
        .plan
        .attrs
        .get(RUNG)
        .and_then(Value::as_int)
        .and_then(|r| usize::try_from(r).ok())
}

impl Oracle for Asha {
    fn name(&self) -> &'static str {
        "asha"
    }

    fn config(&self) -> OracleConfig {
        OracleConfig::Asha {
            min_epochs: self.min_epochs,
            max_epochs: self.max_epochs,
            factor: self.factor,
        }
    }

    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion {
        let budgets = self.rungs();
        let mut rungs: Vec<Vec<&Trial>> = vec![Vec::new(); budgets.len()];
        for t in ctx.trials {
            if let Some(r) = rung_of(t).filter(|r| *r < budgets.len()) {
                rungs[r].push(t);
            }
        }
        let tag = |r: usize| BTreeMap::from([(RUNG.to_owned(), Value::Int(r as i64))]);
        for k in (0..budgets.len() - 1).rev() {
            let ranked = promotion::ranked(&rungs[k], ctx.objectives);
            let keep = ranked.len() / self.factor as usize;
            let promoted: HashSet<u64> =
                rungs[k + 1].iter().filter_map(|t| t.plan.parent).collect();
            if let Some(parent) = ranked[..keep]
                .iter()
                .find(|t| !promoted.contains(&t.number))
            {
                return Suggestion::Try(TrialPlan {
                    values: parent.values().clone(),
                    epochs: Some(budgets[k + 1]),
                    initial_epoch: budgets[k],
                    parent: Some(parent.number),
                    attrs: tag(k + 1),
                });
            }
        }
        let tried = ctx.tried();
        if let Some(values) = random_fresh(ctx, &tried, budgets[0]) {
            return Suggestion::Try(TrialPlan {
                values,
                epochs: Some(budgets[0]),
                initial_epoch: 0,
                parent: None,
                attrs: tag(0),
            });
        }
        if ctx.trials.iter().any(|t| t.state == TrialState::Running) {
            Suggestion::Wait
        } else {
            Suggestion::Done(
                "ASHA has tried every configuration of the space and promoted all it could"
                    .to_owned(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{Objective, Objectives};
    use crate::space::{Param, SearchSpace};

    #[test]
    fn rungs_grow_by_the_factor_up_to_the_maximum() {
        assert_eq!(Asha::new(9).rungs(), vec![1, 3, 9]);
        assert_eq!(Asha::new(10).min_epochs(2).rungs(), vec![2, 6, 10]);
        assert_eq!(Asha::new(1).rungs(), vec![1]);
    }

    #[test]
    fn a_rung_promotes_as_soon_as_a_third_of_it_is_done() {
        let space = SearchSpace::builder()
            .param(Param::float("x", 0.0, 1.0))
            .build()
            .unwrap();
        let objectives: Objectives = Objective::minimize("loss").into();
        let asha = Asha::new(9);
        let mut trials: Vec<Trial> = Vec::new();
        let ask = |trials: &[Trial]| {
            let ctx = OracleContext {
                space: &space,
                objectives: &objectives,
                trials,
                seed: 1,
            };
            match asha.suggest(&ctx) {
                Suggestion::Try(plan) => plan,
                other => panic!("ASHA never waits with an infinite space: {other:?}"),
            }
        };
        for n in 0..3u64 {
            let plan = ask(&trials);
            assert_eq!((plan.parent, plan.epochs), (None, Some(1)));
            let mut t = Trial::new(n, plan);
            // Trial 1 is the best; trial 2 is still running.
            if n < 2 {
                t.state = TrialState::Completed;
                t.score = Some(if n == 1 { 0.1 } else { 0.5 });
            }
            trials.push(t);
        }
        // Two done at rung 0: floor(2 / 3) = 0 promotable, so a new configuration.
        assert_eq!(ask(&trials).parent, None);
        trials[2].state = TrialState::Completed;
        trials[2].score = Some(0.9);
        // Three done: the best one goes on to rung 1 (1 -> 3 epochs) without waiting.
        let plan = ask(&trials);
        assert_eq!(
            (plan.parent, plan.initial_epoch, plan.epochs),
            (Some(1), 1, Some(3))
        );
        trials.push(Trial::new(3, plan));
        // It is not promoted twice.
        assert_eq!(ask(&trials).parent, None);
    }
}
