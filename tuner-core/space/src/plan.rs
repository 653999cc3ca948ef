//! A space's draw plan: what `prob_to_value` of each parameter works out on every call (grid
//! sizes, i128 grid arithmetic, float grid points tidied through decimal formatting), worked
//! out once when the space is built. A planned draw gives the very value `prob_to_value`
//! gives for the same `prob`, so seeded streams are unchanged.

use super::encoding::prob_to_index;
use super::{Param, ParamKind, Sampling, Value};

/// Stepped floats with at most this many grid points keep a table of them (32 bytes each).
const MAX_TABLE: u64 = 1024;

/// How one parameter turns a uniform draw into its value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Draw {
    /// The `k`-th of `n` integers `min + k * step`.
    IntLinear { min: i64, step: u64, n: u64 },
    /// The `k`-th of a short list of grid points (log ints, stepped floats).
    Table(Vec<Value>),
    /// No shortcut: `Param::prob_to_value`.
    Direct,
}

impl Draw {
    /// The plan of `param`, which belongs to a validated space.
    pub(crate) fn of(param: &Param) -> Draw {
        match param.kind {
            ParamKind::Int {
                step: None,
                sampling: Sampling::Log | Sampling::ReverseLog,
                ..
            } => Draw::Direct,
            ParamKind::Int { min, max, .. } if min <= max => match param.int_linear_step() {
                Some(step) => Draw::IntLinear {
                    min,
                    // A positive step: the grid clamps it to at least 1.
                    step: step as u64,
                    n: param.cardinality().unwrap_or(1).max(1),
                },
                None => param.table(),
            },
            ParamKind::Float { step: Some(_), .. } => match param.cardinality() {
                Some(n) if n <= MAX_TABLE => param.table(),
                _ => Draw::Direct,
            },
            _ => Draw::Direct,
        }
    }

    /// `param.prob_to_value(prob)`, the cheap way.
    pub(crate) fn value(&self, param: &Param, prob: f64) -> Value {
        match self {
            Draw::IntLinear { min, step, n } => {
                let k = prob_to_index(clamped(prob), *n);
                // `k < n` puts `min + k * step` in `min..=max`, so `k * step <= max - min`
                // fits a u64 and the sum, computed modulo 2^64, is exact.
                Value::Int((*min as u64).wrapping_add(k.wrapping_mul(*step)) as i64)
            }
            Draw::Table(values) => {
                values[prob_to_index(clamped(prob), values.len() as u64) as usize].clone()
            }
            Draw::Direct => param.prob_to_value(prob),
        }
    }
}

/// `prob_to_value`'s reading of `prob`: clamped into `[0, 1]`, NaN as 0.
fn clamped(prob: f64) -> f64 {
    if prob.is_nan() {
        0.0
    } else {
        prob.clamp(0.0, 1.0)
    }
}

impl Param {
    /// Every grid value, as `prob_to_value` indexes them.
    fn table(&self) -> Draw {
        let n = self.cardinality().unwrap_or(1).max(1);
        Draw::Table((0..n).map(|k| self.value_at(k)).collect())
    }
}
