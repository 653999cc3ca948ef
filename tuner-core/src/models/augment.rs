//! `HyperImageAugment`: random flips, shifts and contrast as a tuned preprocessing stage.

use super::read::{built, get, get_choice, put};
use crate::hypermodel::HyperModel;
use crate::nn::{FlipMode, LayerSpec, NetSpec};
use crate::space::{HyperParameters, Param, SearchSpace, SpaceError};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Image augmentation as a hypermodel (KerasTuner's `HyperImageAugment` with fixed layers:
/// each factor is tuned, 0 leaves its layer out). It builds an [`Augmentation`], layers that
/// act only while training: `Network::fit` augments every training batch afresh, validation,
/// `evaluate` and `predict` see the images unchanged, and the draws come from the network's
/// seeded device, so a run repeats exactly per seed. Put it in front of a model with
/// [`Augmented`](super::Augmented). Shifts are whole pixels with zero fill (Keras
/// interpolates and reflects); there is no rotation.
///
/// `HyperImageAugment::space().summary()`:
///
#[doc = concat!("```text\n", include_str!("spaces/augment.txt"), "```")]
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperImageAugment;

/// Which flips [`HyperImageAugment`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flip {
    /// No flipping.
    None,
    /// Left-right.
    Horizontal,
    /// Upside down.
    Vertical,
    /// Either axis, each with probability 1/2.
    HorizontalAndVertical,
}

impl Flip {
    const NAMES: [&'static str; 4] = ["none", "horizontal", "vertical", "horizontal_and_vertical"];

    fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    fn parse(s: &str) -> Option<Flip> {
        [
            Flip::None,
            Flip::Horizontal,
            Flip::Vertical,
            Flip::HorizontalAndVertical,
        ]
        .into_iter()
        .find(|f| f.name() == s)
    }
}

/// The typed params of [`HyperImageAugment`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HyperImageAugmentParams {
    /// Random flips.
    pub flip: Flip,
    /// Largest vertical shift as a fraction of the height, 0..=0.2 step 0.05.
    pub factor_translate_y: f64,
    /// Largest horizontal shift as a fraction of the width, 0..=0.2 step 0.05.
    pub factor_translate_x: f64,
    /// Largest relative contrast change, 0..=0.3 step 0.05.
    pub factor_contrast: f64,
}

/// Training-only augmentation layers, to put right after a network's input.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Augmentation {
    /// The layers, in order.
    pub layers: Vec<LayerSpec>,
}

impl Augmentation {
    /// `spec` with the augmentation inserted where its samples first are `[C, H, W]`
    /// images (at the input, or after a reshape); at the input if they never are, where
    /// validation then says the layers need images.
    pub fn apply(&self, mut spec: NetSpec) -> NetSpec {
        if self.layers.is_empty() {
            return spec;
        }
        let at = spec.shapes().iter().position(|s| s.len() == 3).unwrap_or(0);
        spec.layers.splice(at..at, self.layers.iter().cloned());
        spec
    }
}

fn space() -> &'static SearchSpace {
    static SPACE: OnceLock<SearchSpace> = OnceLock::new();
    SPACE.get_or_init(|| {
        built(
            SearchSpace::builder()
                .param(Param::choice("flip", Flip::NAMES))
                .param(Param::float("factor_translate_y", 0.0, 0.2).step(0.05))
                .param(Param::float("factor_translate_x", 0.0, 0.2).step(0.05))
                .param(Param::float("factor_contrast", 0.0, 0.3).step(0.05))
                .build(),
            "HyperImageAugment",
        )
    })
}

impl HyperImageAugment {
    /// Runs the builder on `p` (the trait's `build`, without a value).
    pub fn build(p: &HyperImageAugmentParams) -> Augmentation {
        let mut layers = Vec::new();
        let mode = match p.flip {
            Flip::None => None,
            Flip::Horizontal => Some(FlipMode::Horizontal),
            Flip::Vertical => Some(FlipMode::Vertical),
            Flip::HorizontalAndVertical => Some(FlipMode::HorizontalAndVertical),
        };
        if let Some(mode) = mode {
            layers.push(LayerSpec::RandomFlip { mode });
        }
        if p.factor_translate_y > 0.0 || p.factor_translate_x > 0.0 {
            layers.push(LayerSpec::RandomTranslation {
                height_factor: p.factor_translate_y,
                width_factor: p.factor_translate_x,
            });
        }
        if p.factor_contrast > 0.0 {
            layers.push(LayerSpec::RandomContrast {
                factor: p.factor_contrast,
            });
        }
        Augmentation { layers }
    }
}

impl HyperModel for HyperImageAugment {
    type Params = HyperImageAugmentParams;
    type Output = Augmentation;

    fn name() -> &'static str {
        "hyper_image_augment"
    }

    fn space() -> &'static SearchSpace {
        space()
    }

    fn params_from(values: &HyperParameters) -> Result<HyperImageAugmentParams, SpaceError> {
        space().check(values)?;
        Ok(HyperImageAugmentParams {
            flip: get_choice(values, "flip", Flip::parse)?,
            factor_translate_y: get(values, "factor_translate_y")?,
            factor_translate_x: get(values, "factor_translate_x")?,
            factor_contrast: get(values, "factor_contrast")?,
        })
    }

    fn params_to(p: &HyperImageAugmentParams) -> HyperParameters {
        let mut v = HyperParameters::new();
        put(&mut v, "flip", p.flip.name());
        put(&mut v, "factor_translate_y", p.factor_translate_y);
        put(&mut v, "factor_translate_x", p.factor_translate_x);
        put(&mut v, "factor_contrast", p.factor_contrast);
        v
    }

    fn build(&self, p: &HyperImageAugmentParams) -> Augmentation {
        Self::build(p)
    }
}
