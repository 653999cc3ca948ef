//! BOHB (Falkner et al. 2018): Hyperband whose new configurations come from a model instead of
//! uniform sampling. Brackets, rounds, budgets and promotions are [`Hyperband`]'s, decided
//! afresh from the history (so brackets survive restarts and are shared between workers);
//! only round 0's configurations differ:
//!
//! - with probability `random_fraction` (BOHB's rho, default 1/3, hpbandster's default) a
//!   configuration is drawn at random, so the search keeps exploring;
//! - otherwise from the TPE of `oracle/tpe/` fitted on the observations of the largest budget
//!   that has at least `min_points` completed ones (default `d + 2`, `d` the number of
//!   non-constant parameters): each completed trial trained to that budget is one observation,
//!   its score its value there. The sets are BOHB's, not Optuna's: the best
//!   `max(d + 1, floor(0.15 n))` of the `n` observations are good (Falkner et al., eq. 2), the
//!   rest bad, or the worst `d + 1` when the rest are fewer (eq. 3: the sets then overlap).
//!   With Optuna's `ceil(0.1 n)` a budget with `d + 2` observations has one good point, whose
//!   wide kernel against the near-good others (promoted trials are a rung's best) made `l/g`
//!   largest far from every point;
//! - at random while no budget has enough (the first bracket), or when the model's choice is
//!   already in the round.
//!
//! Every draw depends only on the study's seed and history, as every oracle's.

use super::hyperband::{random_fresh, HyperbandSchedule};
use super::tpe::SplitRule;
use super::{Hyperband, Oracle, OracleConfig, OracleContext, Suggestion, Tpe};
use crate::space::{HyperParameters, ParamKind, SearchSpace};
use crate::trial::{Trial, TrialPlan, TrialState};
use rand::RngExt;
use std::collections::{BTreeMap, HashSet};

/// Model-based Hyperband (see the module documentation).
///
/// ```
/// use tuner_core::oracle::{Bohb, Oracle};
///
/// let bohb = Bohb::new(10).factor(3).random_fraction(0.25);
/// assert_eq!(bohb.name(), "bohb");
/// assert_eq!(bohb.schedule().table()[0], vec![(12, 2), (4, 4), (2, 10)]);
/// ```
#[derive(Debug, Clone)]
pub struct Bohb {
    hyperband: Hyperband,
    random_fraction: f64,
    min_points: Option<usize>,
    tpe: Tpe,
}

impl Bohb {
    /// BOHB training models for at most `max_epochs` epochs, factor 3, rho 1/3.
    pub fn new(max_epochs: u32) -> Self {
        Self {
            hyperband: Hyperband::new(max_epochs),
            random_fraction: 1.0 / 3.0,
            min_points: None,
            tpe: Tpe::new().n_startup_trials(0).split_rule(SplitRule::Bohb),
        }
    }

    /// The reduction factor (at least 2).
    pub fn factor(mut self, factor: u32) -> Self {
        self.hyperband = self.hyperband.factor(factor);
        self
    }

    /// How many times to run the whole set of brackets.
    pub fn iterations(mut self, iterations: u32) -> Self {
        self.hyperband = self.hyperband.iterations(iterations);
        self
    }

    /// The share of new configurations drawn at random (BOHB's rho, clamped to 0..=1).
    pub fn random_fraction(mut self, rho: f64) -> Self {
        self.random_fraction = if rho.is_nan() {
            1.0 / 3.0
        } else {
            rho.clamp(0.0, 1.0)
        };
        self
    }

    /// Completed observations a budget needs before the model is fitted on it (`None`: the
    /// number of non-constant parameters + 2; at least 2).
    pub fn min_points(mut self, n: Option<usize>) -> Self {
        self.min_points = n.map(|n| n.max(2));
        self
    }

    /// The bracket arithmetic in use (Hyperband's).
    pub fn schedule(&self) -> HyperbandSchedule {
        self.hyperband.schedule()
    }

    /// The observations needed on a budget for `space`.
    fn needed(&self, space: &SearchSpace) -> usize {
        self.min_points.unwrap_or_else(|| dimensions(space) + 2)
    }

    /// Round 0's next configuration (see the module documentation).
    fn fresh(
        &self,
        ctx: &OracleContext<'_>,
        seen: &HashSet<String>,
        budget: u32,
    ) -> Option<HyperParameters> {
        let explore = ctx.rng().random::<f64>() < self.random_fraction;
        let modelled = if explore {
            None
        } else {
            model_budget(ctx.trials, self.needed(ctx.space))
                .and_then(|b| self.model_choice(ctx, seen, b))
        };
        modelled.or_else(|| random_fresh(ctx, seen, budget))
    }

