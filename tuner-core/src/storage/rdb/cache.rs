//! What one storage handle has already read of each study, so a call reads only what may
//! have changed since: the configuration (fixed when the study is created), finished trials
//! (final), and which row holds which trial number.
//!
//! Nothing here is served as truth without a check against the database in the same
//! transaction: the study's instance token first (a study deleted and re-created by another
//! process has a new one), then the rows that may have changed (trials created since, trials
//! that were running). A number-to-row hint is confirmed by the row itself before it is used.

use super::read::Loaded;
use super::stale::Watch;
use super::study::Identity;
use crate::storage::StudyConfig;
use crate::trial::Trial;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// What has been read of one instance of a study.
#[derive(Debug)]
pub(super) struct StudyCache {
    /// The study's row and instance.
    pub identity: Identity,
    /// Its configuration, validated when it was read or handed over at creation.
    pub config: StudyConfig,
    /// Every trial read, by number: shared with the callers that decide from it (an ask
    /// hands out this list, not a copy; it is copied only if still held when it changes).
    pub trials: Arc<Vec<Trial>>,
    /// The row id of each of `trials`.
    rows: Vec<i64>,
    /// Index in `trials` by row id.
    by_row: HashMap<i64, usize>,
    /// Row id by trial number: every trial read, and trials created through this handle
    /// (once their creation committed) that have not been read yet.
    hints: HashMap<u64, i64>,
    /// The largest row id read: rows above it are trials created since.
    last_row: i64,
    /// Indices of the trials whose row was RUNNING when read: they may have changed since,
    /// so they are read again before being served (and may be edited in place meanwhile).
    open: BTreeSet<usize>,
    /// The heartbeats seen of its running trials, to judge which went stale.
    pub watch: Watch,
}

impl StudyCache {
    /// Nothing read yet of this instance of a study.
    pub fn new(identity: Identity, config: StudyConfig) -> Self {
        Self {
            identity,
            config,
            trials: Arc::default(),
            rows: Vec::new(),
            by_row: HashMap::new(),
            hints: HashMap::new(),
            last_row: 0,
            open: BTreeSet::new(),
            watch: Watch::default(),
        }
    }

    /// Whether what was read of `identity` may be used now: the same study instance, and one
    /// with a token (a study without one could have been re-created under the same id).
    pub fn is_of(&self, identity: &Identity) -> bool {
        identity.instance.is_some() && *identity == self.identity
    }

    /// The largest row id read.
    pub fn last_row(&self) -> i64 {
        self.last_row
    }

    /// The rows of the trials that were running when read.
    pub fn open_rows(&self) -> Vec<i64> {
        self.open.iter().map(|&i| self.rows[i]).collect()
    }

    /// The index in `trials` of the trial in row `row`.
    pub fn index_of_row(&self, row: i64) -> Option<usize> {
        self.by_row.get(&row).copied()
    }

    /// The row id of the trial in `trials[index]`.
    #[cfg(test)]
    pub fn row_at(&self, index: usize) -> i64 {
        self.rows[index]
    }

    /// The row that probably holds trial `number` (confirm it before use).
    pub fn hint(&self, number: u64) -> Option<i64> {
        self.hints.get(&number).copied()
    }

    /// Remembers that trial `number` is in row `row`, committed through this handle.
    pub fn remember(&mut self, number: u64, row: i64) {
        self.hints.insert(number, row);
    }

    /// Forgets every trial read, keeping the configuration: for when a row read before has
    /// vanished, which only a foreign edit of the database does.
    pub fn forget_trials(&mut self) {
        *self = Self::new(self.identity.clone(), self.config.clone());
    }

