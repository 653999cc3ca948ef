//! Studies and trials Optuna created (no tuner record): their configuration derived from
//! Optuna's rows, and their trials' values, curves, errors and user attributes read from
//! Optuna's tables; and the user attributes optuna-dashboard shows of our trials.

use super::read::Loaded;
use super::{err, Backend, Rdb, Sql, Tx};
use crate::objective::{Objective, Objectives};
use crate::space::SearchSpace;
use crate::storage::optuna;
use crate::storage::{StorageError, StudyConfig};
use crate::trial::{Metrics, Trial, TrialState};
use serde_json::Value as Json;

/// An Optuna value column as a float (`INF_POS`, `INF_NEG` and `NAN` have no value).
fn optuna_float(value: &Sql, kind: &Sql) -> f64 {
    match kind.text() {
        Some("INF_POS") => f64::INFINITY,
        Some("INF_NEG") => f64::NEG_INFINITY,
        Some("NAN") => f64::NAN,
        _ => value.real().unwrap_or(f64::NAN),
    }
}

impl<B: Backend> Rdb<B> {
    /// The objectives of study `id` as Optuna records them: its directions, named by
    /// `study:metric_names` when set, else `value` (`value_0`, `value_1`, ... for several).
    /// A study with no direction is not a whole Optuna study: [`StorageError::NotTuner`].
    fn optuna_objectives(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        study: &str,
    ) -> Result<Objectives, StorageError> {
        let e = err(self.location());
        let directions = tx
            .query(
                "SELECT direction FROM study_directions WHERE study_id = ?1 ORDER BY objective",
                &[id.into()],
            )
            .map_err(&e)?;
        let names = tx
            .query(
                "SELECT value_json FROM study_system_attributes WHERE study_id = ?1 AND key = ?2",
                &[id.into(), optuna::METRIC_NAMES_KEY.into()],
            )
            .map_err(&e)?;
        let names: Vec<String> = names
            .first()
            .and_then(|r| serde_json::from_str::<Vec<String>>(r[0].text()?).ok())
            .filter(|n| n.len() == directions.len())
            .unwrap_or_else(|| match directions.len() {
                1 => vec![crate::study::DEFAULT_OBJECTIVE.to_owned()],
                n => (0..n).map(|k| format!("value_{k}")).collect(),
            });
        let list: Vec<Objective> = directions
            .iter()
            .zip(names)
            .map(|(d, name)| match d[0].text() {
                Some("MAXIMIZE") => Objective::maximize(name),
                _ => Objective::minimize(name),
            })
            .collect();
        Objectives::new(list).ok_or_else(|| StorageError::NotTuner {
            name: study.to_owned(),
            location: self.location(),
        })
    }

    /// The configuration of a study Optuna created, derived from its rows: objectives from
    /// its directions, the space from its trials' distributions (by first appearance), and
    /// the [`optuna::optuna_oracle`] marker listing each parameter tuner cannot sample (a
    /// distribution it has no kind for, or one that changes between trials).
    pub(super) fn optuna_config(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        name: &str,
    ) -> Result<StudyConfig, StorageError> {
        let e = err(self.location());
        let objectives = self.optuna_objectives(tx, id, name)?;
        let rows = tx
            .query(
                "SELECT p.param_name, p.distribution_json FROM trial_params p \
                 JOIN trials t ON p.trial_id = t.trial_id WHERE t.study_id = ?1 \
                 ORDER BY p.trial_id, p.param_id",
                &[id.into()],
            )
            .map_err(&e)?;
        let mut params: Vec<crate::space::Param> = Vec::new();
        let mut unmapped: Vec<(String, String)> = Vec::new();
        for row in &rows {
            let (Some(param), Some(text)) = (row[0].text(), row[1].text()) else {
                continue;
            };
            if unmapped.iter().any(|(p, _)| p == param) {
                continue;
            }
            let dist: Json = serde_json::from_str(text).unwrap_or(Json::Null);
            let problem = match optuna::distribution_param(param, &dist) {
                Ok(p) => match params.iter().find(|q| q.name == param) {
                    None => {
                        params.push(p);
                        continue;
                    }
                    Some(q) if *q == p => continue,
                    Some(_) => "its distribution changes between trials".to_owned(),
                },
                Err(problem) => problem,
            };
            params.retain(|p| p.name != param);
            unmapped.push((
                param.to_owned(),
                format!("parameter `{param}` ({text}): {problem}"),
            ));
        }
        let mut problems: Vec<String> = unmapped.into_iter().map(|(_, p)| p).collect();
        let space = SearchSpace::from_params(params).unwrap_or_else(|x| {
            problems.push(format!("its parameters do not make a tuner space: {x}"));
            SearchSpace::from_params(Vec::new()).expect("an empty space breaks no rule")
        });
        if space.is_empty() && problems.is_empty() {
            problems.push("no trial has parameters yet, so its space is unknown".to_owned());
        }
        Ok(StudyConfig {
            name: name.to_owned(),
            space,
            objectives,
            oracle: optuna::optuna_oracle(problems),
        })
    }