    /// The TPE's choice fitted on the observations at budget `b`, if it is not in `seen`.
    fn model_choice(
        &self,
        ctx: &OracleContext<'_>,
        seen: &HashSet<String>,
        b: u32,
    ) -> Option<HyperParameters> {
        let observed = observations(ctx.trials, b);
        let keys: HashSet<String> = observed.iter().map(|t| t.values().key()).collect();
        // Running new configurations count as bad (TPE's constant liar), so two workers filling
        // one round are steered apart.
        let running = ctx.trials.iter().filter(|t| {
            t.state == TrialState::Running
                && t.plan.parent.is_none()
                && !keys.contains(&t.values().key())
        });
        let view: Vec<Trial> = observed
            .into_iter()
            .chain(running)
            .map(|t| {
                let mut v = Trial::new(
                    t.number,
                    TrialPlan {
                        values: t.values().clone(),
                        ..TrialPlan::default()
                    },
                );
                v.state = t.state;
                v.score = t.score;
                v
            })
            .collect();
        let model_ctx = OracleContext {
            trials: &view,
            // The view's length repeats between suggestions; the whole history's does not.
            seed: ctx
                .seed
                .wrapping_add((ctx.trials.len() as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)),
            ..*ctx
        };
        match self.tpe.suggest(&model_ctx) {
            Suggestion::Try(plan) if !seen.contains(&plan.values.key()) => Some(plan.values),
            _ => None,
        }
    }
}

/// The non-constant parameters of `space` (BOHB's `d`).
fn dimensions(space: &SearchSpace) -> usize {
    space
        .params()
        .iter()
        .filter(|p| !matches!(p.kind, ParamKind::Fixed { .. }) && p.cardinality() != Some(1))
        .count()
}

/// Whether `t` is an observation at budget `b`: completed and scored, trained to `b`.
fn observed_at(t: &Trial, b: u32) -> bool {
    t.plan.epochs == Some(b)
        && t.state == TrialState::Completed
        && t.score.is_some_and(|s| !s.is_nan())
}

/// The completed, scored trials trained to budget `b`.
fn observations(trials: &[Trial], b: u32) -> Vec<&Trial> {
    trials.iter().filter(|t| observed_at(t, b)).collect()
}

/// The largest budget with at least `needed` completed observations (BOHB's rule).
pub(crate) fn model_budget(trials: &[Trial], needed: usize) -> Option<u32> {
    let mut count: BTreeMap<u32, usize> = BTreeMap::new();
    for t in trials {
        if let Some(b) = t.plan.epochs.filter(|&b| observed_at(t, b)) {
            *count.entry(b).or_default() += 1;
        }
    }
    count
        .into_iter()
        .rev()
        .find(|(_, n)| *n >= needed)
        .map(|(b, _)| b)
}

impl Oracle for Bohb {
    fn name(&self) -> &'static str {
        "bohb"
    }

    fn config(&self) -> OracleConfig {
        let schedule = self.hyperband.schedule();
        OracleConfig::Bohb {
            max_epochs: schedule.max_epochs,
            factor: schedule.factor,
            hyperband_iterations: self.hyperband.hyperband_iterations(),
            random_fraction: self.random_fraction,
            min_points: self.min_points,
        }
    }

    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion {
        self.hyperband
            .suggest_with(ctx, &|ctx, seen, budget| self.fresh(ctx, seen, budget))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(number: u64, epochs: u32, state: TrialState, score: Option<f64>) -> Trial {
        let mut t = Trial::new(
            number,
            TrialPlan {
                epochs: Some(epochs),
                ..TrialPlan::default()
            },
        );
        t.state = state;
        t.score = score;
        t
    }

    #[test]
    fn the_model_uses_the_largest_budget_with_enough_observations() {
        let mut trials: Vec<Trial> = (0..5)
            .map(|n| trial(n, 2, TrialState::Completed, Some(n as f64)))
            .collect();
        trials.extend((5..8).map(|n| trial(n, 4, TrialState::Completed, Some(1.0))));
        // Running, failed and unscored trials are not observations.
        trials.push(trial(8, 4, TrialState::Running, None));
        trials.push(trial(9, 4, TrialState::Failed, None));
        trials.push(trial(10, 4, TrialState::Completed, None));
        assert_eq!(model_budget(&trials, 4), Some(2));
        assert_eq!(model_budget(&trials, 3), Some(4));
        assert_eq!(model_budget(&trials, 6), None);
        trials.push(trial(11, 4, TrialState::Completed, Some(0.5)));
        assert_eq!(model_budget(&trials, 4), Some(4));
    }
}
