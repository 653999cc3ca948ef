//! Acquisition functions on the GP posterior, for minimisation of the transformed loss.
//!
//! log-EI follows Ament et al. 2023 ("Unexpected improvements to expected improvement"):
//! `log EI = log sigma + log h(z)`, `h(z) = z Phi(z) + phi(z)`, with an asymptotic series for
//! `z < -25`, so it stays finite and informative far from the incumbent where plain EI
//! underflows to zero and gives the optimiser a flat landscape.

use serde::{Deserialize, Serialize};

/// How a candidate's promise is scored from the GP posterior.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Acquisition {
    /// Logarithm of the expected improvement over the incumbent (default).
    #[default]
    LogEi,
    /// Upper confidence bound (for minimisation: `-(mean - sqrt(beta) * sd)`).
    Ucb {
        /// Exploration weight; KerasTuner's default is 2.6.
        beta: f64,
    },
}

const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
/// Below this `z` the closed form loses digits; the asymptotic series takes over.
const SERIES_BELOW: f64 = -25.0;

/// Standard normal CDF.
pub(crate) fn norm_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z * std::f64::consts::FRAC_1_SQRT_2)
}

/// Standard normal density.
pub(crate) fn norm_pdf(z: f64) -> f64 {
    INV_SQRT_2PI * (-0.5 * z * z).exp()
}

/// `(1 - 3/z^2 + 15/z^4 - ...)` and `(1 - 1/z^2 + 3/z^4 - ...)`: `h(z) z^2 / phi(z)` and
/// `Phi(z) |z| / phi(z)` for very negative `z`.
fn tail_series(z: f64) -> (f64, f64) {
    let t = 1.0 / (z * z);
    let h = 1.0 - t * (3.0 - t * (15.0 - t * (105.0 - t * (945.0 - t * 10395.0))));
    let cdf = 1.0 - t * (1.0 - t * (3.0 - t * (15.0 - t * (105.0 - t * 945.0))));
    (h, cdf)
}

/// `ln h(z)`, `h(z) = z Phi(z) + phi(z)` (the expected improvement of a unit normal).
pub(crate) fn log_h(z: f64) -> f64 {
    if z > SERIES_BELOW {
        (z * norm_cdf(z) + norm_pdf(z)).ln()
    } else {
        let (h, _) = tail_series(z);
        -0.5 * z * z - LN_SQRT_2PI + (h / (z * z)).ln()
    }
}

/// `d ln h / dz = Phi(z) / h(z)`.
pub(crate) fn dlog_h(z: f64) -> f64 {
    if z > SERIES_BELOW {
        let cdf = norm_cdf(z);
        cdf / (z * cdf + norm_pdf(z))
    } else {
        let (h, cdf) = tail_series(z);
        -z * cdf / h
    }
}

/// How much steeper a weighed `ln P` falls below its floor (a barrier that keeps a gradient).
pub(crate) const STEEP: f64 = 20.0;

/// A probability's log as the acquisition weighs it (constraints, failures), with its slope:
/// itself at or above `ln min_prob`, and `1 + STEEP` times steeper below.
pub(crate) fn weigh_log_prob(lp: f64, min_prob: f64) -> (f64, f64) {
    let floor = min_prob.ln();
    if lp >= floor {
        (lp, 1.0)
    } else {
        (lp + STEEP * (lp - floor), 1.0 + STEEP)
    }
}

/// [`weigh_log_prob`]'s values for each of `lps`.
pub(crate) fn weigh_log_probs(lps: Vec<f64>, min_prob: f64) -> Vec<f64> {
    lps.into_iter()
        .map(|lp| weigh_log_prob(lp, min_prob).0)
        .collect()
}

/// `ln Phi(z)` and its derivative `phi(z) / Phi(z)`, accurate far into the lower tail.
pub(crate) fn log_cdf_grad(z: f64) -> (f64, f64) {
    if z > SERIES_BELOW {
        let cdf = norm_cdf(z);
        (cdf.ln(), norm_pdf(z) / cdf)
    } else {
        let (_, series) = tail_series(z);
        (
            -0.5 * z * z - LN_SQRT_2PI - (-z).ln() + series.ln(),
            -z / series,
        )
    }
}

