//! Constraints as constrained BO models them (Gardner et al. 2014; Optuna's GP sampler does
//! the same): one GP per constraint on the values trials reported (each <= 0 is feasible,
//! `objective::constraints`), and the acquisition multiplied by the probability that every
//! constraint holds, `prod_c Phi((0 - mean_c) / sd_c)` (its log added to log-EI). The
//! incumbent of EI is the best *feasible* observation; before any trial is feasible the
//! objective is left out and the search only looks for feasibility.
//! Below a probability of 0.9 the feasibility term falls 21 times faster (`MIN_PROB`), so
//! proposals are likely feasible rather than merely promising if feasible.
//!
//! Each constraint's GP has kernel hyperparameters of its own (fitted by the same MAP as the
//! objective's, warm-started from the last fit), since a constraint's geometry need not be the
//! objective's: a boundary that depends on one parameter while the objective depends on all.
//! Values are standardised, not warped, so the threshold 0 keeps its meaning.

use super::acquisition::{log_cdf_grad, weigh_log_prob, weigh_log_probs};
use super::fit;
use super::gp::Gp;
use super::kernel::KernelParams;
use super::minimise::BoundedMinimiser;

/// At most this many trials (an even spread, in trial order) condition each constraint's GP.
const GP_CAP: usize = 300;
/// At most this many of them enter its likelihood fit.
const FIT_CAP: usize = 120;
/// Below this probability that every constraint holds the acquisition falls steeply, so a
/// proposal is as a rule at least this likely to be feasible. Plain `EI x P(feasible)`
/// (Gardner et al.) trades them at any rate: once the objective's GP is confident, log-EI is
/// hundreds of nats below zero everywhere feasible, and it then picked points with
/// `P(feasible)` of 1e-19 to 1e-294 just outside the boundary (12 of 34 feasible on
/// `tests/search/constrained_bo.rs`, 11 with a floor of 0.5; 33 with 0.8, 0.9 or 0.95).
const MIN_PROB: f64 = 0.9;

/// One constraint's model: its GP on standardised values and the threshold 0 in those units.
#[derive(Debug, Clone)]
struct Model {
    gp: Gp,
    threshold: f64,
}

/// The constraint models of one suggestion.
#[derive(Debug, Clone)]
pub(crate) struct Constraints {
    models: Vec<Model>,
}

impl Constraints {
    /// One GP per constraint from the features `x` (row-major, `features` wide) of the trials
    /// whose constraint values are `values` (one row per trial, each as long as the number of
    /// constraints, all finite); `warm` holds the previous fit of each, and the fits made are
    /// returned beside the model. `None` without constraints or trials.
    pub fn new(
        x: &[f64],
        values: &[Vec<f64>],
        features: usize,
        categorical: &[bool],
        warm: &[KernelParams],
        minimiser: &dyn BoundedMinimiser,
    ) -> Option<(Self, Vec<KernelParams>)> {
        let n = values.len();
        let count = values.first()?.len();
        if count == 0 || n < 2 || features == 0 {
            return None;
        }
        let spread = |cap: usize| -> Vec<usize> {
            let keep = n.min(cap);
            (0..keep).map(|k| k * n / keep).collect()
        };
        let rows = |chosen: &[usize]| -> Vec<f64> {
            chosen
                .iter()
                .flat_map(|&i| x[i * features..(i + 1) * features].iter().copied())
                .collect()
        };
        let (gp_rows, fit_rows) = (spread(GP_CAP), spread(FIT_CAP));
        let (gx, fx) = (rows(&gp_rows), rows(&fit_rows));
        let mut models = Vec::with_capacity(count);
        let mut fits = Vec::with_capacity(count);
        for c in 0..count {
            let column: Vec<f64> = values.iter().map(|v| v[c]).collect();
            let (mean, sd) = moments(&column);
            let z = |i: &usize| (column[*i] - mean) / sd;
            let fy: Vec<f64> = fit_rows.iter().map(z).collect();
            let gy: Vec<f64> = gp_rows.iter().map(z).collect();
            let mut starts = vec![
                KernelParams::default_for(features, 1e-2),
                KernelParams {
                    inv_sq_ls: vec![25.0; features],
                    scale: 1.0,
                    noise: 1e-4,
                },
            ];
            if let Some(p) = warm.get(c).filter(|p| p.inv_sq_ls.len() == features) {
                starts = vec![p.clone()];
            }
            let (params, _) = fit::fit(&fx, features, &fy, categorical, &starts, minimiser);
            let gp = Gp::new(
                gx.clone(),
                features,
                gy,
                categorical.to_vec(),
                params.clone(),
            )?;
            models.push(Model {
                gp,
                threshold: -mean / sd,
            });
            fits.push(params);
        }
        Some((Self { models }, fits))
    }

