//! Defining parameters in code: `Param::int("units", 32, 512).step(32)` and friends.
//!
//! The chainable methods never panic: a misuse (a step on a choice, a fractional step on an
//! int) is recorded and reported with every other problem when the space is built.

use super::validate::param_problems;
use super::{Condition, Field, Param, ParamKind, Problem, Sampling, SpaceError, Value};

/// A parameter being defined; finish it with `build()` or hand it to `SpaceBuilder::param`.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a parameter definition does nothing until it is built or added to a space"]
pub struct ParamBuilder {
    name: String,
    kind: ParamKind,
    default: Option<Value>,
    conditions: Vec<Condition>,
    misuses: Vec<Problem>,
}

impl Param {
    /// An integer parameter in `min..=max` (max inclusive), default `min`.
    pub fn int(name: impl Into<String>, min: i64, max: i64) -> ParamBuilder {
        ParamBuilder::new(
            name,
            ParamKind::Int {
                min,
                max,
                step: None,
                sampling: Sampling::Linear,
            },
        )
    }

    /// A float parameter in `[min, max]`, default `min`.
    pub fn float(name: impl Into<String>, min: f64, max: f64) -> ParamBuilder {
        ParamBuilder::new(
            name,
            ParamKind::Float {
                min,
                max,
                step: None,
                sampling: Sampling::Linear,
            },
        )
    }

    /// One of `values` (all of one type), default the first; ordered when they are numbers.
    pub fn choice<V: Into<Value>>(
        name: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> ParamBuilder {
        let values: Vec<Value> = values.into_iter().map(Into::into).collect();
        let ordered = values.first().is_some_and(Value::is_number);
        ParamBuilder::new(name, ParamKind::Choice { values, ordered })
    }

    /// `true` or `false`, default `false`.
    pub fn boolean(name: impl Into<String>) -> ParamBuilder {
        ParamBuilder::new(name, ParamKind::Boolean)
    }

    /// A constant recorded with each trial.
    pub fn fixed(name: impl Into<String>, value: impl Into<Value>) -> ParamBuilder {
        ParamBuilder::new(
            name,
            ParamKind::Fixed {
                value: value.into(),
            },
        )
    }
}

impl ParamBuilder {
    fn new(name: impl Into<String>, kind: ParamKind) -> Self {
        ParamBuilder {
            name: name.into(),
            kind,
            default: None,
            conditions: Vec::new(),
            misuses: Vec::new(),
        }
    }

    /// Records an option given to a kind it does not apply to.
    fn not_applicable(&mut self, field: Field, option: String, applies_to: &'static str) {
        self.misuses.push(Problem::NotApplicable {
            name: self.name.clone(),
            field,
            option,
            applies_to,
            kind: self.kind_name(),
        });
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            ParamKind::Int { .. } => "an int",
            ParamKind::Float { .. } => "a float",
            ParamKind::Choice { .. } => "a choice",
            ParamKind::Boolean => "a boolean",
            ParamKind::Fixed { .. } => "a fixed",
        }
    }

    /// The grid spacing: added for linear sampling, multiplied for log and reverse_log.
    pub fn step(mut self, step: impl Into<Value>) -> Self {
        let step = step.into();
        match (&mut self.kind, &step) {
            (ParamKind::Int { step: slot, .. }, Value::Int(s)) => *slot = Some(*s),
            (ParamKind::Int { step: slot, .. }, Value::Float(s))
                if s.fract() == 0.0 && s.abs() < 9.0e15 =>
            {
                *slot = Some(*s as i64)
            }
            (ParamKind::Float { step: slot, .. }, Value::Int(s)) => *slot = Some(*s as f64),
            (ParamKind::Float { step: slot, .. }, Value::Float(s)) => *slot = Some(*s),
            (ParamKind::Int { .. }, _) => self.misuses.push(Problem::IntStepNotWhole {
                name: self.name.clone(),
                step,
            }),
            _ => {
                let option = format!("`step({})`", step.repr());
                self.not_applicable(Field::Step, option, "int and float");
            }
        }
        self
    }

    /// Log sampling: uniform in log scale (needs `min > 0`; a step multiplies).
    pub fn log(self) -> Self {
        self.sampling(Sampling::Log)
    }

    /// Reverse-log sampling: denser near `max` (needs `min > 0`; a step multiplies).
    pub fn reverse_log(self) -> Self {
        self.sampling(Sampling::ReverseLog)
    }

