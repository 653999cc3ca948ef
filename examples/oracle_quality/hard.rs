//! Objectives that fail: Branin with a region that returns NaN (or +inf), and Branin that
//! returns NaN in a fifth of its points wherever they are (a diverging run, a crash). Every
//! case keeps the tuner's defaults (`max_consecutive_failed_trials = 3`), so a search that
//! counts divergence as an error ends early and the table says so.

use super::{branin, float, Problem};
use tuner::space::{HyperParameters, Param, SearchSpace};

/// Branin's global minimum; two of its three minimisers lie outside the failing region.
const BRANIN_MIN: f64 = 0.397_887_357_729_738;

fn branin_space() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::float("x1", -5.0, 10.0))
        .param(Param::float("x2", 0.0, 15.0))
        .build()
        .expect("valid")
}

/// NaN where `x1 > 5` (a third of the domain).
fn branin_nan(hp: &HyperParameters) -> f64 {
    if float(hp, "x1") > 5.0 {
        f64::NAN
    } else {
        branin(hp)
    }
}

/// +inf where `x1 > 5`.
fn branin_inf(hp: &HyperParameters) -> f64 {
    if float(hp, "x1") > 5.0 {
        f64::INFINITY
    } else {
        branin(hp)
    }
}

/// NaN at a fixed fifth of all points, scattered: a hash of the values decides.
fn branin_nan20(hp: &HyperParameters) -> f64 {
    let key = hp.key();
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    // `is_multiple_of` needs Rust 1.87; this file is also built by the root package (MSRV 1.85).
    #[allow(clippy::manual_is_multiple_of)]
    let fails = h % 5 == 0;
    if fails {
        f64::NAN
    } else {
        branin(hp)
    }
}

/// The failing cases.
pub fn problems() -> Vec<Problem> {
    [
        ("branin-nan", branin_nan as fn(&HyperParameters) -> f64),
        ("branin-inf", branin_inf),
        ("branin-nan20", branin_nan20),
    ]
    .into_iter()
    .map(|(name, f)| Problem {
        name,
        space: branin_space(),
        f,
        optimum: BRANIN_MIN,
        grid: false,
    })
    .collect()
}
