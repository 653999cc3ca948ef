//! Storage in Optuna's schema: SQLite, PostgreSQL, killed workers, many workers, and
//! Optuna reading our studies.
//!
//! One test binary: each module was a test file of its own.

#[path = "../common/mod.rs"]
mod common;
mod duress;
mod files;
mod kill;
mod numbers;
mod optuna_studies;
mod python;
mod race;
mod restart;
mod sqlite;
mod workers;
