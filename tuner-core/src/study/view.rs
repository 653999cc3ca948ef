//! A study as the reports read it: name, space, objectives and trials, borrowed.

use super::StudyConfig;
use crate::objective::{violation, Objectives};
use crate::space::SearchSpace;
use crate::trial::{sort_best_first, Trial, TrialState};

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

    /// The `n` best completed trials, best first (ties by number); feasible trials (see
    /// [`violation`]) come before every infeasible one, the less violated first.
    pub fn best(&self, n: usize) -> Vec<&'a Trial> {
        let mut done: Vec<&'a Trial> = self
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Completed && t.score.is_some())
            .collect();
        sort_best_first(&mut done, self.objectives.direction());
        // A stable sort keeps the score order within equal violations.
        done.sort_by(|a, b| violation(a).total_cmp(&violation(b)));
        done.truncate(n);
        done
    }
}
