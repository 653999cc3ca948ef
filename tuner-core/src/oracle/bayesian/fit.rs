//! Kernel hyperparameters by maximising the log marginal likelihood plus weak priors
//! (maximum a posteriori), in log space, from several starts.
//!
//! Priors, on standardised targets and unit-cube inputs: `-(0.1/l + 0.1 l)` on each inverse
//! squared length scale `l` (favours length scales near 1, keeps them finite), Gamma(2, 1) on
//! the signal variance and Gamma(1.1, 30) on the noise variance (favours small noise), as
//! Optuna's GP sampler uses; the noise variance is at least `MIN_NOISE`.

use super::kernel::{feature_sq, matern52, matern52_dr2, KernelParams};
use super::linalg::{Cholesky, Dense};
use super::minimise::BoundedMinimiser;

/// Smallest noise variance (standardised units). Low, so that a deterministic objective can
/// be refined far: at 1e-8 Branin's median regret over 50 seeds stopped at 3.9e-7, at 1e-12
/// it reaches 1.4e-9 (BENCHMARKS, "Issue 16, 2026-12-08"); the GP's Cholesky adds jitter
/// where the matrix needs it.
pub(crate) const MIN_NOISE: f64 = 1e-12;
/// Bounds of `ln(1 / length_scale^2)`: length scales from about 0.01 to 33.
const LOG_ISL: (f64, f64) = (-7.0, 9.2);
/// Bounds of the log signal variance.
const LOG_SCALE: (f64, f64) = (-4.6, 4.6);
/// Bounds of `ln(noise - MIN_NOISE)`.
const LOG_NOISE: (f64, f64) = (-30.0, 0.7);
/// Quasi-Newton iterations per start.
const ITERATIONS: usize = 60;

/// Pairwise squared feature distances of the training inputs (lower triangle, packed).
struct Pairs {
    n: usize,
    features: usize,
    /// `d2[f * pairs + p]` for pair `p` = (i, j), i > j, in row order.
    d2: Vec<f64>,
}

impl Pairs {
    fn new(x: &[f64], features: usize, categorical: &[bool]) -> Self {
        let n = x.len().checked_div(features).unwrap_or(0);
        let pairs = n * n.saturating_sub(1) / 2;
        let mut d2 = vec![0.0; pairs * features];
        let mut p = 0;
        for i in 0..n {
            for j in 0..i {
                for f in 0..features {
                    d2[f * pairs + p] =
                        feature_sq(x[i * features + f], x[j * features + f], categorical[f]);
                }
                p += 1;
            }
        }
        Self { n, features, d2 }
    }
}

fn unpack(theta: &[f64], features: usize) -> KernelParams {
    KernelParams {
        inv_sq_ls: theta[..features].iter().map(|t| t.exp()).collect(),
        scale: theta[features].exp(),
        noise: MIN_NOISE + theta[features + 1].exp(),
    }
}

fn pack(p: &KernelParams) -> Vec<f64> {
    let mut theta: Vec<f64> = p
        .inv_sq_ls
        .iter()
        .map(|l| l.ln().clamp(LOG_ISL.0, LOG_ISL.1))
        .collect();
    theta.push(p.scale.ln().clamp(LOG_SCALE.0, LOG_SCALE.1));
    theta.push(
        (p.noise - MIN_NOISE)
            .max(1e-12)
            .ln()
            .clamp(LOG_NOISE.0, LOG_NOISE.1),
    );
    theta
}

