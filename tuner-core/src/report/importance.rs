//! Parameter importance by PED-ANOVA (Watanabe et al., 2023, "PED-ANOVA: Efficiently
//! Quantifying Hyperparameter Importance in Arbitrary Subspaces"), computed as Optuna 5's
//! `PedAnovaImportanceEvaluator` (Optuna's default evaluator) with its defaults, so that
//! `tuner` and `optuna.importance.get_param_importances` give the same numbers on the same
//! study (checked against Optuna in `tests/storage/python.rs`).
//!
//! The question it answers: which parameters must be set right to reach the top
//! `target_quantile` (10%) of scores seen? Each parameter's values are put on the grid Optuna
//! makes of its stored distribution (the one `storage/optuna.rs` writes): 50 points over a
//! float range (in log space for log ranges), one per value of a short int or stepped range,
//! `ceil(log2(size)) + 1` for a log int range, one per choice. Two Parzen densities are fitted
//! on that grid: one of the top trials' values, one of all trials' values (a discretised normal
//! kernel per observed point, width by Scott's rule and at least 0.3 steps, or a smoothed
//! one-hot per observed choice, plus a broad prior kernel of weight 1). The parameter's
//! importance is the Pearson divergence between them, `sum_k p_all(k) (p_top(k)/p_all(k) - 1)^2`.
//!
//! Conditional parameters follow Conditional PED-ANOVA (Optuna's): only the trials in which
//! the parameter is live count, weighted by `alpha^2 / beta` (`alpha` the share of top trials
//! in which it is live, `beta` that of all trials), and the whole times `(top / all)^2`;
//! a parameter live in fewer than 2 trials gets 0. The importances are then normalised to sum
//! to 1 (equal shares when all are 0), as `get_param_importances` does.
//!
//! Two differences from Optuna, both outside what a single-objective `tuner` study stores:
//! a multi-objective study's top trials are those of the summed losses (Optuna ranks by
//! non-domination and hypervolume), and every parameter of the space is listed, a parameter
//! no completed trial has with 0 (Optuna leaves it out).

use super::StudyView;
use crate::space::{HyperParameters, Param, ParamKind, Sampling, Value};
use crate::trial::TrialState;

/// PED-ANOVA settings; the defaults are Optuna's.
#[derive(Debug, Clone, PartialEq)]
pub struct PedAnova {
    target_quantile: f64,
    n_steps: usize,
    prior_weight: f64,
    min_trials_in_regime: usize,
}

impl Default for PedAnova {
    fn default() -> Self {
        Self {
            target_quantile: 0.1,
            n_steps: 50,
            prior_weight: 1.0,
            min_trials_in_regime: 2,
        }
    }
}

/// The grid a parameter's values are counted on, as Optuna discretises its distribution.
#[derive(Debug, Clone, PartialEq)]
enum Grid {
    /// `steps` evenly spaced points from `low` to `high` (both in log space when `log`).
    Numeric {
        low: f64,
        high: f64,
        log: bool,
        steps: usize,
    },
    /// One point per choice, in the stored order.
    Categorical(Vec<Value>),
}

impl Grid {
    /// The grid of a parameter, or `None` when it holds a single value (importance 0).
    fn of(param: &Param, n_steps: usize) -> Option<Grid> {
        // The same distribution `storage/optuna.rs` stores: only `Log` is log for Optuna, and
        // a step survives only on linear ranges (log ints have step 1).
        let (min, max, log, step) = match &param.kind {
            ParamKind::Fixed { .. } => return None,
            ParamKind::Boolean => {
                return Some(Grid::Categorical(vec![
                    Value::Bool(false),
                    Value::Bool(true),
                ]))
            }
            ParamKind::Choice { values, .. } => {
                return (values.len() > 1).then(|| Grid::Categorical(values.clone()))
            }
            ParamKind::Int {
                min,
                max,
                step,
                sampling,
            } => {
                let step = match sampling {
                    Sampling::Linear => step.unwrap_or(1).max(1),
                    _ => 1,
                };
                (
                    *min as f64,
                    *max as f64,
                    *sampling == Sampling::Log,
                    Some(step as f64),
                )
            }
            ParamKind::Float {
                min,
                max,
                step,
                sampling,
            } => {
                let step = step.filter(|_| *sampling == Sampling::Linear);
                (*min, *max, *sampling == Sampling::Log, step)
            }
        };
        if max <= min || step.is_some_and(|s| max - min < s) {
            return None;
        }
        let int_log = log && matches!(param.kind, ParamKind::Int { .. });
        let steps = if int_log {
            let log2_size = ((max - min + 1.0).ln() / 2f64.ln()).ceil() as usize + 1;
            log2_size.min(n_steps)
        } else if let Some(step) = step {
            (((max - min) / step).round() as usize + 1).min(n_steps)
        } else {
            n_steps
        };
        let (low, high) = if log {
            (min.ln(), max.ln())
        } else {
            (min, max)
        };
        Some(Grid::Numeric {
            low,
            high,
            log,
            steps,
        })
    }

