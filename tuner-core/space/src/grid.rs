//! Enumeration: every live combination of a finite space, in KerasTuner's GridSearch order,
//! and the count of those combinations.
//!
//! GridSearch's order: the first combination is the defaults; each parameter tries its
//! default first, then its other values in index order; the last-declared parameter varies
//! fastest, and when a parent changes its children restart from their defaults. A child is
//! enumerated only where it is live, so a conditional space yields each live combination
//! exactly once.

use super::{HyperParameters, Param, ParamKind, Sampling, SearchSpace, SpaceError, Value};

/// How many evenly spaced samples GridSearch takes of a parameter with no finite grid.
const GRID_SAMPLES: u32 = 10;

impl Param {
    /// The values KerasTuner's GridSearch tries, default first. A Float without step and an
    /// Int without step with log or reverse_log sampling have no (practical) grid there:
    /// GridSearch takes the 10 bucket centres `prob_to_value(0.05 + 0.1 * i)` (duplicates
    /// dropped), plus the default when it is not among them. Everything else lists `values()`.
    pub fn grid_values(&self) -> Vec<Value> {
        let sampled = matches!(
            self.kind,
            ParamKind::Float { step: None, .. }
                | ParamKind::Int {
                    step: None,
                    sampling: Sampling::Log | Sampling::ReverseLog,
                    ..
                }
        );
        let mut values: Vec<Value> = Vec::new();
        if sampled {
            for i in 0..GRID_SAMPLES {
                let v = self.prob_to_value(f64::from(i) * 0.1 + 0.05);
                if !values.iter().any(|seen| seen.same_as(&v)) {
                    values.push(v);
                }
            }
        } else {
            values = self.values().unwrap_or_default();
        }
        if let Some(at) = values.iter().position(|v| v.same_as(&self.default)) {
            values.remove(at);
        }
        values.insert(0, self.default.clone());
        values
    }

    /// The `position`-th value in GridSearch order (default first) of an `n`-value grid.
    fn grid_value_at(&self, default_index: u64, position: u64) -> Value {
        let index = match position {
            0 => default_index,
            p if p <= default_index => p - 1,
            p => p,
        };
        self.value_at(index)
    }

    /// The index of the default among `values()` (0 when it is not on the grid).
    fn default_index(&self, n: u64) -> u64 {
        match &self.kind {
            ParamKind::Float { .. } => self.float_index_of_default().unwrap_or(0),
            ParamKind::Int { .. } if n > 4096 => self.int_default_index().unwrap_or(0),
            _ => (0..n)
                .find(|&k| self.value_at(k).same_as(&self.default))
                .unwrap_or(0),
        }
    }

    fn float_index_of_default(&self) -> Option<u64> {
        self.default.as_float().and_then(|v| self.float_index(v))
    }

    /// Direct arithmetic for long linear Int grids, where a scan would be slow.
    fn int_default_index(&self) -> Option<u64> {
        let (ParamKind::Int { min, step, .. }, Value::Int(v)) = (&self.kind, &self.default) else {
            return None;
        };
        let offset = i128::from(*v) - i128::from(*min);
        let step = i128::from(step.unwrap_or(1).max(1));
        u64::try_from(offset / step).ok()
    }
}

/// One parameter's values in grid order.
enum Axis {
    /// A finite parameter enumerated through `value_at`, never materialised.
    Lazy { len: u64, default_index: u64 },
    /// An explicit list (`grid_values`).
    List(Vec<Value>),
}

impl Axis {
    fn len(&self) -> u64 {
        match self {
            Axis::Lazy { len, .. } => *len,
            Axis::List(values) => values.len() as u64,
        }
    }

    fn value(&self, param: &Param, position: u64) -> Value {
        match self {
            Axis::Lazy { default_index, .. } => param.grid_value_at(*default_index, position),
            Axis::List(values) => values[position as usize].clone(),
        }
    }
}

/// An odometer over the live combinations of a space (see the module comment).
struct GridIter<'a> {
    space: &'a SearchSpace,
    axes: Vec<Axis>,
    /// Each parameter's position on its axis; `None` while it is inactive.
    positions: Vec<Option<u64>>,
    current: HyperParameters,
    started: bool,
    done: bool,
}

