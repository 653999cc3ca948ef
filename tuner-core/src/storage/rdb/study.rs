//! Study rows: finding a study and which instance of it is stored, reading and validating its
//! configuration, creating and deleting it.

use super::write::NEXT_NUMBER_KEY;
use super::{err, Backend, Rdb, Tx};
use crate::storage::optuna;
use crate::storage::{StorageError, StudyConfig};

/// Which study a name stands for right now: its row id and instance token as stored (`None`
/// for a study written before tokens existed, whose identity cannot be told from its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Identity {
    pub id: i64,
    pub instance: Option<String>,
}

/// A token no other study, here or in another process, will be created with (as the JSON text
/// stored): SQLite reuses the row ids of a deleted study, so the id alone cannot tell a
/// re-created study apart.
pub(super) fn new_instance() -> String {
    serde_json::json!(format!("{:032x}", rand::random::<u128>())).to_string()
}

impl<B: Backend> Rdb<B> {
    /// The study of that name and its instance token; with `lock`, its row is locked until
    /// the transaction ends (deciders and deleters of one study take turns on it).
    pub(super) fn identity(
        &self,
        tx: &mut dyn Tx,
        name: &str,
        lock: bool,
    ) -> Result<Option<Identity>, StorageError> {
        self.identity_locked(tx, name, if lock { "{for_update:s}" } else { "" })
    }

    /// The study of that name and its instance token, read with the locking clause `lock`
    /// (appended to the statement as it is).
    fn identity_locked(
        &self,
        tx: &mut dyn Tx,
        name: &str,
        lock: &str,
    ) -> Result<Option<Identity>, StorageError> {
        let sql = format!(
            "SELECT s.study_id, a.value_json FROM studies s \
             LEFT JOIN study_system_attributes a ON a.study_id = s.study_id AND a.key = ?2 \
             WHERE s.study_name = ?1{lock}"
        );
        let rows = tx
            .query(&sql, &[name.into(), optuna::STUDY_INSTANCE_KEY.into()])
            .map_err(err(self.location()))?;
        Ok(rows.first().and_then(|r| {
            Some(Identity {
                id: r[0].int()?,
                instance: r[1].text().map(str::to_owned),
            })
        }))
    }

    /// For a create under the lock where one statement may insert into several tables
    /// (PostgreSQL): the study of that name and its instance token, with the row of its
    /// counter of trial numbers locked (see [`NEXT_NUMBER_KEY`]), which orders this create
    /// with the unlocked ones; where it has no counter yet, its study row is locked instead
    /// and the counter looked for again, since unlocked creates need it. The study row is
    /// taken `FOR NO KEY UPDATE`, which creates exclude but the foreign-key checks of
    /// unlocked inserts (`FOR KEY SHARE`) do not: no create waits for another in a cycle.
    pub(super) fn identity_for_create(
        &self,
        tx: &mut dyn Tx,
        name: &str,
    ) -> Result<Option<Identity>, StorageError> {
        let e = err(self.location());
        let rows = tx
            .query(
                "SELECT s.study_id, a.value_json, (SELECT 1 FROM study_system_attributes c \
                 WHERE c.study_id = s.study_id AND c.key = ?3 FOR UPDATE) FROM studies s \
                 LEFT JOIN study_system_attributes a ON a.study_id = s.study_id AND a.key = ?2 \
                 WHERE s.study_name = ?1",
                &[
                    name.into(),
                    optuna::STUDY_INSTANCE_KEY.into(),
                    NEXT_NUMBER_KEY.into(),
                ],
            )
            .map_err(&e)?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let (Some(id), counted) = (row[0].int(), row[2].int().is_some()) else {
            return Err(e("a study row lacks its id".into()));
        };
        if counted {
            return Ok(Some(Identity {
                id,
                instance: row[1].text().map(str::to_owned),
            }));
        }
        let Some(found) = self.identity_locked(tx, name, " FOR NO KEY UPDATE OF s")? else {
            return Ok(None);
        };
        // Created meanwhile by a create that held the study lock before this one: seen now,
        // as this statement's snapshot is taken after that lock was granted.
        tx.query(
            "SELECT 1 FROM study_system_attributes WHERE study_id = ?1 AND key = ?2 FOR UPDATE",
            &[found.id.into(), NEXT_NUMBER_KEY.into()],
        )
        .map_err(&e)?;
        Ok(Some(found))
    }

    /// The study's identity, or [`StorageError::NoStudy`].
    pub(super) fn require(
        &self,
        tx: &mut dyn Tx,
        name: &str,
        lock: bool,
    ) -> Result<Identity, StorageError> {
        self.identity(tx, name, lock)?
            .ok_or_else(|| self.no_study(name))
    }

    pub(super) fn no_study(&self, name: &str) -> StorageError {
        StorageError::NoStudy {
            name: name.to_owned(),
            location: self.location(),
        }
    }

    /// Reads and validates the stored configuration of study `id`.
    pub(super) fn config(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        name: &str,
    ) -> Result<StudyConfig, StorageError> {
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
        let Some(format) = attr(optuna::STUDY_FORMAT_KEY) else {
            // No tuner attributes at all: a study Optuna created.
            return self.optuna_config(tx, id, name);
        };
        let not_ours = || StorageError::NotTuner {
            name: name.to_owned(),
            location: location.clone(),
        };
        let format: i64 = format.parse().map_err(|_| not_ours())?;
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

    /// Stores a study attribute (a JSON text), replacing any value it had.
    fn set_study_attr(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        key: &str,
        json: String,
    ) -> Result<(), StorageError> {
        tx.execute(
            "INSERT INTO study_system_attributes (study_id, key, value_json) VALUES (?1, ?2, ?3) \
             ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json",
            &[id.into(), key.into(), json.into()],
        )
        .map_err(err(self.location()))?;
        Ok(())
    }

    /// Gives a study written before instance tokens one, so its readers can trust what they
    /// have read of it.
    pub(super) fn set_instance(
        &self,
        tx: &mut dyn Tx,
        id: i64,
        instance: &str,
    ) -> Result<(), StorageError> {
        self.set_study_attr(tx, id, optuna::STUDY_INSTANCE_KEY, instance.to_owned())
    }

    /// Inserts a new study with its directions, configuration and instance token; its id.
    pub(super) fn create_study(
        &self,
        tx: &mut dyn Tx,
        config: &StudyConfig,
        instance: &str,
    ) -> Result<i64, StorageError> {
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
            (optuna::STUDY_INSTANCE_KEY, instance.to_owned()),
        ] {
            self.set_study_attr(tx, id, key, value)?;
        }
        Ok(id)
    }

    /// Deletes study `id` and everything of its trials.
    pub(super) fn delete_study_rows(&self, tx: &mut dyn Tx, id: i64) -> Result<(), StorageError> {
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
}
