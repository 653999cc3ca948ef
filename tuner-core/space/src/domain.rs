//! What values one parameter can take: its finite value list (by index), membership, count.
//!
//! Grid points follow KerasTuner: linear `min + k*step` for `k < floor((max-min)/step) + 1`,
//! log `min * step^k`, reverse_log `max + min - min * step^k`. Float grid points are tidied
//! to the shortest decimal within rounding noise (`0 + 3 * 0.2` is 0.6, not
//! 0.6000000000000001) and counted with a 1e-9 slack so that `max` stays in the grid when
//! float division falls just short (Python's `1 // 0.2 == 4` drops 1.0 from KerasTuner's own
//! `Float(0, 1, step=0.2)`, against its documentation).

use super::problem::list;
use super::value::floats_close;
use super::{Param, ParamKind, Sampling, Value, ValueType};

/// KerasTuner's slack when counting log-grid points: `int(log(max/min, step) + 1e-8) + 1`.
pub(crate) const LOG_COUNT_SLACK: f64 = 1e-8;
/// Our slack when counting linear float grid points (see the module comment).
pub(crate) const LINEAR_COUNT_SLACK: f64 = 1e-9;

/// How an Int parameter's finite values are laid out.
enum IntGrid {
    /// `min + k * step`; an Int without step lists every integer (step 1).
    Linear { step: i64 },
    /// `min * step^k` (log) or `max + min - min * step^k` (reverse_log), `count` points.
    Geometric {
        step: i64,
        count: u64,
        reverse: bool,
    },
}

impl Param {
    /// The type every value of this parameter has.
    pub fn value_type(&self) -> ValueType {
        match &self.kind {
            ParamKind::Int { .. } => ValueType::Int,
            ParamKind::Float { .. } => ValueType::Float,
            ParamKind::Choice { values, .. } => values
                .first()
                .map_or(self.default.value_type(), Value::value_type),
            ParamKind::Boolean => ValueType::Bool,
            ParamKind::Fixed { value } => value.value_type(),
        }
    }

    /// Every value the parameter can take, in KerasTuner's index order; `None` for a Float
    /// without step. An Int without step lists every integer of its range, whatever its
    /// sampling (the set is finite even if the grid search samples it, see `grid_values`).
    pub fn values(&self) -> Option<Vec<Value>> {
        let n = self.cardinality()?;
        Some((0..n).map(|k| self.value_at(k)).collect())
    }

    /// How many values the parameter can take (`None` for a Float without step; saturates
    /// at `u64::MAX`).
    pub fn cardinality(&self) -> Option<u64> {
        match &self.kind {
            ParamKind::Int { min, max, .. } => match self.int_grid() {
                IntGrid::Linear { step } => {
                    let n = (i128::from(*max) - i128::from(*min)) / i128::from(step) + 1;
                    Some(u64::try_from(n.max(0)).unwrap_or(u64::MAX))
                }
                IntGrid::Geometric { count, .. } => Some(count),
            },
            ParamKind::Float {
                min,
                max,
                step,
                sampling,
            } => step.map(|step| float_count(*min, *max, step, *sampling)),
            ParamKind::Choice { values, .. } => Some(values.len() as u64),
            ParamKind::Boolean => Some(2),
            ParamKind::Fixed { .. } => Some(1),
        }
    }

    /// Whether `value` is one of the parameter's values (of its type, in range, on its grid).
    pub fn contains(&self, value: &Value) -> bool {
        self.rejection(value).is_none()
    }

    /// Why `value` is not one of the parameter's values, or `None` if it is.
    pub(crate) fn rejection(&self, value: &Value) -> Option<String> {
        if value.value_type() != self.value_type() {
            return Some(format!(
                "a {} value where {} is expected",
                value.value_type(),
                self.value_type()
            ));
        }
        match (&self.kind, value) {
            (ParamKind::Int { min, max, .. }, Value::Int(v)) => {
                if v < min || v > max {
                    return Some(format!("outside the range {min}..={max}"));
                }
                match self.int_grid() {
                    IntGrid::Linear { step }
                        if (i128::from(*v) - i128::from(*min)) % i128::from(step) != 0 =>
                    {
                        Some(format!(
                            "not on the step grid {min} + k * {step} ({})",
                            self.grid_preview()
                        ))
                    }
                    IntGrid::Geometric { count, .. }
                        if !(0..count).any(|k| self.value_at(k) == *value) =>
                    {
                        Some(format!("not on the log grid ({})", self.grid_preview()))
                    }
                    _ => None,
                }
            }
            (ParamKind::Float { min, max, step, .. }, Value::Float(v)) => {
                if !v.is_finite() {
                    Some("not a finite number".to_owned())
                } else if v < min || v > max {
                    Some(format!("outside the range {min:?}..={max:?}"))
                } else if step.is_some() && self.float_index(*v).is_none() {
                    Some(format!("not on the step grid ({})", self.grid_preview()))
                } else {
                    None
                }
            }
            (ParamKind::Choice { values, .. }, v) => (!values.iter().any(|c| c.same_as(v)))
                .then(|| format!("not one of the choices [{}]", list(values))),
            (ParamKind::Fixed { value: fixed }, v) => {
                (!fixed.same_as(v)).then(|| format!("not the fixed value {}", fixed.repr()))
            }
            _ => None,
        }
    }