impl<'a> GridIter<'a> {
    fn new(space: &'a SearchSpace, axes: Vec<Axis>) -> Self {
        let mut iter = GridIter {
            space,
            positions: vec![None; axes.len()],
            axes,
            current: HyperParameters::new(),
            started: false,
            done: false,
        };
        iter.reset_from(0);
        iter
    }

    /// Puts every parameter from `first` on: its first value if live, nothing otherwise.
    fn reset_from(&mut self, first: usize) {
        let space = self.space;
        for (i, p) in space.params().iter().enumerate().skip(first) {
            self.current.remove(&p.name);
            if space.is_active(p, &self.current) && self.axes[i].len() > 0 {
                self.positions[i] = Some(0);
                self.current
                    .insert(p.name.clone(), self.axes[i].value(p, 0));
            } else {
                self.positions[i] = None;
            }
        }
    }
}

impl Iterator for GridIter<'_> {
    type Item = HyperParameters;

    fn next(&mut self) -> Option<HyperParameters> {
        if self.done {
            return None;
        }
        if !self.started {
            self.started = true;
            return Some(self.current.clone());
        }
        let params = self.space.params();
        let bump = (0..params.len())
            .rev()
            .find(|&i| self.positions[i].is_some_and(|position| position + 1 < self.axes[i].len()));
        let Some(i) = bump else {
            self.done = true;
            return None;
        };
        let position = self.positions[i].map_or(0, |p| p + 1);
        self.positions[i] = Some(position);
        self.current.insert(
            params[i].name.clone(),
            self.axes[i].value(&params[i], position),
        );
        self.reset_from(i + 1);
        Some(self.current.clone())
    }
}

impl SearchSpace {
    /// Every live combination exactly once, in KerasTuner's GridSearch order (see the module
    /// comment); `cardinality()` of them. Errs with `NotFinite` when a parameter has
    /// infinitely many values (a Float without step).
    pub fn grid(&self) -> Result<impl Iterator<Item = HyperParameters> + '_, SpaceError> {
        let axes = self
            .params()
            .iter()
            .map(|p| {
                let len = p
                    .cardinality()
                    .ok_or_else(|| SpaceError::NotFinite(p.name.clone()))?;
                Ok(Axis::Lazy {
                    len,
                    default_index: p.default_index(len),
                })
            })
            .collect::<Result<Vec<_>, SpaceError>>()?;
        Ok(GridIter::new(self, axes))
    }

    /// The combinations KerasTuner's GridSearch walks: like `grid()`, but every parameter
    /// contributes its `grid_values()`, so unbounded ones are sampled at 10 points instead
    /// of refusing to enumerate.
    pub fn sampled_grid(&self) -> impl Iterator<Item = HyperParameters> + '_ {
        let axes = self
            .params()
            .iter()
            .map(|p| Axis::List(p.grid_values()))
            .collect();
        GridIter::new(self, axes)
    }

    /// The number of distinct live combinations (what `grid()` yields); `None` when a
    /// parameter that can be live has infinitely many values. Saturates at `u64::MAX`.
    pub fn cardinality(&self) -> Option<u64> {
        self.count_from(0, &mut HyperParameters::new())
    }

    /// Combinations of parameters `i..` given the values of those before. Only parents
    /// branch, and only over the values some condition names plus one class for the rest,
    /// so the cost follows the conditions, not the size of the space.
    fn count_from(&self, i: usize, values: &mut HyperParameters) -> Option<u64> {
        let params = self.params();
        let Some(p) = params.get(i) else {
            return Some(1);
        };
        if !self.is_active(p, values) {
            return self.count_from(i + 1, values);
        }
        let n = p.cardinality()?;
        let mut named: Vec<&Value> = Vec::new();
        for child in &params[i + 1..] {
            for c in child.conditions.iter().filter(|c| c.parent == p.name) {
                for v in &c.values {
                    if p.contains(v) && !named.iter().any(|seen| seen.same_as(v)) {
                        named.push(v);
                    }
                }
            }
        }
        let mut total: u64 = 0;
        for v in &named {
            values.insert(p.name.clone(), (*v).clone());
            let rest = self.count_from(i + 1, values);
            values.remove(&p.name);
            total = total.saturating_add(rest?);
        }
        let others = n.saturating_sub(named.len() as u64);
        if others > 0 {
            // Absent reads as "none of the named values": the same for every child condition.
            let rest = self.count_from(i + 1, values)?;
            total = total.saturating_add(others.saturating_mul(rest));
        }
        Some(total)
    }
}