    /// `ln P(every constraint holds)` at each row of `zs` (row-major features).
    pub fn log_probs(&self, zs: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; zs.len() / self.features().max(1)];
        for model in &self.models {
            for (o, (m, v)) in out.iter_mut().zip(model.gp.predict(zs)) {
                *o += log_cdf_grad((model.threshold - m) / v.sqrt()).0;
            }
        }
        out
    }

    /// `ln P(every constraint holds)` at `z` and its gradient with respect to the features in
    /// `vars`.
    pub fn log_prob_grad(&self, z: &[f64], vars: &[usize]) -> (f64, Vec<f64>) {
        let mut value = 0.0;
        let mut grad = vec![0.0; vars.len()];
        for model in &self.models {
            let (m, v, dm, dv) = model.gp.predict_grad(z, vars);
            let sd = v.sqrt();
            let t = (model.threshold - m) / sd;
            let (lp, dt) = log_cdf_grad(t);
            value += lp;
            for (g, (gm, gv)) in grad.iter_mut().zip(dm.iter().zip(&dv)) {
                // dt/dz = -dm/sd - (threshold - m) dv / (2 v sd).
                *g += dt * (-gm / sd - 0.5 * (model.threshold - m) * gv / (v * sd));
            }
        }
        (value, grad)
    }

    /// The acquisition's feasibility term at each row of `zs`: `ln P(every constraint holds)`,
    /// made much steeper below `ln MIN_PROB` (see [`weigh_log_prob`]).
    pub fn terms(&self, zs: &[f64]) -> Vec<f64> {
        weigh_log_probs(self.log_probs(zs), MIN_PROB)
    }

    /// The acquisition's feasibility term at `z` and its gradient by the features in `vars`.
    pub fn term_grad(&self, z: &[f64], vars: &[usize]) -> (f64, Vec<f64>) {
        let (lp, mut grad) = self.log_prob_grad(z, vars);
        let (value, slope) = weigh_log_prob(lp, MIN_PROB);
        grad.iter_mut().for_each(|g| *g *= slope);
        (value, grad)
    }

    fn features(&self) -> usize {
        self.models.first().map_or(0, |m| m.gp.features())
    }
}

/// The mean and standard deviation (1 when the values are all equal) of `v`.
fn moments(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 })
}

#[cfg(test)]
mod tests {
    use super::super::acquisition::STEEP;
    use super::super::minimise::LbfgsB;
    use super::*;

    /// Two features; the constraint `x0 - 0.5 <= 0` ignores the second one.
    fn model() -> Constraints {
        let mut x = Vec::new();
        let mut values = Vec::new();
        for i in 0..30 {
            let a = (i as f64 * 0.618_033_988_7) % 1.0;
            let b = (i as f64 * 0.414_213_562_4) % 1.0;
            x.extend([a, b]);
            values.push(vec![a - 0.5]);
        }
        let (c, fits) = Constraints::new(
            &x,
            &values,
            2,
            &[false, false],
            &[],
            &LbfgsB { pgtol: 1e-5 },
        )
        .expect("a model");
        assert_eq!(fits.len(), 1);
        // A linear constraint is smooth along both features, so both length scales are long;
        // the one it ignores is still clearly the longer (about 4x at this design).
        assert!(
            fits[0].inv_sq_ls[0] > 3.0 * fits[0].inv_sq_ls[1],
            "the constraint's own fit finds the feature it depends on: {:?}",
            fits[0]
        );
        c
    }

    #[test]
    fn feasibility_follows_the_constraint_boundary() {
        let c = model();
        let lp = c.log_probs(&[0.2, 0.9, 0.45, 0.1, 0.55, 0.5, 0.8, 0.3]);
        assert!(lp[0] > -0.01, "deep inside: {}", lp[0]);
        assert!(lp[3] < -5.0, "deep outside: {}", lp[3]);
        assert!(lp[1] > -0.7 && lp[2] < -0.7, "across the boundary: {lp:?}");
    }

    #[test]
    fn the_acquisition_term_falls_steeply_below_the_floor() {
        assert_eq!(weigh_log_prob(-0.01, MIN_PROB), (-0.01, 1.0));
        let below = MIN_PROB.ln() - 1.0;
        assert!((weigh_log_prob(below, MIN_PROB).0 - (below - STEEP)).abs() < 1e-12);
        let c = model();
        // Outside the boundary the term is far below ln P itself, with a matching gradient.
        let z = [0.6, 0.5];
        let (lp, g) = c.log_prob_grad(&z, &[0, 1]);
        let (t, tg) = c.term_grad(&z, &[0, 1]);
        assert!(lp < MIN_PROB.ln(), "outside: {lp}");
        assert!(
            (t - (lp + STEEP * (lp - MIN_PROB.ln()))).abs() < 1e-9 * t.abs(),
            "{lp} {t}"
        );
        assert!((tg[0] - (1.0 + STEEP) * g[0]).abs() < 1e-9 * g[0].abs());
        assert_eq!(c.terms(&z)[0], t);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let c = model();
        for z in [[0.3, 0.4], [0.52, 0.7], [0.7, 0.1]] {
            let (_, g) = c.log_prob_grad(&z, &[0, 1]);
            for f in 0..2 {
                let h = 1e-6;
                let (mut up, mut down) = (z, z);
                up[f] += h;
                down[f] -= h;
                let fd = (c.log_probs(&up)[0] - c.log_probs(&down)[0]) / (2.0 * h);
                // Outside the feasible region a nearly noise-free fit makes ln P steep (slopes
                // ~1e6) and curved, and the GP's variance loses digits there (how many depends
                // on the order of the sums in the products: 0.5% with gemm's AVX2 kernels,
                // 2.2% with its AVX-512 ones), so there the central difference is checked to
                // 5% (a smaller step is worse), which still catches a wrong sign or factor;
                // elsewhere to 1%.
                let tol = if fd.abs() > 1e4 { 5e-2 } else { 1e-2 };
                assert!(
                    (fd - g[f]).abs() < tol * (1.0 + fd.abs()),
                    "{z:?} {f}: {fd} vs {}",
                    g[f]
                );
            }
        }
    }
}
