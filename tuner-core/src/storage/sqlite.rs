//! The embedded default: one SQLite file in Optuna's schema, shared by the processes of one
//! machine. Writers take the database lock up front (`BEGIN IMMEDIATE`) and wait for each other
//! (busy timeout), so a trial is created from the history exactly as it stands.

use super::rdb::retry::{retrying, Attempt};
use super::rdb::{Backend, Mode, Rdb, Sql, Tx};
use super::{Decide, Storage, StorageError, StudyConfig};
use crate::trial::{Metrics, Trial};
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long one attempt waits for another process's transaction; the attempt is then retried
/// (releasing this handle, so its other threads' heartbeats get through meanwhile).
const BUSY_TIMEOUT: Duration = Duration::from_secs(1);

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
    /// when missing. A file that is empty (0 bytes), not a SQLite database, holds other
    /// tables, or has a newer schema is refused with [`StorageError::Schema`] and left
    /// untouched; one that cannot be written says so.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let path = path.as_ref().to_path_buf();
        let location = format!("sqlite:///{}", path.display());
        refuse_empty(&path, &location)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StorageError::Backend {
                location: location.clone(),
                message: format!("cannot create its folder {}: {e}", dir.display()),
            })?;
        }
        if !path.exists() {
            create_whole(&path, &location)?;
        }
        let conn = connect(&path, &location, false)?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(|e| problem(&e, &location))?;
        let backend = SqliteBackend {
            path,
            conn: Mutex::new(conn),
        };
        // The schema is checked before anything is written, so a refused file stays as it was.
        let rdb = Rdb::new(backend).map_err(|e| writable(e, &location))?;
        {
            // WAL lets readers (dashboards, other workers' reads) go on while one worker
            // writes; with FULL sync every committed trial survives a crash or power loss.
            let conn = rdb.backend.conn.lock().unwrap_or_else(|e| e.into_inner());
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
                .map_err(|e| StorageError::Schema {
                    location: location.clone(),
                    message: format!("cannot enable write-ahead logging: {e}"),
                })?;
        }
        Ok(Self { rdb })
    }

    /// Opens an existing database file for reading only: nothing is created or written (no
    /// file, no schema, no journal mode), so the read commands never change what they look
    /// at. A missing file is [`StorageError::Backend`] naming it; a file that is not a study
    /// database is refused as [`open`](Self::open) refuses it.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let path = path.as_ref().to_path_buf();
        let location = format!("sqlite:///{}", path.display());
        if !path.is_file() {
            return Err(StorageError::Backend {
                location,
                message: "no such database file: check the path (nothing was created)".into(),
            });
        }
        refuse_empty(&path, &location)?;
        let conn = connect(&path, &location, true)?;
        let backend = SqliteBackend {
            path,
            conn: Mutex::new(conn),
        };
        Ok(Self {
            rdb: Rdb::existing(backend)?,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.rdb.backend.path
    }
}

/// Creates a new database with its schema under a temporary name and links it into place,
/// so a process killed while creating it never leaves a 0-byte or half-made file (which a
/// restart would refuse); when another process created the file first, theirs stays.
fn create_whole(path: &Path, location: &str) -> Result<(), StorageError> {
    let fail = |message: String| StorageError::Backend {
        location: location.to_owned(),
        message,
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(
        ".{name}.{}-{:08x}.creating",
        std::process::id(),
        rand::random::<u32>()
    ));
    let made = (|| {
        let conn = connect(&tmp, location, false)?;
        conn.execute_batch("PRAGMA synchronous = FULL;")
            .map_err(|e| problem(&e, location))?;
        drop(Rdb::new(SqliteBackend {
            path: tmp.clone(),
            conn: Mutex::new(conn),
        })?);
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(fail(format!("cannot create the database file: {e}"))),
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    made.map_err(|e| writable(e, location))
}

/// Refuses a 0-byte file: SQLite would take it for a new database, and a study folder's
/// checkpoints would then be reused by unrelated trials.
fn refuse_empty(path: &Path, location: &str) -> Result<(), StorageError> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0) {
        return Err(StorageError::Schema {
            location: location.to_owned(),
            message: "the file is empty (0 bytes), so it holds no study (it may have been \
                      truncated); delete it to start a new study there"
                .to_owned(),
        });
    }
    Ok(())
}

