//! Writing trials: a new Running trial, one epoch's metrics, a trial's final state and
//! values, and heartbeats.

use super::final_write::objective_values;
use super::read::{shifted, Read, Which, NO_ROW_ABOVE};
use super::{err, Backend, Rdb, Sql, Tx};
use crate::space::Value;
use crate::storage::optuna::{self, TrialRecord};
use crate::storage::{StorageError, StudyConfig};
use crate::trial::{Metrics, Trial, TrialState};

impl<B: Backend> Rdb<B> {
    /// Inserts a new trial of study `study` (with its parameters, record, the attributes
    /// `extra` and its first heartbeat); its row id. This runs under the study lock: one
    /// statement where the backend allows, else a few.
    pub(super) fn insert_trial(
        &self,
        tx: &mut dyn Tx,
        study: i64,
        config: &StudyConfig,
        trial: &Trial,
        extra: &[(&str, String)],
    ) -> Result<i64, StorageError> {
        let e = err(self.location());
        if self.backend.writable_ctes() {
            let (mut sql, bind) =
                insert_statement(study, config, trial, extra, Guard::Locked).map_err(&e)?;
            sql.push_str(" SELECT trial_id FROM t");
            let rows = tx.query(&sql, &bind).map_err(&e)?;
            return rows
                .first()
                .and_then(|r| r[0].int())
                .ok_or_else(|| e("inserting the trial returned no id".into()));
        }
        let row = [
            (trial.number as i64).into(),
            study.into(),
            optuna::optuna_state(trial.state).into(),
        ];
        let rows = tx
            .query(
                "INSERT INTO trials (number, study_id, state, datetime_start) \
                 VALUES (?1, ?2, ?3, {now}) RETURNING trial_id",
                &row,
            )
            .map_err(&e)?;
        let id = rows
            .first()
            .and_then(|r| r[0].int())
            .ok_or_else(|| e("inserting the trial returned no id".into()))?;
        self.write_params(tx, id, config, trial, true)?;
        self.set_attrs(tx, id, &trial_attrs(trial, extra).map_err(&e)?)?;
        self.beat(tx, id)?;
        Ok(id)
    }

    /// Under the study lock, where one statement may insert into several tables: reads the
    /// trials created after row `after` and, only if there are none (the decision was taken
    /// on everything there is), inserts `trial` as [`insert_trial`](Self::insert_trial)
    /// does, in one round trip. The read's `inserted` is the new row, if it was inserted.
    pub(super) fn insert_unless_newer(
        &self,
        tx: &mut dyn Tx,
        study: i64,
        config: &StudyConfig,
        trial: &Trial,
        extra: &[(&str, String)],
        after: i64,
    ) -> Result<Read, StorageError> {
        let (sql, bind) = unless_newer_statement(study, config, trial, extra, after)
            .map_err(err(self.location()))?;
        self.load_with(tx, study, &sql, &bind)
    }

    /// With no lock held (see [`NEXT_NUMBER_KEY`]): inserts `trial` as
    /// [`insert_trial`](Self::insert_trial) does if the study's counter still holds its number
    /// and no trial row is above `after`, in one statement that commits by itself without
    /// waiting for the disk.
    pub(super) fn insert_swapping(
        &self,
        tx: &mut dyn Tx,
        study: i64,
        config: &StudyConfig,
        trial: &Trial,
        extra: &[(&str, String)],
        after: i64,
    ) -> Result<Swapped, StorageError> {
        let e = err(self.location());
        let (mut sql, mut bind) =
            insert_statement(study, config, trial, extra, Guard::Swap(after)).map_err(&e)?;
        let k = bind.len();
        // Tagged 6: the counter exists (as of the statement's start).
        sql.push_str(&format!(
            " SELECT 5, trial_id FROM t UNION ALL SELECT 6, 0 FROM study_system_attributes \
             WHERE study_id = ?{} AND key = ?{}",
            k + 1,
            k + 2
        ));
        bind.extend([study.into(), NEXT_NUMBER_KEY.into()]);
        let rows = tx.query(&sql, &bind).map_err(&e)?;
        let tagged = |tag| rows.iter().find(|r| r[0].int() == Some(tag));
        Ok(match (tagged(5), tagged(6)) {
            (Some(r), _) => Swapped::Inserted(r[1].int().ok_or_else(|| e("no row id".into()))?),
            (None, Some(_)) => Swapped::Lost,
            (None, None) => Swapped::NoCounter,
        })
    }

