//! What the GP is fitted to when a study has several objectives.
//!
//! The sum of the objectives (KerasTuner's scalar) has one optimum, so a GP fitted to it
//! concentrates every proposal on one point of the Pareto front. ParEGO (Knowles 2006)
//! instead draws a fresh weight vector for each suggestion and fits the augmented
//! Chebyshev scalarisation `max_j w_j z_j + 0.05 sum_j w_j z_j` of the normalised losses `z`:
//! each weight vector's optimum is a different point of the front, so over many suggestions
//! the proposals spread along it (concave parts included, which no weighted sum reaches).

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::objective::Direction;
use crate::oracle::OracleContext;
use crate::trial::{Trial, TrialState};

/// How Bayesian optimisation turns several objectives into the one value its GP models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scalarisation {
    /// ParEGO: a random augmented Chebyshev scalarisation per suggestion (spreads along the
    /// Pareto front).
    #[default]
    ParEgo,
    /// The sum of the objectives' losses, the study's scalar score (one compromise point).
    Sum,
}

/// The weight of the sum term beside the Chebyshev maximum (Knowles 2006).
const AUGMENTATION: f64 = 0.05;

/// Mixed into the seed so the weights' stream is independent of the proposal's.
const WEIGHT_STREAM: u64 = 0x5041_5245_474F_0001;

/// A finished trial's loss under the study's scalar score: finite, Completed or Stopped.
pub(super) fn loss(trial: &Trial, direction: Direction) -> Option<f64> {
    let s = trial.score.filter(|s| s.is_finite())?;
    matches!(trial.state, TrialState::Completed | TrialState::Stopped).then_some(direction.loss(s))
}

/// The trials the GP learns from and the loss it sees for each, under `how`.
pub(super) fn observations<'a>(
    ctx: &OracleContext<'a>,
    how: Scalarisation,
) -> Vec<(&'a Trial, f64)> {
    let direction = ctx.objectives.direction();
    let scalar = || -> Vec<(&'a Trial, f64)> {
        ctx.trials
            .iter()
            .filter_map(|t| loss(t, direction).map(|l| (t, l)))
            .collect()
    };
    if how == Scalarisation::Sum || !ctx.objectives.is_multi() {
        return scalar();
    }
    let vectors: Vec<(&'a Trial, Vec<f64>)> = ctx
        .trials
        .iter()
        .filter(|t| loss(t, direction).is_some())
        .filter_map(|t| {
            let l = ctx.objectives.losses(t.best_metrics()?)?;
            l.iter().all(|v| v.is_finite()).then_some((t, l))
        })
        .collect();
    if vectors.is_empty() {
        return scalar();
    }
    let weights = weights(ctx, ctx.objectives.list().len());
    let values = chebyshev(
        &vectors.iter().map(|v| v.1.clone()).collect::<Vec<_>>(),
        &weights,
    );
    vectors.into_iter().map(|v| v.0).zip(values).collect()
}

/// Weights drawn uniformly from the simplex (a flat Dirichlet), fixed by the seed and the
/// number of trials so a resumed search draws the same ones.
fn weights(ctx: &OracleContext<'_>, m: usize) -> Vec<f64> {
    let mixed = (ctx.seed ^ WEIGHT_STREAM)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(ctx.trials.len() as u64);
    let mut rng = ChaCha8Rng::seed_from_u64(mixed);
    let e: Vec<f64> = (0..m).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
    let total: f64 = e.iter().sum();
    e.iter().map(|v| v / total).collect()
}

/// The augmented Chebyshev value of each loss vector after scaling each objective to [0, 1]
/// over the observations (an objective that never varies contributes 0).
fn chebyshev(losses: &[Vec<f64>], weights: &[f64]) -> Vec<f64> {
    let m = weights.len();
    let lo: Vec<f64> = (0..m)
        .map(|j| losses.iter().map(|l| l[j]).fold(f64::INFINITY, f64::min))
        .collect();
    let hi: Vec<f64> = (0..m)
        .map(|j| {
            losses
                .iter()
                .map(|l| l[j])
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    losses
        .iter()
        .map(|l| {
            let z = (0..m).map(|j| {
                let range = hi[j] - lo[j];
                let z = if range > 0.0 {
                    (l[j] - lo[j]) / range
                } else {
                    0.0
                };
                weights[j] * z
            });
            let (max, sum) = z.fold((f64::NEG_INFINITY, 0.0), |(mx, s), v| (mx.max(v), s + v));
            max + AUGMENTATION * sum
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chebyshev_prefers_the_point_its_weights_point_at() {
        // Three points on a front: good in the first objective, balanced, good in the second.
        let front = vec![vec![0.0, 1.0], vec![0.5, 0.5], vec![1.0, 0.0]];
        let argmin = |w: &[f64]| {
            let v = chebyshev(&front, w);
            (0..v.len()).min_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap()
        };
        assert_eq!(argmin(&[0.9, 0.1]), 0);
        assert_eq!(argmin(&[0.5, 0.5]), 1);
        assert_eq!(argmin(&[0.1, 0.9]), 2);
        // A dominated point is never the minimum.
        let with_dominated = vec![vec![0.6, 0.6], vec![0.5, 0.5]];
        let v = chebyshev(&with_dominated, &[0.5, 0.5]);
        assert!(v[1] < v[0]);
    }

    #[test]
    fn a_constant_objective_does_not_divide_by_zero() {
        let v = chebyshev(&[vec![1.0, 3.0], vec![2.0, 3.0]], &[0.5, 0.5]);
        assert!(v.iter().all(|x| x.is_finite()));
        assert!(v[0] < v[1]);
    }
}