/// What is wrong with a file SQLite failed on, by SQLite's error code.
fn problem(e: &rusqlite::Error, location: &str) -> StorageError {
    use rusqlite::ErrorCode as C;
    let schema = |message: String| StorageError::Schema {
        location: location.to_owned(),
        message,
    };
    match e.sqlite_error_code() {
        Some(C::NotADatabase) => schema(format!(
            "it is not a SQLite database (or it is encrypted) ({e})"
        )),
        Some(C::DatabaseCorrupt) => schema(format!("the SQLite database is corrupt ({e})")),
        Some(C::ReadOnly) => StorageError::Backend {
            location: location.to_owned(),
            message: format!(
                "the database is read-only ({e}): check the file's and its folder's \
                 permissions, or read it with a read command"
            ),
        },
        Some(C::CannotOpen | C::PermissionDenied) => StorageError::Backend {
            location: location.to_owned(),
            message: format!(
                "cannot open the file ({e}): check that it exists and that its folder and \
                 the file are readable{}",
                if cfg!(unix) {
                    " (and writable, to write)"
                } else {
                    ""
                }
            ),
        },
        _ => StorageError::Backend {
            location: location.to_owned(),
            message: e.to_string(),
        },
    }
}

/// A write refused because the file or folder is read-only, said so.
fn writable(e: StorageError, location: &str) -> StorageError {
    match e {
        StorageError::Backend { message, .. }
            if message.contains("readonly") || message.contains("read-only") =>
        {
            StorageError::Backend {
                location: location.to_owned(),
                message: format!(
                    "the database is read-only ({message}): check the permissions of the file \
                     and its folder; read commands open it read-only"
                ),
            }
        }
        other => other,
    }
}

/// Opens the file (read-only, or read-write creating it) and reads its header, so a foreign
/// or corrupt file fails here, before anything is written.
fn connect(path: &Path, location: &str, read_only: bool) -> Result<Connection, StorageError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    };
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| problem(&e, location))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| problem(&e, location))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| problem(&e, location))?;
    Ok(conn)
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

/// Whether a SQLite error is another connection's lock, worth another attempt.
fn busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

struct SqliteTx<'c> {
    conn: &'c Connection,
    /// Set when a statement failed on another connection's lock.
    busy: bool,
}

impl SqliteTx<'_> {
    fn fail(&mut self, e: rusqlite::Error) -> String {
        self.busy |= busy(&e);
        e.to_string()
    }

    fn run(&mut self, sql: &str, params: &[Sql]) -> rusqlite::Result<u64> {
        let mut stmt = self.conn.prepare_cached(&translate(sql))?;
        if stmt.column_count() > 0 {
            // A statement returning rows (a lock taken by reading): step through them.
            let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
            let mut n = 0;
            while rows.next()?.is_some() {
                n += 1;
            }
            return Ok(n);
        }
        stmt.execute(rusqlite::params_from_iter(params))
            .map(|n| n as u64)
    }

    fn rows(&mut self, sql: &str, params: &[Sql]) -> rusqlite::Result<Vec<Vec<Sql>>> {
        let mut stmt = self.conn.prepare_cached(&translate(sql))?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i)? {
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

impl Tx for SqliteTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Sql]) -> Result<u64, String> {
        self.run(sql, params).map_err(|e| self.fail(e))
    }

    fn query(&mut self, sql: &str, params: &[Sql]) -> Result<Vec<Vec<Sql>>, String> {
        self.rows(sql, params).map_err(|e| self.fail(e))
    }
}

/// Puts the connection back to syncing every commit when dropped, however a lazy
/// transaction ended.
struct FullSync<'c>(&'c Connection);

impl Drop for FullSync<'_> {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("PRAGMA synchronous = FULL");
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

    // In-process: statements cost no round trip, and SQLite has no data-modifying `WITH`.
    fn writable_ctes(&self) -> bool {
        false
    }

    fn transaction<T>(
        &self,
        mode: Mode,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let location = self.location();
        retrying(&location, || {
            let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
            let fail = |e: rusqlite::Error| {
                let transient = busy(&e);
                let e = StorageError::Backend {
                    location: location.clone(),
                    message: e.to_string(),
                };
                if transient {
                    Attempt::Retry(e)
                } else {
                    Attempt::Fail(e)
                }
            };
            // A lazy commit appends to the log without syncing it; the next full commit syncs
            // the log, and with it this one.
            let lazy = mode == Mode::Lazy;
            if lazy {
                conn.execute_batch("PRAGMA synchronous = NORMAL")
                    .map_err(fail)?;
            }
            let _restore = lazy.then(|| FullSync(&conn));
            conn.execute_batch(match mode {
                Mode::Read => "BEGIN DEFERRED",
                Mode::Write | Mode::Lazy | Mode::Statement => "BEGIN IMMEDIATE",
            })
            .map_err(fail)?;
            let mut tx = SqliteTx {
                conn: &conn,
                busy: false,
            };
            match f(&mut tx) {
                Ok(v) => match conn.execute_batch("COMMIT") {
                    Ok(()) => Ok(v),
                    Err(e) => {
                        let _ = conn.execute_batch("ROLLBACK");
                        Err(fail(e))
                    }
                },
                Err(e) => {
                    let busy = tx.busy;
                    let _ = conn.execute_batch("ROLLBACK");
                    Err(if busy {
                        Attempt::Retry(e)
                    } else {
                        Attempt::Fail(e)
                    })
                }
            }
        })
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