    /// How the unit interval maps onto the range.
    pub fn sampling(mut self, sampling: Sampling) -> Self {
        match &mut self.kind {
            ParamKind::Int { sampling: slot, .. } | ParamKind::Float { sampling: slot, .. } => {
                *slot = sampling
            }
            _ => {
                let option = format!("{sampling:?} sampling");
                self.not_applicable(Field::Sampling, option, "int and float");
            }
        }
        self
    }

    /// The default value (an integer is accepted for a float parameter).
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        let value = match (&self.kind, value.into()) {
            (ParamKind::Float { .. }, Value::Int(v)) => Value::Float(v as f64),
            (ParamKind::Choice { values, .. }, Value::Int(v))
                if matches!(values.first(), Some(Value::Float(_))) =>
            {
                Value::Float(v as f64)
            }
            (_, v) => v,
        };
        self.default = Some(value);
        self
    }

    /// Whether a choice's values have a meaningful order (only numbers can be ordered).
    pub fn ordered(mut self, ordered: bool) -> Self {
        match &mut self.kind {
            ParamKind::Choice { ordered: slot, .. } => *slot = ordered,
            _ => self.not_applicable(Field::Ordered, "`ordered`".to_owned(), "choice"),
        }
        self
    }

    /// Live only when `parent` holds one of `values` (repeat to AND several conditions).
    pub fn when<V: Into<Value>>(
        mut self,
        parent: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.conditions.push(Condition {
            parent: parent.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds conditions in front of the parameter's own (an enclosing scope's).
    pub(crate) fn with_outer_conditions(mut self, outer: &[Condition]) -> Self {
        let own = std::mem::take(&mut self.conditions);
        self.conditions = outer.iter().cloned().chain(own).collect();
        self
    }

    /// The parameter and the misuses recorded while defining it.
    pub(crate) fn into_parts(self) -> (Param, Vec<Problem>) {
        let default = self.default.unwrap_or_else(|| kind_default(&self.kind));
        let param = Param {
            name: self.name,
            kind: self.kind,
            default,
            conditions: self.conditions,
        };
        (param, self.misuses)
    }

    /// The parameter, checked on its own (a condition's parent is checked by the space).
    pub fn build(self) -> Result<Param, SpaceError> {
        let (param, mut problems) = self.into_parts();
        param_problems(&param, &mut problems);
        if problems.is_empty() {
            Ok(param)
        } else {
            Err(SpaceError::Invalid(problems))
        }
    }
}

/// KerasTuner's defaults: Int/Float min, Choice first value, Boolean false, Fixed its value.
/// A stepped reverse_log grid (`max + min - min * step^k`) holds `min` only when `max / min`
/// is a power of the step, so there the default is its smallest point, the one nearest `min`.
fn kind_default(kind: &ParamKind) -> Value {
    match kind {
        ParamKind::Int {
            step: Some(_),
            sampling: Sampling::ReverseLog,
            ..
        }
        | ParamKind::Float {
            step: Some(_),
            sampling: Sampling::ReverseLog,
            ..
        } => smallest_grid_point(kind),
        ParamKind::Int { min, .. } => Value::Int(*min),
        ParamKind::Float { min, .. } => Value::Float(*min),
        // An empty list is reported by validation; any placeholder default is never used.
        ParamKind::Choice { values, .. } => values.first().cloned().unwrap_or(Value::Bool(false)),
        ParamKind::Boolean => Value::Bool(false),
        ParamKind::Fixed { value } => value.clone(),
    }
}

/// The last (smallest) point of a stepped reverse_log grid.
fn smallest_grid_point(kind: &ParamKind) -> Value {
    let probe = Param {
        name: String::new(),
        kind: kind.clone(),
        default: Value::Bool(false),
        conditions: Vec::new(),
    };
    match probe.cardinality() {
        Some(n) if n > 0 => probe.value_at(n - 1),
        _ => match kind {
            ParamKind::Int { min, .. } => Value::Int(*min),
            ParamKind::Float { min, .. } => Value::Float(*min),
            _ => Value::Bool(false),
        },
    }
}

impl From<Param> for ParamBuilder {
    fn from(param: Param) -> Self {
        ParamBuilder {
            name: param.name,
            kind: param.kind,
            default: Some(param.default),
            conditions: param.conditions,
            misuses: Vec::new(),
        }
    }
}