    fn size(&self) -> usize {
        match self {
            Grid::Numeric { steps, .. } => *steps,
            Grid::Categorical(choices) => choices.len(),
        }
    }

    /// The grid point of a value: the nearest one (ties to the lower), or the choice's index.
    fn index(&self, value: &Value) -> Option<usize> {
        match self {
            Grid::Numeric {
                low,
                high,
                log,
                steps,
            } => {
                let v = value.as_float()?;
                let v = if *log { v.ln() } else { v };
                let step = (high - low) / (*steps - 1) as f64;
                let i = ((v - low) / step - 0.5).ceil();
                i.is_finite().then(|| (i.max(0.0) as usize).min(steps - 1))
            }
            Grid::Categorical(choices) => choices.iter().position(|c| c.same_as(value)),
        }
    }
}

impl PedAnova {
    /// Optuna's defaults: top 10%, 50 grid points for float ranges, prior weight 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// The share of best trials whose parameters are examined (0 < q <= 1; default 0.1).
    pub fn target_quantile(mut self, q: f64) -> Self {
        self.target_quantile = q.clamp(f64::MIN_POSITIVE, 1.0);
        self
    }

    /// Each parameter's importance, most important first; the values sum to 1 (equal shares
    /// when none can be told apart). Ties keep the space's order.
    pub fn evaluate(&self, study: &StudyView<'_>) -> Vec<(String, f64)> {
        let objective = study.objectives.scalar();
        let done: Vec<(&HyperParameters, f64)> = study
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Completed)
            .filter_map(|t| {
                let s = t.score.filter(|s| s.is_finite())?;
                Some((t.values(), objective.loss(s)))
            })
            .collect();
        let params = study.space.params();
        let mut out: Vec<(String, f64)> = params.iter().map(|p| (p.name.clone(), 0.0)).collect();
        if done.len() > 1 {
            let top = self.top(&done);
            let n_top = top.iter().filter(|t| **t).count();
            // Theorem 4.2 of Conditional PED-ANOVA: the local importances scaled by
            // (gamma' / gamma)^2, gamma = 1 here (the whole study is the region).
            let quantile = n_top as f64 / done.len() as f64;
            for (param, slot) in params.iter().zip(&mut out) {
                slot.1 = self.conditional_divergence(param, &done, &top) * quantile * quantile;
            }
        }
        let total: f64 = out.iter().map(|(_, v)| v).sum();
        let n = out.len() as f64;
        for (_, v) in &mut out {
            *v = if total > 0.0 { *v / total } else { 1.0 / n };
        }
        // A stable sort keeps the space's order among equal importances.
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }

    /// Which trials are in the top: a loss at or below the `target_quantile` (inverted CDF),
    /// ties included.
    fn top(&self, done: &[(&HyperParameters, f64)]) -> Vec<bool> {
        let mut losses: Vec<f64> = done.iter().map(|(_, l)| *l).collect();
        losses.sort_by(f64::total_cmp);
        let n = losses.len();
        let k = ((self.target_quantile * n as f64).ceil() as usize).clamp(1, n) - 1;
        let cutoff = losses[k];
        done.iter().map(|(_, l)| *l <= cutoff).collect()
    }

    /// `alpha^2 / beta` times the Pearson divergence over the trials in which the parameter is
    /// live (its one regime that has a distribution; the inactive regime adds nothing).
    fn conditional_divergence(
        &self,
        param: &Param,
        done: &[(&HyperParameters, f64)],
        top: &[bool],
    ) -> f64 {
        let Some(grid) = Grid::of(param, self.n_steps) else {
            return 0.0;
        };
        let mut all = vec![0.0; grid.size()];
        let mut best = vec![0.0; grid.size()];
        let (mut live, mut live_top) = (0usize, 0usize);
        for ((values, _), is_top) in done.iter().zip(top) {
            let Some(i) = values.get(&param.name).and_then(|v| grid.index(v)) else {
                continue;
            };
            live += 1;
            all[i] += 1.0;
            if *is_top {
                live_top += 1;
                best[i] += 1.0;
            }
        }
        if live < self.min_trials_in_regime || live_top == 0 {
            return 0.0;
        }
        let n_top = top.iter().filter(|t| **t).count() as f64;
        let alpha = live_top as f64 / n_top;
        let beta = live as f64 / done.len() as f64;
        let categorical = matches!(grid, Grid::Categorical(_));
        let p_top = self.density(&best, categorical);
        let p_all = self.density(&all, categorical);
        alpha * alpha / beta * pearson_divergence(&p_top, &p_all)
    }

    /// Optuna's `ScottParzenEstimator` on the grid, from per-point counts: one kernel per
    /// observed point weighted by its count, and the prior kernel weighted `prior_weight`.
    fn density(&self, counts: &[f64], categorical: bool) -> Vec<f64> {
        let k = counts.len();
        let total = counts.iter().sum::<f64>() + self.prior_weight;
        let observed: Vec<(usize, f64)> = counts
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, c)| *c > 0.0)
            .collect();
        let mut p = vec![0.0; k];
        let prior = self.prior_weight / total;
        if categorical {
            // Each kernel: its choice 1 plus prior/(kernels) on every choice, normalised; the
            // prior kernel is uniform.
            let smooth = self.prior_weight / (observed.len() + 1) as f64;
            let norm = 1.0 + smooth * k as f64;
            for (j, c) in &observed {
                for (i, slot) in p.iter_mut().enumerate() {
                    let one = if i == *j { 1.0 } else { 0.0 };
                    *slot += c / total * (one + smooth) / norm;
                }
            }
            for slot in &mut p {
                *slot += prior / k as f64;
            }
        } else {
            let sigma = scott_sigma(&observed);
            for (mu, c) in &observed {
                add_kernel(&mut p, *mu as f64, sigma, c / total);
            }
            add_kernel(&mut p, 0.5 * (k - 1) as f64, k as f64, prior);
        }
        p
    }
}

