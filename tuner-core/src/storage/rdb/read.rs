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
    /// What changed since a read: the trials created after row `after`, and of the `open`
    /// rows (at most [`ROWS_PER_STATEMENT`]) those no longer running; the statement also
    /// counts how many of `open` still exist.
    Changed { after: i64, open: &'a [i64] },
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
    /// The one statement reading the trial rows (with their start and completion times),
    /// their parameters and their attributes (tagged 0, 1, 2 in the first column, in that
    /// order: one round trip, one snapshot), and
    /// what it binds (the study id as `?1`, then the rows); each part is served by an index.
    /// `Rows` takes at most [`ROWS_PER_STATEMENT`] ids here.
    fn statement(self, study: i64) -> (String, Vec<Sql>) {
        let mut count = String::new();
        let (on, mut bind) = match self {
            Which::After(row) => ("> ?2".to_owned(), vec![row.into()]),
            Which::Row(row) => ("= ?2".to_owned(), vec![row.into()]),
            Which::Rows(rows) => {
                let (list, values) = id_list(rows, 2);
                (format!("IN ({list})"), values)
            }
            Which::Changed { after, open } => {
                let (list, mut values) = id_list(open, 3);
                values.insert(0, after.into());
                let on = format!("> ?2 OR (t.trial_id IN ({list}) AND t.state <> 'RUNNING')");
                // Tagged 3: how many of the open rows are still there.
                count = format!(
                    " UNION ALL SELECT 3, COUNT(*), NULL, NULL, NULL, NULL, NULL, NULL FROM trials t \
                     WHERE t.study_id = ?1 AND t.trial_id IN ({list})"
                );
                (on, values)
            }
        };
        bind.insert(0, study.into());
        let sql = format!(
            "SELECT 0, t.trial_id, t.number, CAST(t.state AS TEXT), NULL, NULL, \
             CAST(t.datetime_start AS TEXT), CAST(t.datetime_complete AS TEXT) FROM trials t \
             WHERE t.study_id = ?1 AND (t.trial_id {on}) \
             UNION ALL \
             SELECT 1, p.trial_id, NULL, p.param_name, p.param_value, p.distribution_json, \
             NULL, NULL \
             FROM trial_params p JOIN trials t ON p.trial_id = t.trial_id \
             WHERE t.study_id = ?1 AND (t.trial_id {on}) \
             UNION ALL \
             SELECT 2, a.trial_id, NULL, a.key, NULL, a.value_json, NULL, NULL \
             FROM trial_system_attributes a JOIN trials t ON a.trial_id = t.trial_id \
             WHERE t.study_id = ?1 AND (t.trial_id {on}) AND a.key LIKE 'tuner:%'{count} \
             ORDER BY 1, 2"
        );
        (sql, bind)
    }
}

impl<B: Backend> Rdb<B> {
    /// The chosen trials of study `id`, rebuilt from their rows, by row id (which is also
    /// number order for trials this crate creates), read in one statement.
    pub(super) fn load_trials(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        which: Which<'_>,
    ) -> Result<Vec<Loaded>, StorageError> {
        Ok(self.load_counting(tx, id, which)?.0)
    }

    /// [`load_trials`](Self::load_trials), and for [`Which::Changed`] how many of its open
    /// rows still exist.
    pub(super) fn load_counting(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        which: Which<'_>,
    ) -> Result<(Vec<Loaded>, usize), StorageError> {
        if let Which::Rows(rows) = which {
            if rows.len() > ROWS_PER_STATEMENT {
                let mut all = Vec::with_capacity(rows.len());
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    all.extend(self.load_trials(tx, id, Which::Rows(chunk))?);
                }
                return Ok((all, 0));
            }
            if rows.is_empty() {
                return Ok((Vec::new(), 0));
            }
        }
        let e = err(self.location());
        let (sql, bind) = which.statement(id);
        let mut trials: Vec<Loaded> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        let mut recorded = std::collections::HashSet::new();
        let mut still_there = 0;
        for row in tx.query(&sql, &bind).map_err(&e)? {
            let Some(trial_id) = row[1].int() else {
                return Err(e("a row lacks its trial id".into()));
            };
            if row[0].int() == Some(3) {
                still_there = trial_id as usize;
                continue;
            }
            if row[0].int() == Some(0) {
                let Some(number) = row[2].int() else {
                    return Err(e("a trial row lacks its number".into()));
                };
                let state = row[3].text().unwrap_or("RUNNING");
                let mut trial = Trial::new(number as u64, TrialPlan::default());
                trial.state = optuna::state_from_optuna(state);
                let time = |cell: &Sql| cell.text().and_then(crate::trial::parse_stored_time);
                trial.datetime_start = time(&row[6]);
                trial.datetime_complete = time(&row[7]);
                index.insert(trial_id, trials.len());
                trials.push(Loaded {
                    row: trial_id,
                    trial,
                    open: state == "RUNNING",
                });
                continue;
            }
            let Some(&i) = index.get(&trial_id) else {
                continue;
            };
            let trial = &mut trials[i].trial;
            let key = row[3].text().unwrap_or_default();
            if row[0].int() == Some(1) {
                let value = optuna::param_value(
                    row[5].text().unwrap_or_default(),
                    row[4].real().unwrap_or(f64::NAN),
                )
                .map_err(|m| e(format!("trial {}, param {key}: {m}", trial.number)))?;
                trial.plan.values.insert(key.to_owned(), value);
                continue;
            }
            let json = row[5].text().unwrap_or_default();
            if key == optuna::TRIAL_KEY {
                let record: TrialRecord = serde_json::from_str(json)
                    .map_err(|x| e(format!("trial {}: unreadable record: {x}", trial.number)))?;
                record.apply(trial);
                recorded.insert(trial_id);
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
        Ok((trials, still_there))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_are_padded_to_a_power_of_two_with_the_last_id() {
        let (sql, values) = id_list(&[7, 8, 9], 2);
        assert_eq!(sql, "?2, ?3, ?4, ?5");
        assert_eq!(values, [7i64, 8, 9, 9].map(Sql::from));
        let (sql, values) = id_list(&[5], 1);
        assert_eq!((sql.as_str(), values), ("?1", vec![Sql::Int(5)]));
        let full: Vec<i64> = (0..ROWS_PER_STATEMENT as i64).collect();
        assert_eq!(id_list(&full, 2).1.len(), ROWS_PER_STATEMENT);
    }

    #[test]
    fn one_statement_reads_rows_then_parameters_then_attributes() {
        let (sql, bind) = Which::Rows(&[4, 6, 8]).statement(3);
        assert_eq!(sql.matches("IN (?2, ?3, ?4, ?5)").count(), 3, "{sql}");
        assert_eq!(bind[0], Sql::Int(3));
        assert!(sql.ends_with("ORDER BY 1, 2"), "{sql}");
        let (sql, bind) = Which::After(10).statement(3);
        assert_eq!(sql.matches("trial_id > ?2").count(), 3, "{sql}");
        assert_eq!(bind, [Sql::Int(3), Sql::Int(10)]);
        let (sql, bind) = Which::Changed {
            after: 10,
            open: &[4, 6, 8],
        }
        .statement(3);
        assert_eq!(sql.matches("IN (?3, ?4, ?5, ?6)").count(), 4, "{sql}");
        assert_eq!(sql.matches("t.state <> 'RUNNING'").count(), 3, "{sql}");
        assert!(sql.contains("SELECT 3, COUNT(*)"), "{sql}");
        assert_eq!(bind[..3], [Sql::Int(3), Sql::Int(10), Sql::Int(4)]);
    }
}
