//! Search spaces: parameter kinds, sampling, unit-interval encoding, conditions and grids,
//! with KerasTuner's exact semantics (DESIGN.md section 3).

mod error;
mod hyperparameters;
mod param;
mod value;

pub use error::SpaceError;
pub use hyperparameters::{FromValue, HyperParameters};
pub use param::{Condition, Param, ParamKind, Sampling};
pub use value::{Value, ValueType};

use rand::Rng;
use serde::{Deserialize, Serialize};

/// A validated set of parameters; parents always come before their children.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SpaceDef", into = "SpaceDef")]
pub struct SearchSpace {
    params: Vec<Param>,
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
        todo!("validate {}", params.len())
    }

    /// The parameters in declaration order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The parameter called `name`.
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Whether every condition of `param` holds for `values` (its parents' values).
    pub fn is_active(&self, param: &Param, values: &HyperParameters) -> bool {
        todo!("{param:?} {values:?}")
    }

    /// The default of every live parameter.
    pub fn defaults(&self) -> HyperParameters {
        todo!()
    }

    /// A uniform random draw (in each parameter's sampling) of every live parameter.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> HyperParameters {
        let _ = rng;
        todo!()
    }
}
