//! Runtime-width building blocks on dfdx 0.13: they implement dfdx's `Module` and (for those
//! holding tensors) `TensorCollection`, so dfdx's optimizers, `zero_grads`, `reset_params`,
//! `num_trainable_params` and safetensors save/load work on them.
//!
//! dfdx 0.13 sizes layers with const generics. Two tricks lift that: [`Width`] holds a
//! `usize` yet claims `ConstDim` (with a dummy `SIZE`), which `TensorOptions::reset_with`
//! demands; and [`Net`] is a runtime-length layer list whose `iter_tensors` first visits a
//! zero-sized probe field, whose accessor reads the list's layout from the module itself,
//! and then visits the tensor-holding layers by index ("0", "3", ...) as dfdx's `Repeated` does.
//!
//! Always build through [`Dense::try_new`], [`LayerNorm::try_new`], [`Conv2d::try_new`],
//! [`BatchNorm2d::try_new`] or `NetSpec::build`: dfdx's own `BuildModule::build` cannot know
//! run-time sizes and would make 0x0 tensors (and panics on a `Net`).
//!
//! The image layers ([`Conv2d`], the pools, [`BatchNorm2d`], the augmentations) bring their
//! own CPU kernels with backward passes registered on dfdx's tape (dfdx 0.13's convolution
//! needs nightly), so a `Net` runs on dfdx's `Cpu` device with `f32` or `f64`. Samples travel
//! flat; image layers read them as `[channels, height, width]`, row-major.

mod activation;
mod augment;
mod batchnorm;
mod conv;
mod cross_entropy;
pub(crate) mod denormals;
mod dense;
mod elementwise;
mod forward;
mod fused;
pub(crate) mod matmul;
mod net;
mod norm;
mod normalize;
mod pool;
pub mod profile;
mod residual;
mod spatial;
pub(crate) mod training_pool;

pub use activation::Activate;
pub use augment::{RandomContrast, RandomFlip, RandomTranslation};
pub use batchnorm::{BatchNorm2d, BatchNormConfig};
pub use conv::Conv2d;
pub use cross_entropy::softmax_cross_entropy;
pub use dense::Dense;
pub use elementwise::Dropout;
pub use fused::{try_epilogue, Epilogue};
pub use net::{Layer, Net};
pub use norm::LayerNorm;
pub use normalize::{NormStats, Normalize};
pub use pool::{AvgPool2d, GlobalAvgPool2d, GlobalMaxPool2d, MaxPool2d};
pub use residual::Residual;
pub use spatial::{same_padding, KernelFloat, Window};

use dfdx::shapes::{ConstDim, Dim};

/// A dimension whose size is chosen at run time but which dfdx accepts where it wants a
/// compile-time one. Its `ConstDim::SIZE` is a dummy 0: only `BuildModule` reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Width(pub usize);

impl Dim for Width {
    #[inline(always)]
    fn size(&self) -> usize {
        self.0
    }

    #[inline(always)]
    fn from_size(size: usize) -> Option<Self> {
        Some(Width(size))
    }
}

impl ConstDim for Width {
    const SIZE: usize = 0;
}
