//! The unit-interval encoding of values (KerasTuner's `prob_to_value` / `value_to_prob`),
//! which oracles search in, and its extension to whole spaces (`to_unit` / `from_unit`).
//!
//! Every stepped or finite parameter splits `[0, 1)` into equal buckets, one per value, and
//! encodes a value by its bucket's centre; continuous ones map the interval through their
//! sampling. An Int without step and with log or reverse_log sampling maps `[0, 1)` onto
//! `[min, max + 1)` and truncates, and encodes `v` as the position of `v + 0.5`, so every
//! integer gets a share proportional to its width in that scale.

use super::domain::{float_count, LINEAR_COUNT_SLACK};
use super::{HyperParameters, Param, ParamKind, Sampling, SearchSpace, Value};

/// KerasTuner's `prob_to_index`: the bucket of `prob` among `n` equal ones.
pub(crate) fn prob_to_index(prob: f64, n: u64) -> u64 {
    let bucket = 1.0 / n as f64;
    ((prob / bucket).floor() as u64).min(n.saturating_sub(1))
}

/// KerasTuner's `index_to_prob`: the centre of bucket `index` (fractional for log grids).
fn index_to_prob(index: f64, n: u64) -> f64 {
    (index + 0.5) * (1.0 / n as f64)
}

/// KerasTuner's `_sample_numerical_value`: `u` through the sampling onto `[min, max]`.
fn spread(u: f64, min: f64, max: f64, sampling: Sampling) -> f64 {
    match sampling {
        Sampling::Linear => u * (max - min) + min,
        Sampling::Log => min * (max / min).powf(u),
        Sampling::ReverseLog => max + min - min * (max / min).powf(1.0 - u),
    }
}

/// KerasTuner's `_numerical_to_prob`: the inverse of `spread` (0.5 when `min == max`).
fn unspread(v: f64, min: f64, max: f64, sampling: Sampling) -> f64 {
    if max == min {
        return 0.5;
    }
    match sampling {
        Sampling::Linear => (v - min) / (max - min),
        Sampling::Log => (v / min).ln() / (max / min).ln(),
        Sampling::ReverseLog => 1.0 - ((max + min - v) / min).ln() / (max / min).ln(),
    }
}

/// The (fractional) grid index of `v` on a log or reverse_log grid, as KerasTuner computes it.
fn log_index(v: f64, min: f64, max: f64, step: f64, sampling: Sampling) -> f64 {
    match sampling {
        Sampling::ReverseLog => ((max - v + min) / min).ln() / step.ln(),
        _ => (v / min).ln() / step.ln(),
    }
}

impl Param {
    /// The value at `prob` in `[0, 1)` (KerasTuner's `prob_to_value`): stepped and finite
    /// parameters pick the value whose bucket holds `prob`; continuous ones map it through
    /// their sampling. `prob` is clamped into `[0, 1]` (NaN reads as 0), so the result is
    /// always a value the parameter can take.
    pub fn prob_to_value(&self, prob: f64) -> Value {
        let prob = if prob.is_nan() {
            0.0
        } else {
            prob.clamp(0.0, 1.0)
        };
        match &self.kind {
            ParamKind::Int {
                min,
                max,
                step: None,
                sampling: sampling @ (Sampling::Log | Sampling::ReverseLog),
            } => {
                // `max + 1` so that `max` has a bucket; truncation as Python's `int()`.
                let v = spread(prob, *min as f64, *max as f64 + 1.0, *sampling).floor();
                Value::Int((v as i64).clamp(*min, *max))
            }
            ParamKind::Float {
                min,
                max,
                step: None,
                sampling,
            } => Value::Float(spread(prob, *min, *max, *sampling).clamp(*min, *max)),
            ParamKind::Boolean => Value::Bool(prob >= 0.5),
            ParamKind::Fixed { value } => value.clone(),
            _ => {
                let n = self.cardinality().unwrap_or(1).max(1);
                self.value_at(prob_to_index(prob, n))
            }
        }
    }

