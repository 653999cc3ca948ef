//! The embedded default: one SQLite file in Optuna's schema, shared by the processes of one
//! machine. Writers take the database lock up front (`BEGIN IMMEDIATE`) and wait for each other
//! (busy timeout), so a trial is created from the history exactly as it stands.

use super::rdb::{Backend, Mode, Rdb, Sql, Tx};
use super::{Decide, Storage, StorageError, StudyConfig};
use crate::trial::{Metrics, Trial};
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// Studies in one SQLite file, readable by Optuna (`sqlite:///path`) and optuna-dashboard.
pub struct SqliteStorage {
    rdb: Rdb<SqliteBackend>,
}

struct SqliteBackend {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.rdb.backend.path)
            .finish()
    }
}

impl SqliteStorage {
    /// Opens (or creates) the database file at `path`, creating its folder and Optuna's tables
    /// when missing. A file that is not a SQLite database, holds other tables, or has a newer
    /// schema is refused with [`StorageError::Schema`] and left untouched.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let path = path.as_ref().to_path_buf();
        let location = format!("sqlite:///{}", path.display());
        let fail = |message: String| StorageError::Schema {
            location: location.clone(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StorageError::Backend {
                location: location.clone(),
                message: format!("cannot create its folder {}: {e}", dir.display()),
            })?;
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| fail(format!("cannot open it as a SQLite database: {e}")))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| fail(e.to_string()))?;
        // Reading the header first: a foreign or corrupt file fails here, before any write.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| {
            fail(format!(
                "it is not a SQLite database, or it is corrupt ({e})"
            ))
        })?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(|e| fail(e.to_string()))?;
        let backend = SqliteBackend {
            path,
            conn: Mutex::new(conn),
        };
        // The schema is checked before anything is written, so a refused file stays as it was.
        let rdb = Rdb::new(backend)?;
        {
            // WAL lets readers (dashboards, other workers' reads) go on while one worker
            // writes; with FULL sync every committed trial survives a crash or power loss.
            let conn = rdb.backend.conn.lock().unwrap_or_else(|e| e.into_inner());
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
                .map_err(|e| fail(format!("cannot enable write-ahead logging: {e}")))?;
        }
        Ok(Self { rdb })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.rdb.backend.path
    }
}

/// `?N` parameters are SQLite's own; the tokens become SQLite's date functions, and locks are
/// no-ops because `BEGIN IMMEDIATE` already makes each write transaction exclusive.
fn translate(sql: &str) -> String {
    if sql == "{lock_schema}" {
        return "SELECT 1".to_owned();
    }
    let mut out = sql.replace("{now}", "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')");
    while let Some(start) = out.find("{age:") {
        let end = start + out[start..].find('}').unwrap_or(out.len() - start);
        let column = out[start + 5..end].to_owned();
        out.replace_range(
            start..=end,
            &format!("((julianday('now') - julianday({column})) * 86400.0)"),
        );
    }
    while let Some(start) = out.find("{for_update:") {
        let end = start + out[start..].find('}').unwrap_or(out.len() - start);
        out.replace_range(start..=end, "");
    }
    out
}

impl rusqlite::ToSql for Sql {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Sql::Null => ToSqlOutput::Owned(SqlValue::Null),
            Sql::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Sql::Real(r) => ToSqlOutput::Owned(SqlValue::Real(*r)),
            Sql::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

struct SqliteTx<'c>(&'c Connection);

