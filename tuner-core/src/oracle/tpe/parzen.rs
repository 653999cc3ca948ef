//! The Parzen estimator of Optuna's TPE: a mixture with one kernel per observation plus a
//! prior kernel, over the unit-interval encoding of the parameters.
//!
//! Numeric parameters live on `[0, 1]` (KerasTuner's encoding: linear or log scale, stepped
//! values at their bucket centres, so Optuna's `low - step/2 .. high + step/2` is exactly
//! `[0, 1]`). Each observation's kernel is a normal truncated to `[0, 1]` whose width is the
//! larger gap to its sorted neighbours (the domain ends count as neighbours, except that the
//! outermost observations use their inner gap: `consider_endpoints = false`), clipped to
//! `[1 / min(100, 1 + kernels), 1]` (the "magic clip"); the prior kernel is `N(0.5, 1)`.
//! A discrete parameter (at most `DISCRETE_MAX` values on equal buckets) scores a value by
//! its kernel's mass on the value's bucket; finer grids are treated as continuous. Categorical
//! parameters use, per observation, `prior_weight / kernels` on every category plus 1 on the
//! observed one, normalised (the prior kernel is uniform).

use super::truncnorm::{log_gauss_mass, sample};
use rand::{Rng, RngExt};

/// How one dimension of a group is modelled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Dim {
    /// A density on `[0, 1]`.
    Continuous,
    /// `n` equal buckets of `[0, 1]`.
    Discrete(u64),
    /// `n` unordered categories (values are indices).
    Categorical(usize),
}

/// Equal-bucket grids up to this size are scored by bucket mass.
pub(crate) const DISCRETE_MAX: u64 = 256;
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// A fitted mixture over the dimensions of one group.
#[derive(Debug, Clone)]
pub(crate) struct Parzen {
    dims: Vec<Dim>,
    log_weights: Vec<f64>,
    weights: Vec<f64>,
    /// Per dimension: kernel means (numeric) — unused for categorical.
    mus: Vec<Vec<f64>>,
    sigmas: Vec<Vec<f64>>,
    inv_sigmas: Vec<Vec<f64>>,
    /// Per dimension: `ln Z`, the log mass of each kernel inside `[0, 1]`.
    log_norm: Vec<Vec<f64>>,
    /// Per categorical dimension: per kernel, log probabilities of each category.
    log_probs: Vec<Vec<Vec<f64>>>,
}

impl Parzen {
    /// Fits the mixture: `columns[d][k]` is observation `k`'s coordinate in dimension `d`,
    /// `weights[k]` its weight; the prior kernel gets `prior_weight`.
    pub fn new(dims: &[Dim], columns: &[Vec<f64>], weights: &[f64], prior_weight: f64) -> Self {
        let n = weights.len();
        let kernels = n + 1;
        let mut w: Vec<f64> = if n == 0 {
            vec![1.0]
        } else {
            weights.iter().copied().chain([prior_weight]).collect()
        };
        let total: f64 = w.iter().sum();
        w.iter_mut().for_each(|x| *x /= total);
        let mut mus = Vec::with_capacity(dims.len());
        let mut sigmas = Vec::with_capacity(dims.len());
        let mut log_norm = Vec::with_capacity(dims.len());
        let mut log_probs = Vec::with_capacity(dims.len());
        for (d, dim) in dims.iter().enumerate() {
            let column = &columns[d];
            match dim {
                Dim::Categorical(c) => {
                    let c = *c;
                    let rows: Vec<Vec<f64>> = if n == 0 {
                        vec![vec![-(c as f64).ln(); c]]
                    } else {
                        let base = prior_weight / kernels as f64;
                        let mut rows: Vec<Vec<f64>> = column
                            .iter()
                            .map(|x| {
                                let mut row = vec![base; c];
                                row[(*x as usize).min(c - 1)] += 1.0;
                                row
                            })
                            .collect();
                        rows.push(vec![base; c]);
                        rows.into_iter()
                            .map(|row| {
                                let s: f64 = row.iter().sum();
                                if s > 0.0 {
                                    row.iter().map(|v| (v / s).ln()).collect()
                                } else {
                                    vec![-(c as f64).ln(); c]
                                }
                            })
                            .collect()
                    };
                    log_probs.push(rows);
                    mus.push(Vec::new());
                    sigmas.push(Vec::new());
                    log_norm.push(Vec::new());
                }
                _ => {
                    let mut mu = column.clone();
                    let mut sigma = bandwidths(column, kernels);
                    if n > 0 {
                        mu.push(0.5);
                        sigma.push(1.0);
                    } else {
                        mu = vec![0.5];
                        sigma = vec![1.0];
                    }
                    let ln_z = mu
                        .iter()
                        .zip(&sigma)
                        .map(|(m, s)| {
                            let (a, b) = (-m / s, (1.0 - m) / s);
                            // Both ends beyond 8.5 sd: the mass is 1 to within 1e-17.
                            if a < -8.5 && b > 8.5 {
                                0.0
                            } else {
                                log_gauss_mass(a, b)
                            }
                        })
                        .collect();
                    mus.push(mu);
                    sigmas.push(sigma);
                    log_norm.push(ln_z);
                    log_probs.push(Vec::new());
                }
            }
        }
        let inv_sigmas = sigmas
            .iter()
            .map(|s| s.iter().map(|v| 1.0 / v).collect())
            .collect();
        Self {
            dims: dims.to_vec(),
            inv_sigmas,
            log_weights: w.iter().map(|x| x.ln()).collect(),
            weights: w,
            mus,
            sigmas,
            log_norm,
            log_probs,
        }
    }

