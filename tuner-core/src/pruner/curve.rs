//! Reading learning curves: the scalar score of each reported epoch, with NaN for a missing or
//! non-finite value.

use super::PrunerContext;
use crate::trial::{Curve, Metrics};

/// The scalar score of one epoch's metrics (NaN when the objective is missing).
pub(crate) fn score(ctx: &PrunerContext<'_>, metrics: &Metrics) -> f64 {
    ctx.objectives.score(metrics).unwrap_or(f64::NAN)
}

/// The score a curve reported at `epoch`, if it reported that epoch.
pub(crate) fn at(ctx: &PrunerContext<'_>, curve: &Curve, epoch: u32) -> Option<f64> {
    curve.at(epoch).map(|m| score(ctx, m))
}

/// The best score of a curve ([`Curve::best`]), NaN when no epoch has a number.
pub(crate) fn best(ctx: &PrunerContext<'_>, curve: &Curve) -> f64 {
    curve.best(ctx.objectives).map_or(f64::NAN, |(_, v)| v)
}

/// The `q`-th percentile (0-100) of `values`, NaN ignored, with linear interpolation
/// (NumPy's `nanpercentile`); NaN when nothing is left.
pub(crate) fn percentile(values: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let pos = (q / 100.0).clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates_like_numpy() {
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.5);
        assert_eq!(percentile(&[4.0, f64::NAN, 1.0], 0.0), 1.0);
        assert!((percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 25.0) - 2.0).abs() < 1e-12);
        assert!(percentile(&[f64::NAN], 50.0).is_nan());
    }
}
