//! Neural networks on dfdx 0.13 with widths, depth, activations and dropout chosen at run
//! time, and image layers (convolutions, pooling, batch norm, residual blocks, training-only
//! augmentation) with their own CPU kernels: a [`NetSpec`] (plain data) builds a [`Network`]
//! that trains with [`Network::fit`], evaluates, predicts and checkpoints. dfdx types stay inside this module; [`modules`]
//! holds the dfdx building blocks for direct use.

mod callbacks;
mod checkpoint;
mod error;
mod fit;
mod metrics;
pub mod modules;
mod network;
mod optimizer;
mod spec;

/// The dfdx version the building blocks implement (for code that uses [`modules`] directly).
pub use dfdx;

pub use callbacks::{Callback, Control, EarlyStopping, Mode};
pub use checkpoint::{read_checkpoint_info, CheckpointInfo};
pub use error::{NnError, SpecError};
pub use fit::Fit;
pub use metrics::{EpochMetrics, History, Metrics};
pub use network::Network;
pub use optimizer::{Adam, Optimizer, RmsProp, Sgd};
pub use spec::{Activation, FlipMode, LayerSpec, Loss, NetSpec, Padding, Units};
