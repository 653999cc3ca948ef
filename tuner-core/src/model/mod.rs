//! What the tuner needs of a trainable model, whatever library it is written in: training
//! settings ([`Fit`]), per-epoch [`History`], and [`Callback`]s that observe epochs and may stop
//! training (pruning, Hyperband budgets, [`EarlyStopping`]). No network library is named here.

mod callbacks;
mod error;
mod fit;
mod history;

pub use callbacks::{Callback, Control, EarlyStopping, Mode};
pub use error::FitError;
pub use fit::Fit;
pub use history::{EpochMetrics, History};
