//! Where trials fail, as constrained BO models it: a second GP on the failure indicator (+1 for
//! a trial with a finite score, -1 for a failed one: an error, NaN or an infinite objective),
//! whose probit `P(feasible) = Phi(mean / sd)` multiplies the acquisition (its log is added to
//! log-EI, falling steeply below `P = MIN_PROB`), and a small exclusion ball around every
//! failed point.
//!
//! Without it a failing region is invisible to the objective's GP: the point the acquisition
//! likes best stays where it was, and every suggestion lands next to the last failure.
//! The indicator GP reuses the objective kernel's length scales (the space's geometry as the
//! objective fit found it) with unit signal and a small label noise, so it costs one more
//! factorisation and no likelihood fit. Far from every trial the probability is 1/2; next to
//! failures it falls steeply, next to successes it rises to 1.

use super::acquisition::{log_cdf_grad, weigh_log_prob, weigh_log_probs};
use super::gp::Gp;
use super::kernel::{feature_sq, KernelParams};

/// Variance of the indicator labels' noise: small, so repeated failures are believed.
const LABEL_NOISE: f64 = 1e-2;
/// At most this many failed trials (the latest) enter the indicator GP.
const FAILED_CAP: usize = 200;
/// At most this many successful trials (an even spread of those given) enter it.
const FEASIBLE_CAP: usize = 300;
/// Below this probability of success the acquisition's `ln P` falls steeply (as for the
/// constraints, `acquisition::weigh_log_prob`). Without it, once a deterministic objective is
/// refined (log-EI tens of nats below zero everywhere near the incumbent) plain `ln P` is cheap
/// next to it, and 10.6% of BO's trials after the 20th fell in Branin's NaN region; with 0.2,
/// 3.8%.
/// A higher floor (0.5, 0.9) keeps BO out of the region too but slows the approach where
/// failures are scattered among good points (BENCHMARKS, "Issue 16, 2026-12-08").
const MIN_PROB: f64 = 0.2;
/// Candidates within this root-mean-square distance (unit features) of a failed trial are
/// never proposed.
pub(crate) const EXCLUSION: f64 = 0.01;

/// The failure model of one suggestion.
#[derive(Debug, Clone)]
pub(crate) struct Feasibility {
    gp: Gp,
    /// Features of every failed trial, row-major.
    failed: Vec<f64>,
    features: usize,
    categorical: Vec<bool>,
}

impl Feasibility {
    /// The model from the features (row-major, `features` wide) of successful and failed
    /// trials in trial order; `None` without failures (nothing to model) or if the kernel
    /// matrix cannot be factored.
    pub fn new(
        feasible: &[f64],
        failed: &[f64],
        features: usize,
        categorical: &[bool],
        objective: &KernelParams,
    ) -> Option<Self> {
        let nf = features.max(1);
        let (n_ok, n_bad) = (feasible.len() / nf, failed.len() / nf);
        if n_bad == 0 {
            return None;
        }
        let mut x = Vec::new();
        let mut y = Vec::new();
        let keep = n_ok.min(FEASIBLE_CAP);
        for k in 0..keep {
            let i = k * n_ok / keep;
            x.extend_from_slice(&feasible[i * nf..(i + 1) * nf]);
            y.push(1.0);
        }
        for i in n_bad.saturating_sub(FAILED_CAP)..n_bad {
            x.extend_from_slice(&failed[i * nf..(i + 1) * nf]);
            y.push(-1.0);
        }
        let params = KernelParams {
            inv_sq_ls: objective.inv_sq_ls.clone(),
            scale: 1.0,
            noise: LABEL_NOISE,
        };
        let gp = Gp::new(x, features, y, categorical.to_vec(), params)?;
        Some(Self {
            gp,
            failed: failed.to_vec(),
            features,
            categorical: categorical.to_vec(),
        })
    }

    /// `ln P(feasible)` at each row of `zs` (row-major features).
    pub fn log_probs(&self, zs: &[f64]) -> Vec<f64> {
        self.gp
            .predict(zs)
            .into_iter()
            .map(|(m, v)| log_cdf_grad(m / v.sqrt()).0)
            .collect()
    }