/// Negative log posterior of `theta` and its gradient.
fn objective(theta: &[f64], pairs: &Pairs, y: &[f64]) -> (f64, Vec<f64>) {
    let (n, nf) = (pairs.n, pairs.features);
    let p = unpack(theta, nf);
    let npairs = n * n.saturating_sub(1) / 2;
    let mut r2 = vec![0.0; npairs];
    for f in 0..nf {
        let l = p.inv_sq_ls[f];
        for (acc, d) in r2.iter_mut().zip(&pairs.d2[f * npairs..(f + 1) * npairs]) {
            *acc += l * d;
        }
    }
    let mut k = Dense::zeros(n, n);
    let mut q = 0;
    for i in 0..n {
        for j in 0..i {
            let v = p.scale * matern52(r2[q]);
            k.set(i, j, v);
            k.set(j, i, v);
            q += 1;
        }
        k.set(i, i, p.scale + p.noise);
    }
    let Some(chol) = Cholesky::new(&k) else {
        return (f64::INFINITY, vec![0.0; theta.len()]);
    };
    let alpha = chol.solve_vec(y);
    let kinv = chol.inverse();
    let fit = 0.5 * y.iter().zip(&alpha).map(|(a, b)| a * b).sum::<f64>()
        + 0.5 * chol.log_det()
        + 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln();
    // d(-mll)/d theta = -0.5 tr(W dK), W = alpha alpha^T - K^-1.
    let mut grad = vec![0.0; nf + 2];
    let mut q = 0;
    let mut trace_kf = 0.0;
    let mut trace_diag = 0.0;
    for i in 0..n {
        for j in 0..i {
            let w = alpha[i] * alpha[j] - kinv.get(i, j);
            let dm = p.scale * matern52_dr2(r2[q]) * w;
            for (f, g) in grad.iter_mut().take(nf).enumerate() {
                *g -= dm * p.inv_sq_ls[f] * pairs.d2[f * npairs + q];
            }
            trace_kf += 2.0 * w * p.scale * matern52(r2[q]);
            q += 1;
        }
        let w = alpha[i] * alpha[i] - kinv.get(i, i);
        trace_kf += w * p.scale;
        trace_diag += w;
    }
    grad[nf] = -0.5 * trace_kf;
    grad[nf + 1] = -0.5 * trace_diag * (p.noise - MIN_NOISE);
    // Priors (log densities, up to constants), subtracted from the loss.
    let mut prior = 0.0;
    for (g, l) in grad.iter_mut().zip(&p.inv_sq_ls) {
        prior -= 0.1 / l + 0.1 * l;
        *g -= 0.1 / l - 0.1 * l;
    }
    prior += p.scale.ln() - p.scale;
    grad[nf] -= 1.0 - p.scale;
    prior += 0.1 * p.noise.ln() - 30.0 * p.noise;
    grad[nf + 1] -= (0.1 / p.noise - 30.0) * (p.noise - MIN_NOISE);
    (fit - prior, grad)
}

/// The best hyperparameters from `starts` for inputs `x` (row-major, `features` wide) and
/// standardised targets `y`, with the loss reached.
pub(crate) fn fit(
    x: &[f64],
    features: usize,
    y: &[f64],
    categorical: &[bool],
    starts: &[KernelParams],
    minimiser: &dyn BoundedMinimiser,
) -> (KernelParams, f64) {
    let pairs = Pairs::new(x, features, categorical);
    let mut lower = vec![LOG_ISL.0; features];
    lower.extend([LOG_SCALE.0, LOG_NOISE.0]);
    let mut upper = vec![LOG_ISL.1; features];
    upper.extend([LOG_SCALE.1, LOG_NOISE.1]);
    let mut best: Option<(Vec<f64>, f64)> = None;
    for start in starts {
        let mut f = |theta: &[f64]| objective(theta, &pairs, y);
        let (theta, loss) = minimiser.minimise(&mut f, &pack(start), &lower, &upper, ITERATIONS);
        if loss.is_finite() && best.as_ref().is_none_or(|b| loss < b.1) {
            best = Some((theta, loss));
        }
    }
    match best {
        Some((theta, loss)) => (unpack(&theta, features), loss),
        None => (KernelParams::default_for(features, 1e-2), f64::INFINITY),
    }
}

#[cfg(test)]
mod tests {
    use super::super::minimise::LbfgsB;
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let x = vec![0.1, 0.2, 0.5, 0.9, 0.8, 0.4, 0.3, 0.7, 0.95, 0.05];
        let y = vec![0.5, -1.2, 0.3, 0.9, -0.5];
        let pairs = Pairs::new(&x, 2, &[false, false]);
        let theta = vec![0.3, 1.2, -0.2, -3.0];
        let (_, g) = objective(&theta, &pairs, &y);
        for i in 0..theta.len() {
            let h = 1e-6;
            let mut up = theta.clone();
            let mut down = theta.clone();
            up[i] += h;
            down[i] -= h;
            let fd = (objective(&up, &pairs, &y).0 - objective(&down, &pairs, &y).0) / (2.0 * h);
            assert!(
                (fd - g[i]).abs() < 1e-4 * (1.0 + fd.abs()),
                "{i}: {fd} vs {}",
                g[i]
            );
        }
    }

    #[test]
    fn an_irrelevant_feature_gets_a_long_length_scale() {
        // y depends on feature 0 only.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..30 {
            let a = (i as f64 * 0.618_033_988_7) % 1.0;
            let b = (i as f64 * 0.414_213_562_4) % 1.0;
            x.extend([a, b]);
            y.push((6.0 * a).sin());
        }
        let mean = y.iter().sum::<f64>() / 30.0;
        let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 30.0).sqrt();
        let y: Vec<f64> = y.iter().map(|v| (v - mean) / sd).collect();
        let (p, _) = fit(
            &x,
            2,
            &y,
            &[false, false],
            &[KernelParams::default_for(2, 0.1)],
            &LbfgsB { pgtol: 1e-5 },
        );
        assert!(p.inv_sq_ls[0] > 10.0 * p.inv_sq_ls[1], "{p:?}");
        assert!(p.noise < 1e-2, "{p:?}");
    }
}
