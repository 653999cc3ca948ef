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
    /// counts how many of `open` still exist, and reads the study's instance token (so the
    /// copy read before is checked in the same round trip).
    Changed { after: i64, open: &'a [i64] },
}

/// Trials as read, and what a [`Which::Changed`] read found besides.
#[derive(Debug, Default)]
pub(super) struct Read {
    pub trials: Vec<Loaded>,
    /// How many of the open rows still exist.
    pub still_there: usize,
    /// The study's instance token as stored, if it has one.
    pub instance: Option<String>,
    /// The row a statement that also inserted a trial gave it (tagged 5), if it did.
    pub inserted: Option<i64>,
}

/// `sql` with each placeholder `?N` renumbered `?(N + by)`: for a statement appended to
/// another's binds.
pub(super) fn shifted(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '?' || !chars.peek().is_some_and(char::is_ascii_digit) {
            continue;
        }
        let mut n = 0usize;
        while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
            n = n * 10 + d as usize;
            chars.next();
        }
        out.push_str(&(n + by).to_string());
    }
    out
}

/// A trial as read, with its row id.
#[derive(Debug)]
pub(super) struct Loaded {
    pub row: i64,
    pub trial: Trial,
    /// Its row was RUNNING when read, so it may still change; a finished trial never does.
    pub open: bool,
}

