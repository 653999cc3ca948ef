//! From the space's unit cube to GP features and back.
//!
//! A point is a unit vector `u` with one coordinate per parameter (KerasTuner's encoding,
//! `SearchSpace::to_unit`); a coordinate counts only while its parameter is live. Features
//! drop fixed parameters, keep numeric ones as their (bucket-centred) coordinate, turn
//! unordered choices and booleans into a category index (Hamming distance in the kernel), and
//! mark inactive conditional parameters as NaN.

use crate::space::{HyperParameters, ParamKind, SearchSpace, Value};

/// How one parameter is treated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    /// A Float without step: optimised by gradient.
    Continuous,
    /// Numeric values on a grid (ints, stepped floats, ordered choices): `n` buckets.
    Ordinal(u64),
    /// Unordered choices and booleans: `n` categories.
    Categorical(usize),
    /// A single value: no feature.
    Constant,
}

/// One condition of a parameter, as the parent's coordinate and the bucket indices allowed.
#[derive(Debug, Clone)]
struct Gate {
    parent: usize,
    /// For a finite parent: which of its buckets make the condition hold.
    allowed: Option<Vec<bool>>,
    values: Vec<Value>,
}

/// Per-parameter encoding facts, computed once per space.
#[derive(Debug, Clone)]
pub(crate) struct Encoder {
    slots: Vec<Slot>,
    feature_of: Vec<Option<usize>>,
    gates: Vec<Vec<Gate>>,
    categorical: Vec<bool>,
}

/// Finite parents with at most this many values get a lookup table for their conditions.
const GATE_TABLE: u64 = 1 << 16;

impl Encoder {
    /// The encoding of `space`.
    pub fn new(space: &SearchSpace) -> Self {
        let mut slots = Vec::new();
        let mut feature_of = Vec::new();
        let mut categorical = Vec::new();
        for p in space.params() {
            let slot = match (&p.kind, p.cardinality()) {
                (_, Some(n)) if n <= 1 => Slot::Constant,
                (ParamKind::Fixed { .. }, _) => Slot::Constant,
                (ParamKind::Float { step: None, .. }, _) => Slot::Continuous,
                (
                    ParamKind::Choice {
                        ordered: false,
                        values,
                    },
                    _,
                ) => Slot::Categorical(values.len()),
                (ParamKind::Boolean, _) => Slot::Categorical(2),
                (_, Some(n)) => Slot::Ordinal(n),
                (_, None) => Slot::Continuous,
            };
            if slot == Slot::Constant {
                feature_of.push(None);
            } else {
                feature_of.push(Some(categorical.len()));
                categorical.push(matches!(slot, Slot::Categorical(_)));
            }
            slots.push(slot);
        }
        let gates = space
            .params()
            .iter()
            .map(|p| {
                p.conditions
                    .iter()
                    .filter_map(|c| {
                        let parent = space.index_of(&c.parent)?;
                        let pp = &space.params()[parent];
                        let allowed = pp.cardinality().filter(|n| *n <= GATE_TABLE).map(|n| {
                            (0..n)
                                .map(|k| {
                                    let u = (k as f64 + 0.5) / n as f64;
                                    let v = pp.prob_to_value(u);
                                    c.values.iter().any(|w| w.same_as(&v))
                                })
                                .collect()
                        });
                        Some(Gate {
                            parent,
                            allowed,
                            values: c.values.clone(),
                        })
                    })
                    .collect()
            })
            .collect();
        Self {
            slots,
            feature_of,
            gates,
            categorical,
        }
    }

    /// The number of GP features.
    pub fn features(&self) -> usize {
        self.categorical.len()
    }

    /// Which features are categorical.
    pub fn categorical(&self) -> &[bool] {
        &self.categorical
    }

    /// The treatment of each parameter.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The feature of parameter `p`, if it has one.
    pub fn feature_of(&self, p: usize) -> Option<usize> {
        self.feature_of[p]
    }

    /// The features of tried values (inactive or foreign values become NaN).
    pub fn features_of_values(&self, space: &SearchSpace, values: &HyperParameters) -> Vec<f64> {
        let unit = space.to_unit(values);
        let mut out = vec![f64::NAN; self.features()];
        for (p, u) in unit.into_iter().enumerate() {
            if let (Some(f), Some(u)) = (self.feature_of[p], u) {
                out[f] = match self.slots[p] {
                    Slot::Categorical(n) => bucket(u, n as u64) as f64,
                    _ => u,
                };
            }
        }
        out
    }

