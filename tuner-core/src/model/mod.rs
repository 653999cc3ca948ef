//! What the tuner needs of a trainable model, whatever library it is written in: training
//! settings ([`Fit`]), per-epoch [`History`], and [`Callback`]s that observe epochs and may stop
//! training (pruning, Hyperband budgets, [`EarlyStopping`]), and the [`Trainable`] /
//! [`ModelSpec`] traits a model implements to be tuned. No network library is named here.

mod callbacks;
// Used by the model implementations (`nn`, `burn`); a core without them has none.
#[cfg_attr(not(any(feature = "nn", feature = "burn")), allow(dead_code))]
pub(crate) mod epoch;
mod error;
mod fit;
mod history;
pub mod metrics;
mod schedule;
mod trainable;
pub mod weights;

pub use callbacks::{Callback, Control, EarlyStopping, Mode};
pub use error::FitError;
pub use fit::Fit;
pub use history::{EpochMetrics, History};
pub use metrics::Metric;
pub use schedule::ReduceLROnPlateau;
pub use trainable::{BoxError, Checkpoint, ModelSpec, Trainable};
pub use weights::ClassWeight;