/// Above every row id: "rows after `r`" is read as the range `r < id <= NO_ROW_ABOVE`, which
/// a generic plan (PostgreSQL's, for a prepared statement run many times) estimates as a few
/// rows and serves by the primary key; `id > r` alone counts as a third of the table, and
/// gets scans and hash joins of every trial, parameter and attribute of the study per read.
pub(super) const NO_ROW_ABOVE: i64 = i64::MAX;

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
    pub(super) fn statement(self, study: i64) -> (String, Vec<Sql>) {
        let mut count = String::new();
        // The rows after `?2`, as a range (see NO_ROW_ABOVE).
        let range = "t.trial_id > ?2 AND t.trial_id <= CAST(?3 AS BIGINT)";
        let (on, mut bind) = match self {
            Which::After(row) => (range.to_owned(), vec![row.into(), NO_ROW_ABOVE.into()]),
            Which::Row(row) => ("t.trial_id = ?2".to_owned(), vec![row.into()]),
            Which::Rows(rows) => {
                let (list, values) = id_list(rows, 2);
                (format!("t.trial_id IN ({list})"), values)
            }
            Which::Changed { after, open } => {
                // Tagged 4: the study's instance token.
                count = " UNION ALL SELECT 4, 0, NULL, NULL, NULL, s.value_json, NULL, NULL \
                         FROM study_system_attributes s WHERE s.study_id = ?1 AND s.key = ?4"
                    .to_owned();
                let mut values = vec![
                    after.into(),
                    NO_ROW_ABOVE.into(),
                    optuna::STUDY_INSTANCE_KEY.into(),
                ];
                if open.is_empty() {
                    (range.to_owned(), values)
                } else {
                    let (list, ids) = id_list(open, 5);
                    values.extend(ids);
                    // Tagged 3: how many of the open rows are still there.
                    count.push_str(&format!(
                        " UNION ALL SELECT 3, COUNT(*), NULL, NULL, NULL, NULL, NULL, NULL \
                         FROM trials t WHERE t.study_id = ?1 AND t.trial_id IN ({list})"
                    ));
                    let on =
                        format!("({range}) OR (t.trial_id IN ({list}) AND t.state <> 'RUNNING')");
                    (on, values)
                }
            }
        };
        bind.insert(0, study.into());
        let sql = format!(
            "SELECT 0, t.trial_id, t.number, CAST(t.state AS TEXT), NULL, NULL, \
             CAST(t.datetime_start AS TEXT), CAST(t.datetime_complete AS TEXT) FROM trials t \
             WHERE t.study_id = ?1 AND ({on}) \
             UNION ALL \
             SELECT 1, p.trial_id, NULL, p.param_name, p.param_value, p.distribution_json, \
             NULL, NULL \
             FROM trial_params p JOIN trials t ON p.trial_id = t.trial_id \
             WHERE t.study_id = ?1 AND ({on}) \
             UNION ALL \
             SELECT 2, a.trial_id, NULL, a.key, NULL, a.value_json, NULL, NULL \
             FROM trial_system_attributes a JOIN trials t ON a.trial_id = t.trial_id \
             WHERE t.study_id = ?1 AND ({on}) AND a.key LIKE 'tuner:%'{count} \
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
        Ok(self.load_counting(tx, id, which)?.trials)
    }

    /// [`load_trials`](Self::load_trials), and for [`Which::Changed`] how many of its open
    /// rows still exist and the study's instance token.
    pub(super) fn load_counting(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        which: Which<'_>,
    ) -> Result<Read, StorageError> {
        if let Which::Rows(rows) = which {
            if rows.len() > ROWS_PER_STATEMENT {
                let mut all = Vec::with_capacity(rows.len());
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    all.extend(self.load_trials(tx, id, Which::Rows(chunk))?);
                }
                return Ok(Read {
                    trials: all,
                    ..Read::default()
                });
            }
            if rows.is_empty() {
                return Ok(Read::default());
            }
        }
        let (sql, bind) = which.statement(id);
        self.load_with(tx, id, &sql, &bind)
    }

    /// Runs `sql`, a [`Which::statement`] of study `id` (possibly with a tagged part of its
    /// own), and rebuilds the trials it read.
    pub(super) fn load_with(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        sql: &str,
        bind: &[Sql],
    ) -> Result<Read, StorageError> {
        let e = err(self.location());
        let mut trials: Vec<Loaded> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        let mut recorded = std::collections::HashSet::new();
        let (mut still_there, mut instance, mut inserted) = (0, None, None);
        for row in tx.query(sql, bind).map_err(&e)? {
            let Some(trial_id) = row[1].int() else {
                return Err(e("a row lacks its trial id".into()));
            };
            match row[0].int() {
                Some(3) => {
                    still_there = trial_id as usize;
                    continue;
                }
                Some(4) => {
                    instance = row[5].text().map(str::to_owned);
                    continue;
                }
                Some(5) => {
                    inserted = Some(trial_id);
                    continue;
                }
                _ => {}
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
        Ok(Read {
            trials,
            still_there,
            instance,
            inserted,
        })
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
    fn placeholders_are_renumbered_and_nothing_else() {
        assert_eq!(
            shifted("a = ?1 AND b IN (?2, ?10) AND c = '?' AND d = ?", 3),
            "a = ?4 AND b IN (?5, ?13) AND c = '?' AND d = ?"
        );
    }

    #[test]
    fn one_statement_reads_rows_then_parameters_then_attributes() {
        let (sql, bind) = Which::Rows(&[4, 6, 8]).statement(3);
        assert_eq!(
            sql.matches("t.trial_id IN (?2, ?3, ?4, ?5)").count(),
            3,
            "{sql}"
        );
        assert_eq!(bind[0], Sql::Int(3));
        assert!(sql.ends_with("ORDER BY 1, 2"), "{sql}");
        let (sql, bind) = Which::After(10).statement(3);
        let range = "t.trial_id > ?2 AND t.trial_id <= CAST(?3 AS BIGINT)";
        assert_eq!(sql.matches(range).count(), 3, "{sql}");
        assert_eq!(bind, [Sql::Int(3), Sql::Int(10), Sql::Int(NO_ROW_ABOVE)]);
        let (sql, bind) = Which::Changed {
            after: 10,
            open: &[4, 6, 8],
        }
        .statement(3);
        assert_eq!(sql.matches("IN (?5, ?6, ?7, ?8)").count(), 4, "{sql}");
        assert_eq!(sql.matches("t.state <> 'RUNNING'").count(), 3, "{sql}");
        assert_eq!(sql.matches(range).count(), 3, "{sql}");
        assert!(sql.contains("SELECT 3, COUNT(*)"), "{sql}");
        assert!(sql.contains("SELECT 4, 0"), "{sql}");
        let key = Sql::from(optuna::STUDY_INSTANCE_KEY);
        let max = Sql::Int(NO_ROW_ABOVE);
        assert_eq!(
            bind[..5],
            [Sql::Int(3), Sql::Int(10), max, key, Sql::Int(4)]
        );
        let (sql, bind) = Which::Changed {
            after: 10,
            open: &[],
        }
        .statement(3);
        assert_eq!(sql.matches(&format!("AND ({range})")).count(), 3, "{sql}");
        assert!(
            !sql.contains("COUNT(*)") && sql.contains("SELECT 4, 0"),
            "{sql}"
        );
        assert_eq!(bind.len(), 4);
    }
}
