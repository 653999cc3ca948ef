//! burn models on the tuner's model interface (feature `burn`): a `#[hypermodel]` returns a
//! [`BurnSpec`] (a burn model config plus burn's optimizer settings), which builds a
//! [`BurnNet`], the [`Trainable`](crate::model::Trainable) the search trains, checkpoints
//! (burn's burnpack records of the weights and the optimizer state) and returns.
//!
//! burn 0.22 tensors carry no backend type: the [`Device`] picks the backend at run time. The
//! device a spec trains on is named by a type implementing [`BurnDevice`], so that a checkpoint
//! loaded from its path alone lands on the same device; [`Cpu`] (burn's `flex` backend) is the
//! default. Autodiff is switched on by the tuner for training and off for evaluation.
//!
//! Reproducibility: the tuner seeds the device before building a model and before every epoch
//! (weights, then dropout), and burn's loader shuffles epoch `e` from the run's seed and `e`.
//! burn's CPU backend keeps one random generator per process, so trainings running at once in
//! one process (threads) interleave their draws; the search trains one trial at a time, and
//! parallel searches belong in worker processes.
//!
//! Like `nn`, this is a plug-in on top of the other layers: nothing else in the crate uses it.

mod checkpoint;
mod data;
mod error;
mod fit;
mod net;
mod spec;
mod trainable;

pub use error::BurnError;
pub use net::BurnNet;
pub use spec::{BurnOptimizer, BurnSpec};

/// burn itself, as this crate builds it, for code that must name the same version.
pub use ::burn as lib;

use ::burn::config::Config;
use ::burn::module::Module;
use ::burn::tensor::{Device, Tensor};

/// A burn module the tuner can train: maps a batch of flat samples `[batch, features]` to
/// `[batch, outputs]` (class logits for classification, values for regression). An image
/// model reshapes its input to `[batch, channels, height, width]` itself.
pub trait BurnModule: Module + 'static {
    /// The outputs of a batch.
    fn forward(&self, input: Tensor<2>) -> Tensor<2>;
}

/// A burn model config (a `#[derive(Config)]` struct) that builds a [`BurnModule`]; stored as
/// JSON in every checkpoint, so a checkpoint rebuilds its model from its path alone.
pub trait BurnConfig: Config + Clone + Send + Sync + 'static {
    /// The module it builds.
    type Model: BurnModule;

    /// Builds the module on `device` (burn's `init`); random weights come from the device's
    /// seed, which the tuner sets before calling it.
    fn init(&self, device: &Device) -> Self::Model;
}

/// Names the device a [`BurnSpec`] trains on, as a type, so that a model loaded from a
/// checkpoint file lands on the device it was trained for. Implement it for a GPU:
/// `impl BurnDevice for Gpu { fn device() -> Device { Device::cuda(0) } }` with burn's `cuda`
/// feature enabled in your own `Cargo.toml`.
pub trait BurnDevice: 'static {
    /// The device, without autodiff (the tuner adds it while training).
    fn device() -> Device;
}

/// burn's `flex` CPU backend: the default device, deterministic for a given seed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cpu;

impl BurnDevice for Cpu {
    fn device() -> Device {
        Device::flex()
    }
}

/// burn's default device for the backends enabled in the build (a GPU backend when one is on).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DefaultDevice;

impl BurnDevice for DefaultDevice {
    fn device() -> Device {
        Device::default()
    }
}