impl Acquisition {
    /// The acquisition value (larger is better) at posterior `mean` and `var`, for incumbent
    /// `best`, with its derivatives by mean and by variance.
    pub(crate) fn value_grad(&self, mean: f64, var: f64, best: f64) -> (f64, f64, f64) {
        let sd = var.sqrt();
        match *self {
            Acquisition::LogEi => {
                let z = (best - mean) / sd;
                let value = sd.ln() + log_h(z);
                let dz = dlog_h(z);
                let dmean = -dz / sd;
                let dsd = 1.0 / sd - dz * z / sd;
                (value, dmean, dsd / (2.0 * sd))
            }
            Acquisition::Ucb { beta } => {
                let b = beta.max(0.0).sqrt();
                (-mean + b * sd, -1.0, b / (2.0 * sd))
            }
        }
    }

    /// The acquisition value alone.
    pub(crate) fn value(&self, mean: f64, var: f64, best: f64) -> f64 {
        self.value_grad(mean, var, best).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ei_matches_plain_ei_where_that_is_accurate() {
        for (mean, var, best) in [
            (0.0_f64, 1.0_f64, 0.5_f64),
            (1.0, 0.25, 0.0),
            (-0.3, 2.0, -0.1),
        ] {
            let sd: f64 = var.sqrt();
            let z = (best - mean) / sd;
            let ei = sd * (z * norm_cdf(z) + norm_pdf(z));
            let got = Acquisition::LogEi.value(mean, var, best);
            assert!((got - ei.ln()).abs() < 1e-12, "{got} vs {}", ei.ln());
        }
    }

    #[test]
    fn log_ei_is_finite_and_monotone_far_from_the_incumbent() {
        let mut last = f64::INFINITY;
        for k in 0..400 {
            let z = -(k as f64) * 0.5;
            let v = log_h(z);
            assert!(v.is_finite(), "z = {z}");
            assert!(v < last, "not decreasing at z = {z}");
            last = v;
            assert!(dlog_h(z).is_finite() && dlog_h(z) > 0.0);
        }
        // Continuity where the series takes over.
        let (a, b) = (log_h(SERIES_BELOW + 1e-9), log_h(SERIES_BELOW - 1e-9));
        assert!((a - b).abs() < 1e-9 * a.abs(), "{a} vs {b}");
        let (a, b) = (dlog_h(SERIES_BELOW + 1e-9), dlog_h(SERIES_BELOW - 1e-9));
        assert!((a - b).abs() < 1e-6 * a, "{a} vs {b}");
        // Far away: ln h(z) ~ -z^2/2 - ln(z^2) - ln sqrt(2 pi).
        let z: f64 = -1e4;
        let approx = -0.5 * z * z - (z * z).ln() - LN_SQRT_2PI;
        assert!((log_h(z) - approx).abs() < 1e-6);
        assert!(Acquisition::LogEi.value(1e6, 1e-6, 0.0).is_finite());
    }

    #[test]
    fn log_cdf_is_continuous_and_its_derivative_matches() {
        let (a, da) = log_cdf_grad(SERIES_BELOW + 1e-9);
        let (b, db) = log_cdf_grad(SERIES_BELOW - 1e-9);
        assert!((a - b).abs() < 1e-9 * a.abs(), "{a} vs {b}");
        assert!((da - db).abs() < 1e-6 * da, "{da} vs {db}");
        for z in [-40.0, -3.0, 0.0, 2.0, 8.0] {
            let h = 1e-6;
            let fd = (log_cdf_grad(z + h).0 - log_cdf_grad(z - h).0) / (2.0 * h);
            let (v, d) = log_cdf_grad(z);
            assert!(v.is_finite() && v <= 0.0);
            assert!(
                (fd - d).abs() < 1e-5 * (1.0 + d.abs()),
                "z = {z}: {fd} vs {d}"
            );
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        for acq in [Acquisition::LogEi, Acquisition::Ucb { beta: 2.6 }] {
            for (mean, var, best) in [(0.2, 0.5, 0.0), (5.0, 0.01, 0.0), (-1.0, 0.3, 0.0)] {
                let (_, dm, dv) = acq.value_grad(mean, var, best);
                let h = 1e-7;
                let fm =
                    (acq.value(mean + h, var, best) - acq.value(mean - h, var, best)) / (2.0 * h);
                let fv =
                    (acq.value(mean, var + h, best) - acq.value(mean, var - h, best)) / (2.0 * h);
                assert!(
                    (fm - dm).abs() < 1e-5 * (1.0 + fm.abs()),
                    "{acq:?} {fm} {dm}"
                );
                assert!(
                    (fv - dv).abs() < 1e-5 * (1.0 + fv.abs()),
                    "{acq:?} {fv} {dv}"
                );
            }
        }
    }
}