    /// `weigh(ln P(feasible))` at `z` and its gradient by the features in `vars`.
    fn weighed_grad(
        &self,
        z: &[f64],
        vars: &[usize],
        weigh: impl Fn(f64) -> (f64, f64),
    ) -> (f64, Vec<f64>) {
        let (m, v, dm, dv) = self.gp.predict_grad(z, vars);
        let sd = v.sqrt();
        let t = m / sd;
        let (lp, dlp) = log_cdf_grad(t);
        let (value, slope) = weigh(lp);
        let dt = dlp * slope;
        let grad = dm
            .iter()
            .zip(&dv)
            .map(|(gm, gv)| dt * (gm / sd - 0.5 * m * gv / (v * sd)))
            .collect();
        (value, grad)
    }

    /// The acquisition's term at each row of `zs`: `ln P(feasible)`, steeper below
    /// `ln MIN_PROB`.
    pub fn terms(&self, zs: &[f64]) -> Vec<f64> {
        weigh_log_probs(self.log_probs(zs), MIN_PROB)
    }

    /// The acquisition's term at `z` and its gradient by the features in `vars`.
    pub fn term_grad(&self, z: &[f64], vars: &[usize]) -> (f64, Vec<f64>) {
        self.weighed_grad(z, vars, |lp| weigh_log_prob(lp, MIN_PROB))
    }

    /// Whether `z` lies within [`EXCLUSION`] of a failed trial.
    pub fn too_close(&self, z: &[f64]) -> bool {
        let nf = self.features.max(1);
        let limit = EXCLUSION * EXCLUSION * nf as f64;
        self.failed.chunks_exact(nf).any(|row| {
            let d2: f64 = row
                .iter()
                .zip(z)
                .zip(&self.categorical)
                .map(|((a, b), c)| feature_sq(*a, *b, *c))
                .sum();
            d2 < limit
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Feasibility {
        // One feature: successes on the left half, failures on the right.
        let ok = [0.05, 0.15, 0.25, 0.35];
        let bad = [0.65, 0.75, 0.85, 0.95];
        let params = KernelParams {
            inv_sq_ls: vec![25.0],
            scale: 1.0,
            noise: 1e-6,
        };
        Feasibility::new(&ok, &bad, 1, &[false], &params).expect("factors")
    }

    #[test]
    fn failures_lower_the_probability_and_successes_raise_it() {
        let f = model();
        let lp = f.log_probs(&[0.2, 0.5, 0.8]);
        assert!(lp[0] > -0.05, "near successes: {}", lp[0]);
        assert!(lp[2] < -10.0, "among failures: {}", lp[2]);
        assert!(lp[0] > lp[1] && lp[1] > lp[2], "{lp:?}");
        assert!(Feasibility::new(&[0.1, 0.2], &[], 1, &[false], &f.gp_params()).is_none());
    }

    #[test]
    fn gradient_matches_finite_differences_and_points_away_from_failures() {
        let f = model();
        for z in [0.45, 0.55, 0.6] {
            let (_, g) = f.log_prob_grad(&[z], &[0]);
            let h = 1e-6;
            let fd = (f.log_probs(&[z + h])[0] - f.log_probs(&[z - h])[0]) / (2.0 * h);
            assert!(
                (fd - g[0]).abs() < 1e-4 * (1.0 + fd.abs()),
                "{z}: {fd} vs {}",
                g[0]
            );
            assert!(g[0] < 0.0, "moving right, towards the failures, is worse");
        }
    }

    #[test]
    fn only_points_next_to_a_failure_are_excluded() {
        let f = model();
        assert!(f.too_close(&[0.751]));
        assert!(!f.too_close(&[0.70]));
        assert!(!f.too_close(&[0.05]));
    }

    impl Feasibility {
        /// `ln P(feasible)` at `z` and its gradient by the features in `vars`.
        fn log_prob_grad(&self, z: &[f64], vars: &[usize]) -> (f64, Vec<f64>) {
            self.weighed_grad(z, vars, |lp| (lp, 1.0))
        }

        fn gp_params(&self) -> KernelParams {
            KernelParams::default_for(self.features, 1e-2)
        }
    }
}