    /// Takes in trials just read: ones read before are replaced, new ones appended.
    pub fn merge(&mut self, loaded: Vec<Loaded>) {
        if loaded.is_empty() {
            return;
        }
        let trials = Arc::make_mut(&mut self.trials);
        let mut sorted = true;
        for Loaded { row, trial, open } in loaded {
            let i = match self.by_row.get(&row) {
                Some(&i) => {
                    trials[i] = trial;
                    i
                }
                None => {
                    sorted &= trials.last().is_none_or(|t| t.number < trial.number);
                    self.by_row.insert(row, trials.len());
                    self.rows.push(row);
                    trials.push(trial);
                    trials.len() - 1
                }
            };
            self.hints.insert(trials[i].number, row);
            self.last_row = self.last_row.max(row);
            if open {
                self.open.insert(i);
            } else {
                self.open.remove(&i);
            }
        }
        if !sorted {
            self.sort();
        }
    }

    /// Puts the trials back in number order (rows of trials created elsewhere, e.g. by
    /// Optuna, need not be in it), re-indexing everything.
    fn sort(&mut self) {
        let open: BTreeSet<i64> = self.open.iter().map(|&i| self.rows[i]).collect();
        let mut pairs: Vec<(i64, Trial)> = std::mem::take(&mut self.rows)
            .into_iter()
            .zip(std::mem::take(Arc::make_mut(&mut self.trials)))
            .collect();
        pairs.sort_by_key(|(row, t)| (t.number, *row));
        self.by_row.clear();
        self.open.clear();
        let trials = Arc::make_mut(&mut self.trials);
        for (i, (row, trial)) in pairs.into_iter().enumerate() {
            self.by_row.insert(row, i);
            if open.contains(&row) {
                self.open.insert(i);
            }
            self.rows.push(row);
            trials.push(trial);
        }
    }
}

/// Every study a handle has read, by name.
pub(super) type Caches = HashMap<String, StudyCache>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Objective;
    use crate::space::SearchSpace;
    use crate::trial::{TrialPlan, TrialState};

    fn cache() -> StudyCache {
        let identity = Identity {
            id: 1,
            instance: Some("\"a\"".into()),
        };
        let config = StudyConfig {
            name: "s".into(),
            space: SearchSpace::builder().build().unwrap(),
            objectives: Objective::minimize("loss").into(),
            oracle: crate::oracle::OracleConfig::Random,
        };
        StudyCache::new(identity, config)
    }

    fn loaded(row: i64, number: u64, open: bool) -> Loaded {
        let mut trial = Trial::new(number, TrialPlan::default());
        if !open {
            trial.state = TrialState::Completed;
        }
        Loaded { row, trial, open }
    }

    #[test]
    fn rows_out_of_number_order_are_served_by_number() {
        let mut c = cache();
        c.merge(vec![loaded(10, 0, false), loaded(11, 2, true)]);
        c.merge(vec![loaded(12, 1, false)]);
        let numbers: Vec<u64> = c.trials.iter().map(|t| t.number).collect();
        assert_eq!(numbers, [0, 1, 2]);
        assert_eq!(c.open_rows(), [11]);
        assert_eq!(c.index_of_row(11), Some(2));
        assert_eq!(c.row_at(1), 12);
        assert_eq!(c.last_row(), 12);
    }

    #[test]
    fn a_trial_read_again_replaces_its_copy_and_leaves_open_when_finished() {
        let mut c = cache();
        c.merge(vec![loaded(5, 0, true)]);
        assert_eq!(c.open_rows(), [5]);
        c.merge(vec![loaded(5, 0, false)]);
        assert!(c.open_rows().is_empty());
        assert_eq!(c.trials.len(), 1);
        assert_eq!(c.trials[0].state, TrialState::Completed);
        assert_eq!(c.hint(0), Some(5));
    }

    #[test]
    fn only_the_same_instance_with_a_token_is_trusted() {
        let c = cache();
        let same = c.identity.clone();
        assert!(c.is_of(&same));
        let recreated = Identity {
            id: 1,
            instance: Some("\"b\"".into()),
        };
        assert!(!c.is_of(&recreated));
        let mut untokened = cache();
        untokened.identity.instance = None;
        assert!(!untokened.is_of(&untokened.identity.clone()));
    }
}
