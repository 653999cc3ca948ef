//! The link between a `#[hypermodel]` function and the tuner: a static space, typed params.

use crate::space::{HyperParameters, SearchSpace, SpaceError};
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