/// Each parameter's PED-ANOVA importance with Optuna's defaults, most important first.
pub fn param_importances(study: &StudyView<'_>) -> Vec<(String, f64)> {
    PedAnova::new().evaluate(study)
}

/// Scott's rule on the grid's observed points and their counts, as Optuna's
/// `ScottParzenEstimator`: `1.059 min(IQR/1.34, sd) n^-0.2`, at least 0.5/1.64 steps so that
/// 90% of a kernel's mass stays on its point.
fn scott_sigma(observed: &[(usize, f64)]) -> f64 {
    let floor = 0.5 / 1.64;
    let n: f64 = observed.iter().map(|(_, c)| c).sum();
    if n == 0.0 {
        return floor;
    }
    let mean = observed.iter().map(|(mu, c)| *mu as f64 * c).sum::<f64>() / n;
    let var = observed
        .iter()
        .map(|(mu, c)| (*mu as f64 - mean).powi(2) * c)
        .sum::<f64>()
        / (n - 1.0).max(1.0);
    // numpy's searchsorted on the cumulative counts: q1 the first point whose cumulative count
    // reaches floor(n/4), q3 the first whose count passes floor(3n/4).
    let (q1_target, q3_target) = ((n / 4.0).floor(), (n * 3.0 / 4.0).floor());
    let mut cum = 0.0;
    let (mut q1, mut q3) = (None, None);
    for (mu, c) in observed {
        cum += c;
        if q1.is_none() && cum >= q1_target {
            q1 = Some(*mu as f64);
        }
        if q3.is_none() && cum > q3_target {
            q3 = Some(*mu as f64);
        }
    }
    let last = observed.last().map_or(0.0, |o| o.0 as f64);
    let iqr = q3.unwrap_or(last) - q1.unwrap_or(0.0);
    let sigma = 1.059 * (iqr / 1.34).min(var.sqrt()) * n.powf(-0.2);
    sigma.max(floor)
}

fn normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
}

/// Adds `weight` times a normal kernel discretised on the grid's points (each point the mass
/// within half a step of it) and truncated to the grid.
fn add_kernel(p: &mut [f64], mu: f64, sigma: f64, weight: f64) {
    let mass = |i: usize| {
        normal_cdf((i as f64 + 0.5 - mu) / sigma) - normal_cdf((i as f64 - 0.5 - mu) / sigma)
    };
    let masses: Vec<f64> = (0..p.len()).map(mass).collect();
    let total: f64 = masses.iter().sum();
    if total <= 0.0 {
        return;
    }
    for (slot, m) in p.iter_mut().zip(masses) {
        *slot += weight * m / total;
    }
}

/// `sum_k q(k) (p(k)/q(k) - 1)^2`, with Optuna's floor of 1e-12 so that empty points stay
/// finite.
fn pearson_divergence(p: &[f64], q: &[f64]) -> f64 {
    p.iter()
        .zip(q)
        .map(|(p, q)| {
            let (p, q) = (p + 1e-12, q + 1e-12);
            q * (p / q - 1.0).powi(2)
        })
        .sum()
}

#[cfg(test)]
#[path = "importance_tests.rs"]
mod tests;
