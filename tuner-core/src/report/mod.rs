//! What a study leaves to look at and take away: KerasTuner's results summary, trials as CSV
//! and JSON, parameter importance (PED-ANOVA, as Optuna's), plots and a self-contained HTML
//! report (feature `plots`) and the live display while searching.
//!
//! Everything here reads a [`StudyView`]: a study's space, objectives and trials, as a
//! [`Study`](crate::study::Study) holds them, so the same reports work inside a program and
//! from the `tuner` command on any stored study.
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

pub mod console;
pub mod export;
#[cfg(feature = "plots")]
pub mod html;
pub mod importance;
#[cfg(feature = "plots")]
pub mod plot;
pub(crate) mod progress;
mod summary;
pub mod text;

pub use summary::results_summary;

// The view is the study's: reports only read it.
pub use crate::study::StudyView;

use thiserror::Error;

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
