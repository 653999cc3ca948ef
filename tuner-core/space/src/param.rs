//! One hyperparameter: its kind (range, step, sampling or values), default and conditions.

use super::Value;
use serde::{Deserialize, Serialize};

/// How a numeric parameter maps the unit interval onto its range (KerasTuner's `sampling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// `min + u * (max - min)`.
    #[default]
    Linear,
    /// `min * (max / min)^u`; needs `min > 0`.
    Log,
    /// `max + min - min * (max / min)^(1 - u)`; needs `min > 0`.
    ReverseLog,
}

/// What values a parameter can take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamKind {
    /// Integers in `min..=max` (max inclusive), optionally on a grid of `step`.
    Int {
        /// Smallest value.
        min: i64,
        /// Largest value (inclusive).
        max: i64,
        /// Grid spacing: additive for linear, multiplicative for log sampling.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<i64>,
        /// How the unit interval maps onto the range.
        #[serde(default)]
        sampling: Sampling,
    },
    /// Floats in `min..=max`, optionally on a grid of `step`.
    Float {
        /// Smallest value.
        min: f64,
        /// Largest value (inclusive).
        max: f64,
        /// Grid spacing: additive for linear, multiplicative for log sampling.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<f64>,
        /// How the unit interval maps onto the range.
        #[serde(default)]
        sampling: Sampling,
    },
    /// One of a list of values of one type.
    Choice {
        /// The values, in declaration order.
        values: Vec<Value>,
        /// Whether the order of the values means something (true for numbers by default).
        ordered: bool,
    },
    /// `true` or `false`.
    Boolean,
    /// A constant recorded with the trial.
    Fixed {
        /// The constant.
        value: Value,
    },
}

/// A parameter is live only when its parent took one of `values` (KerasTuner's conditional_scope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// Name of the parent parameter.
    pub parent: String,
    /// Parent values under which the child is live.
    pub values: Vec<Value>,
}

/// One hyperparameter of a search space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Unique name within the space (indexed params are `units_0`, `units_1`, ...).
    pub name: String,
    /// Range or values.
    pub kind: ParamKind,
    /// The default value (KerasTuner's: Int/Float min, Choice first value, Boolean false).
    pub default: Value,
    /// All must hold for the parameter to be live (nested scopes AND together).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
