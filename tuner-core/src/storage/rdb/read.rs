//! Reading trials back from their rows: the trial row, its parameters, and our attributes
//! (the record and one attribute per epoch).

use super::{err, Backend, Rdb, Sql, Tx};
use crate::storage::optuna::{self, TrialRecord};
use crate::storage::StorageError;
use crate::trial::{Trial, TrialPlan};
use std::collections::HashMap;

/// Which trials of a study to read.
#[derive(Debug, Clone, Copy)]
pub(super) enum Which<'a> {
    /// Those whose row id is above this one: the trials created since it was read.
    After(i64),
    /// The one with this row id.
    Row(i64),
    /// Those with these row ids, read [`ROWS_PER_STATEMENT`] at a time.
    Rows(&'a [i64]),
}

/// A trial as read, with its row id.
#[derive(Debug)]
pub(super) struct Loaded {
    pub row: i64,
    pub trial: Trial,
    /// Its row was RUNNING when read, so it may still change; a finished trial never does.
    pub open: bool,
}

/// The most row ids one statement binds; a longer list takes several statements.
pub(super) const ROWS_PER_STATEMENT: usize = 64;

/// Placeholders `?first, ?first+1, ...` and their values for a list of at most
/// [`ROWS_PER_STATEMENT`] row ids, padded (repeating the last id) to a power of two: a handful
/// of statement texts, each prepared once, serve every list.
pub(super) fn id_list(rows: &[i64], first: usize) -> (String, Vec<Sql>) {
    debug_assert!(!rows.is_empty() && rows.len() <= ROWS_PER_STATEMENT);
    let n = rows.len().next_power_of_two();
    let placeholders = (first..first + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let last = *rows.last().expect("not empty");
    let values = (0..n)
        .map(|i| rows.get(i).copied().unwrap_or(last).into())
        .collect();
    (placeholders, values)
}

impl Which<'_> {
    /// The statements reading the trial rows, their parameters and their attributes, and
    /// what they bind (the study id as `?1`, then the rows); each is served by an index.
    /// `Rows` takes at most [`ROWS_PER_STATEMENT`] ids here.
    fn statements(self, study: i64) -> ([String; 3], Vec<Sql>) {
        let (on, mut bind) = match self {
            Which::After(row) => ("> ?2".to_owned(), vec![row.into()]),
            Which::Row(row) => ("= ?2".to_owned(), vec![row.into()]),
            Which::Rows(rows) => {
                let (list, values) = id_list(rows, 2);
                (format!("IN ({list})"), values)
            }
        };
        bind.insert(0, study.into());
        let sql = [
            format!(
                "SELECT trial_id, number, state FROM trials \
                 WHERE study_id = ?1 AND trial_id {on} ORDER BY trial_id"
            ),
            format!(
                "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json \
                 FROM trial_params p JOIN trials t ON p.trial_id = t.trial_id \
                 WHERE t.study_id = ?1 AND t.trial_id {on}"
            ),
            format!(
                "SELECT a.trial_id, a.key, a.value_json \
                 FROM trial_system_attributes a JOIN trials t ON a.trial_id = t.trial_id \
                 WHERE t.study_id = ?1 AND t.trial_id {on} AND a.key LIKE 'tuner:%'"
            ),
        ];
        (sql, bind)
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
        which: Which<'_>,
    ) -> Result<Vec<Loaded>, StorageError> {
        if let Which::Rows(rows) = which {
            if rows.len() > ROWS_PER_STATEMENT {
                let mut all = Vec::with_capacity(rows.len());
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    all.extend(self.load_trials(tx, id, Which::Rows(chunk))?);
                }
                return Ok(all);
            }
            if rows.is_empty() {
                return Ok(Vec::new());
            }
        }
        let e = err(self.location());
        let ([rows_sql, params_sql, attrs_sql], bind) = which.statements(id);
        let rows = tx.query(&rows_sql, &bind).map_err(&e)?;
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
        for row in tx.query(&params_sql, &bind).map_err(&e)? {
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
        for row in tx.query(&attrs_sql, &bind).map_err(&e)? {
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
            } else if let Some(epoch) = key.strip_prefix(optuna::EPOCH_PREFIX) {
                let epoch: u32 = epoch
                    .parse()
                    .map_err(|_| e(format!("trial {}: bad key {key}", trial.number)))?;
                let metrics = optuna::json_metrics(json)
                    .map_err(|m| e(format!("trial {}, epoch {epoch}: {m}", trial.number)))?;
                trial.history.insert(epoch, metrics);
            }
        }
        Ok(trials)
    }
}
