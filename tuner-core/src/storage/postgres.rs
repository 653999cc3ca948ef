//! PostgreSQL in Optuna's schema, for workers on many machines: a new trial is stored under
//! the study row's lock (`SELECT ... FOR UPDATE`), so trial numbers and decisions never
//! collide. Every session bounds its lock waits (`lock_timeout`, then retried) and has the
//! server end it when it idles inside a transaction (a stopped or paused worker), so no
//! worker holds the others up; a lost connection is reopened and the transaction run again.

use super::rdb::retry::{retrying, Attempt};
use super::rdb::{Backend, Mode, Rdb, Sql, Tx};
use super::sqlite::forward_storage;
use super::{Decide, Storage, StorageError, StudyConfig};
use crate::trial::{Metrics, Trial};
use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, Kind, ToSql, Type};
use postgres::{Client, Config, NoTls, Statement};
use std::collections::HashMap;
use std::error::Error;
use std::sync::Mutex;
use std::time::Duration;

/// How long connecting may take before the URL is reported unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Each session's settings: a lock wait gives up after a second (and is retried, releasing
/// this handle meanwhile); the server ends a session left idle in a transaction for three
/// seconds, which only a stopped or hung worker does (ours run no user code inside one).
/// Our statements are prepared once per session and planned once (a generic plan): each
/// reads or writes a few rows by key, written so that a plan knowing no parameter serves them
/// by the keys (see `rdb/read.rs`, `NO_ROW_ABOVE`); planning them again on every run (what
/// the server chose for the reads, ~0.9 ms each) cost more than running them. Index reads
/// are priced as cached pages (the default prices a disk seek), else the few trials' rows
/// are found by a scan and a hash join of the whole study (~1,800 buffer reads per ask of a
/// 16-worker study).
const SESSION: &str = "SET lock_timeout = '1s'; SET idle_in_transaction_session_timeout = '3s'; \
                       SET plan_cache_mode = force_generic_plan; SET random_page_cost = 1.1";
/// An arbitrary key for the advisory lock that serialises schema and study creation.
const SCHEMA_LOCK: i64 = 0x74_756e_6572;

/// Studies in a PostgreSQL database, shared by workers on any number of machines.
pub struct PostgresStorage {
    rdb: Rdb<PgBackend>,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage")
            .field("url", &self.rdb.backend.location)
            .finish()
    }
}

struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// A transaction was begun and not ended: a caller's closure panicked inside it.
    open: bool,
}

struct PgBackend {
    config: Config,
    location: String,
    conn: Mutex<PgConn>,
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = &url[s + 3..at];
            match user.split_once(':') {
                Some((name, _)) => format!("{}{name}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn connect(config: &Config, location: &str) -> Result<Client, StorageError> {
    let fail = |e: postgres::Error| StorageError::Backend {
        location: location.to_owned(),
        message: format!(
            "cannot connect to PostgreSQL: {e}{}; check that the server runs and the URL's \
             user, host, port and database are right",
            e.source().map(|s| format!(" ({s})")).unwrap_or_default()
        ),
    };
    let mut client = config.connect(NoTls).map_err(fail)?;
    client.batch_execute(SESSION).map_err(fail)?;
    Ok(client)
}

/// Whether an error is transient: the connection lost (server restart, network, a session
/// ended by the server), a lock wait timed out, or the server asks to try again.
fn transient(e: &postgres::Error) -> bool {
    if e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>()) {
        return true;
    }
    e.code().is_some_and(|c| {
        let c = c.code();
        c.starts_with("08")
            || [
                "57P01", "57P02", "57P03", "25P03", "55P03", "40001", "40P01", "53300",
            ]
            .contains(&c)
    })
}

impl PostgresStorage {
    /// Connects to `postgresql://user[:password]@host[:port]/database`, creating Optuna's
    /// tables in an empty database and refusing one holding other tables or a newer schema.
    pub fn connect(url: &str) -> Result<Self, StorageError> {
        Ok(Self {
            rdb: Rdb::new(Self::backend(url)?)?,
        })
    }

    /// Connects for reading only: nothing is created or written, and a database without
    /// Optuna's schema is refused rather than given one.
    pub fn connect_read_only(url: &str) -> Result<Self, StorageError> {
        Ok(Self {
            rdb: Rdb::existing(Self::backend(url)?)?,
        })
    }