    /// Replaces the trial's parameter rows with its values, in Optuna's representation
    /// (a `fresh` row has none to replace), in one statement.
    fn write_params(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        config: &StudyConfig,
        trial: &Trial,
        fresh: bool,
    ) -> Result<(), StorageError> {
        let e = err(self.location());
        if !fresh {
            tx.execute("DELETE FROM trial_params WHERE trial_id = ?1", &[id.into()])
                .map_err(&e)?;
        }
        let mut sql = String::from(
            "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) \
             VALUES ",
        );
        let mut bind = vec![id.into()];
        for (name, value) in trial.values().iter() {
            let (dist, internal) = optuna::param_row(&config.space, name, value);
            let k = bind.len();
            if k > 1 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(?1, ?{}, ?{}, ?{})", k + 1, k + 2, k + 3));
            bind.extend([name.into(), internal.into(), dist.into()]);
        }
        if bind.len() > 1 {
            tx.execute(&sql, &bind).map_err(&e)?;
        }
        Ok(())
    }

    /// Stores a trial attribute (a JSON text), replacing any value it had.
    pub(super) fn set_attr(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        key: &str,
        json: &str,
    ) -> Result<(), StorageError> {
        self.set_attrs(tx, id, &[(key, json.to_owned())])
    }

    /// Stores trial attributes (JSON texts) in one statement, replacing any values they had.
    fn set_attrs(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        attrs: &[(&str, String)],
    ) -> Result<(), StorageError> {
        let mut rows = Vec::with_capacity(attrs.len());
        let mut bind = vec![id.into()];
        for (key, json) in attrs {
            let k = bind.len();
            rows.push(format!("(?1, ?{}, ?{})", k + 1, k + 2));
            bind.extend([(*key).into(), json.as_str().into()]);
        }
        tx.execute(
            &format!(
                "INSERT INTO trial_system_attributes (trial_id, key, value_json) VALUES {} \
                 ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json",
                rows.join(", ")
            ),
            &bind,
        )
        .map_err(err(self.location()))?;
        Ok(())
    }

    fn write_record(&self, tx: &mut dyn Tx, id: i64, trial: &Trial) -> Result<(), StorageError> {
        let record = record_json(trial).map_err(err(self.location()))?;
        self.set_attr(tx, id, optuna::TRIAL_KEY, &record)
    }

    /// Stores one epoch's metrics and, when it has one, its objective as Optuna's
    /// intermediate value.
    pub(super) fn write_epoch(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        config: &StudyConfig,
        epoch: u32,
        metrics: &Metrics,
    ) -> Result<(), StorageError> {
        self.set_attr(
            tx,
            id,
            &optuna::epoch_key(epoch),
            &optuna::metrics_json(metrics),
        )?;
        if let Some(v) = config.objectives.score(metrics) {
            let (value, kind) = optuna::float_repr(v);
            tx.execute(
                "INSERT INTO trial_intermediate_values \
                 (trial_id, step, intermediate_value, intermediate_value_type) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (trial_id, step) DO UPDATE SET \
                 intermediate_value = excluded.intermediate_value, \
                 intermediate_value_type = excluded.intermediate_value_type",
                &[id.into(), (epoch as i64).into(), value.into(), kind.into()],
            )
            .map_err(err(self.location()))?;
        }
        Ok(())
    }

