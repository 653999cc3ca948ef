//! What a study leaves to look at and take away: KerasTuner's results summary, trials as CSV
//! and JSON, parameter importance (PED-ANOVA), plots (feature `plots`) and the live display
//! while searching.
//!
//! Everything here reads a [`StudyView`]: a study's space, objectives and trials, as a
//! [`Tuner`](crate::Tuner) holds them or as a storage returns them, so the same reports work
//! inside a program and from the `tuner` command on any stored study.
//!
//! ```
//! use tuner_core::objective::Objective;
//! use tuner_core::report::{self, StudyView};
//! use tuner_core::space::{HyperParameters, Param, SearchSpace};
//! use tuner_core::trial::{Metrics, Trial, TrialPlan, TrialState};
//!
//! let space = SearchSpace::builder().param(Param::float("x", 0.0, 1.0)).build()?;
//! let objectives = Objective::minimize("loss").into();
//! let trials: Vec<Trial> = (0..3)
//!     .map(|n| {
//!         let mut values = HyperParameters::new();
//!         values.insert("x", n as f64 / 4.0);
//!         let mut t = Trial::new(n, TrialPlan { values, ..TrialPlan::default() });
//!         t.history = vec![(0, Metrics::from([("loss".to_owned(), 1.0 - n as f64 / 4.0)]))].into();
//!         t.rescore(&objectives);
//!         t.state = TrialState::Completed;
//!         t
//!     })
//!     .collect();
//! let study = StudyView::new("demo", &space, &objectives, &trials);
//! let csv = report::export::trials_csv(&study);
//! assert_eq!(csv.lines().count(), 4); // a header and one row per trial
//! assert!(report::results_summary(&study, "memory", 1).contains("Trial 02 summary"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod export;
pub mod importance;
#[cfg(feature = "plots")]
pub mod plot;
pub(crate) mod progress;
mod summary;

pub use summary::{best_trials, results_summary};

use crate::objective::Objectives;
use crate::space::SearchSpace;
use crate::storage::StudyConfig;
use crate::trial::Trial;
use thiserror::Error;

/// A study as the reports read it: its name, space, objectives and trials (by number).
#[derive(Debug, Clone, Copy)]
pub struct StudyView<'a> {
    /// The study's name.
    pub name: &'a str,
    /// The space searched.
    pub space: &'a SearchSpace,
    /// What is optimised.
    pub objectives: &'a Objectives,
    /// Every trial, by number.
    pub trials: &'a [Trial],
}

impl<'a> StudyView<'a> {
    /// A view of the given parts.
    pub fn new(
        name: &'a str,
        space: &'a SearchSpace,
        objectives: &'a Objectives,
        trials: &'a [Trial],
    ) -> Self {
        Self {
            name,
            space,
            objectives,
            trials,
        }
    }

    /// A view of a stored study: its configuration (from [`Storage::study`]) and trials.
    ///
    /// [`Storage::study`]: crate::storage::Storage::study
    pub fn from_config(config: &'a StudyConfig, trials: &'a [Trial]) -> Self {
        Self::new(&config.name, &config.space, &config.objectives, trials)
    }
}

/// A report could not be made or written.
#[derive(Debug, Error)]
pub enum ReportError {
    /// Nothing to show: e.g. a plot of scores when no trial has a score yet.
    #[error("study `{study}`: {what}")]
    Empty {
        /// The study.
        study: String,
        /// What is missing.
        what: String,
    },
    /// An output file name whose extension names no format we write.
    #[error("cannot write `{0}`: name the file .svg or .png")]
    Format(String),
    /// Drawing failed.
    #[error("drawing {path}: {message}")]
    Draw {
        /// The output file.
        path: String,
        /// What the drawing backend said.
        message: String,
    },
    /// Writing the output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}