    /// The position of `value` in `[0, 1)` (KerasTuner's `value_to_prob`): the centre of its
    /// bucket, or its place in the sampling's scale. NaN when the parameter cannot hold a
    /// value of that type (and for a choice not in the list); check with `contains` first.
    ///
    /// A linear Float grid floors `(value - min) / step` as KerasTuner does, plus a 1e-9
    /// slack: Python's `0.6 // 0.2 == 2` puts 0.6 in 0.4's bucket, ours in its own.
    pub fn value_to_prob(&self, value: &Value) -> f64 {
        match (&self.kind, value) {
            (
                ParamKind::Int {
                    min,
                    max,
                    step: None,
                    sampling: sampling @ (Sampling::Log | Sampling::ReverseLog),
                },
                Value::Int(v),
            ) => {
                // `+ 0.5` centres the integer in its bucket, `+ 1` includes `max`.
                unspread(*v as f64 + 0.5, *min as f64, *max as f64 + 1.0, *sampling)
            }
            (
                ParamKind::Int {
                    min,
                    max,
                    step: Some(step),
                    sampling: sampling @ (Sampling::Log | Sampling::ReverseLog),
                },
                Value::Int(v),
            ) => {
                let n = self.cardinality().unwrap_or(1).max(1);
                let index = log_index(*v as f64, *min as f64, *max as f64, *step as f64, *sampling);
                index_to_prob(index, n)
            }
            (ParamKind::Int { min, step, .. }, Value::Int(v)) => {
                let n = self.cardinality().unwrap_or(1).max(1);
                let step = i128::from(step.unwrap_or(1).max(1));
                let index = (i128::from(*v) - i128::from(*min)).div_euclid(step);
                index_to_prob(index as f64, n)
            }
            (
                ParamKind::Float {
                    min,
                    max,
                    step,
                    sampling,
                },
                Value::Float(v),
            ) => match step {
                None => unspread(*v, *min, *max, *sampling),
                Some(step) => {
                    let n = float_count(*min, *max, *step, *sampling);
                    let index = match sampling {
                        Sampling::Linear => ((v - min) / step + LINEAR_COUNT_SLACK).floor(),
                        _ => log_index(*v, *min, *max, *step, *sampling),
                    };
                    index_to_prob(index, n)
                }
            },
            (ParamKind::Choice { values, .. }, v) => values
                .iter()
                .position(|c| c.value_type() == v.value_type() && c.same_as(v))
                .map_or(f64::NAN, |i| index_to_prob(i as f64, values.len() as u64)),
            // Centre of the `false` bucket [0, 0.5) or the `true` bucket [0.5, 1).
            (ParamKind::Boolean, Value::Bool(b)) => {
                if *b {
                    0.75
                } else {
                    0.25
                }
            }
            (ParamKind::Fixed { .. }, _) => 0.5,
            _ => f64::NAN,
        }
    }
}

impl SearchSpace {
    /// One coordinate per parameter in declaration order: the live ones' `value_to_prob`,
    /// `None` for inactive parameters and for values missing or foreign to their parameter.
    pub fn to_unit(&self, values: &HyperParameters) -> Vec<Option<f64>> {
        self.params()
            .iter()
            .map(|p| {
                if !self.is_active(p, values) {
                    return None;
                }
                let value = values.get(&p.name).filter(|v| p.contains(v))?;
                Some(p.value_to_prob(value)).filter(|u| u.is_finite())
            })
            .collect()
    }

    /// The values at a point of the unit cube: one coordinate per parameter in declaration
    /// order, read through `prob_to_value` for live parameters, ignored for inactive ones.
    ///
    /// # Panics
    /// If `unit` does not hold exactly one coordinate per parameter.
    pub fn from_unit(&self, unit: &[f64]) -> HyperParameters {
        assert_eq!(
            unit.len(),
            self.len(),
            "from_unit needs one coordinate per parameter of the space"
        );
        let mut values = HyperParameters::new();
        for (p, u) in self.params().iter().zip(unit) {
            if self.is_active(p, &values) {
                values.insert(p.name.clone(), p.prob_to_value(*u));
            }
        }
        values
    }
}
