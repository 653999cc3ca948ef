//! What can be wrong with a space definition, as data: which parameter, which part of it
//! (`Field`), and what rule it breaks. The `#[hypermodel]` macro maps each problem to the
//! token the user wrote; the run time prints it. Both show the same text (`Display`).

use super::{Sampling, Value, ValueType};
use std::fmt;
use thiserror::Error;

/// The part of a parameter definition a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The parameter's name.
    Name,
    /// The lower bound.
    Min,
    /// The upper bound.
    Max,
    /// Both bounds together (their order).
    Range,
    /// The grid step.
    Step,
    /// The sampling (`log`, `reverse_log`).
    Sampling,
    /// The default value.
    Default,
    /// A choice's whole list of values.
    Values,
    /// One choice value (by position), or a fixed parameter's value (position 0).
    Value(usize),
    /// A choice's `ordered` flag.
    Ordered,
    /// One condition (by position in `Param::conditions`): its parent or its whole list.
    Condition(usize),
    /// One value of one condition.
    ConditionValue {
        /// The condition's position in `Param::conditions`.
        condition: usize,
        /// The value's position in the condition's list.
        value: usize,
    },
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Name => "name",
            Field::Min => "min",
            Field::Max => "max",
            Field::Range => "range",
            Field::Step => "step",
            Field::Sampling => "sampling",
            Field::Default => "default",
            Field::Values | Field::Value(_) => "values",
            Field::Ordered => "ordered",
            Field::Condition(_) | Field::ConditionValue { .. } => "condition",
        })
    }
}

