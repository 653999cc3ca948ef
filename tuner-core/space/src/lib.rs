//! Search spaces: parameter kinds, sampling, unit-interval encoding, conditions and grids,
//! with KerasTuner's exact semantics (DESIGN.md section 3).
//!
//! A crate of its own (re-exported as `tuner_core::space`) so that the `#[hypermodel]` macro
//! runs the very rules the run time applies (`space_problems`, `ParamBuilder::build`) at
//! expansion, and maps each `Problem` to the token it is about.

mod activity;
mod builder;
mod domain;
#[cfg(test)]
mod draw_fingerprint;
mod encoding;
mod error;
mod grid;
mod hyperparameters;
mod param;
mod plan;
mod problem;
mod sampling;
mod slots;
mod space_builder;
mod summary;
mod validate;
mod value;

pub use builder::ParamBuilder;
pub use error::SpaceError;
pub use hyperparameters::{FromValue, HyperParameters};
pub use param::{Condition, Param, ParamKind, Sampling};
pub use problem::{Field, Problem};
pub use space_builder::SpaceBuilder;
pub use validate::space_problems;
pub use value::{Value, ValueType};

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A validated set of parameters; parents always come before their children.
///
/// ```
/// use tuner_space::{Param, SearchSpace};
///
/// let space = SearchSpace::builder()
///     .param(Param::int("layers", 1, 3))
///     .param(Param::float("learning_rate", 1e-4, 1e-2).log())
///     .param(Param::choice("optimizer", ["adam", "sgd"]))
///     // `momentum` is live only when the optimizer is SGD.
///     .scope("optimizer", ["sgd"], |s| s.param(Param::float("momentum", 0.0, 0.9).step(0.3)))
///     .build()?;
/// assert_eq!(space.len(), 4);
/// assert_eq!(space.cardinality(), None); // the learning rate is continuous
/// assert_eq!(space.get("momentum").unwrap().conditions[0].parent, "optimizer");
/// // An invalid space is refused, every problem listed at once.
/// let err = SearchSpace::builder().param(Param::int("n", 5, 1)).build().unwrap_err();
/// assert!(err.to_string().contains("min 5 is greater than max 1"));
/// # Ok::<(), tuner_space::SpaceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SpaceDef", into = "SpaceDef")]
pub struct SearchSpace {
    params: Vec<Param>,
    /// Each parameter's conditions' parent positions (derived from `params`, for fast draws).
    parents: Vec<Vec<usize>>,
    /// Parameter positions in name order, with each name shared (derived, for fast draws).
    by_name: Vec<(usize, Arc<str>)>,
    /// Each parameter's draw, worked out once (derived, for fast draws).
    plan: Vec<plan::Draw>,
}

/// The serialised form of a space, validated on the way in.
#[derive(Serialize, Deserialize)]
struct SpaceDef {
    params: Vec<Param>,
}

impl TryFrom<SpaceDef> for SearchSpace {
    type Error = SpaceError;
    fn try_from(def: SpaceDef) -> Result<Self, SpaceError> {
        SearchSpace::from_params(def.params)
    }
}

impl From<SearchSpace> for SpaceDef {
    fn from(space: SearchSpace) -> Self {
        SpaceDef {
            params: space.params,
        }
    }
}

impl SearchSpace {
    /// Validates `params` (every rule, all problems reported at once) into a space.
    pub fn from_params(params: Vec<Param>) -> Result<Self, SpaceError> {
        let problems = validate::space_problems(&params);
        if problems.is_empty() {
            // Validation guarantees every parent exists and comes before its children.
            let position = |name: &str| params.iter().position(|p| p.name == name);
            let parents = params
                .iter()
                .map(|p| {
                    p.conditions
                        .iter()
                        .filter_map(|c| position(&c.parent))
                        .collect()
                })
                .collect();
            let mut by_name: Vec<(usize, Arc<str>)> = params
                .iter()
                .enumerate()
                .map(|(i, p)| (i, Arc::from(p.name.as_str())))
                .collect();
            by_name.sort_by(|a, b| a.1.cmp(&b.1));
            let plan = params.iter().map(plan::Draw::of).collect();
            Ok(SearchSpace {
                params,
                parents,
                by_name,
                plan,
            })
        } else {
            Err(SpaceError::Invalid(problems))
        }
    }

    /// Draws each live parameter's value with `value`, parents first; a parent that was drawn
    /// is live, so a condition is one look-up by position. `value` gets the parameter's
    /// declaration position with it.
    pub(crate) fn assign(&self, mut value: impl FnMut(usize, &Param) -> Value) -> HyperParameters {
        // Most spaces are small: their draws' scratch lives on the stack, not the heap.
        const ON_STACK: usize = 16;
        let n = self.params.len();
        let mut stack: [Option<Value>; ON_STACK] = [const { None }; ON_STACK];
        let mut heap: Vec<Option<Value>> = Vec::new();
        let drawn: &mut [Option<Value>] = if n <= ON_STACK {
            &mut stack[..n]
        } else {
            heap.resize_with(n, || None);
            &mut heap
        };
        for (i, (param, parents)) in self.params.iter().zip(&self.parents).enumerate() {
            let live = param.conditions.iter().zip(parents).all(|(c, &at)| {
                drawn[at]
                    .as_ref()
                    .is_some_and(|v| c.values.iter().any(|cv| cv.same_as(v)))
            });
            drawn[i] = live.then(|| value(i, param));
        }
        // Sized up front: collecting a `filter_map` would grow the vector step by step.
        let mut values = Vec::with_capacity(self.params.len());
        values.extend(
            self.by_name
                .iter()
                .filter_map(|(i, name)| drawn[*i].take().map(|v| (name.clone(), v))),
        );
        HyperParameters::from_sorted(values)
    }

    /// The parameters in declaration order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The parameter called `name`.
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The declaration index of the parameter called `name` (its unit-cube coordinate).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// The number of parameters (live or not).
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether the space has no parameters.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
}
