//! Target preprocessing: losses are standardised, then (optionally) Gaussianised by a
//! Yeo-Johnson power transform whose exponent maximises the normal likelihood, then
//! standardised again. The transform is monotone, so the best trial stays the best; it keeps
//! a few huge losses (a diverged run, the walls of Rosenbrock's valley) from flattening the
//! GP's view of the good region (as HEBO does, Cowen-Rivers et al. 2022).

/// Standardised (and optionally warped) copies of `losses`.
pub(crate) fn prepare(losses: &[f64], warp: bool) -> Vec<f64> {
    let z = standardise(losses);
    if !warp || z.len() < 3 {
        return z;
    }
    let lambda = best_lambda(&z);
    standardise(
        &z.iter()
            .map(|v| yeo_johnson(*v, lambda))
            .collect::<Vec<_>>(),
    )
}

fn standardise(v: &[f64]) -> Vec<f64> {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    let sd = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
    v.iter().map(|x| (x - mean) / sd).collect()
}

/// The Yeo-Johnson transform of `y` with exponent `lambda`.
pub(crate) fn yeo_johnson(y: f64, lambda: f64) -> f64 {
    if y >= 0.0 {
        if lambda.abs() < 1e-8 {
            y.ln_1p()
        } else {
            ((y + 1.0).powf(lambda) - 1.0) / lambda
        }
    } else if (lambda - 2.0).abs() < 1e-8 {
        -(-y).ln_1p()
    } else {
        -((1.0 - y).powf(2.0 - lambda) - 1.0) / (2.0 - lambda)
    }
}

/// The profile log-likelihood of `lambda` under a normal model of the transformed values.
fn log_likelihood(y: &[f64], lambda: f64) -> f64 {
    let t: Vec<f64> = y.iter().map(|v| yeo_johnson(*v, lambda)).collect();
    let n = t.len() as f64;
    let mean = t.iter().sum::<f64>() / n;
    let var = t.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    let jacobian: f64 = y.iter().map(|v| v.signum() * v.abs().ln_1p()).sum();
    -0.5 * n * var.max(1e-300).ln() + (lambda - 1.0) * jacobian
}

/// The maximum-likelihood exponent in `[-2, 4]` (golden-section search on a unimodal
/// profile likelihood).
fn best_lambda(y: &[f64]) -> f64 {
    let (mut a, mut b) = (-2.0_f64, 4.0_f64);
    let g = 0.5 * (5.0_f64.sqrt() - 1.0);
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (log_likelihood(y, c), log_likelihood(y, d));
    for _ in 0..40 {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = log_likelihood(y, c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = log_likelihood(y, d);
        }
    }
    0.5 * (a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warping_is_monotone_and_tames_a_heavy_tail() {
        let losses: Vec<f64> = (0..40).map(|i| (i as f64 / 4.0).exp()).collect();
        let warped = prepare(&losses, true);
        assert!(warped.windows(2).all(|w| w[0] < w[1]));
        let plain = prepare(&losses, false);
        // The largest loss dominates less after warping.
        assert!(warped[39] < plain[39], "{} vs {}", warped[39], plain[39]);
        let mean = warped.iter().sum::<f64>() / 40.0;
        assert!(mean.abs() < 1e-9);
    }

    #[test]
    fn constant_losses_do_not_divide_by_zero() {
        assert!(prepare(&[2.0, 2.0, 2.0, 2.0], true)
            .iter()
            .all(|v| *v == 0.0));
    }
}
