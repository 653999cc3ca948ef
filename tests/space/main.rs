//! The search space and the `#[hypermodel]` macro: kinds, sampling, encoding, grids,
//! conditions, validation, summaries and every accepted form.
//!
//! One test binary: each module was a test file of its own.

#[path = "../common/mod.rs"]
mod common;
mod conditions;
mod conditions_inferred;
mod encoding;
mod grid;
mod hyperblocks;
mod hypermodel_arguments;
mod hypermodel_conditions;
mod hypermodel_forms;
mod hypermodel_kinds;
mod params_checked;
mod sampling;
mod serde_form;
mod summary;
mod validation;
