//! Ready-made hypermodels (KerasTuner's `applications`): [`HyperMlp`], [`HyperCnn`] and
//! [`HyperImageAugment`], which [`Augmented`] puts in front of another model.
//!
//! The [`HyperModel`](crate::HyperModel) trait is static (`fn space() -> &'static
//! SearchSpace`), so what differs between uses (input shape, number of classes) is given as
//! const generics: `HyperCnn<1, 28, 28, 10>` is a CNN for Fashion-MNIST. The space is the
//! same for every instance; only the built `NetSpec` depends on the shape. Each model's
//! rustdoc shows its `search_space_summary()`, checked against the code by the tests.

mod augment;
mod cnn;
mod compose;
mod mlp;

pub use augment::{
    hyper_image_augment, Augmentation, Flip, HyperImageAugment, HyperImageAugmentFlip,
    HyperImageAugmentParams,
};
pub use cnn::{hyper_cnn, CnnPooling, HyperCnn, HyperCnnParams, HyperCnnPooling};
pub use compose::{Augmented, AugmentedParams};
pub use mlp::{
    hyper_mlp, HyperMlp, HyperMlpActivation, HyperMlpOptimizer, HyperMlpParams, MlpOptimizer,
};

/// `HyperMlp` for Fashion-MNIST and MNIST (784 inputs, 10 classes).
pub type FashionMnistMlp = HyperMlp<784, 10>;
/// `HyperCnn` for Fashion-MNIST and MNIST (`[1, 28, 28]` images, 10 classes).
pub type FashionMnistCnn = HyperCnn<1, 28, 28, 10>;