    /// Rewrites everything of a trial but its number and start time (in one statement where
    /// the backend allows: `final_write.rs`).
    pub(super) fn write_trial(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        config: &StudyConfig,
        trial: &Trial,
    ) -> Result<(), StorageError> {
        if self.backend.writable_ctes() {
            return self.write_trial_at_once(tx, id, config, trial, None);
        }
        let e = err(self.location());
        let finished = !matches!(trial.state, TrialState::Running | TrialState::Invalid);
        // Only a running trial may change: the condition is re-checked under the row lock, so a
        // worker whose trial was failed as stale meanwhile cannot overwrite that verdict.
        let changed = tx
            .execute(
                if finished {
                    "UPDATE trials SET state = ?1, datetime_complete = {now} \
                     WHERE trial_id = ?2 AND state = 'RUNNING'"
                } else {
                    "UPDATE trials SET state = ?1 WHERE trial_id = ?2 AND state = 'RUNNING'"
                },
                &[optuna::optuna_state(trial.state).into(), id.into()],
            )
            .map_err(&e)?;
        if changed == 0 {
            return Err(StorageError::Finished {
                study: config.name.clone(),
                number: trial.number,
            });
        }
        self.write_params(tx, id, config, trial, false)?;
        self.write_record(tx, id, trial)?;
        self.write_user_attrs(tx, id, config, trial)?;
        tx.execute(
            "DELETE FROM trial_system_attributes WHERE trial_id = ?1 AND key LIKE 'tuner:epoch:%'",
            &[id.into()],
        )
        .map_err(&e)?;
        tx.execute(
            "DELETE FROM trial_intermediate_values WHERE trial_id = ?1",
            &[id.into()],
        )
        .map_err(&e)?;
        for (epoch, metrics) in &trial.history {
            self.write_epoch(tx, id, config, *epoch, metrics)?;
        }
        tx.execute("DELETE FROM trial_values WHERE trial_id = ?1", &[id.into()])
            .map_err(&e)?;
        if trial.state == TrialState::Completed {
            for (k, v) in objective_values(config, trial).into_iter().enumerate() {
                let Some(v) = v.filter(|v| !v.is_nan()) else {
                    continue;
                };
                let (value, kind) = optuna::float_repr(v);
                tx.execute(
                    "INSERT INTO trial_values (trial_id, objective, value, value_type) \
                     VALUES (?1, ?2, ?3, ?4)",
                    &[id.into(), (k as i64).into(), value.into(), kind.into()],
                )
                .map_err(&e)?;
            }
        }
        // Optuna's own attribute, so optuna-dashboard shows feasibility.
        if let Some(Value::Str(c)) = trial.plan.attrs.get(crate::objective::CONSTRAINTS) {
            self.set_attr(tx, id, crate::objective::CONSTRAINTS, c)?;
        }
        if trial.state == TrialState::Failed {
            let reason = trial.message.clone().unwrap_or_default();
            self.set_attr(
                tx,
                id,
                optuna::FAIL_REASON_KEY,
                &serde_json::json!(reason).to_string(),
            )?;
        }
        Ok(())
    }

    /// Records that the trial's worker is alive now.
    pub(super) fn beat(&self, tx: &mut dyn Tx, id: i64) -> Result<(), StorageError> {
        tx.execute(
            "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?1, {now}) \
             ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat",
            &[id.into()],
        )
        .map_err(err(self.location()))?;
        Ok(())
    }
}

/// The trial's record attribute, as JSON.
fn record_json(trial: &Trial) -> Result<String, String> {
    serde_json::to_string(&TrialRecord::of(trial)).map_err(|x| x.to_string())
}

/// A new trial's system attributes: its record, Optuna's note of the trial it retries, and
/// `extra`.
fn trial_attrs<'k>(
    trial: &Trial,
    extra: &[(&'k str, String)],
) -> Result<Vec<(&'k str, String)>, String> {
    let mut attrs = vec![(optuna::TRIAL_KEY, record_json(trial)?)];
    if let Some(retried) = trial
        .plan
        .attrs
        .get(crate::storage::RETRY_OF)
        .and_then(|v| v.as_int())
    {
        attrs.push((optuna::FAILED_TRIAL_KEY, retried.to_string()));
    }
    attrs.extend(extra.iter().cloned());
    Ok(attrs)
}

/// The study attribute holding the number its next trial takes, where one statement may
/// insert into several tables (PostgreSQL). A create without the study lock swaps it from
/// the number its decision expected to the next in the statement that inserts the trial: its
/// row lock lasts only that statement, two creates never take one number, and a decision
/// taken on a read that missed a newer trial stores nothing. Creates under the lock set it.
pub(super) const NEXT_NUMBER_KEY: &str = "tuner/next_number";

/// What an unlocked insert ([`Rdb::insert_swapping`]) came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Swapped {
    /// Inserted, as this row.
    Inserted(i64),
    /// A trial was created since the decision's read: nothing inserted.
    Lost,
    /// The study has no counter yet (its first trial, or made by an older version): nothing
    /// inserted, and the create is to take the study lock.
    NoCounter,
}

/// When a new trial's insert takes effect.
#[derive(Debug, Clone, Copy)]
pub(super) enum Guard {
    /// Always: the caller holds the lock that orders creates.
    Locked,
    /// Under that lock too, unless the study has a trial row above this one.
    UnlessAfter(i64),
    /// With no lock held: only if the counter still holds the trial's number and no row is
    /// above this one.
    Swap(i64),
}

