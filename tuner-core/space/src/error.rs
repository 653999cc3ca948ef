//! Errors of search-space definition and of values checked against a space.

use super::{Problem, ValueType};
use thiserror::Error;

/// What is wrong with a space definition, or with values read against a space.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SpaceError {
    /// The definition broke one or more rules; every problem is listed, not just the first.
    #[error("invalid search space:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    /// A name that the space does not define.
    #[error("unknown hyperparameter `{0}`: it is not defined in this search space")]
    Unknown(String),
    /// A live parameter with no value.
    #[error("hyperparameter `{0}` is live but has no value")]
    Missing(String),
    /// A value for a parameter whose conditions do not hold.
    #[error("hyperparameter `{0}` has a value but is inactive (its condition does not hold)")]
    Inactive(String),
    /// A value of the wrong type.
    #[error("hyperparameter `{name}` holds a {found} value, expected {expected}")]
    WrongType {
        /// Parameter name.
        name: String,
        /// The parameter's type.
        expected: ValueType,
        /// The type found.
        found: ValueType,
    },
    /// A value the parameter cannot take.
    #[error("hyperparameter `{name}` cannot take the value {value}: {reason}")]
    OutOfRange {
        /// Parameter name.
        name: String,
        /// The offending value, displayed.
        value: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// Enumeration asked of a space with an unbounded parameter.
    #[error("hyperparameter `{0}` has infinitely many values: give it a `step` to enumerate it")]
    NotFinite(String),
}
