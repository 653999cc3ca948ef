//! The Matern 5/2 kernel with one length scale per feature (ARD), on the unit-cube features of
//! `encode.rs`: squared differences for numeric features, Hamming (0/1) for categorical ones.
//!
//! An inactive conditional feature is NaN. Two inactive values are at distance 0; an active
//! value `x` and an inactive one are at `(x - 0.5)^2 + 0.25` (numeric) or 1 (categorical): the
//! inactive state is a point of its own, off the interval, so the kernel stays positive
//! definite and an inactive parameter is never mistaken for a default value.

/// The kernel's hyperparameters, in the units of the standardised targets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KernelParams {
    /// `1 / length_scale^2`, one per feature.
    pub inv_sq_ls: Vec<f64>,
    /// Signal variance.
    pub scale: f64,
    /// Observation noise variance.
    pub noise: f64,
}

impl KernelParams {
    /// Length scale 1 in every feature, unit signal, the given noise.
    pub fn default_for(features: usize, noise: f64) -> Self {
        Self {
            inv_sq_ls: vec![1.0; features],
            scale: 1.0,
            noise,
        }
    }
}

/// The squared distance of two values of one feature.
#[inline]
pub(crate) fn feature_sq(a: f64, b: f64, categorical: bool) -> f64 {
    match (a.is_nan(), b.is_nan()) {
        (false, false) if categorical => f64::from(u8::from(a != b)),
        (false, false) => (a - b) * (a - b),
        (true, true) => 0.0,
        _ if categorical => 1.0,
        _ => {
            let x = if a.is_nan() { b } else { a };
            (x - 0.5) * (x - 0.5) + 0.25
        }
    }
}

/// d feature_sq(a, b) / da for an active numeric `a`.
#[inline]
pub(crate) fn feature_sq_grad(a: f64, b: f64) -> f64 {
    if b.is_nan() {
        2.0 * (a - 0.5)
    } else {
        2.0 * (a - b)
    }
}

/// The scaled squared distance `sum_f inv_sq_ls_f * d_f^2`.
#[inline]
pub(crate) fn scaled_sq(a: &[f64], b: &[f64], inv_sq_ls: &[f64], categorical: &[bool]) -> f64 {
    let mut r2 = 0.0;
    for f in 0..a.len() {
        r2 += inv_sq_ls[f] * feature_sq(a[f], b[f], categorical[f]);
    }
    r2
}

/// Matern 5/2 correlation at scaled squared distance `r2`.
#[inline]
pub(crate) fn matern52(r2: f64) -> f64 {
    let s = (5.0 * r2).sqrt();
    (1.0 + s + s * s / 3.0) * (-s).exp()
}

/// d matern52 / d r2 (finite at 0, unlike d/dr).
#[inline]
pub(crate) fn matern52_dr2(r2: f64) -> f64 {
    let s = (5.0 * r2).sqrt();
    -(5.0 / 6.0) * (1.0 + s) * (-s).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_finite_difference() {
        for r2 in [0.01, 0.3, 1.0, 4.0] {
            let h = 1e-6;
            let fd = (matern52(r2 + h) - matern52(r2 - h)) / (2.0 * h);
            assert!((fd - matern52_dr2(r2)).abs() < 1e-6, "{r2}: {fd}");
        }
        assert_eq!(matern52(0.0), 1.0);
    }

    #[test]
    fn inactive_values_form_their_own_point() {
        assert_eq!(feature_sq(f64::NAN, f64::NAN, false), 0.0);
        assert_eq!(feature_sq(0.5, f64::NAN, false), 0.25);
        assert_eq!(feature_sq(f64::NAN, 1.0, false), 0.5);
        assert_eq!(feature_sq(2.0, f64::NAN, true), 1.0);
        assert_eq!(feature_sq(2.0, 2.0, true), 0.0);
        assert_eq!(feature_sq(1.0, 3.0, true), 1.0);
    }
}