/// One broken rule of a space definition; `Display` is the message, naming the parameter
/// and saying what to do.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Problem {
    /// A parameter with an empty (or blank) name.
    #[error("a parameter has an empty name; give every parameter a name")]
    EmptyName,
    /// A float bound or step that is infinite or NaN.
    #[error("`{name}`: {field} {value:?} is not a finite number; give finite bounds and step")]
    NotFinite {
        /// Parameter name.
        name: String,
        /// `Min`, `Max` or `Step`.
        field: Field,
        /// The offending number.
        value: f64,
    },
    /// `min > max`.
    #[error("`{name}`: min {min} is greater than max {max}; swap the bounds")]
    MinAboveMax {
        /// Parameter name.
        name: String,
        /// The lower bound.
        min: f64,
        /// The upper bound.
        max: f64,
    },
    /// A step of zero or less.
    #[error("`{name}`: step {step} is not positive; give a step greater than zero or none")]
    StepNotPositive {
        /// Parameter name.
        name: String,
        /// The step.
        step: f64,
    },
    /// Log or reverse_log sampling with `min <= 0`.
    #[error(
        "`{name}`: {sampling} sampling needs min > 0 (found {min}); raise min or use linear \
         sampling"
    )]
    LogNeedsPositiveMin {
        /// Parameter name.
        name: String,
        /// The sampling.
        sampling: Sampling,
        /// The lower bound.
        min: f64,
    },
    /// Log or reverse_log sampling with a step in `(0, 1]` (a step that does not grow).
    #[error(
        "`{name}`: with {sampling} sampling the step multiplies, so it must be greater than 1 \
         (found {step}); use e.g. step = 2, or no step"
    )]
    LogStepNotAboveOne {
        /// Parameter name.
        name: String,
        /// The sampling.
        sampling: Sampling,
        /// The step.
        step: f64,
    },
    /// A choice with no values.
    #[error("`{name}`: the choice list is empty; give at least one value")]
    EmptyChoice {
        /// Parameter name.
        name: String,
    },
    /// Choice values of more than one type.
    #[error(
        "`{name}`: choice values mix types ({}) in [{}]; use one type for every value",
        joined(types),
        list(values)
    )]
    MixedTypes {
        /// Parameter name.
        name: String,
        /// The types, in order of first appearance.
        types: Vec<ValueType>,
        /// All the values.
        values: Vec<Value>,
        /// The position of the first value whose type differs from the first value's.
        first_other: usize,
    },
    /// An infinite or NaN choice value.
    #[error("`{name}`: choice value {} is not a finite number; remove it", value.repr())]
    ChoiceNotFinite {
        /// Parameter name.
        name: String,
        /// The value's position.
        index: usize,
        /// The value.
        value: Value,
    },
    /// A choice value equal (floats: within 1e-9 relative) to an earlier one.
    #[error(
        "`{name}`: choice value {} appears more than once; remove the duplicate",
        value.repr()
    )]
    DuplicateChoice {
        /// Parameter name.
        name: String,
        /// The position of the repeat.
        index: usize,
        /// The repeated value.
        value: Value,
    },
    /// `ordered = true` on values that are not numbers.
    #[error(
        "`{name}`: ordered = true needs number values, these are {found}; set ordered = false"
    )]
    OrderedNonNumeric {
        /// Parameter name.
        name: String,
        /// The values' type.
        found: ValueType,
    },
    /// A fixed float value that is infinite or NaN.
    #[error("`{name}`: the fixed value {value:?} is not a finite number; fix a finite value")]
    FixedNotFinite {
        /// Parameter name.
        name: String,
        /// The value.
        value: f64,
    },
    /// A fixed parameter whose default is not its value.
    #[error(
        "`{name}`: the default of a fixed parameter is its value {}, found {}; drop the default \
         or make it equal",
        value.repr(), default.repr()
    )]
    FixedDefaultDiffers {
        /// Parameter name.
        name: String,
        /// The fixed value.
        value: Value,
        /// The default given.
        default: Value,
    },
    /// A default of another type than the parameter's values.
    #[error(
        "`{name}`: the default {} is {} value, expected {} value; give a default of the \
         parameter's type",
        default.repr(), a(default.value_type()), a(*expected)
    )]
    DefaultWrongType {
        /// Parameter name.
        name: String,
        /// The default.
        default: Value,
        /// The parameter's type.
        expected: ValueType,
    },
    /// A default the parameter cannot take (out of range, off the grid, not a choice).
    #[error(
        "`{name}`: the default {} is {reason}; pick a default among the parameter's values",
        default.repr()
    )]
    DefaultNotAValue {
        /// Parameter name.
        name: String,
        /// The default.
        default: Value,
        /// Why it is not a value: "outside the range 1..=3", "not on the step grid ...".
        reason: String,
    },
    /// Two parameters of one name.
    #[error(
        "`{name}`: the name is declared twice (parameters #{} and #{}); names must be unique, \
         rename one",
        first + 1, second + 1
    )]
    DuplicateName {
        /// The name.
        name: String,
        /// The first declaration's position.
        first: usize,
        /// The second declaration's position.
        second: usize,
    },
    /// A condition on the parameter itself.
    #[error(
        "`{name}`: a condition names `{name}` itself as its parent; a parameter cannot depend \
         on its own value, condition it on another parameter"
    )]
    ParentIsSelf {
        /// Parameter name.
        name: String,
        /// The condition's position.
        condition: usize,
    },
    /// A condition with no values.
    #[error(
        "`{name}`: the condition on `{parent}` lists no values, so `{name}` could never be \
         live; give the parent values under which it is live"
    )]
    ConditionEmpty {
        /// Parameter name.
        name: String,
        /// The condition's position.
        condition: usize,
        /// The condition's parent.
        parent: String,
    },
    /// A condition whose parent is declared after the parameter.
    #[error(
        "`{name}`: its condition parent `{parent}` is declared after it; declare parents \
         before the parameters that depend on them"
    )]
    ParentDeclaredAfter {
        /// Parameter name.
        name: String,
        /// The condition's position.
        condition: usize,
        /// The condition's parent.
        parent: String,
    },
    /// A condition whose parent is not in the space.
    #[error(
        "`{name}`: its condition parent `{parent}` is not a parameter of this space; declare \
         it first or fix the name"
    )]
    UnknownParent {
        /// Parameter name.
        name: String,
        /// The condition's position.
        condition: usize,
        /// The condition's parent.
        parent: String,
    },
    /// A condition on a float without step (no finite set of values).
    #[error(
        "`{name}`: its condition parent `{parent}` is a float without step, which has no \
         finite set of values to condition on; give `{parent}` a step or condition on a \
         choice, boolean, int or fixed parameter"
    )]
    ParentNotFinite {
        /// Parameter name.
        name: String,
        /// The condition's position.
        condition: usize,
        /// The condition's parent.
        parent: String,
    },
    /// A condition value of another type than the parent's.
    #[error(
        "`{name}`: condition value {} is {} value but `{parent}` holds {parent_type} values; \
         use one of `{parent}`'s values",
        value.repr(), a(value.value_type())
    )]
    ConditionValueWrongType {
        /// Parameter name.
        name: String,
        /// The condition's position.
        condition: usize,
        /// The value's position in the condition.
        index: usize,
        /// The value.
        value: Value,
        /// The condition's parent.
        parent: String,
        /// The parent's type.
        parent_type: ValueType,
    },
    /// A condition value the parent can never take.
    #[error(
        "`{name}`: condition value {} can never be taken by `{parent}` ({reason}); use one of \
         `{parent}`'s values",
        value.repr()
    )]
    ConditionValueNever {
        /// Parameter name.
        name: String,
        /// The condition's position.
        condition: usize,
        /// The value's position in the condition.
        index: usize,
        /// The value.
        value: Value,
        /// The condition's parent.
        parent: String,
        /// Why the parent cannot take it.
        reason: String,
    },
    /// Conditions that can never hold together: with its parents' own conditions, the
    /// parameter needs an ancestor to take a value among two lists that share none.
    #[error(
        "`{name}`: its conditions can never all hold: through `{parent}` it needs `{ancestor}` \
         to be {} and also {}, so `{name}` could never be live; remove or fix one of the \
         conditions",
        one_of(first),
        one_of(second)
    )]
    NeverLive {
        /// Parameter name.
        name: String,
        /// The condition through which the conflict appears.
        condition: usize,
        /// That condition's parent.
        parent: String,
        /// The parameter both requirements are about.
        ancestor: String,
        /// What the earlier conditions need of it.
        first: Vec<Value>,
        /// What this condition (or its parent's) needs of it.
        second: Vec<Value>,
    },
    /// An int step that is not a whole number (a `ParamBuilder::step` misuse).
    #[error("`{name}`: an int's step must be a whole number, found {}; use an integer step", step.repr())]
    IntStepNotWhole {
        /// Parameter name.
        name: String,
        /// The step given.
        step: Value,
    },
    /// A builder option given to a kind it does not apply to (`step` on a choice, ...).
    #[error(
        "`{name}`: {option} applies to {applies_to} parameters, not to {kind} parameter; remove it"
    )]
    NotApplicable {
        /// Parameter name.
        name: String,
        /// `Step`, `Sampling` or `Ordered`.
        field: Field,
        /// The option as written: "`step(2)`", "Log sampling", "`ordered`".
        option: String,
        /// "int and float", "choice".
        applies_to: &'static str,
        /// The parameter's kind with its article: "a choice".
        kind: &'static str,
    },
}