    /// The unit vector of tried values (inactive coordinates at 0.5).
    pub fn unit_of_values(&self, space: &SearchSpace, values: &HyperParameters) -> Vec<f64> {
        space
            .to_unit(values)
            .into_iter()
            .map(|u| u.unwrap_or(0.5))
            .collect()
    }

    /// Moves every discrete coordinate of `u` to the centre of its value's bucket (so equal
    /// configurations have equal coordinates), clamps the rest into `[0, 1]`, and returns which
    /// parameters are live.
    pub fn canonicalise(&self, space: &SearchSpace, u: &mut [f64]) -> Vec<bool> {
        let params = space.params();
        let mut active = vec![false; u.len()];
        for p in 0..u.len() {
            let x = if u[p].is_nan() {
                0.5
            } else {
                u[p].clamp(0.0, 1.0)
            };
            u[p] = match self.slots[p] {
                Slot::Continuous | Slot::Constant => x,
                Slot::Categorical(n) => (bucket(x, n as u64) as f64 + 0.5) / n as f64,
                Slot::Ordinal(_) => {
                    let param = &params[p];
                    param.value_to_prob(&param.prob_to_value(x))
                }
            };
            active[p] = self.gates[p].iter().all(|g| {
                active[g.parent]
                    && match &g.allowed {
                        Some(table) => table[bucket(u[g.parent], table.len() as u64) as usize],
                        None => {
                            let v = params[g.parent].prob_to_value(u[g.parent]);
                            g.values.iter().any(|w| w.same_as(&v))
                        }
                    }
            });
        }
        active
    }

    /// The features of a canonical unit vector with its activity.
    pub fn features_of_unit(&self, u: &[f64], active: &[bool], out: &mut [f64]) {
        for p in 0..u.len() {
            let Some(f) = self.feature_of[p] else {
                continue;
            };
            out[f] = if !active[p] {
                f64::NAN
            } else {
                match self.slots[p] {
                    Slot::Categorical(n) => bucket(u[p], n as u64) as f64,
                    _ => u[p],
                }
            };
        }
    }
}

/// The bucket of `u` among `n` equal ones.
pub(crate) fn bucket(u: f64, n: u64) -> u64 {
    ((u * n as f64).floor().max(0.0) as u64).min(n.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::Param;

    fn space() -> SearchSpace {
        SearchSpace::builder()
            .param(Param::choice("model", ["linear", "tree"]))
            .param(
                Param::float("lr", 1e-4, 1e-1)
                    .log()
                    .when("model", ["linear"]),
            )
            .param(Param::int("depth", 1, 8).when("model", ["tree"]))
            .param(Param::fixed("seed", 3))
            .build()
            .unwrap()
    }

    #[test]
    fn inactive_parameters_are_masked_and_fixed_ones_dropped() {
        let s = space();
        let e = Encoder::new(&s);
        assert_eq!(e.features(), 3);
        assert_eq!(e.categorical(), &[true, false, false]);
        let mut hp = HyperParameters::new();
        hp.insert("model", "tree");
        hp.insert("depth", 4);
        hp.insert("seed", 3);
        let f = e.features_of_values(&s, &hp);
        assert_eq!(f[0], 1.0);
        assert!(f[1].is_nan());
        assert!((f[2] - 3.5 / 8.0).abs() < 1e-12);
    }

    #[test]
    fn canonical_units_agree_with_tried_values() {
        let s = space();
        let e = Encoder::new(&s);
        let mut u = vec![0.9, 0.3, 0.47, 0.1];
        let active = e.canonicalise(&s, &mut u);
        assert_eq!(active, vec![true, false, true, true]);
        let values = s.from_unit(&u);
        let mut f = vec![0.0; 3];
        e.features_of_unit(&u, &active, &mut f);
        let g = e.features_of_values(&s, &values);
        for (a, b) in f.iter().zip(&g) {
            assert!(a == b || (a.is_nan() && b.is_nan()), "{f:?} vs {g:?}");
        }
    }
}
