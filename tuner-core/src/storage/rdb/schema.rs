//! The schema: created in an empty database, and any other database refused unless it is
//! exactly Optuna's current schema.

use super::{err, Backend, Mode, Rdb, Tx};
use crate::storage::optuna;
use crate::storage::StorageError;

impl<B: Backend> Rdb<B> {
    /// Creates Optuna's tables in an empty database; refuses one that is not Optuna's current
    /// schema, leaving it untouched.
    pub(super) fn init_schema(&self) -> Result<(), StorageError> {
        let location = self.location();
        self.timed(Mode::Write, &mut |tx| {
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

    /// Refuses a database that is not Optuna's current schema, reading only (an empty one
    /// holds no study, and is refused too).
    pub(super) fn check_existing_schema(&self) -> Result<(), StorageError> {
        let location = self.location();
        self.timed(Mode::Read, &mut |tx| {
            let tables = self.backend.tables(tx).map_err(err(location.clone()))?;
            if tables.is_empty() {
                return Err(StorageError::Schema {
                    location: location.clone(),
                    message: "the database holds no tables, so no study".to_owned(),
                });
            }
            check_schema(tx, &tables, &location)
        })
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
