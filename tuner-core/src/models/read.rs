//! Reading and writing hand-written typed params the way `#[hypermodel]`'s generated code
//! does: the values are checked against the space first, so only live parameters are read.

use crate::space::{FromValue, HyperParameters, SearchSpace, SpaceError, Value};

/// A value that must be present (the space's check has made sure it is live).
pub(crate) fn get<T: FromValue>(values: &HyperParameters, name: &str) -> Result<T, SpaceError> {
    match values.get(name) {
        Some(v) => T::from_value(name, v),
        None => Err(SpaceError::Missing(name.to_owned())),
    }
}

/// A conditional value: `None` when the parameter is inactive (absent).
pub(crate) fn get_opt<T: FromValue>(
    values: &HyperParameters,
    name: &str,
) -> Result<Option<T>, SpaceError> {
    values.get(name).map(|v| T::from_value(name, v)).transpose()
}

/// A string choice mapped to its Rust value; `parse` knows the space's strings.
pub(crate) fn get_choice<T>(
    values: &HyperParameters,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, SpaceError> {
    let s: String = get(values, name)?;
    parse(&s).ok_or_else(|| SpaceError::OutOfRange {
        name: name.to_owned(),
        value: Value::Str(s.clone()).repr(),
        reason: "not one of the choices".to_owned(),
    })
}

/// Writes `value` under `name`.
pub(crate) fn put(values: &mut HyperParameters, name: &str, value: impl Into<Value>) {
    values.insert(name, value.into());
}

/// A ready-made space, validated when first used; a failure is a bug in this crate.
pub(crate) fn built(space: Result<SearchSpace, SpaceError>, model: &str) -> SearchSpace {
    space.unwrap_or_else(|e| panic!("the ready-made {model} space is invalid: {e}"))
}
