//! burn models tuned through the model interface (feature `burn`): typed params reaching the
//! module, checkpoints and promotions, a killed trial resumed, pruning, memory over many
//! trials, and a small CNN.
//!
//! One test binary: each module covers one point.

mod checkpoint;
mod cnn;
#[path = "../common/mod.rs"]
mod common;
mod kill;
mod memory;
mod models;
mod params;
mod promotion;
mod prune;
mod training;