impl Problem {
    /// The parameter the problem is about (`None` for an empty name).
    pub fn param(&self) -> Option<&str> {
        match self {
            Problem::EmptyName => None,
            Problem::NotFinite { name, .. }
            | Problem::MinAboveMax { name, .. }
            | Problem::StepNotPositive { name, .. }
            | Problem::LogNeedsPositiveMin { name, .. }
            | Problem::LogStepNotAboveOne { name, .. }
            | Problem::EmptyChoice { name }
            | Problem::MixedTypes { name, .. }
            | Problem::ChoiceNotFinite { name, .. }
            | Problem::DuplicateChoice { name, .. }
            | Problem::OrderedNonNumeric { name, .. }
            | Problem::FixedNotFinite { name, .. }
            | Problem::FixedDefaultDiffers { name, .. }
            | Problem::DefaultWrongType { name, .. }
            | Problem::DefaultNotAValue { name, .. }
            | Problem::DuplicateName { name, .. }
            | Problem::ParentIsSelf { name, .. }
            | Problem::ConditionEmpty { name, .. }
            | Problem::ParentDeclaredAfter { name, .. }
            | Problem::UnknownParent { name, .. }
            | Problem::ParentNotFinite { name, .. }
            | Problem::ConditionValueWrongType { name, .. }
            | Problem::ConditionValueNever { name, .. }
            | Problem::NeverLive { name, .. }
            | Problem::IntStepNotWhole { name, .. }
            | Problem::NotApplicable { name, .. } => Some(name),
        }
    }

    /// The part of the definition the problem is about.
    pub fn field(&self) -> Field {
        match self {
            Problem::EmptyName | Problem::DuplicateName { .. } => Field::Name,
            Problem::NotFinite { field, .. } | Problem::NotApplicable { field, .. } => *field,
            Problem::MinAboveMax { .. } => Field::Range,
            Problem::LogNeedsPositiveMin { .. } => Field::Min,
            Problem::StepNotPositive { .. }
            | Problem::LogStepNotAboveOne { .. }
            | Problem::IntStepNotWhole { .. } => Field::Step,
            Problem::EmptyChoice { .. } => Field::Values,
            Problem::MixedTypes { first_other, .. } => Field::Value(*first_other),
            Problem::ChoiceNotFinite { index, .. } | Problem::DuplicateChoice { index, .. } => {
                Field::Value(*index)
            }
            Problem::OrderedNonNumeric { .. } => Field::Ordered,
            Problem::FixedNotFinite { .. } => Field::Value(0),
            Problem::FixedDefaultDiffers { .. }
            | Problem::DefaultWrongType { .. }
            | Problem::DefaultNotAValue { .. } => Field::Default,
            Problem::ParentIsSelf { condition, .. }
            | Problem::ConditionEmpty { condition, .. }
            | Problem::ParentDeclaredAfter { condition, .. }
            | Problem::UnknownParent { condition, .. }
            | Problem::ParentNotFinite { condition, .. }
            | Problem::NeverLive { condition, .. } => Field::Condition(*condition),
            Problem::ConditionValueWrongType {
                condition, index, ..
            }
            | Problem::ConditionValueNever {
                condition, index, ..
            } => Field::ConditionValue {
                condition: *condition,
                value: *index,
            },
        }
    }
}

impl fmt::Display for Sampling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sampling::Linear => "linear",
            Sampling::Log => "log",
            Sampling::ReverseLog => "reverse_log",
        })
    }
}

/// The type with its article: "an int", "a str".
fn a(t: ValueType) -> String {
    match t {
        ValueType::Int => "an int".to_owned(),
        other => format!("a {other}"),
    }
}

fn joined(types: &[ValueType]) -> String {
    types
        .iter()
        .map(ValueType::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// "1" or "one of 1, 2".
fn one_of(values: &[Value]) -> String {
    match values {
        [v] => v.repr(),
        vs => format!("one of {}", list(vs)),
    }
}

/// Values joined for a message.
pub(crate) fn list(values: &[Value]) -> String {
    values
        .iter()
        .map(Value::repr)
        .collect::<Vec<_>>()
        .join(", ")
}
