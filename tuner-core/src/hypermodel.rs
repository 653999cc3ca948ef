//! The link between a `#[hypermodel]` function and the tuner: a static space, typed params;
//! and `#[hyperblock]`s, reusable parts of a space.

use crate::space::{Condition, FromValue, HyperParameters, Param, SearchSpace, SpaceError, Value};
use serde::{de::DeserializeOwned, Serialize};
use std::fmt::Debug;

/// A model family with a statically known search space and typed params (made by `#[hypermodel]`).
///
/// The space, the params and their conversions are the type's; a value of the type carries the
/// model's arguments (input shape, number of classes: configuration that is not searched),
/// which `build` passes to the builder. A model without arguments is a unit struct, and its
/// generated inherent `Model::build(&params)` needs no value.
pub trait HyperModel {
    /// The typed params: one field per hyperparameter.
    type Params: Serialize + DeserializeOwned + Clone + Debug + PartialEq + Send + Sync + 'static;
    /// What the builder returns (usually a `NetSpec`).
    type Output;

    /// The model family's name (the annotated function's).
    fn name() -> &'static str;
    /// The search space, built once.
    fn space() -> &'static SearchSpace;
    /// Reads typed params from a trial's values.
    fn params_from(values: &HyperParameters) -> Result<Self::Params, SpaceError>;
    /// Writes typed params as a trial's values (live params only).
    fn params_to(params: &Self::Params) -> HyperParameters;
    /// Runs the builder on `params` with this value's arguments.
    fn build(&self, params: &Self::Params) -> Self::Output;
}

/// A reusable block of hyperparameters (made by `#[hyperblock]`): its params join the space of
/// every hypermodel that calls it, under the scope it is called with (`encoder/units`).
///
/// Implemented by the block's params type. A caller's space holds the block's parameters
/// contiguously, so reading and writing them is by position in the caller's slice.
pub trait HyperBlock: Sized {
    /// How many space parameters one use of the block adds (its own and its blocks').
    const LEN: usize;
    /// The block's parameters under `scope` (`scope/name`, parents renamed alike), each also
    /// live only when `conditions` hold (the caller's, already scoped).
    fn params(scope: &str, conditions: &[Condition]) -> Vec<Param>;
    /// Reads the block from its `LEN` parameters and their slots; `live` is whether the
    /// caller's conditions hold (then `Some`), every value checked against its parameter.
    fn read(
        params: &[Param],
        slots: &[Option<&Value>],
        live: bool,
    ) -> Result<Option<Self>, SpaceError>;
    /// Writes the live values under the names of its `LEN` parameters.
    fn write(&self, params: &[Param], values: &mut HyperParameters);
}

/// A parameter's value at its slot for generated `params_from`: checked against the space
/// when `live`, absent otherwise, each error naming the parameter. `fast` accepts only values
/// the space accepts (a test of the parameter's kind, generated); whatever it does not accept
/// the space's own check judges, so errors have its wording.
#[doc(hidden)]
#[inline]
pub fn read_slot<T: FromValue>(
    param: &Param,
    slot: Option<&Value>,
    live: bool,
    fast: impl Fn(&Value) -> bool,
) -> Result<Option<T>, SpaceError> {
    match (live, slot) {
        (true, Some(v)) => {
            if !fast(v) {
                param.check_value(v)?;
            }
            T::from_value(&param.name, v).map(Some)
        }
        (true, None) => Err(SpaceError::Missing(param.name.clone())),
        (false, None) => Ok(None),
        (false, Some(_)) => Err(SpaceError::Inactive(param.name.clone())),
    }
}

/// `param` with its name and its parents' under `scope`, and `conditions` added: a block's
/// parameter as it joins a caller's space.
#[doc(hidden)]
pub fn scoped(mut param: Param, scope: &str, conditions: &[Condition]) -> Param {
    param.name = format!("{scope}/{}", param.name);
    for c in &mut param.conditions {
        c.parent = format!("{scope}/{}", c.parent);
    }
    param.conditions.splice(0..0, conditions.iter().cloned());
    param
}
