//! A trial's whole rewrite (its state, parameters, attributes, epochs and values) as one
//! statement of data-modifying `WITH`s, for backends that allow it (PostgreSQL): one round
//! trip instead of a dozen for each trial's final update, which every trial of every worker
//! makes. Each table's rows are upserted and the rows no longer wanted deleted (disjoint
//! sets, so no row is touched twice in the statement), and every part acts only through the
//! conditional update of the trial row, so a trial that is no longer running is left as it is.

use super::study::Identity;
use super::{err, Backend, Mode, Rdb, Sql, Tx};
use crate::space::Value;
use crate::storage::optuna;
use crate::storage::{StorageError, StudyConfig};
use crate::trial::{Trial, TrialState};

/// The values a statement binds, handing out their placeholders.
struct Binds(Vec<Sql>);

impl Binds {
    /// Binds `value`; its placeholder.
    fn push(&mut self, value: impl Into<Sql>) -> String {
        self.0.push(value.into());
        format!("?{}", self.0.len())
    }

    /// Binds each value; the placeholders as a list.
    fn list<T: Into<Sql>>(&mut self, values: impl IntoIterator<Item = T>) -> String {
        values
            .into_iter()
            .map(|v| self.push(v))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One table's part: delete the trial's rows (of `scope`) whose `key` is not among `keep`,
/// and upsert `rows` (each a `VALUES` row of `columns`).
struct Part<'a> {
    table: &'a str,
    /// An extra condition on the rows deleted (e.g. only epoch attributes), or "".
    scope: &'a str,
    key: &'a str,
    keep: Vec<Sql>,
    columns: &'a str,
    rows: Vec<String>,
    /// The columns an upsert replaces.
    replaces: &'a [&'a str],
}

