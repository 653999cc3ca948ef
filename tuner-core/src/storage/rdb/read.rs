//! Reading trials back from their rows: the trial row, its parameters, and our attributes
//! (the record and one attribute per epoch).

use super::{err, Backend, Rdb, Tx};
use crate::storage::optuna::{self, TrialRecord};
use crate::storage::StorageError;
use crate::trial::{Trial, TrialPlan};
use std::collections::HashMap;

/// Which trials of a study to read.
#[derive(Debug, Clone, Copy)]
pub(super) enum Which {
    /// Those whose row id is above this one: the trials created since it was read.
    After(i64),
    /// The one with this row id.
    Row(i64),
}

/// A trial as read, with its row id.
#[derive(Debug)]
pub(super) struct Loaded {
    pub row: i64,
    pub trial: Trial,
    /// Its row was RUNNING when read, so it may still change; a finished trial never does.
    pub open: bool,
}

impl Which {
    /// The statements reading the trial rows, their parameters and their attributes; each
    /// takes the study id as `?1` and the row id as `?2`, and is served by an index.
    fn statements(self) -> [&'static str; 3] {
        match self {
            Which::After(_) => [
                "SELECT trial_id, number, state FROM trials \
                 WHERE study_id = ?1 AND trial_id > ?2 ORDER BY trial_id",
                "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json \
                 FROM trial_params p JOIN trials t ON p.trial_id = t.trial_id \
                 WHERE t.study_id = ?1 AND t.trial_id > ?2",
                "SELECT a.trial_id, a.key, a.value_json \
                 FROM trial_system_attributes a JOIN trials t ON a.trial_id = t.trial_id \
                 WHERE t.study_id = ?1 AND t.trial_id > ?2 AND a.key LIKE 'tuner:%'",
            ],
            Which::Row(_) => [
                "SELECT trial_id, number, state FROM trials WHERE study_id = ?1 AND trial_id = ?2",
                "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json \
                 FROM trial_params p JOIN trials t ON p.trial_id = t.trial_id \
                 WHERE t.study_id = ?1 AND t.trial_id = ?2",
                "SELECT a.trial_id, a.key, a.value_json \
                 FROM trial_system_attributes a JOIN trials t ON a.trial_id = t.trial_id \
                 WHERE t.study_id = ?1 AND t.trial_id = ?2 AND a.key LIKE 'tuner:%'",
            ],
        }
    }

    fn row(self) -> i64 {
        match self {
            Which::After(row) | Which::Row(row) => row,
        }
    }
}

impl<B: Backend> Rdb<B> {
    /// The chosen trials of study `id`, rebuilt from their rows, by row id (which is also
    /// number order for trials this crate creates).
    ///
    /// The rows are read first: a trial seen finished there has its final parameters and
    /// attributes committed already, so what the later statements read of it is final.
    pub(super) fn load_trials(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        which: Which,
    ) -> Result<Vec<Loaded>, StorageError> {
        let e = err(self.location());
        let [rows_sql, params_sql, attrs_sql] = which.statements();
        let bind = [id.into(), which.row().into()];
        let rows = tx.query(rows_sql, &bind).map_err(&e)?;
        let mut trials: Vec<Loaded> = Vec::with_capacity(rows.len());
        let mut index: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
        for row in rows {
            let (Some(trial_id), Some(number)) = (row[0].int(), row[1].int()) else {
                return Err(e("a trial row lacks its id or number".into()));
            };
            let state = row[2].text().unwrap_or("RUNNING");
            let mut trial = Trial::new(number as u64, TrialPlan::default());
            trial.state = optuna::state_from_optuna(state);
            index.insert(trial_id, trials.len());
            trials.push(Loaded {
                row: trial_id,
                trial,
                open: state == "RUNNING",
            });
        }
        if trials.is_empty() {
            return Ok(trials);
        }
        // Rows of trials created after the trial rows were read are skipped.
        for row in tx.query(params_sql, &bind).map_err(&e)? {
            let Some(&i) = row[0].int().and_then(|t| index.get(&t)) else {
                continue;
            };
            let name = row[1].text().unwrap_or_default().to_owned();
            let value = optuna::param_value(
                row[3].text().unwrap_or_default(),
                row[2].real().unwrap_or(f64::NAN),
            )
            .map_err(|m| {
                e(format!(
                    "trial {}, param {name}: {m}",
                    trials[i].trial.number
                ))
            })?;
            trials[i].trial.plan.values.insert(name, value);
        }
        let mut recorded = std::collections::HashSet::new();
        for row in tx.query(attrs_sql, &bind).map_err(&e)? {
            let Some(&i) = row[0].int().and_then(|t| index.get(&t)) else {
                continue;
            };
            let (key, json) = (
                row[1].text().unwrap_or_default(),
                row[2].text().unwrap_or_default(),
            );
            let trial = &mut trials[i].trial;
            if key == optuna::TRIAL_KEY {
                let record: TrialRecord = serde_json::from_str(json)
                    .map_err(|x| e(format!("trial {}: unreadable record: {x}", trial.number)))?;
                record.apply(trial);
                recorded.insert(trials[i].row);
            } else if let Some(epoch) = key.strip_prefix(optuna::EPOCH_PREFIX) {
                let epoch: u32 = epoch
                    .parse()
                    .map_err(|_| e(format!("trial {}: bad key {key}", trial.number)))?;
                let metrics = optuna::json_metrics(json)
                    .map_err(|m| e(format!("trial {}, epoch {epoch}: {m}", trial.number)))?;
                trial.history.insert(epoch, metrics);
            }
        }
        // Trials without our record were created by Optuna: read them from its tables.
        let mut foreign: Vec<&mut Loaded> = trials
            .iter_mut()
            .filter(|l| !recorded.contains(&l.row))
            .collect();
        self.fill_optuna_trials(tx, id, &mut foreign)?;
        Ok(trials)
    }
}
