//! The trials as the TPE sees them: each trial's parameters in the unit-interval encoding,
//! kept per trial number behind the oracle's mutex (a trial's values never change), checked
//! against a cheap fingerprint of the values so a different history is never misread; and
//! Optuna's default weights by position.

use super::parzen::{Dim, DISCRETE_MAX};
use crate::space::{HyperParameters, ParamKind, SearchSpace, Value};
use crate::trial::Trial;
use std::collections::HashMap;

/// How each parameter is modelled (`None`: a constant, not modelled).
pub(crate) fn dims(space: &SearchSpace) -> Vec<Option<Dim>> {
    space
        .params()
        .iter()
        .map(|p| match (&p.kind, p.cardinality()) {
            (ParamKind::Fixed { .. }, _) => None,
            (_, Some(n)) if n <= 1 => None,
            (
                ParamKind::Choice {
                    ordered: false,
                    values,
                },
                _,
            ) => Some(Dim::Categorical(values.len())),
            (ParamKind::Boolean, _) => Some(Dim::Categorical(2)),
            (ParamKind::Float { step: None, .. }, _) => Some(Dim::Continuous),
            // Equal buckets: every stepped or finite numeric except an Int with log or
            // reverse_log sampling and no step, whose buckets follow the log scale.
            (
                ParamKind::Int {
                    step: None,
                    sampling: crate::space::Sampling::Log | crate::space::Sampling::ReverseLog,
                    ..
                },
                _,
            ) => Some(Dim::Continuous),
            (_, Some(n)) if n <= DISCRETE_MAX => Some(Dim::Discrete(n)),
            _ => Some(Dim::Continuous),
        })
        .collect()
}

/// One trial, encoded.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    /// A hash of the values (see `fingerprint`).
    pub fingerprint: u64,
    /// Which modelled parameters are live, as a bit set over parameter indices.
    pub live: Vec<u64>,
    /// Duplicate-detection key (`HyperParameters::key`).
    pub key: String,
    /// Per parameter: the coordinate (category index for categorical), NaN when not live.
    pub coords: Vec<f64>,
}

/// A fast, deterministic fingerprint of a set of values: a multiply-rotate hash over each
/// name's length and each value's bits. Names come from the space, so their text adds
/// nothing, and not reading it keeps this to one memory access per trial for numeric values.
pub(crate) fn fingerprint(values: &HyperParameters) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = 0x243F_6A88_85A3_08D3;
    let mut eat = |x: u64| h = (h ^ x).wrapping_mul(K).rotate_left(29);
    for (name, value) in values.iter() {
        eat(name.len() as u64);
        match value {
            Value::Int(v) => eat(*v as u64 ^ 0x11),
            Value::Float(v) => eat(v.to_bits() ^ 0x22),
            Value::Str(s) => {
                for chunk in s.as_bytes().chunks(8) {
                    let mut b = [0u8; 8];
                    b[..chunk.len()].copy_from_slice(chunk);
                    eat(u64::from_le_bytes(b));
                }
                eat(s.len() as u64 ^ 0x33);
            }
            Value::Bool(b) => eat(u64::from(*b) ^ 0x44),
        }
    }
    h
}

/// Encodes values: unit coordinates, categorical ones as indices.
pub(crate) fn encode(
    space: &SearchSpace,
    dims: &[Option<Dim>],
    values: &HyperParameters,
) -> Vec<f64> {
    space
        .to_unit(values)
        .into_iter()
        .zip(dims)
        .map(|(u, d)| match (u, d) {
            (Some(u), Some(Dim::Categorical(n))) => {
                (u * *n as f64).floor().clamp(0.0, *n as f64 - 1.0)
            }
            (Some(u), _) => u,
            (None, _) => f64::NAN,
        })
        .collect()
}

/// Per-trial encodings, reused across suggestions.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    by_number: Vec<Option<Encoded>>,
    /// Trial numbers too large for the dense table (never in practice).
    sparse: HashMap<u64, Encoded>,
}

/// Trial numbers below this are kept in a dense table.
const DENSE: u64 = 1 << 22;

impl Cache {
    /// Makes sure `trial`'s encoding is cached: computed once per trial number, and again if
    /// its values differ from what was cached.
    pub fn refresh(&mut self, space: &SearchSpace, dims: &[Option<Dim>], trial: &Trial) {
        let fp = fingerprint(trial.values());
        let current = self.peek_opt(trial.number);
        if current.is_some_and(|e| e.fingerprint == fp && e.coords.len() == dims.len()) {
            return;
        }
        let coords = encode(space, dims, trial.values());
        let mut live = vec![0u64; dims.len().div_ceil(64)];
        for (p, c) in coords.iter().enumerate() {
            if dims[p].is_some() && !c.is_nan() {
                live[p / 64] |= 1 << (p % 64);
            }
        }
        let e = Encoded {
            fingerprint: fp,
            live,
            key: trial.values().key(),
            coords,
        };
        if trial.number < DENSE {
            let i = trial.number as usize;
            if self.by_number.len() <= i {
                self.by_number.resize(i + 1, None);
            }
            self.by_number[i] = Some(e);
        } else {
            self.sparse.insert(trial.number, e);
        }
    }

    fn peek_opt(&self, number: u64) -> Option<&Encoded> {
        if number < DENSE {
            self.by_number.get(number as usize).and_then(Option::as_ref)
        } else {
            self.sparse.get(&number)
        }
    }

    /// The cached encoding of trial `number` (after `refresh`).
    pub fn peek(&self, number: u64) -> &Encoded {
        self.peek_opt(number)
            .expect("every trial is refreshed before it is read")
    }
}

/// Optuna's default weights for `n` observations in trial order: older ones ramp down when
/// there are more than 25.
pub(crate) fn default_weights(n: usize) -> Vec<f64> {
    if n < 25 {
        return vec![1.0; n];
    }
    let ramp = n - 25;
    let mut w: Vec<f64> = (0..ramp)
        .map(|i| {
            if ramp == 1 {
                1.0 / n as f64
            } else {
                1.0 / n as f64 + (1.0 - 1.0 / n as f64) * i as f64 / (ramp - 1) as f64
            }
        })
        .collect();
    w.extend(std::iter::repeat_n(1.0, 25));
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_optuna() {
        assert_eq!(default_weights(3), vec![1.0; 3]);
        let w = default_weights(30);
        assert_eq!(w.len(), 30);
        assert!((w[0] - 1.0 / 30.0).abs() < 1e-12 && (w[4] - 1.0).abs() < 1e-12);
        assert!(w[5..].iter().all(|x| *x == 1.0));
    }
}
