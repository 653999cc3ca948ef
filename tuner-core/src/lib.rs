//! Core of the `tuner` crate: search spaces, oracles, training on dfdx, storage and reports.

pub mod data;
pub mod hypermodel;
pub mod models;
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
