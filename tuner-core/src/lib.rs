//! Core of the `tuner` crate: search spaces, oracles, storage and reports, and the training
//! vocabulary (`model`); dfdx networks are the default-on feature `nn`.

#[cfg(feature = "burn")]
pub mod burn;
pub mod data;
pub mod hypermodel;
pub mod model;
#[cfg(feature = "nn")]
pub mod models;
#[cfg(feature = "nn")]
pub mod nn;
pub mod objective;
pub mod oracle;
pub mod pruner;
pub mod report;
pub mod space;
pub mod storage;
pub mod study;
pub mod trial;
pub mod tuner;

pub use hypermodel::HyperModel;
pub use objective::{Direction, Objective};
pub use study::{Study, StudyError};
pub use tuner::{Tuner, TunerError};
