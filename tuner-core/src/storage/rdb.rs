//! Studies and trials in Optuna's RDB schema, written once over a minimal SQL interface that
//! the SQLite and PostgreSQL backends implement.
//!
//! Statements use `?1`-style parameters, `{now}` for the database's current UTC time,
//! `{age:column}` for a timestamp column's age in seconds, `{for_update:table}` for a row lock
//! (a no-op where write transactions exclude each other) and `{lock_schema}` for a statement
//! serialising schema and study creation; each backend translates them.

use super::optuna::{self, TrialRecord};
use super::{Decide, StorageError, StudyConfig};
use crate::trial::{Metrics, Trial, TrialPlan, TrialState};
use std::collections::BTreeMap;
use std::time::Duration;

/// One SQL value as both backends bind and return it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Sql {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Sql {
    fn int(&self) -> Option<i64> {
        match self {
            Sql::Int(i) => Some(*i),
            Sql::Real(r) => Some(*r as i64),
            _ => None,
        }
    }
    fn real(&self) -> Option<f64> {
        match self {
            Sql::Real(r) => Some(*r),
            Sql::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
    fn text(&self) -> Option<&str> {
        match self {
            Sql::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl From<i64> for Sql {
    fn from(v: i64) -> Self {
        Sql::Int(v)
    }
}
impl From<f64> for Sql {
    fn from(v: f64) -> Self {
        Sql::Real(v)
    }
}
impl From<&str> for Sql {
    fn from(v: &str) -> Self {
        Sql::Text(v.to_owned())
    }
}
impl From<String> for Sql {
    fn from(v: String) -> Self {
        Sql::Text(v)
    }
}
impl<T: Into<Sql>> From<Option<T>> for Sql {
    fn from(v: Option<T>) -> Self {
        v.map_or(Sql::Null, Into::into)
    }
}

/// Statements inside one transaction; errors are the driver's message.
pub(crate) trait Tx {
    /// Runs a statement; the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Sql]) -> Result<u64, String>;
    /// Runs a query; its rows.
    fn query(&mut self, sql: &str, params: &[Sql]) -> Result<Vec<Vec<Sql>>, String>;
}

/// What a transaction is for: backends lock accordingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A consistent read.
    Read,
    /// A write (SQLite takes the write lock up front, so no two writers ever interleave).
    Write,
}

/// A database that runs closures in transactions, committing when they return `Ok`.
pub(crate) trait Backend: Send + Sync {
    /// The file or URL, for messages.
    fn location(&self) -> String;
    /// The names of the tables present.
    fn tables(&self, tx: &mut dyn Tx) -> Result<Vec<String>, String>;
    /// Statements creating Optuna's tables (and types) in an empty database.
    fn schema(&self) -> &'static [&'static str];
    /// Runs `f` in a transaction.
    fn transaction<T>(
        &self,
        mode: Mode,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<T, StorageError>,
    ) -> Result<T, StorageError>;
}

/// Optuna's schema over a backend: the shared logic of the SQL storages.
pub(crate) struct Rdb<B> {
    pub(crate) backend: B,
}

fn err(location: String) -> impl Fn(String) -> StorageError {
    move |message| StorageError::Backend {
        location: location.clone(),
        message,
    }
}

impl<B: Backend> Rdb<B> {
    /// Wraps a backend, creating the schema in an empty database and refusing one that is
    /// not Optuna's current schema.
    pub(crate) fn new(backend: B) -> Result<Self, StorageError> {
        let rdb = Rdb { backend };
        rdb.init_schema()?;
        Ok(rdb)
    }

    fn location(&self) -> String {
        self.backend.location()
    }

    fn init_schema(&self) -> Result<(), StorageError> {
        let location = self.location();
        self.backend.transaction(Mode::Write, &mut |tx| {
            let e = err(location.clone());
            tx.execute("{lock_schema}", &[]).map_err(&e)?;
            let tables = self.backend.tables(tx).map_err(&e)?;
            if tables.is_empty() {
                for statement in self.backend.schema() {
                    tx.execute(statement, &[]).map_err(&e)?;
                }
                tx.execute(
                    "INSERT INTO version_info (version_info_id, schema_version, library_version) \
                     VALUES (1, ?1, ?2)",
                    &[
                        optuna::SCHEMA_VERSION.into(),
                        concat!("tuner-", env!("CARGO_PKG_VERSION")).into(),
                    ],
                )
                .map_err(&e)?;
                tx.execute(
                    "INSERT INTO alembic_version (version_num) VALUES (?1)",
                    &[optuna::ALEMBIC_REVISION.into()],
                )
                .map_err(&e)?;
                return Ok(());
            }
            check_schema(tx, &tables, &location)
        })
    }

    fn study_id(&self, tx: &mut dyn Tx, name: &str) -> Result<Option<i64>, StorageError> {
        let rows = tx
            .query(
                "SELECT study_id FROM studies WHERE study_name = ?1",
                &[name.into()],
            )
            .map_err(err(self.location()))?;
        Ok(rows.first().and_then(|r| r[0].int()))
    }

    fn require_study(&self, tx: &mut dyn Tx, name: &str) -> Result<i64, StorageError> {
        self.study_id(tx, name)?
            .ok_or_else(|| StorageError::NoStudy {
                name: name.to_owned(),
                location: self.location(),
            })
    }

    fn config(&self, tx: &mut dyn Tx, id: i64, name: &str) -> Result<StudyConfig, StorageError> {
        let location = self.location();
        let rows = tx
            .query(
                "SELECT key, value_json FROM study_system_attributes \
                 WHERE study_id = ?1 AND key IN (?2, ?3)",
                &[
                    id.into(),
                    optuna::STUDY_FORMAT_KEY.into(),
                    optuna::STUDY_CONFIG_KEY.into(),
                ],
            )
            .map_err(err(location.clone()))?;
        let attr = |key: &str| {
            rows.iter()
                .find(|r| r[0].text() == Some(key))
                .and_then(|r| r[1].text().map(str::to_owned))
        };
        let not_ours = || StorageError::NotTuner {
            name: name.to_owned(),
            location: location.clone(),
        };
        let format: i64 = attr(optuna::STUDY_FORMAT_KEY)
            .and_then(|f| f.parse().ok())
            .ok_or_else(not_ours)?;
        if format > optuna::FORMAT {
            return Err(StorageError::Schema {
                location: location.clone(),
                message: format!(
                    "study `{name}` was written by a newer tuner (attribute format {format}, \
                     this one reads up to {}); upgrade tuner to open it",
                    optuna::FORMAT
                ),
            });
        }
        let json = attr(optuna::STUDY_CONFIG_KEY).ok_or_else(not_ours)?;
        serde_json::from_str(&json).map_err(|e| StorageError::Schema {
            location: location.clone(),
            message: format!("the configuration of study `{name}` is unreadable: {e}"),
        })
    }

    fn create_study(&self, tx: &mut dyn Tx, config: &StudyConfig) -> Result<i64, StorageError> {
        let e = err(self.location());
        let rows = tx
            .query(
                "INSERT INTO studies (study_name) VALUES (?1) RETURNING study_id",
                &[config.name.as_str().into()],
            )
            .map_err(&e)?;
        let id = rows
            .first()
            .and_then(|r| r[0].int())
            .ok_or_else(|| e("inserting the study returned no id".into()))?;
        for (k, objective) in config.objectives.list().iter().enumerate() {
            tx.execute(
                "INSERT INTO study_directions (direction, study_id, objective) VALUES (?1, ?2, ?3)",
                &[
                    optuna::optuna_direction(objective.direction).into(),
                    id.into(),
                    (k as i64).into(),
                ],
            )
            .map_err(&e)?;
        }
        let names: Vec<&str> = config
            .objectives
            .list()
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        let config_json = serde_json::to_string(config).map_err(|x| e(x.to_string()))?;
        for (key, value) in [
            (optuna::STUDY_FORMAT_KEY, optuna::FORMAT.to_string()),
            (optuna::STUDY_CONFIG_KEY, config_json),
            (
                optuna::METRIC_NAMES_KEY,
                serde_json::json!(names).to_string(),
            ),
        ] {
            tx.execute(
                "INSERT INTO study_system_attributes (study_id, key, value_json) VALUES (?1, ?2, ?3)",
                &[id.into(), key.into(), value.into()],
            )
            .map_err(&e)?;
        }
        Ok(id)
    }

    fn delete_study_rows(&self, tx: &mut dyn Tx, id: i64) -> Result<(), StorageError> {
        let e = err(self.location());
        for table in [
            "trial_params",
            "trial_values",
            "trial_intermediate_values",
            "trial_heartbeats",
            "trial_user_attributes",
            "trial_system_attributes",
        ] {
            tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE trial_id IN \
                     (SELECT trial_id FROM trials WHERE study_id = ?1)"
                ),
                &[id.into()],
            )
            .map_err(&e)?;
        }
        for table in [
            "trials",
            "study_directions",
            "study_user_attributes",
            "study_system_attributes",
            "studies",
        ] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE study_id = ?1"),
                &[id.into()],
            )
            .map_err(&e)?;
        }
        Ok(())
    }

    /// Every trial of a study, rebuilt from its rows, by number.
    fn load_trials(&self, tx: &mut dyn Tx, id: i64) -> Result<Vec<(i64, Trial)>, StorageError> {
        let location = self.location();
        let e = err(location.clone());
        let rows = tx
            .query(
                "SELECT trial_id, number, state FROM trials WHERE study_id = ?1 ORDER BY number",
                &[id.into()],
            )
            .map_err(&e)?;
        let mut trials: Vec<(i64, Trial)> = Vec::with_capacity(rows.len());
        let mut index: BTreeMap<i64, usize> = BTreeMap::new();
        for row in rows {
            let (Some(trial_id), Some(number)) = (row[0].int(), row[1].int()) else {
                return Err(e("a trial row lacks its id or number".into()));
            };
            let mut trial = Trial::new(number as u64, TrialPlan::default());
            trial.state = optuna::state_from_optuna(row[2].text().unwrap_or("RUNNING"));
            index.insert(trial_id, trials.len());
            trials.push((trial_id, trial));
        }
        let params = tx
            .query(
                "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json \
                 FROM trial_params p JOIN trials t ON p.trial_id = t.trial_id \
                 WHERE t.study_id = ?1",
                &[id.into()],
            )
            .map_err(&e)?;
        for row in params {
            let Some(&i) = row[0].int().and_then(|t| index.get(&t)) else {
                continue;
            };
            let name = row[1].text().unwrap_or_default().to_owned();
            let value = optuna::param_value(
                row[3].text().unwrap_or_default(),
                row[2].real().unwrap_or(f64::NAN),
            )
            .map_err(|m| e(format!("trial {}, param {name}: {m}", trials[i].1.number)))?;
            trials[i].1.plan.values.insert(name, value);
        }
        let attrs = tx
            .query(
                "SELECT a.trial_id, a.key, a.value_json \
                 FROM trial_system_attributes a JOIN trials t ON a.trial_id = t.trial_id \
                 WHERE t.study_id = ?1 AND a.key LIKE 'tuner:%'",
                &[id.into()],
            )
            .map_err(&e)?;
        for row in attrs {
            let Some(&i) = row[0].int().and_then(|t| index.get(&t)) else {
                continue;
            };
            let (key, json) = (
                row[1].text().unwrap_or_default(),
                row[2].text().unwrap_or_default(),
            );
            let trial = &mut trials[i].1;
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

    fn insert_trial(
        &self,
        tx: &mut dyn Tx,
        study: i64,
        config: &StudyConfig,
        trial: &Trial,
    ) -> Result<i64, StorageError> {
        let e = err(self.location());
        let rows = tx
            .query(
                "INSERT INTO trials (number, study_id, state, datetime_start) \
                 VALUES (?1, ?2, ?3, {now}) RETURNING trial_id",
                &[
                    (trial.number as i64).into(),
                    study.into(),
                    optuna::optuna_state(trial.state).into(),
                ],
            )
            .map_err(&e)?;
        let id = rows
            .first()
            .and_then(|r| r[0].int())
            .ok_or_else(|| e("inserting the trial returned no id".into()))?;
        self.write_params(tx, id, config, trial)?;
        self.write_record(tx, id, trial)?;
        if let Some(retried) = trial
            .plan
            .attrs
            .get(super::RETRY_OF)
            .and_then(|v| v.as_int())
        {
            self.set_attr(tx, id, optuna::FAILED_TRIAL_KEY, &retried.to_string())?;
        }
        self.beat(tx, id)?;
        Ok(id)
    }

    fn write_params(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        config: &StudyConfig,
        trial: &Trial,
    ) -> Result<(), StorageError> {
        let e = err(self.location());
        tx.execute("DELETE FROM trial_params WHERE trial_id = ?1", &[id.into()])
            .map_err(&e)?;
        for (name, value) in trial.values().iter() {
            let (dist, internal) = optuna::param_row(&config.space, name, value);
            tx.execute(
                "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) \
                 VALUES (?1, ?2, ?3, ?4)",
                &[id.into(), name.into(), internal.into(), dist.into()],
            )
            .map_err(&e)?;
        }
        Ok(())
    }

    fn set_attr(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        key: &str,
        json: &str,
    ) -> Result<(), StorageError> {
        tx.execute(
            "INSERT INTO trial_system_attributes (trial_id, key, value_json) VALUES (?1, ?2, ?3) \
             ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json",
            &[id.into(), key.into(), json.into()],
        )
        .map_err(err(self.location()))?;
        Ok(())
    }

    fn write_record(&self, tx: &mut dyn Tx, id: i64, trial: &Trial) -> Result<(), StorageError> {
        let record = serde_json::to_string(&TrialRecord::of(trial))
            .map_err(|x| err(self.location())(x.to_string()))?;
        self.set_attr(tx, id, optuna::TRIAL_KEY, &record)
    }

    fn write_epoch(
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

    /// Rewrites everything of a trial but its number and start time.
    fn write_trial(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        config: &StudyConfig,
        trial: &Trial,
    ) -> Result<(), StorageError> {
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
        self.write_params(tx, id, config, trial)?;
        self.write_record(tx, id, trial)?;
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
            let objectives = config.objectives.list();
            let values: Vec<Option<f64>> = if objectives.len() == 1 {
                vec![trial.score]
            } else {
                let best = trial.best_metrics();
                objectives
                    .iter()
                    .map(|o| best.and_then(|m| m.get(&o.name).copied()))
                    .collect()
            };
            for (k, v) in values.into_iter().enumerate() {
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

    fn beat(&self, tx: &mut dyn Tx, id: i64) -> Result<(), StorageError> {
        tx.execute(
            "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?1, {now}) \
             ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat",
            &[id.into()],
        )
        .map_err(err(self.location()))?;
        Ok(())
    }

    /// The id and Optuna state of trial `number`.
    fn trial_row(
        &self,
        tx: &mut dyn Tx,
        study: &str,
        number: u64,
    ) -> Result<(i64, i64, String), StorageError> {
        let rows = tx
            .query(
                "SELECT t.trial_id, t.study_id, t.state FROM trials t \
                 JOIN studies s ON s.study_id = t.study_id \
                 WHERE s.study_name = ?1 AND t.number = ?2{for_update:t}",
                &[study.into(), (number as i64).into()],
            )
            .map_err(err(self.location()))?;
        match rows.first() {
            Some(r) => Ok((
                r[0].int().unwrap_or_default(),
                r[1].int().unwrap_or_default(),
                r[2].text().unwrap_or_default().to_owned(),
            )),
            None => match self.study_id(tx, study)? {
                None => Err(StorageError::NoStudy {
                    name: study.to_owned(),
                    location: self.location(),
                }),
                Some(_) => Err(StorageError::NoTrial {
                    study: study.to_owned(),
                    number,
                }),
            },
        }
    }

    /// The oldest running trial whose heartbeat is older than `grace`.
    fn stale_trial(
        &self,
        tx: &mut dyn Tx,
        study: i64,
        grace: Duration,
    ) -> Result<Option<i64>, StorageError> {
        let rows = tx
            .query(
                "SELECT t.trial_id FROM trials t JOIN trial_heartbeats h ON h.trial_id = t.trial_id \
                 WHERE t.study_id = ?1 AND t.state = 'RUNNING' AND {age:h.heartbeat} > ?2 \
                 ORDER BY t.number LIMIT 1",
                &[study.into(), grace.as_secs_f64().into()],
            )
            .map_err(err(self.location()))?;
        Ok(rows.first().and_then(|r| r[0].int()))
    }
}

/// Refuses a database that is not (exactly) Optuna's current schema, saying why.
fn check_schema(tx: &mut dyn Tx, tables: &[String], location: &str) -> Result<(), StorageError> {
    let refuse = |message: String| StorageError::Schema {
        location: location.to_owned(),
        message,
    };
    let has = |t: &str| tables.iter().any(|x| x == t);
    if !has("studies") || !has("alembic_version") {
        let mut found = tables.to_vec();
        found.sort();
        found.truncate(8);
        return Err(refuse(format!(
            "this database holds other tables ({}) and is not an Optuna or tuner study \
             database; point the storage at a new file or database",
            found.join(", ")
        )));
    }
    let rows = tx
        .query("SELECT version_num FROM alembic_version", &[])
        .map_err(|m| refuse(format!("cannot read its schema revision: {m}")))?;
    let revision = rows
        .first()
        .and_then(|r| r[0].text().map(str::to_owned))
        .unwrap_or_default();
    if revision != optuna::ALEMBIC_REVISION {
        return Err(refuse(
            if optuna::OLDER_REVISIONS.contains(&revision.as_str()) {
                format!(
                    "its Optuna schema revision {revision} is older than {}: run \
                 `optuna storage upgrade --storage <url>` first",
                    optuna::ALEMBIC_REVISION
                )
            } else {
                format!(
                    "its schema revision `{revision}` is newer than (or unknown to) this tuner, \
                 which reads Optuna's {}; upgrade tuner",
                    optuna::ALEMBIC_REVISION
                )
            },
        ));
    }
    let missing: Vec<&str> = optuna::TABLES.iter().copied().filter(|t| !has(t)).collect();
    if !missing.is_empty() {
        return Err(refuse(format!(
            "tables missing from its schema: {}",
            missing.join(", ")
        )));
    }
    Ok(())
}

impl<B: Backend> super::Storage for Rdb<B> {
    fn location(&self) -> String {
        self.backend.location()
    }

    fn open_study(
        &self,
        config: &StudyConfig,
        overwrite: bool,
    ) -> Result<StudyConfig, StorageError> {
        self.backend.transaction(Mode::Write, &mut |tx| {
            tx.execute("{lock_schema}", &[])
                .map_err(err(self.location()))?;
            if let Some(id) = self.study_id(tx, &config.name)? {
                if !overwrite {
                    return self.config(tx, id, &config.name);
                }
                self.delete_study_rows(tx, id)?;
            }
            self.create_study(tx, config)?;
            Ok(config.clone())
        })
    }

    fn study_names(&self) -> Result<Vec<String>, StorageError> {
        let location = self.location();
        self.backend.transaction(Mode::Read, &mut |tx| {
            let rows = tx
                .query("SELECT study_name FROM studies ORDER BY study_name", &[])
                .map_err(err(location.clone()))?;
            Ok(rows
                .into_iter()
                .filter_map(|r| r[0].text().map(str::to_owned))
                .collect())
        })
    }

    fn study(&self, name: &str) -> Result<StudyConfig, StorageError> {
        self.backend.transaction(Mode::Read, &mut |tx| {
            let id = self.require_study(tx, name)?;
            self.config(tx, id, name)
        })
    }

    fn delete_study(&self, name: &str) -> Result<(), StorageError> {
        self.backend.transaction(Mode::Write, &mut |tx| {
            let id = self.require_study(tx, name)?;
            self.delete_study_rows(tx, id)
        })
    }

    fn trials(&self, study: &str) -> Result<Vec<Trial>, StorageError> {
        self.backend.transaction(Mode::Read, &mut |tx| {
            let id = self.require_study(tx, study)?;
            Ok(self
                .load_trials(tx, id)?
                .into_iter()
                .map(|(_, t)| t)
                .collect())
        })
    }

    fn create_trial(
        &self,
        study: &str,
        stale_after: Option<Duration>,
        decide: &mut Decide<'_>,
    ) -> Result<Option<Trial>, StorageError> {
        self.backend.transaction(Mode::Write, &mut |tx| {
            let id = self.require_study(tx, study)?;
            // Workers decide one at a time: the study row is the lock.
            tx.execute(
                "SELECT study_id FROM studies WHERE study_id = ?1{for_update:studies}",
                &[id.into()],
            )
            .map_err(err(self.location()))?;
            let config = self.config(tx, id, study)?;
            let rows = self.load_trials(tx, id)?;
            let stale = match stale_after {
                Some(grace) => self.stale_trial(tx, id, grace)?,
                None => None,
            };
            let mut stale_at = None;
            let mut trials: Vec<Trial> = Vec::with_capacity(rows.len());
            for (trial_id, trial) in rows {
                if Some(trial_id) == stale {
                    stale_at = Some((trial_id, trials.len()));
                }
                trials.push(trial);
            }
            if let Some((_, i)) = stale_at {
                super::mark_stale(&mut trials[i], stale_after.unwrap_or_default());
            }
            let Some(plan) = decide(&trials, stale_at.map(|(_, i)| trials[i].number)) else {
                return Ok(None);
            };
            if let Some((trial_id, i)) = stale_at {
                self.write_trial(tx, trial_id, &config, &trials[i])?;
            }
            let number = trials.last().map_or(0, |t| t.number + 1);
            let trial = Trial::new(number, plan);
            self.insert_trial(tx, id, &config, &trial)?;
            Ok(Some(trial))
        })
    }

    fn report(
        &self,
        study: &str,
        number: u64,
        epoch: u32,
        metrics: &Metrics,
    ) -> Result<(), StorageError> {
        self.backend.transaction(Mode::Write, &mut |tx| {
            let (id, study_id, state) = self.trial_row(tx, study, number)?;
            if state != "RUNNING" {
                return Err(StorageError::Finished {
                    study: study.to_owned(),
                    number,
                });
            }
            let config = self.config(tx, study_id, study)?;
            self.write_epoch(tx, id, &config, epoch, metrics)?;
            self.beat(tx, id)
        })
    }

    fn heartbeat(&self, study: &str, number: u64) -> Result<(), StorageError> {
        self.backend.transaction(Mode::Write, &mut |tx| {
            let (id, _, state) = self.trial_row(tx, study, number)?;
            if state != "RUNNING" {
                return Err(StorageError::Finished {
                    study: study.to_owned(),
                    number,
                });
            }
            self.beat(tx, id)
        })
    }

    fn update_trial(&self, study: &str, trial: &Trial) -> Result<(), StorageError> {
        self.backend.transaction(Mode::Write, &mut |tx| {
            let (id, study_id, _) = self.trial_row(tx, study, trial.number)?;
            let config = self.config(tx, study_id, study)?;
            self.write_trial(tx, id, &config, trial)
        })
    }
}
