//! Normal probability masses in log space, accurate in both tails (the TPE's kernels are
//! Gaussians truncated to the unit interval), and truncated-normal draws.

use rand::{Rng, RngExt};

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// `Phi(x)`.
pub(crate) fn ndtr(x: f64) -> f64 {
    0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// `ln Phi(x)`: direct where that is accurate, an asymptotic series deep in the left tail.
pub(crate) fn log_ndtr(x: f64) -> f64 {
    if x > 6.0 {
        -ndtr(-x)
    } else if x > -20.0 {
        ndtr(x).ln()
    } else {
        // Phi(x) = phi(x)/|x| (1 - 1/x^2 + 3/x^4 - 15/x^6 + ...).
        let t = 1.0 / (x * x);
        let series = 1.0 - t * (1.0 - t * (3.0 - t * (15.0 - t * (105.0 - t * 945.0))));
        -0.5 * x * x - LN_SQRT_2PI - (-x).ln() + series.ln()
    }
}

/// `ln(exp(p) - exp(q))` for `p >= q`.
fn log_diff(p: f64, q: f64) -> f64 {
    if q == f64::NEG_INFINITY {
        return p;
    }
    p + (-(q - p).exp()).ln_1p()
}

/// `ln(Phi(b) - Phi(a))`, the log mass of a standard normal on `[a, b]`.
pub(crate) fn log_gauss_mass(a: f64, b: f64) -> f64 {
    if b <= 0.0 {
        log_diff(log_ndtr(b), log_ndtr(a))
    } else if a > 0.0 {
        log_diff(log_ndtr(-a), log_ndtr(-b))
    } else {
        // Straddling zero: both tails are small, so subtract them from 1 (no cancellation).
        (-ndtr(a) - ndtr(-b)).ln_1p()
    }
}

/// A draw of `N(mu, sigma)` restricted to `[lo, hi]`: rejection while that is cheap (the
/// interval holds a fair share of the mass), inversion of the CDF otherwise.
pub(crate) fn sample<R: Rng + ?Sized>(rng: &mut R, mu: f64, sigma: f64, lo: f64, hi: f64) -> f64 {
    let (a, b) = ((lo - mu) / sigma, (hi - mu) / sigma);
    if log_gauss_mass(a, b) > (0.05f64).ln() {
        for _ in 0..64 {
            let z = normal(rng);
            if z >= a && z <= b {
                return mu + sigma * z;
            }
        }
    }
    // Inversion by bisection on the CDF between a and b: exact to ~1e-12 of the interval.
    let (pa, pb) = (ndtr(a), ndtr(b));
    let target = pa + rng.random::<f64>() * (pb - pa);
    let (mut l, mut h) = (a, b);
    for _ in 0..60 {
        let m = 0.5 * (l + h);
        if ndtr(m) < target {
            l = m;
        } else {
            h = m;
        }
    }
    (mu + sigma * 0.5 * (l + h)).clamp(lo, hi)
}

/// A standard normal draw (Box-Muller).
pub(crate) fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::SeedableRng;

    #[test]
    fn masses_are_accurate_in_both_tails() {
        assert!((log_gauss_mass(-1.0, 1.0) - 0.682_689_492_137_085_9_f64.ln()).abs() < 1e-12);
        // Deep tails: symmetric, finite, and matching the series.
        let left = log_gauss_mass(-31.0, -30.0);
        let right = log_gauss_mass(30.0, 31.0);
        assert!(
            left.is_finite() && (left - right).abs() < 1e-9,
            "{left} {right}"
        );
        assert!((log_ndtr(-20.0 - 1e-9) - log_ndtr(-20.0 + 1e-9)).abs() < 1e-7);
        assert!(log_gauss_mass(-40.0, -39.0) < log_gauss_mass(-31.0, -30.0));
    }

    #[test]
    fn draws_stay_inside_and_follow_the_shape() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let draws: Vec<f64> = (0..4000)
            .map(|_| sample(&mut rng, 0.2, 0.1, 0.0, 1.0))
            .collect();
        assert!(draws.iter().all(|x| (0.0..=1.0).contains(x)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((mean - 0.2055).abs() < 0.006, "{mean}");
        // Far outside the interval: inversion, still inside.
        let x = sample(&mut rng, -5.0, 0.1, 0.0, 1.0);
        assert!((0.0..0.01).contains(&x), "{x}");
    }
}