impl Part<'_> {
    fn push_to(self, sql: &mut String, binds: &mut Binds, n: usize) {
        sql.push_str(&format!(
            ", d{n} AS (DELETE FROM {} WHERE trial_id IN (SELECT trial_id FROM u){}",
            self.table, self.scope
        ));
        if !self.keep.is_empty() {
            let keep = binds.list(self.keep);
            sql.push_str(&format!(" AND {} NOT IN ({keep})", self.key));
        }
        sql.push(')');
        if self.rows.is_empty() {
            return;
        }
        let names: Vec<&str> = self.columns.split(", ").collect();
        let set: Vec<String> = self
            .replaces
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        sql.push_str(&format!(
            ", i{n} AS (INSERT INTO {} (trial_id, {}) SELECT u.trial_id, {} FROM u, \
             (VALUES {}) AS v ({}) ON CONFLICT (trial_id, {}) DO UPDATE SET {})",
            self.table,
            self.columns,
            names
                .iter()
                .map(|c| format!("v.{c}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.rows.join(", "),
            self.columns,
            self.key,
            set.join(", ")
        ));
    }
}

impl<B: Backend> Rdb<B> {
    /// [`write_trial`](Self::write_trial) as one statement; the same rows result. With
    /// `study`, the row is changed only while it is still trial `trial.number` of that
    /// instance of the study: the statement then needs no earlier check of the study.
    pub(super) fn write_trial_at_once(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        config: &StudyConfig,
        trial: &Trial,
        study: Option<&Identity>,
    ) -> Result<(), StorageError> {
        let e = err(self.location());
        let (sql, binds) = final_statement(id, config, trial, study).map_err(&e)?;
        let rows = tx.query(&sql, &binds).map_err(&e)?;
        if rows.is_empty() {
            return Err(StorageError::Finished {
                study: config.name.clone(),
                number: trial.number,
            });
        }
        Ok(())
    }
}

/// What the one-statement final update of a trial came to.
pub(super) enum Known {
    /// Written.
    Written,
    /// This handle does not know the trial's row (or trusts no copy of the study): the
    /// update takes the general path.
    Unknown,
    /// Nothing changed: the trial is no longer running, or its row or study is gone; with
    /// `retried`, an earlier attempt whose answer was lost may have written it.
    Unchanged { retried: bool },
}

impl<B: Backend> Rdb<B> {
    /// A trial's final update, where the backend allows, as one statement that commits by
    /// itself, for a trial whose row this handle knows (the usual case: it created it):
    /// no BEGIN, study check, row lock nor COMMIT of their own (four round trips fewer), as
    /// the statement's conditions check what they did.
    pub(super) fn write_known(&self, study: &str, trial: &Trial) -> Result<Known, StorageError> {
        if !self.backend.writable_ctes() {
            return Ok(Known::Unknown);
        }
        let mut attempts = 0;
        self.with_cache(Mode::Statement, &mut |tx, caches| {
            attempts += 1;
            let Some(cache) = caches.get(study).filter(|c| c.identity.instance.is_some()) else {
                return Ok(Known::Unknown);
            };
            let Some(row) = cache.hint(trial.number) else {
                return Ok(Known::Unknown);
            };
            match self.write_trial_at_once(tx, row, &cache.config, trial, Some(&cache.identity)) {
                Ok(()) => Ok(Known::Written),
                Err(StorageError::Finished { .. }) => Ok(Known::Unchanged {
                    retried: attempts > 1,
                }),
                Err(e) => Err(e),
            }
        })
    }
}

/// The statement rewriting `trial` (row `id`) and what it binds.
fn final_statement(
    id: i64,
    config: &StudyConfig,
    trial: &Trial,
    study: Option<&Identity>,
) -> Result<(String, Vec<Sql>), String> {
    let mut b = Binds(Vec::new());
    let finished = !matches!(trial.state, TrialState::Running | TrialState::Invalid);
    let state = b.push(optuna::optuna_state(trial.state));
    let row = b.push(id);
    let complete = if finished {
        ", datetime_complete = {now}"
    } else {
        ""
    };
    // A row id remembered from earlier is trusted only while it holds this trial of this
    // instance of the study (a study deleted and created again has a new instance token).
    let guard = match study {
        Some(Identity {
            id: study,
            instance: Some(instance),
        }) => {
            let (study, number) = (b.push(*study), b.push(trial.number as i64));
            let (key, instance) = (
                b.push(optuna::STUDY_INSTANCE_KEY),
                b.push(instance.as_str()),
            );
            format!(
                " AND study_id = {study} AND number = {number} AND EXISTS (SELECT 1 FROM \
                 study_system_attributes WHERE study_id = {study} AND key = {key} \
                 AND value_json = {instance})"
            )
        }
        _ => String::new(),
    };
    // Only a running trial may change: the condition is checked under the row lock, so a
    // worker whose trial was failed as stale meanwhile cannot overwrite that verdict.
    let mut sql = format!(
        "WITH u AS (UPDATE trials SET state = {state}{complete} \
         WHERE trial_id = {row} AND state = 'RUNNING'{guard} RETURNING trial_id)"
    );

    let mut params = Part {
        table: "trial_params",
        scope: "",
        key: "param_name",
        keep: Vec::new(),
        columns: "param_name, param_value, distribution_json",
        rows: Vec::new(),
        replaces: &["param_value", "distribution_json"],
    };
    for (name, value) in trial.values().iter() {
        let (dist, internal) = optuna::param_row(&config.space, name, value);
        params.keep.push(name.into());
        params.rows.push(format!(
            "({}, CAST({} AS DOUBLE PRECISION), {})",
            b.push(name),
            b.push(internal),
            b.push(dist)
        ));
    }
    params.push_to(&mut sql, &mut b, 0);

    // Our record and epochs, and Optuna's own keys (feasibility, the failure's reason).
    let mut system = vec![(
        optuna::TRIAL_KEY.to_owned(),
        serde_json::to_string(&optuna::TrialRecord::of(trial)).map_err(|x| x.to_string())?,
    )];
    let mut epochs = Vec::new();
    let mut steps = Part {
        table: "trial_intermediate_values",
        scope: "",
        key: "step",
        keep: Vec::new(),
        columns: "step, intermediate_value, intermediate_value_type",
        rows: Vec::new(),
        replaces: &["intermediate_value", "intermediate_value_type"],
    };
    for (epoch, metrics) in &trial.history {
        let key = optuna::epoch_key(*epoch);
        epochs.push(Sql::from(key.as_str()));
        system.push((key, optuna::metrics_json(metrics)));
        if let Some(v) = config.objectives.score(metrics) {
            let (value, kind) = optuna::float_repr(v);
            steps.keep.push((*epoch as i64).into());
            steps.rows.push(format!(
                "(CAST({} AS INTEGER), CAST({} AS DOUBLE PRECISION), \
                 CAST({} AS trialintermediatevaluetype))",
                b.push(*epoch as i64),
                b.push(value),
                b.push(kind)
            ));
        }
    }
    if let Some(Value::Str(c)) = trial.plan.attrs.get(crate::objective::CONSTRAINTS) {
        system.push((crate::objective::CONSTRAINTS.to_owned(), c.clone()));
    }
    if trial.state == TrialState::Failed {
        let reason = trial.message.clone().unwrap_or_default();
        system.push((
            optuna::FAIL_REASON_KEY.to_owned(),
            serde_json::json!(reason).to_string(),
        ));
    }
    let mut attrs = Part {
        table: "trial_system_attributes",
        // Only the epochs are replaced as a set; other keys are only ever upserted.
        scope: " AND key LIKE 'tuner:epoch:%'",
        key: "key",
        keep: epochs,
        columns: "key, value_json",
        rows: Vec::new(),
        replaces: &["value_json"],
    };
    for (key, json) in system {
        attrs
            .rows
            .push(format!("({}, {})", b.push(key), b.push(json)));
    }
    attrs.push_to(&mut sql, &mut b, 1);
    steps.push_to(&mut sql, &mut b, 2);

    let mut user = Part {
        table: "trial_user_attributes",
        scope: "",
        key: "key",
        keep: Vec::new(),
        columns: "key, value_json",
        rows: Vec::new(),
        replaces: &["value_json"],
    };
    for (key, json) in optuna::dashboard_attrs(&config.objectives, trial) {
        user.keep.push(key.as_str().into());
        user.rows
            .push(format!("({}, {})", b.push(key), b.push(json)));
    }
    user.push_to(&mut sql, &mut b, 3);

    let mut values = Part {
        table: "trial_values",
        scope: "",
        key: "objective",
        keep: Vec::new(),
        columns: "objective, value, value_type",
        rows: Vec::new(),
        replaces: &["value", "value_type"],
    };
    if trial.state == TrialState::Completed {
        for (k, v) in objective_values(config, trial).into_iter().enumerate() {
            let Some(v) = v.filter(|v| !v.is_nan()) else {
                continue;
            };
            let (value, kind) = optuna::float_repr(v);
            values.keep.push((k as i64).into());
            values.rows.push(format!(
                "(CAST({} AS INTEGER), CAST({} AS DOUBLE PRECISION), CAST({} AS trialvaluetype))",
                b.push(k as i64),
                b.push(value),
                b.push(kind)
            ));
        }
    }
    values.push_to(&mut sql, &mut b, 4);
    sql.push_str(" SELECT trial_id FROM u");
    Ok((sql, b.0))
}

/// A completed trial's value for each objective (its score for one objective, else the
/// objectives' metrics at its best epoch).
pub(super) fn objective_values(config: &StudyConfig, trial: &Trial) -> Vec<Option<f64>> {
    let objectives = config.objectives.list();
    if objectives.len() == 1 {
        vec![trial.score]
    } else {
        let best = trial.best_metrics();
        objectives
            .iter()
            .map(|o| best.and_then(|m| m.get(&o.name).copied()))
            .collect()
    }
}
