//! `HyperImageAugment`: random flips, shifts and contrast as a tuned preprocessing stage.

use crate::nn::{FlipMode, LayerSpec, NetSpec};
use serde::{Deserialize, Serialize};
use tuner_macros::hypermodel;

/// Which flips [`HyperImageAugment`] applies: `None`, `Horizontal` (left-right), `Vertical`
/// (upside down), `HorizontalAndVertical` (either axis, each with probability 1/2).
pub type Flip = HyperImageAugmentFlip;

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
#[hypermodel(name = HyperImageAugment, crate = crate)]
pub fn hyper_image_augment() -> Augmentation {
    let mut layers = Vec::new();
    let flip = hp_choice!(
        flip,
        [
            Flip::None,
            Flip::Horizontal,
            Flip::Vertical,
            Flip::HorizontalAndVertical
        ]
    );
    let mode = match flip {
        Flip::None => None,
        Flip::Horizontal => Some(FlipMode::Horizontal),
        Flip::Vertical => Some(FlipMode::Vertical),
        Flip::HorizontalAndVertical => Some(FlipMode::HorizontalAndVertical),
    };
    if let Some(mode) = mode {
        layers.push(LayerSpec::RandomFlip { mode });
    }
    let height_factor = hp_float!(factor_translate_y, 0.0..=0.2, step = 0.05);
    let width_factor = hp_float!(factor_translate_x, 0.0..=0.2, step = 0.05);
    if height_factor > 0.0 || width_factor > 0.0 {
        layers.push(LayerSpec::RandomTranslation {
            height_factor,
            width_factor,
        });
    }
    let factor = hp_float!(factor_contrast, 0.0..=0.3, step = 0.05);
    if factor > 0.0 {
        layers.push(LayerSpec::RandomContrast { factor });
    }
    Augmentation { layers }
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