    fn backend(url: &str) -> Result<PgBackend, StorageError> {
        let location = redact(url);
        let mut config: Config = url.parse().map_err(|e| StorageError::Backend {
            location: location.clone(),
            message: format!("not a PostgreSQL URL: {e}"),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let client = connect(&config, &location)?;
        Ok(PgBackend {
            config,
            location,
            conn: Mutex::new(PgConn {
                client,
                statements: HashMap::new(),
                open: false,
            }),
        })
    }
}

/// `?N` becomes `$N`; the tokens become PostgreSQL's clock and row locks.
fn translate(sql: &str) -> String {
    if sql == "{lock_schema}" {
        return format!("SELECT pg_advisory_xact_lock({SCHEMA_LOCK})");
    }
    // The clock as the statement runs: `now()` is the transaction's start, which a write that
    // waited for a lock would stamp into the past.
    let now = "(clock_timestamp() AT TIME ZONE 'UTC')";
    let mut out = String::with_capacity(sql.len() + 32);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '?' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => out.push('$'),
            '{' => {
                let mut token = String::new();
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                    token.push(d);
                }
                if token == "now" {
                    out.push_str(now);
                } else if let Some(column) = token.strip_prefix("age:") {
                    out.push_str(&format!("(EXTRACT(EPOCH FROM ({now} - {column})))::float8"));
                } else if let Some(table) = token.strip_prefix("for_update:") {
                    out.push_str(&format!(" FOR UPDATE OF {table}"));
                } else {
                    out.push('{');
                    out.push_str(&token);
                    out.push('}');
                }
            }
            c => out.push(c),
        }
    }
    out
}

