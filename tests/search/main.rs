//! The tuner loop, studies, oracles and pruners.
//!
//! One test binary: each module was a test file of its own.

#[path = "../common/mod.rs"]
mod common;
mod oracle_quality;
mod oracle_search;
mod pruner_curves;
mod tuner_loop;
