//! Neural networks on dfdx 0.13 with widths, depth, activations and dropout chosen at run
//! time, and image layers (convolutions, pooling, batch norm, residual blocks, training-only
//! augmentation) with their own CPU kernels: a [`NetSpec`] (plain data) builds a [`Network`]
//! that trains with [`Network::fit`], evaluates, predicts and checkpoints (weights and optimizer
//! state in one safetensors file). They are the core's [`ModelSpec`](crate::model::ModelSpec)
//! and [`Trainable`](crate::model::Trainable), which is how the tuner's search trains them.
//! dfdx types stay inside this module; [`modules`] holds the dfdx building blocks for direct use.

mod adapt;
mod batch;
mod checkpoint;
mod error;
mod fit_loop;
mod layers;
pub mod modules;
mod network;
mod optim_state;
mod optimizer;
mod shapes;
mod spec;
mod trainable;

// The library-neutral training vocabulary, re-exported where dfdx users look for it.
pub use crate::model::{
    Callback, ClassWeight, Control, EarlyStopping, EpochMetrics, Fit, History, Metric, Mode,
    ReduceLROnPlateau,
};
pub use crate::trial::Metrics;
pub use checkpoint::{read_checkpoint_info, CheckpointInfo};
pub use error::{NnError, SpecError};
pub use modules::NormStats;
pub use network::Network;
pub use optimizer::{Adam, Optimizer, RmsProp, Sgd};
pub use spec::{Activation, FlipMode, LayerSpec, Loss, NetSpec, Padding, Units};