impl ToSql for Sql {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Sql::Null => Ok(IsNull::Yes),
            Sql::Int(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Sql::Real(r) => match *ty {
                Type::FLOAT4 => (*r as f32).to_sql(ty, out),
                _ => r.to_sql(ty, out),
            },
            // An enum's binary form is its label.
            Sql::Text(s) if matches!(ty.kind(), Kind::Enum(_)) => {
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            Sql::Text(s) => s.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// One returned value of any column type we select.
struct Cell(Sql);

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Cell(match *ty {
            Type::INT2 => Sql::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Sql::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Sql::Int(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => Sql::Real(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Sql::Real(f64::from_sql(ty, raw)?),
            _ if matches!(ty.kind(), Kind::Enum(_)) => Sql::Text(std::str::from_utf8(raw)?.into()),
            _ => Sql::Text(<&str>::from_sql(ty, raw)?.to_owned()),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Cell(Sql::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Statements inside the transaction opened on `client` (by hand, so that a lazy one opens
/// with its setting in the same round trip).
struct PgTx<'t> {
    client: &'t mut Client,
    statements: &'t mut HashMap<String, Statement>,
    /// Set when a statement failed transiently: the transaction is worth another attempt.
    transient: bool,
}

impl PgTx<'_> {
    fn fail(&mut self, e: &postgres::Error) -> String {
        self.transient |= transient(e);
        message(e)
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, String> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = match self.client.prepare(&translate(sql)) {
            Ok(s) => s,
            Err(e) => return Err(self.fail(&e)),
        };
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

fn message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

fn refs(params: &[Sql]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Tx for PgTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Sql]) -> Result<u64, String> {
        let statement = self.statement(sql)?;
        match self.client.execute(&statement, &refs(params)) {
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail(&e)),
        }
    }

    fn query(&mut self, sql: &str, params: &[Sql]) -> Result<Vec<Vec<Sql>>, String> {
        let statement = self.statement(sql)?;
        let rows = match self.client.query(&statement, &refs(params)) {
            Ok(rows) => rows,
            Err(e) => return Err(self.fail(&e)),
        };
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        row.try_get::<_, Cell>(i)
                            .map(|c| c.0)
                            .map_err(|e| message(&e))
                    })
                    .collect()
            })
            .collect()
    }
}

impl Backend for PgBackend {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn tables(&self, tx: &mut dyn Tx) -> Result<Vec<String>, String> {
        let rows = tx.query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
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

    // Each statement is a round trip to the server: a new trial is one.
    fn writable_ctes(&self) -> bool {
        true
    }

    fn transaction<T>(
        &self,
        mode: Mode,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        retrying(&self.location, || {
            let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
            if guard.client.is_closed() {
                // The server went away (restart, network, session ended): a fresh connection
                // and new statements; while it cannot be had, retried like any transient error.
                guard.client = connect(&self.config, &self.location).map_err(Attempt::Retry)?;
                guard.statements.clear();
                guard.open = false;
            }
            let fail = |e: postgres::Error| {
                let retry = transient(&e);
                let e = StorageError::Backend {
                    location: self.location.clone(),
                    message: message(&e),
                };
                if retry {
                    Attempt::Retry(e)
                } else {
                    Attempt::Fail(e)
                }
            };
            let PgConn {
                client,
                statements,
                open,
            } = &mut *guard;
            if std::mem::take(open) {
                client.batch_execute("ROLLBACK").map_err(fail)?;
            }
            // A read runs its statements on their own: under READ COMMITTED each statement
            // of a transaction sees its own snapshot anyway, so BEGIN and COMMIT would only
            // add two round trips (and a read takes no lock that must outlive a statement).
            let begin = match mode {
                // Committed without waiting for the log's flush: the next synchronous
                // commit (of any session) flushes it, and the server's log writer within
                // 200 ms.
                Mode::Lazy => Some("BEGIN; SET LOCAL synchronous_commit = off"),
                Mode::Write => Some("BEGIN"),
                // A statement outside a transaction block commits by itself.
                Mode::Read | Mode::Statement => None,
            };
            if let Some(begin) = begin {
                client.batch_execute(begin).map_err(fail)?;
                *open = true;
            }
            let mut pg = PgTx {
                client,
                statements,
                transient: false,
            };
            let result = f(&mut pg);
            let retry = pg.transient;
            let began = std::mem::take(open);
            match result {
                Ok(v) => {
                    // A failed commit ends the transaction (rolled back) as well.
                    if began {
                        client.batch_execute("COMMIT").map_err(fail)?;
                    }
                    Ok(v)
                }
                Err(e) => {
                    // A lost connection has rolled it back already.
                    if began {
                        let _ = client.batch_execute("ROLLBACK");
                    }
                    Err(if retry {
                        Attempt::Retry(e)
                    } else {
                        Attempt::Fail(e)
                    })
                }
            }
        })
    }
}

/// Optuna's tables and enum types exactly as SQLAlchemy creates them on PostgreSQL.
const SCHEMA: &[&str] = &[
    "CREATE TYPE studydirection AS ENUM ('NOT_SET', 'MINIMIZE', 'MAXIMIZE')",
    "CREATE TYPE trialintermediatevaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG', 'NAN')",
    "CREATE TYPE trialstate AS ENUM ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')",
    "CREATE TYPE trialvaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG')",
    "CREATE TABLE studies (study_id SERIAL NOT NULL, study_name VARCHAR(512) NOT NULL, \
     PRIMARY KEY (study_id))",
    "CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name)",
    "CREATE TABLE version_info (version_info_id INTEGER NOT NULL, schema_version INTEGER, \
     library_version VARCHAR(256), PRIMARY KEY (version_info_id), \
     CONSTRAINT version_info_version_info_id_check CHECK (version_info_id = 1))",
    "CREATE TABLE study_directions (study_direction_id SERIAL NOT NULL, \
     direction studydirection NOT NULL, study_id INTEGER NOT NULL, objective INTEGER NOT NULL, \
     PRIMARY KEY (study_direction_id), UNIQUE (study_id, objective), \
     FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE TABLE study_user_attributes (study_user_attribute_id SERIAL NOT NULL, \
     study_id INTEGER, key VARCHAR(512), value_json TEXT, \
     PRIMARY KEY (study_user_attribute_id), UNIQUE (study_id, key), \
     FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE TABLE study_system_attributes (study_system_attribute_id SERIAL NOT NULL, \
     study_id INTEGER, key VARCHAR(512), value_json TEXT, \
     PRIMARY KEY (study_system_attribute_id), UNIQUE (study_id, key), \
     FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE TABLE trials (trial_id SERIAL NOT NULL, number INTEGER, study_id INTEGER, \
     state trialstate NOT NULL, datetime_start TIMESTAMP WITHOUT TIME ZONE, \
     datetime_complete TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (trial_id), \
     FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE INDEX ix_trials_study_id ON trials (study_id)",
    "CREATE TABLE trial_user_attributes (trial_user_attribute_id SERIAL NOT NULL, \
     trial_id INTEGER, key VARCHAR(512), value_json TEXT, \
     PRIMARY KEY (trial_user_attribute_id), UNIQUE (trial_id, key), \
     FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_system_attributes (trial_system_attribute_id SERIAL NOT NULL, \
     trial_id INTEGER, key VARCHAR(512), value_json TEXT, \
     PRIMARY KEY (trial_system_attribute_id), UNIQUE (trial_id, key), \
     FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_params (param_id SERIAL NOT NULL, trial_id INTEGER, \
     param_name VARCHAR(512), param_value DOUBLE PRECISION, distribution_json TEXT, \
     PRIMARY KEY (param_id), UNIQUE (trial_id, param_name), \
     FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_values (trial_value_id SERIAL NOT NULL, trial_id INTEGER NOT NULL, \
     objective INTEGER NOT NULL, value DOUBLE PRECISION, value_type trialvaluetype NOT NULL, \
     PRIMARY KEY (trial_value_id), UNIQUE (trial_id, objective), \
     FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_intermediate_values (trial_intermediate_value_id SERIAL NOT NULL, \
     trial_id INTEGER NOT NULL, step INTEGER NOT NULL, intermediate_value DOUBLE PRECISION, \
     intermediate_value_type trialintermediatevaluetype NOT NULL, \
     PRIMARY KEY (trial_intermediate_value_id), UNIQUE (trial_id, step), \
     FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_heartbeats (trial_heartbeat_id SERIAL NOT NULL, \
     trial_id INTEGER NOT NULL, heartbeat TIMESTAMP WITHOUT TIME ZONE NOT NULL, \
     PRIMARY KEY (trial_heartbeat_id), UNIQUE (trial_id), \
     FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
     CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
];

forward_storage!(PostgresStorage);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_tokens_become_postgres() {
        let sql = translate("SELECT 1 FROM t WHERE a = ?1 AND {age:h.hb} > ?12{for_update:t}");
        assert_eq!(
            sql,
            "SELECT 1 FROM t WHERE a = $1 AND (EXTRACT(EPOCH FROM ((clock_timestamp() AT TIME \
             ZONE 'UTC') - h.hb)))::float8 > $12 FOR UPDATE OF t"
        );
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgresql://u:secret@h:5/db"),
            "postgresql://u:***@h:5/db"
        );
        assert_eq!(redact("postgresql://u@h/db"), "postgresql://u@h/db");
    }
}