impl Tx for SqliteTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Sql]) -> Result<u64, String> {
        let mut stmt = self
            .0
            .prepare_cached(&translate(sql))
            .map_err(|e| e.to_string())?;
        if stmt.column_count() > 0 {
            // A statement returning rows (a lock taken by reading): step through them.
            let mut rows = stmt
                .query(rusqlite::params_from_iter(params))
                .map_err(|e| e.to_string())?;
            let mut n = 0;
            while rows.next().map_err(|e| e.to_string())?.is_some() {
                n += 1;
            }
            return Ok(n);
        }
        stmt.execute(rusqlite::params_from_iter(params))
            .map(|n| n as u64)
            .map_err(|e| e.to_string())
    }

    fn query(&mut self, sql: &str, params: &[Sql]) -> Result<Vec<Vec<Sql>>, String> {
        let mut stmt = self
            .0
            .prepare_cached(&translate(sql))
            .map_err(|e| e.to_string())?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| e.to_string())? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(|e| e.to_string())? {
                    ValueRef::Null => Sql::Null,
                    ValueRef::Integer(v) => Sql::Int(v),
                    ValueRef::Real(v) => Sql::Real(v),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Sql::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl Backend for SqliteBackend {
    fn location(&self) -> String {
        format!("sqlite:///{}", self.path.display())
    }

    fn tables(&self, tx: &mut dyn Tx) -> Result<Vec<String>, String> {
        let rows = tx.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            &[],
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|r| match r.into_iter().next() {
                Some(Sql::Text(t)) => Some(t),
                _ => None,
            })
            .collect())
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn transaction<T>(
        &self,
        mode: Mode,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let fail = |e: rusqlite::Error| StorageError::Backend {
            location: self.location(),
            message: e.to_string(),
        };
        conn.execute_batch(match mode {
            Mode::Read => "BEGIN DEFERRED",
            Mode::Write => "BEGIN IMMEDIATE",
        })
        .map_err(fail)?;
        match f(&mut SqliteTx(&conn)) {
            Ok(v) => match conn.execute_batch("COMMIT") {
                Ok(()) => Ok(v),
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    Err(fail(e))
                }
            },
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// Optuna's tables exactly as SQLAlchemy creates them on SQLite (Optuna 4.x/5.x).
const SCHEMA: &[&str] = &[
    "CREATE TABLE studies (study_id INTEGER NOT NULL, study_name VARCHAR(512) NOT NULL, \
     PRIMARY KEY (study_id))",
    "CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name)",
    "CREATE TABLE version_info (version_info_id INTEGER NOT NULL, schema_version INTEGER, \
     library_version VARCHAR(256), PRIMARY KEY (version_info_id), CHECK (version_info_id=1))",
    "CREATE TABLE study_directions (study_direction_id INTEGER NOT NULL, \
     direction VARCHAR(8) NOT NULL, study_id INTEGER NOT NULL, objective INTEGER NOT NULL, \
     PRIMARY KEY (study_direction_id), UNIQUE (study_id, objective), \
     FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE TABLE study_user_attributes (study_user_attribute_id INTEGER NOT NULL, \
     study_id INTEGER, \"key\" VARCHAR(512), value_json TEXT, \
     PRIMARY KEY (study_user_attribute_id), UNIQUE (study_id, \"key\"), \
     FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE TABLE study_system_attributes (study_system_attribute_id INTEGER NOT NULL, \
     study_id INTEGER, \"key\" VARCHAR(512), value_json TEXT, \
     PRIMARY KEY (study_system_attribute_id), UNIQUE (study_id, \"key\"), \
     FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE TABLE trials (trial_id INTEGER NOT NULL, number INTEGER, study_id INTEGER, \
     state VARCHAR(8) NOT NULL, datetime_start DATETIME, datetime_complete DATETIME, \
     PRIMARY KEY (trial_id), FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE INDEX ix_trials_study_id ON trials (study_id)",
    "CREATE TABLE trial_user_attributes (trial_user_attribute_id INTEGER NOT NULL, \
     trial_id INTEGER, \"key\" VARCHAR(512), value_json TEXT, \
     PRIMARY KEY (trial_user_attribute_id), UNIQUE (trial_id, \"key\"), \
     FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_system_attributes (trial_system_attribute_id INTEGER NOT NULL, \
     trial_id INTEGER, \"key\" VARCHAR(512), value_json TEXT, \
     PRIMARY KEY (trial_system_attribute_id), UNIQUE (trial_id, \"key\"), \
     FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_params (param_id INTEGER NOT NULL, trial_id INTEGER, \
     param_name VARCHAR(512), param_value FLOAT, distribution_json TEXT, \
     PRIMARY KEY (param_id), UNIQUE (trial_id, param_name), \
     FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_values (trial_value_id INTEGER NOT NULL, trial_id INTEGER NOT NULL, \
     objective INTEGER NOT NULL, value FLOAT, value_type VARCHAR(7) NOT NULL, \
     PRIMARY KEY (trial_value_id), UNIQUE (trial_id, objective), \
     FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_intermediate_values (trial_intermediate_value_id INTEGER NOT NULL, \
     trial_id INTEGER NOT NULL, step INTEGER NOT NULL, intermediate_value FLOAT, \
     intermediate_value_type VARCHAR(7) NOT NULL, PRIMARY KEY (trial_intermediate_value_id), \
     UNIQUE (trial_id, step), FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_heartbeats (trial_heartbeat_id INTEGER NOT NULL, \
     trial_id INTEGER NOT NULL, heartbeat DATETIME NOT NULL, \
     PRIMARY KEY (trial_heartbeat_id), UNIQUE (trial_id), \
     FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
     CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
];

/// Forwards [`Storage`] to the schema logic, for each SQL backend's public type.
macro_rules! forward_storage {
    ($ty:ty) => {
        impl Storage for $ty {
            fn location(&self) -> String {
                self.rdb.location()
            }
            fn open_study(
                &self,
                config: &StudyConfig,
                overwrite: bool,
            ) -> Result<StudyConfig, StorageError> {
                self.rdb.open_study(config, overwrite)
            }
            fn study_names(&self) -> Result<Vec<String>, StorageError> {
                self.rdb.study_names()
            }
            fn study(&self, name: &str) -> Result<StudyConfig, StorageError> {
                self.rdb.study(name)
            }
            fn delete_study(&self, name: &str) -> Result<(), StorageError> {
                self.rdb.delete_study(name)
            }
            fn trials(&self, study: &str) -> Result<Vec<Trial>, StorageError> {
                self.rdb.trials(study)
            }
            fn create_trial(
                &self,
                study: &str,
                stale_after: Option<Duration>,
                decide: &mut Decide<'_>,
            ) -> Result<Option<Trial>, StorageError> {
                self.rdb.create_trial(study, stale_after, decide)
            }
            fn report(
                &self,
                study: &str,
                number: u64,
                epoch: u32,
                metrics: &Metrics,
            ) -> Result<(), StorageError> {
                self.rdb.report(study, number, epoch, metrics)
            }
            fn heartbeat(&self, study: &str, number: u64) -> Result<(), StorageError> {
                self.rdb.heartbeat(study, number)
            }
            fn update_trial(&self, study: &str, trial: &Trial) -> Result<(), StorageError> {
                self.rdb.update_trial(study, trial)
            }
        }
    };
}
#[cfg(feature = "postgres")]
pub(crate) use forward_storage;

forward_storage!(SqliteStorage);

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn tokens_become_sqlite_date_functions() {
        let sql = translate("SELECT 1 WHERE {age:h.heartbeat} > ?2 AND x = {now}");
        assert!(sql.contains("julianday(h.heartbeat)"), "{sql}");
        assert!(sql.contains("strftime"), "{sql}");
        assert!(!sql.contains('{'), "{sql}");
    }
}