    /// Fills the trials read without a tuner record (created by Optuna) from Optuna's
    /// tables: values (the score), intermediate values (the curve, under the objective's
    /// name), `fail_reason`, duration and user attributes.
    pub(super) fn fill_optuna_trials(
        &self,
        tx: &mut dyn Tx,
        study: i64,
        trials: &mut [&mut Loaded],
    ) -> Result<(), StorageError> {
        if trials.is_empty() {
            return Ok(());
        }
        let e = err(self.location());
        let objectives = self.optuna_objectives(tx, study, "")?;
        let first = objectives.list()[0].name.clone();
        for loaded in trials.iter_mut() {
            let (row, trial) = (loaded.row, &mut loaded.trial);
            for r in tx
                .query(
                    "SELECT step, intermediate_value, intermediate_value_type \
                     FROM trial_intermediate_values WHERE trial_id = ?1 ORDER BY step",
                    &[row.into()],
                )
                .map_err(&e)?
            {
                let step = r[0].int().unwrap_or_default().max(0) as u32;
                let v = optuna_float(&r[1], &r[2]);
                trial
                    .history
                    .insert(step, Metrics::from([(first.clone(), v)]));
            }
            let values = tx
                .query(
                    "SELECT objective, value, value_type FROM trial_values \
                     WHERE trial_id = ?1 ORDER BY objective",
                    &[row.into()],
                )
                .map_err(&e)?;
            let finals: Metrics = values
                .iter()
                .filter_map(|r| {
                    let k = r[0].int()? as usize;
                    let name = objectives.list().get(k)?.name.clone();
                    Some((name, optuna_float(&r[1], &r[2])))
                })
                .collect();
            if trial.state == TrialState::Completed {
                trial.score = objectives.score(&finals);
                // The epoch whose values are the final ones, else the final values as one
                // more epoch, so the best epoch's metrics are the trial's values.
                let at = trial
                    .history
                    .iter()
                    .rev()
                    .find(|entry| entry.1 == finals)
                    .map(|(epoch, _)| *epoch);
                trial.best_epoch = Some(at.unwrap_or_else(|| {
                    let next = trial.history.last().map_or(0, |(epoch, _)| epoch + 1);
                    trial.history.insert(next, finals.clone());
                    next
                }));
            }
            for r in tx
                .query(
                    "SELECT key, value_json FROM trial_user_attributes WHERE trial_id = ?1",
                    &[row.into()],
                )
                .map_err(&e)?
            {
                let (Some(key), Some(json)) = (r[0].text(), r[1].text()) else {
                    continue;
                };
                let value = serde_json::from_str(json).unwrap_or_else(|_| Json::from(json));
                trial.user_attrs.insert(key.to_owned(), value);
            }
            let reason = tx
                .query(
                    "SELECT value_json FROM trial_system_attributes \
                     WHERE trial_id = ?1 AND key = ?2",
                    &[row.into(), optuna::FAIL_REASON_KEY.into()],
                )
                .map_err(&e)?;
            trial.message = reason.first().and_then(|r| {
                let text = r[0].text()?;
                Some(serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_owned()))
            });
            let times = tx
                .query(
                    "SELECT {age:datetime_start} - {age:datetime_complete} FROM trials \
                     WHERE trial_id = ?1 AND datetime_complete IS NOT NULL",
                    &[row.into()],
                )
                .map_err(&e)?;
            trial.seconds = times
                .first()
                .and_then(|r| r[0].real())
                .unwrap_or(0.0)
                .max(0.0);
        }
        Ok(())
    }

    /// Replaces the trial's user attributes with what optuna-dashboard should show of it
    /// ([`optuna::dashboard_attrs`]).
    pub(super) fn write_user_attrs(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        config: &StudyConfig,
        trial: &Trial,
    ) -> Result<(), StorageError> {
        let e = err(self.location());
        tx.execute(
            "DELETE FROM trial_user_attributes WHERE trial_id = ?1",
            &[id.into()],
        )
        .map_err(&e)?;
        for (key, json) in optuna::dashboard_attrs(&config.objectives, trial) {
            tx.execute(
                "INSERT INTO trial_user_attributes (trial_id, key, value_json) \
                 VALUES (?1, ?2, ?3)",
                &[id.into(), key.into(), json.into()],
            )
            .map_err(&e)?;
        }
        Ok(())
    }
}
