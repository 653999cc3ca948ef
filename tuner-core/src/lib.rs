//! Core of the `tuner` crate: search spaces, oracles, training on dfdx, storage and reports.

pub mod hypermodel;
pub mod space;

pub use hypermodel::HyperModel;
