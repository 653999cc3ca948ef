//! The value of one hyperparameter, and the type a parameter's values share.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One hyperparameter value; JSON maps it to a plain number, string or bool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// An integer (Int params, integer choices).
    Int(i64),
    /// A float (Float params, float choices).
    Float(f64),
    /// A string (string and identifier choices).
    Str(String),
    /// A boolean (Boolean params, bool choices).
    Bool(bool),
}

/// The type shared by every value of one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// `i64`
    Int,
    /// `f64`
    Float,
    /// `String`
    Str,
    /// `bool`
    Bool,
}

impl Value {
    /// The type of this value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Int(_) => ValueType::Int,
            Value::Float(_) => ValueType::Float,
            Value::Str(_) => ValueType::Str,
            Value::Bool(_) => ValueType::Bool,
        }
    }

    /// The value as `i64`, if it is an integer.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as `f64`: floats, and integers widened.
    pub fn as_float(&self) -> Option<f64> {
        match self {
            Value::Float(v) => Some(*v),
            Value::Int(v) => Some(*v as f64),
            _ => None,
        }
    }

    /// The value as `&str`, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(v) => Some(v),
            _ => None,
        }
    }

    /// The value as `bool`, if it is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as written in messages: strings quoted, floats always with a point.
    pub fn repr(&self) -> String {
        match self {
            Value::Str(v) => format!("{v:?}"),
            Value::Float(v) => format!("{v:?}"),
            other => other.to_string(),
        }
    }

    /// Whether the value is an integer or a float.
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Float(_))
    }

    /// Whether two values are the same hyperparameter value: equal, or floats equal up to
    /// the rounding noise that `min + k * step` arithmetic leaves (relative 1e-9).
    // Inlined: every condition of every draw asks it.
    #[inline]
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Float(a), Value::Float(b)) => floats_close(*a, *b),
            _ => self == other,
        }
    }
}

/// Equal up to a relative 1e-9 (absolute near zero), so grid arithmetic noise is ignored;
/// an infinity is close only to itself (relative to it, every finite number is near).
pub(crate) fn floats_close(a: f64, b: f64) -> bool {
    a == b
        || (a.is_finite()
            && b.is_finite()
            && (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300))
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v}"),
            Value::Str(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::Int => "int",
            ValueType::Float => "float",
            ValueType::Str => "str",
            ValueType::Bool => "bool",
        })
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
/// Unsuffixed integer literals are `i32`: `Param::int("n", 1, 9).step(2)` just works.
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