    /// `count` draws from the mixture (discrete values at their bucket centres).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, count: usize) -> Vec<Vec<f64>> {
        (0..count)
            .map(|_| {
                let k = pick(&self.weights, rng.random::<f64>());
                self.dims
                    .iter()
                    .enumerate()
                    .map(|(d, dim)| match dim {
                        Dim::Categorical(_) => {
                            let probs: Vec<f64> =
                                self.log_probs[d][k].iter().map(|l| l.exp()).collect();
                            pick(&probs, rng.random::<f64>()) as f64
                        }
                        Dim::Continuous => sample(rng, self.mus[d][k], self.sigmas[d][k], 0.0, 1.0),
                        Dim::Discrete(n) => {
                            let u = sample(rng, self.mus[d][k], self.sigmas[d][k], 0.0, 1.0);
                            centre(u, *n)
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The log density (mass, for discrete and categorical dimensions) of each point.
    #[allow(clippy::needless_range_loop)] // parallel per-kernel arrays, indexed alike
    pub fn log_pdf(&self, points: &[Vec<f64>]) -> Vec<f64> {
        let kernels = self.log_weights.len();
        // Terms that do not depend on the point, per kernel.
        let mut constant = self.log_weights.clone();
        for (d, dim) in self.dims.iter().enumerate() {
            if *dim == Dim::Continuous {
                for k in 0..kernels {
                    constant[k] -= self.sigmas[d][k].ln() + self.log_norm[d][k] + LN_SQRT_2PI;
                }
            } else if let Dim::Discrete(_) = dim {
                for k in 0..kernels {
                    constant[k] -= self.log_norm[d][k];
                }
            }
        }
        let mut terms = vec![0.0; kernels];
        points
            .iter()
            .map(|x| {
                terms.copy_from_slice(&constant);
                for (d, dim) in self.dims.iter().enumerate() {
                    match dim {
                        Dim::Continuous => {
                            // Zipped (no bounds checks) so the compiler vectorises it.
                            let xd = x[d];
                            for ((t, m), inv) in
                                terms.iter_mut().zip(&self.mus[d]).zip(&self.inv_sigmas[d])
                            {
                                let z = (xd - m) * inv;
                                *t -= 0.5 * z * z;
                            }
                        }
                        Dim::Discrete(n) => {
                            let b = (x[d] * *n as f64).floor().clamp(0.0, *n as f64 - 1.0);
                            let (lo, hi) = (b / *n as f64, (b + 1.0) / *n as f64);
                            let (mu, sigma) = (&self.mus[d], &self.sigmas[d]);
                            for k in 0..kernels {
                                terms[k] += log_gauss_mass(
                                    (lo - mu[k]) / sigma[k],
                                    (hi - mu[k]) / sigma[k],
                                );
                            }
                        }
                        Dim::Categorical(c) => {
                            let i = (x[d] as usize).min(c - 1);
                            for k in 0..kernels {
                                terms[k] += self.log_probs[d][k][i];
                            }
                        }
                    }
                }
                log_sum_exp(&terms)
            })
            .collect()
    }
}

/// Optuna's kernel widths: the larger gap to the sorted neighbours, the domain ends counting
/// as neighbours except for the outermost observations, clipped to
/// `[1 / min(100, 1 + kernels), 1]`.
fn bandwidths(mus: &[f64], kernels: usize) -> Vec<f64> {
    let n = mus.len();
    if n == 0 {
        return Vec::new();
    }
    let mut sorted: Vec<(f64, usize)> = mus.iter().copied().zip(0..n).collect();
    sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let order: Vec<usize> = sorted.iter().map(|p| p.1).collect();
    let mut with_ends = Vec::with_capacity(n + 2);
    with_ends.push(0.0);
    with_ends.extend(sorted.iter().map(|p| p.0));
    with_ends.push(1.0);
    let mut sorted_sigma: Vec<f64> = (1..=n)
        .map(|i| (with_ends[i] - with_ends[i - 1]).max(with_ends[i + 1] - with_ends[i]))
        .collect();
    if with_ends.len() >= 4 {
        sorted_sigma[0] = with_ends[2] - with_ends[1];
        sorted_sigma[n - 1] = with_ends[n] - with_ends[n - 1];
    }
    let min_sigma = 1.0 / (1.0 + kernels as f64).min(100.0);
    let mut sigma = vec![0.0; n];
    for (rank, &i) in order.iter().enumerate() {
        sigma[i] = sorted_sigma[rank].clamp(min_sigma, 1.0);
    }
    sigma
}

/// The bucket centre of `u` among `n` equal buckets.
pub(crate) fn centre(u: f64, n: u64) -> f64 {
    let b = (u * n as f64).floor().clamp(0.0, n as f64 - 1.0);
    (b + 0.5) / n as f64
}

/// The index whose cumulative weight first exceeds `r` (weights sum to about 1).
fn pick(weights: &[f64], r: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w / total;
        if r < acc {
            return i;
        }
    }
    weights.len() - 1
}

fn log_sum_exp(v: &[f64]) -> f64 {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    // Terms more than 40 below the largest add less than 1e-17 of it: skip their exp.
    let sum: f64 = v
        .iter()
        .filter(|x| **x - max > -40.0)
        .map(|x| (x - max).exp())
        .sum();
    max + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandwidths_follow_optuna() {
        // Sorted 0.2, 0.5, 0.6 with ends 0 and 1; outermost use their inner gaps.
        let s = bandwidths(&[0.5, 0.2, 0.6], 4);
        assert!((s[1] - 0.3).abs() < 1e-12);
        assert!((s[0] - 0.3).abs() < 1e-12);
        assert!((s[2] - 0.1).abs() < 1e-12 || s[2] == 0.2, "{s:?}");
        // The magic clip: never narrower than 1 / (1 + kernels).
        let s = bandwidths(&[0.5, 0.5001], 3);
        assert!(s.iter().all(|v| *v >= 0.25 - 1e-12), "{s:?}");
    }

    #[test]
    fn densities_integrate_to_one() {
        let dims = [Dim::Continuous];
        let p = Parzen::new(&dims, &[vec![0.1, 0.8, 0.85]], &[1.0, 1.0, 1.0], 1.0);
        let m = 20_000;
        let xs: Vec<Vec<f64>> = (0..m).map(|i| vec![(i as f64 + 0.5) / m as f64]).collect();
        let integral: f64 = p.log_pdf(&xs).iter().map(|l| l.exp() / m as f64).sum();
        assert!((integral - 1.0).abs() < 1e-6, "{integral}");
        let dims = [Dim::Discrete(5), Dim::Categorical(3)];
        let p = Parzen::new(&dims, &[vec![0.1, 0.7], vec![2.0, 0.0]], &[1.0, 1.0], 1.0);
        let mut all = Vec::new();
        for b in 0..5 {
            for c in 0..3 {
                all.push(vec![(b as f64 + 0.5) / 5.0, c as f64]);
            }
        }
        let total: f64 = p.log_pdf(&all).iter().map(|l| l.exp()).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
    }
}