/// [`Rdb::insert_unless_newer`]'s statement and what it binds.
fn unless_newer_statement(
    study: i64,
    config: &StudyConfig,
    trial: &Trial,
    extra: &[(&str, String)],
    after: i64,
) -> Result<(String, Vec<Sql>), String> {
    let (mut sql, mut bind) =
        insert_statement(study, config, trial, extra, Guard::UnlessAfter(after))?;
    let (read, read_bind) = Which::After(after).statement(study);
    // Tagged 5 (sorted after the read's tags): the row inserted. Typed nulls, as the first
    // part of a UNION fixes its column types.
    sql.push_str(&format!(
        " SELECT 5, trial_id, CAST(NULL AS INTEGER), CAST(NULL AS TEXT), \
         CAST(NULL AS DOUBLE PRECISION), CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
         CAST(NULL AS TEXT) FROM t UNION ALL {}",
        shifted(&read, bind.len())
    ));
    bind.extend(read_bind);
    Ok((sql, bind))
}

/// The data-modifying `WITH`s inserting a new trial of study `study` with its parameters,
/// attributes and first heartbeat (`t` holds its row id) and keeping the study's counter of
/// trial numbers (see [`NEXT_NUMBER_KEY`]), and what they bind; `guard` says when nothing is
/// inserted.
fn insert_statement(
    study: i64,
    config: &StudyConfig,
    trial: &Trial,
    extra: &[(&str, String)],
    guard: Guard,
) -> Result<(String, Vec<Sql>), String> {
    let attrs = trial_attrs(trial, extra)?;
    let mut bind: Vec<Sql> = Vec::new();
    let next = |bind: &mut Vec<Sql>, value: Sql| {
        bind.push(value);
        format!("?{}", bind.len())
    };
    let number = next(&mut bind, (trial.number as i64).into());
    let id = next(&mut bind, study.into());
    let state = next(&mut bind, optuna::optuna_state(trial.state).into());
    let key = next(&mut bind, NEXT_NUMBER_KEY.into());
    let following = next(&mut bind, (trial.number + 1).to_string().into());
    let newer = |bind: &mut Vec<Sql>, after: i64| {
        let after = next(bind, after.into());
        // A range, for the plan's sake (see NO_ROW_ABOVE).
        let above = next(bind, NO_ROW_ABOVE.into());
        format!(
            "NOT EXISTS (SELECT 1 FROM trials n WHERE n.study_id = {id} \
             AND n.trial_id > {after} AND n.trial_id <= CAST({above} AS BIGINT))"
        )
    };
    let columns = format!(
        "CAST({number} AS INTEGER), CAST({id} AS INTEGER), CAST({state} AS trialstate), {{now}}"
    );
    // Before the trial: the counter swapped from this trial's number to the next, which
    // locks its row until the statement's own commit (made lazy, as a locked create's is).
    let mut head = String::new();
    let row = match guard {
        Guard::Locked => format!("VALUES ({columns})"),
        Guard::UnlessAfter(after) => {
            format!("SELECT {columns} WHERE {}", newer(&mut bind, after))
        }
        Guard::Swap(after) => {
            let expected = next(&mut bind, trial.number.to_string().into());
            head = format!(
                "z AS (SELECT set_config('synchronous_commit', 'off', true) AS lazy), \
                 c AS (UPDATE study_system_attributes SET value_json = CAST({following} AS TEXT) \
                 WHERE study_id = {id} AND key = CAST({key} AS VARCHAR) \
                 AND value_json = CAST({expected} AS TEXT) \
                 AND (SELECT lazy FROM z) = 'off' RETURNING study_id), "
            );
            format!("SELECT {columns} FROM c WHERE {}", newer(&mut bind, after))
        }
    };
    let mut params = Vec::new();
    for (name, value) in trial.values().iter() {
        let (dist, internal) = optuna::param_row(&config.space, name, value);
        params.push(format!(
            "({}, CAST({} AS DOUBLE PRECISION), {})",
            next(&mut bind, name.into()),
            next(&mut bind, internal.into()),
            next(&mut bind, dist.into())
        ));
    }
    let attrs: Vec<String> = attrs
        .iter()
        .map(|(key, json)| {
            format!(
                "({}, {})",
                next(&mut bind, (*key).into()),
                next(&mut bind, json.as_str().into())
            )
        })
        .collect();
    let mut sql = format!(
        "WITH {head}t AS (INSERT INTO trials (number, study_id, state, datetime_start) \
         {row} RETURNING trial_id), \
         h AS (INSERT INTO trial_heartbeats (trial_id, heartbeat) \
         SELECT trial_id, {{now}} FROM t)"
    );
    if !matches!(guard, Guard::Swap(_)) {
        // Under the study lock: the counter set past the trial (created if the study had
        // none), so that unlocked creates go on from here.
        sql.push_str(&format!(
            ", k AS (INSERT INTO study_system_attributes (study_id, key, value_json) \
             SELECT CAST({id} AS INTEGER), CAST({key} AS VARCHAR), CAST({following} AS TEXT) \
             FROM t ON CONFLICT (study_id, key) \
             DO UPDATE SET value_json = excluded.value_json)"
        ));
    }
    if !params.is_empty() {
        sql.push_str(&format!(
            ", p AS (INSERT INTO trial_params \
             (trial_id, param_name, param_value, distribution_json) \
             SELECT t.trial_id, v.n, v.x, v.d FROM t, (VALUES {}) AS v (n, x, d))",
            params.join(", ")
        ));
    }
    sql.push_str(&format!(
        ", a AS (INSERT INTO trial_system_attributes (trial_id, key, value_json) \
         SELECT t.trial_id, v.k, v.j FROM t, (VALUES {}) AS v (k, j))",
        attrs.join(", ")
    ));
    Ok((sql, bind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Objective;
    use crate::space::{HyperParameters, Param, SearchSpace};
    use crate::trial::TrialPlan;

    fn config() -> StudyConfig {
        StudyConfig {
            name: "s".into(),
            space: SearchSpace::builder()
                .param(Param::float("x", 0.0, 1.0))
                .build()
                .unwrap(),
            objectives: Objective::minimize("loss").into(),
            oracle: crate::oracle::OracleConfig::Random,
        }
    }

    fn trial() -> Trial {
        let mut values = HyperParameters::new();
        values.insert("x", 0.5);
        let plan = TrialPlan {
            values,
            ..TrialPlan::default()
        };
        Trial::new(7, plan)
    }

    /// The highest `?N` the statement names.
    fn highest_placeholder(sql: &str) -> Option<usize> {
        sql.split('?')
            .skip(1)
            .filter_map(|rest| {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<usize>().ok()
            })
            .max()
    }

    #[test]
    fn a_conditional_insert_binds_every_placeholder_it_names_and_reads_past_the_row() {
        let extra = [("tuner/create", "\"t\"".to_owned())];
        let (sql, bind) = unless_newer_statement(3, &config(), &trial(), &extra, 41).unwrap();
        assert_eq!(highest_placeholder(&sql), Some(bind.len()), "{sql}");
        assert!(sql.contains("WHERE NOT EXISTS"), "{sql}");
        assert!(sql.contains("SELECT 5, trial_id"), "{sql}");
        // Under the lock, the counter is set past the trial (created if missing).
        assert!(
            sql.contains("k AS (INSERT INTO study_system_attributes")
                && sql.contains("ON CONFLICT"),
            "{sql}"
        );
        // The insert's own binds first (number, study, state, the counter's key and next
        // value, the row, the bound), then the read's (study, the row, the bound): the same
        // row both times.
        let max = Sql::Int(NO_ROW_ABOVE);
        let state = Sql::from("RUNNING");
        assert_eq!(
            bind[..7],
            [
                Sql::Int(7),
                Sql::Int(3),
                state,
                Sql::from(NEXT_NUMBER_KEY),
                Sql::from("8"),
                Sql::Int(41),
                max.clone()
            ]
        );
        assert_eq!(bind[bind.len() - 3..], [Sql::Int(3), Sql::Int(41), max]);
    }

    #[test]
    fn an_unlocked_insert_swaps_the_counter_from_its_number_to_the_next() {
        let (sql, bind) = insert_statement(3, &config(), &trial(), &[], Guard::Swap(41)).unwrap();
        assert_eq!(highest_placeholder(&sql), Some(bind.len()), "{sql}");
        // The swap comes first, as the trial's row is selected from it; its commit is lazy.
        let (swap, trial_at) = (sql.find("c AS (UPDATE").unwrap(), sql.find("t AS").unwrap());
        assert!(swap < trial_at, "{sql}");
        assert!(
            sql.contains("set_config('synchronous_commit', 'off', true)"),
            "{sql}"
        );
        assert!(sql.contains("FROM c WHERE NOT EXISTS"), "{sql}");
        assert!(
            !sql.contains("k AS"),
            "no second write of the counter: {sql}"
        );
        // From "7" (this trial's number) to "8", and not above row 41.
        assert_eq!(
            bind[3..8],
            [
                Sql::from(NEXT_NUMBER_KEY),
                Sql::from("8"),
                Sql::from("7"),
                Sql::Int(41),
                Sql::Int(NO_ROW_ABOVE)
            ]
        );
    }
}