    /// The `k`-th value in index order; `k` must be below `cardinality()`.
    pub(crate) fn value_at(&self, k: u64) -> Value {
        match &self.kind {
            ParamKind::Int { min, max, .. } => {
                let v = match self.int_grid() {
                    IntGrid::Linear { step } => i128::from(*min) + i128::from(k) * i128::from(step),
                    IntGrid::Geometric { step, reverse, .. } => {
                        let power = i128::from(*min) * i128::from(step).pow(k as u32);
                        if reverse {
                            i128::from(*max) + i128::from(*min) - power
                        } else {
                            power
                        }
                    }
                };
                Value::Int(v.clamp(i128::from(*min), i128::from(*max)) as i64)
            }
            ParamKind::Float {
                min,
                max,
                step,
                sampling,
            } => {
                let step = step.unwrap_or(f64::NAN);
                Value::Float(float_at(*min, *max, step, *sampling, k))
            }
            ParamKind::Choice { values, .. } => values[k as usize].clone(),
            ParamKind::Boolean => Value::Bool(k == 0),
            ParamKind::Fixed { value } => value.clone(),
        }
    }

    /// The grid index of a float value on a stepped Float, if it is (near) a grid point.
    pub(crate) fn float_index(&self, v: f64) -> Option<u64> {
        let ParamKind::Float {
            min,
            max,
            step: Some(step),
            sampling,
        } = self.kind
        else {
            return None;
        };
        let n = float_count(min, max, step, sampling);
        let raw = match sampling {
            Sampling::Linear => (v - min) / step,
            Sampling::Log => (v / min).ln() / step.ln(),
            Sampling::ReverseLog => ((max + min - v) / min).ln() / step.ln(),
        };
        if !raw.is_finite() || raw < -0.5 {
            return None;
        }
        let k = (raw.round() as u64).min(n.saturating_sub(1));
        floats_close(float_at(min, max, step, sampling, k), v).then_some(k)
    }

    /// The step of an Int whose values are `min + k * step` (`None` for a log grid).
    pub(crate) fn int_linear_step(&self) -> Option<i64> {
        match self.int_grid() {
            IntGrid::Linear { step } => Some(step),
            IntGrid::Geometric { .. } => None,
        }
    }

    /// The layout of an Int's values (KerasTuner: a linear Int without step has step 1).
    fn int_grid(&self) -> IntGrid {
        let ParamKind::Int {
            min,
            max,
            step,
            sampling,
        } = self.kind
        else {
            return IntGrid::Linear { step: 1 };
        };
        match (sampling, step) {
            (Sampling::Log | Sampling::ReverseLog, Some(step)) if step > 1 && min > 0 => {
                let mut count = 0u64;
                let mut power = i128::from(min);
                while power <= i128::from(max) {
                    count += 1;
                    power *= i128::from(step);
                }
                IntGrid::Geometric {
                    step,
                    count,
                    reverse: sampling == Sampling::ReverseLog,
                }
            }
            (_, step) => IntGrid::Linear {
                step: step.unwrap_or(1).max(1),
            },
        }
    }

    /// The first few grid values, for messages.
    fn grid_preview(&self) -> String {
        let n = self.cardinality().unwrap_or(0);
        let shown: Vec<String> = (0..n.min(4)).map(|k| self.value_at(k).repr()).collect();
        let more = if n > 4 { ", ..." } else { "" };
        format!("{}{more}", shown.join(", "))
    }
}

/// Number of points of a stepped Float's grid.
pub(crate) fn float_count(min: f64, max: f64, step: f64, sampling: Sampling) -> u64 {
    let span = match sampling {
        Sampling::Linear => (max - min) / step + LINEAR_COUNT_SLACK,
        Sampling::Log | Sampling::ReverseLog => (max / min).ln() / step.ln() + LOG_COUNT_SLACK,
    };
    if span.is_finite() && span >= 0.0 {
        // `as` saturates, and a grid of 2^64 points is as good as infinite.
        (span.floor() as u64).saturating_add(1)
    } else {
        1
    }
}

/// The `k`-th grid point of a stepped Float, tidied and kept inside `[min, max]`.
fn float_at(min: f64, max: f64, step: f64, sampling: Sampling, k: u64) -> f64 {
    if k == 0 {
        return match sampling {
            Sampling::ReverseLog => max,
            _ => min,
        };
    }
    let kf = k as f64;
    let (raw, noise) = match sampling {
        Sampling::Linear => {
            let v = min + kf * step;
            (v, 4.0 * f64::EPSILON * (min.abs() + (kf * step).abs()))
        }
        Sampling::Log => {
            let v = min * step.powf(kf);
            (v, 4.0 * f64::EPSILON * (kf + 1.0) * v.abs())
        }
        Sampling::ReverseLog => {
            let power = min * step.powf(kf);
            let v = max + min - power;
            (
                v,
                4.0 * f64::EPSILON * (max.abs() + (kf + 1.0) * power.abs()),
            )
        }
    };
    tidy(raw, noise).clamp(min, max)
}

/// The shortest decimal within `noise` of `v`: grid arithmetic noise is not a value.
fn tidy(v: f64, noise: f64) -> f64 {
    if v.abs() <= noise {
        return 0.0;
    }
    for digits in 0..17 {
        let candidate = format!("{v:.digits$e}").parse::<f64>().unwrap_or(v);
        if (candidate - v).abs() <= noise {
            return candidate;
        }
    }
    v
}
