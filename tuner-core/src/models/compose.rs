//! `Augmented<A, M>`: an augmentation hypermodel in front of a model hypermodel, one space.

use super::augment::Augmentation;
use crate::hypermodel::HyperModel;
use crate::nn::NetSpec;
use crate::space::{HyperParameters, SearchSpace, SpaceError};
use serde::{Deserialize, Serialize};
use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// `M`'s network with `A`'s augmentation layers in front (KerasTuner's
/// `augmentation_model=` argument of HyperResNet and HyperXception). The space is `A`'s
/// parameters followed by `M`'s; their names must differ.
///
/// ```
/// use tuner_core::models::{Augmented, FashionMnistCnn, HyperImageAugment};
/// use tuner_core::HyperModel;
/// type Model = Augmented<HyperImageAugment, FashionMnistCnn>;
/// let names: Vec<&str> = Model::space().params().iter().map(|p| p.name.as_str()).collect();
/// assert_eq!(&names[..2], ["flip", "factor_translate_y"]);
/// let spec = Model::build(&Model::params_from(&Model::space().defaults()).unwrap());
/// spec.validate().unwrap();
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Augmented<A, M> {
    /// The augmentation hypermodel (its arguments, if any).
    pub augment: A,
    /// The model hypermodel (its arguments, if any).
    pub model: M,
}

/// The typed params of [`Augmented`]: the augmentation's and the model's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "AP: Serialize, MP: Serialize",
    deserialize = "AP: Deserialize<'de>, MP: Deserialize<'de>"
))]
pub struct AugmentedParams<AP, MP> {
    /// The augmentation's params.
    pub augment: AP,
    /// The model's params.
    pub model: MP,
}

/// The values of `values` that `space` defines.
fn restricted(values: &HyperParameters, space: &SearchSpace) -> HyperParameters {
    values
        .iter()
        .filter(|(name, _)| space.get(name).is_some())
        .map(|(name, v)| (name.to_owned(), v.clone()))
        .collect()
}

impl<A, M> Augmented<A, M>
where
    A: HyperModel<Output = Augmentation> + Default + 'static,
    M: HyperModel + Default + 'static,
    M::Output: Into<NetSpec>,
{
    /// Runs the builder on `params` (the trait's `build`, without a value).
    pub fn build(params: &AugmentedParams<A::Params, M::Params>) -> NetSpec {
        HyperModel::build(&Self::default(), params)
    }
}

impl<A, M> HyperModel for Augmented<A, M>
where
    A: HyperModel<Output = Augmentation> + 'static,
    M: HyperModel + 'static,
    M::Output: Into<NetSpec>,
{
    type Params = AugmentedParams<A::Params, M::Params>;
    type Output = NetSpec;

    fn name() -> &'static str {
        M::name()
    }

    fn space() -> &'static SearchSpace {
        // One static serves every (A, M): spaces are built once per pair and kept for the
        // life of the process, as the generated `space()` does for its model.
        static SPACES: OnceLock<Mutex<HashMap<TypeId, &'static SearchSpace>>> = OnceLock::new();
        let mut spaces = SPACES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        spaces.entry(TypeId::of::<(A, M)>()).or_insert_with(|| {
            let params = A::space()
                .params()
                .iter()
                .chain(M::space().params())
                .cloned()
                .collect();
            let space = SearchSpace::from_params(params).unwrap_or_else(|e| {
                panic!(
                    "Augmented<{}, {}>: the two spaces do not combine: {e}",
                    A::name(),
                    M::name()
                )
            });
            Box::leak(Box::new(space))
        })
    }

    fn params_from(values: &HyperParameters) -> Result<Self::Params, SpaceError> {
        Self::space().check(values)?;
        Ok(AugmentedParams {
            augment: A::params_from(&restricted(values, A::space()))?,
            model: M::params_from(&restricted(values, M::space()))?,
        })
    }

    fn params_to(params: &Self::Params) -> HyperParameters {
        let mut values = A::params_to(&params.augment);
        for (name, v) in M::params_to(&params.model).iter() {
            values.insert(name, v.clone());
        }
        values
    }

    fn build(&self, params: &Self::Params) -> NetSpec {
        let augmentation = self.augment.build(&params.augment);
        augmentation.apply(self.model.build(&params.model).into())
    }
}
