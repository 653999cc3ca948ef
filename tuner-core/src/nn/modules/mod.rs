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
//! Always build through [`Dense::try_new`], [`LayerNorm::try_new`] or
//! `NetSpec::build`: dfdx's own `BuildModule::build` cannot know run-time widths and would
//! make 0x0 tensors (and panics on a `Net`).

mod dense;
mod elementwise;
mod net;
mod norm;

pub use dense::Dense;
pub use elementwise::Dropout;
pub use net::{Layer, Net};
pub use norm::LayerNorm;

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
