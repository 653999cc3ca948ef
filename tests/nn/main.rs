//! The dfdx networks, the ready-made models and data loading: specs, training,
//! checkpoints, image layers, gradients and typed hypermodel search.
//!
//! One test binary: each module was a test file of its own.

mod checkpoint;
#[path = "../common/mod.rs"]
mod common;
mod conv_gradients;
mod conv_spec;
mod data_loaders;
mod data_tabular;
mod dense_kernels;
mod dfdx_blocks;
mod hypermodel;
mod metrics;
mod models_selection;
mod models_space;
mod models_train;
mod normalize_search;
mod spec;
mod train;
mod tuner_models;
