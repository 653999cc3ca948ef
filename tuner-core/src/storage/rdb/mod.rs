//! Studies and trials in Optuna's RDB schema, written once over a minimal SQL interface that
//! the SQLite and PostgreSQL backends implement.
//!
//! Statements use `?1`-style parameters, `{now}` for the database's UTC clock as the
//! statement runs (never the transaction's start: a write that waited stamps when it ran),
//! `{age:column}` for a timestamp column's age in seconds, `{for_update:table}` for a row lock
//! (a no-op where write transactions exclude each other) and `{lock_schema}` for a statement
//! serialising schema and study creation; each backend translates them.
//!
//! A handle keeps what it has read of each study ([`cache`]) and per call reads only what may
//! have changed, so a call costs the same at trial 10 as at trial 10,000.

mod cache;
mod create;
mod final_write;
mod foreign;
mod read;
pub(crate) mod retry;
mod schema;
mod stale;
mod study;
mod write;

use super::{Decide, StorageError, StudyConfig};
use crate::trial::{Metrics, Trial};
use cache::{Caches, StudyCache};
use final_write::Known;
use read::Which;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use study::{new_instance, Identity};

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
    /// A write whose commit need not wait for the disk: the next `Write` commit of any
    /// session makes it durable with everything before it. For what costs nothing if lost in a
    /// crash of the machine (a heartbeat), or what must not hold a lock across a disk flush
    /// (a new trial under the study lock).
    Lazy,
    /// One write statement, durable as a `Write`, that is its own transaction: where a
    /// statement commits by itself (PostgreSQL), BEGIN and COMMIT are two round trips saved.
    /// The closure runs at most one writing statement.
    Statement,
}

/// A database that runs closures in transactions, committing when they return `Ok`.
pub(crate) trait Backend: Send + Sync {
    /// The file or URL, for messages.
    fn location(&self) -> String;
    /// The names of the tables present.
    fn tables(&self, tx: &mut dyn Tx) -> Result<Vec<String>, String>;
    /// Statements creating Optuna's tables (and types) in an empty database.
    fn schema(&self) -> &'static [&'static str];
    /// Whether one statement may insert into several tables (PostgreSQL's data-modifying
    /// `WITH`), so that a new trial is stored in one round trip under the study lock.
    fn writable_ctes(&self) -> bool;
    /// Runs `f` in a transaction, running it again from the start on a transient failure (a
    /// lock wait that timed out, a lost connection) for up to [`retry::RETRY_FOR`].
    fn transaction<T>(
        &self,
        mode: Mode,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<T, StorageError>,
    ) -> Result<T, StorageError>;
}

/// Optuna's schema over a backend: the shared logic of the SQL storages.
pub(crate) struct Rdb<B> {
    pub(crate) backend: B,
    /// What this handle has read of each study; locked only inside a transaction (after
    /// the backend's connection), so the two locks are always taken in the same order.
    cache: Mutex<Caches>,
    /// When this handle's last slow transaction ended: stale windows restart there.
    slow_at: Mutex<Option<Instant>>,
    /// When this handle was ready (its schema checked): it has seen nothing from before.
    born: Instant,
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
        let rdb = Rdb {
            backend,
            cache: Mutex::new(Caches::new()),
            slow_at: Mutex::new(None),
            born: Instant::now(),
        };
        rdb.init_schema()?;
        // Opening may have waited on another's lock: nothing was seen before now.
        let mut rdb = rdb;
        rdb.born = Instant::now();
        Ok(rdb)
    }

    /// Wraps a backend over an existing study database, writing nothing: for reading.
    pub(crate) fn existing(backend: B) -> Result<Self, StorageError> {
        let rdb = Rdb {
            backend,
            cache: Mutex::new(Caches::new()),
            slow_at: Mutex::new(None),
            born: Instant::now(),
        };
        rdb.check_existing_schema()?;
        let mut rdb = rdb;
        rdb.born = Instant::now();
        Ok(rdb)
    }

    fn location(&self) -> String {
        self.backend.location()
    }

    /// Runs `f` in a transaction with the cache at hand; a slow one is noted (see `stale.rs`).
    fn with_cache<T>(
        &self,
        mode: Mode,
        f: &mut dyn FnMut(&mut dyn Tx, &mut Caches) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        self.timed(mode, &mut |tx| f(tx, &mut self.caches()))
    }

    /// Runs `f` in a transaction, noting a slow one (see `stale.rs`).
    fn timed<T>(
        &self,
        mode: Mode,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let started = Instant::now();
        let result = self.backend.transaction(mode, f);
        if started.elapsed() > stale::SLOW {
            self.note_slow();
        }
        result
    }

    /// Records that a transaction of this handle just had to wait.
    fn note_slow(&self) {
        *self.slow_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }

    /// When this handle's last slow transaction ended.
    fn calm_since(&self) -> Option<Instant> {
        *self.slow_at.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cache; one left half-updated by a panic is dropped rather than trusted.
    fn caches(&self) -> MutexGuard<'_, Caches> {
        self.cache.lock().unwrap_or_else(|poisoned| {
            self.cache.clear_poison();
            let mut caches = poisoned.into_inner();
            caches.clear();
            caches
        })
    }

    /// What has been read of study `name`, checked against the database: a study re-created
    /// since (a new instance token) or without a token starts afresh, configuration included.
    fn current<'c>(
        &self,
        tx: &mut dyn Tx,
        caches: &'c mut Caches,
        name: &str,
        lock: bool,
    ) -> Result<&'c mut StudyCache, StorageError> {
        let identity = self.identity(tx, name, lock)?;
        self.current_as(tx, caches, name, identity)
    }

    /// [`current`](Self::current) with the study's identity as just read (`None`: gone).
    fn current_as<'c>(
        &self,
        tx: &mut dyn Tx,
        caches: &'c mut Caches,
        name: &str,
        identity: Option<Identity>,
    ) -> Result<&'c mut StudyCache, StorageError> {
        let Some(identity) = identity else {
            caches.remove(name);
            return Err(self.no_study(name));
        };
        if !caches.get(name).is_some_and(|c| c.is_of(&identity)) {
            let config = self.config(tx, identity.id, name)?;
            caches.insert(name.to_owned(), StudyCache::new(identity, config));
        }
        Ok(caches.get_mut(name).expect("inserted above"))
    }

    /// Reads the trials created since the last read.
    fn refresh_new(&self, tx: &mut dyn Tx, cache: &mut StudyCache) -> Result<(), StorageError> {
        let loaded = self.load_trials(tx, cache.identity.id, Which::After(cache.last_row()))?;
        cache.merge(loaded);
        Ok(())
    }

    /// Brings every trial up to date: the running ones read again (their epochs too), new
    /// ones read.
    fn refresh(&self, tx: &mut dyn Tx, cache: &mut StudyCache) -> Result<(), StorageError> {
        let open = cache.open_rows();
        let loaded = self.load_trials(tx, cache.identity.id, Which::Rows(&open))?;
        self.take_in(cache, &open, loaded);
        self.refresh_new(tx, cache)
    }

    /// What a decision needs, read cheaply: of the running trials only those that ended
    /// since (one statement finds them by state), and the trials created since. A running
    /// trial's epochs are not read again: no oracle decides from an unfinished curve.
    fn refresh_ended(&self, tx: &mut dyn Tx, cache: &mut StudyCache) -> Result<(), StorageError> {
        let open = cache.open_rows();
        if !open.is_empty() && open.len() <= read::ROWS_PER_STATEMENT {
            // The usual case, in one statement: the new trials, the ended ones, and a count
            // of the open rows still there.
            let after = cache.last_row();
            let read =
                self.load_counting(tx, cache.identity.id, Which::Changed { after, open: &open })?;
            if read.still_there < open.len() {
                // A row read before is gone: the database was edited by hand. Start over.
                cache.forget_trials();
                return self.refresh_new(tx, cache);
            }
            cache.merge(read.trials);
            return Ok(());
        }
        let mut ended = Vec::new();
        let mut found = 0;
        for chunk in open.chunks(read::ROWS_PER_STATEMENT) {
            let (list, mut bind) = read::id_list(chunk, 2);
            bind.insert(0, cache.identity.id.into());
            let rows = tx
                .query(
                    &format!(
                        "SELECT trial_id, state FROM trials \
                         WHERE study_id = ?1 AND trial_id IN ({list})"
                    ),
                    &bind,
                )
                .map_err(err(self.location()))?;
            found += rows.len();
            ended.extend(
                rows.iter()
                    .filter(|r| r[1].text() != Some("RUNNING"))
                    .filter_map(|r| r[0].int()),
            );
        }
        if found < open.len() {
            // A row read before is gone: the database was edited by hand. Start over.
            cache.forget_trials();
        } else if !ended.is_empty() {
            let loaded = self.load_trials(tx, cache.identity.id, Which::Rows(&ended))?;
            self.take_in(cache, &ended, loaded);
        }
        self.refresh_new(tx, cache)
    }

    /// [`current`](Self::current) then [`refresh_ended`](Self::refresh_ended), in the usual
    /// case (a trusted copy with at most [`read::ROWS_PER_STATEMENT`] running trials) in one
    /// statement that also checks the copy's instance token.
    fn current_ended<'c>(
        &self,
        tx: &mut dyn Tx,
        caches: &'c mut Caches,
        name: &str,
    ) -> Result<&'c mut StudyCache, StorageError> {
        let fresh = match caches.get_mut(name) {
            Some(cache) if cache.identity.instance.is_some() => {
                let open = cache.open_rows();
                let after = cache.last_row();
                open.len() <= read::ROWS_PER_STATEMENT && {
                    let changed = Which::Changed { after, open: &open };
                    let read = self.load_counting(tx, cache.identity.id, changed)?;
                    // Else the study was deleted or created again, or a row read before is
                    // gone: the general path sorts it out.
                    let same =
                        read.instance == cache.identity.instance && read.still_there == open.len();
                    if same {
                        cache.merge(read.trials);
                    }
                    same
                }
            }
            _ => false,
        };
        if fresh {
            return Ok(caches.get_mut(name).expect("read above"));
        }
        let cache = self.current(tx, caches, name, false)?;
        self.refresh_ended(tx, cache)?;
        Ok(cache)
    }

    /// Merges trials read again by row; when one of `rows` was not found (a row read before
    /// is gone: only a foreign edit of the database does that), starts over.
    fn take_in(&self, cache: &mut StudyCache, rows: &[i64], loaded: Vec<read::Loaded>) {
        if loaded.len() < rows.len() {
            cache.forget_trials();
        } else {
            cache.merge(loaded);
        }
    }

    /// The row id and Optuna state of trial `number`, the row locked for the transaction.
    fn trial_row(
        &self,
        tx: &mut dyn Tx,
        cache: &mut StudyCache,
        study: &str,
        number: u64,
    ) -> Result<(i64, String), StorageError> {
        let e = err(self.location());
        let id = cache.identity.id;
        if let Some(row) = cache.hint(number) {
            let rows = tx
                .query(
                    "SELECT state FROM trials \
                     WHERE trial_id = ?1 AND study_id = ?2 AND number = ?3{for_update:trials}",
                    &[row.into(), id.into(), (number as i64).into()],
                )
                .map_err(&e)?;
            if let Some(r) = rows.first() {
                return Ok((row, r[0].text().unwrap_or_default().to_owned()));
            }
            // Hints name only rows read or committed: this trial's row is gone (a foreign
            // edit, or a new trial's lazy commit lost to a server crash), and a trial found by
            // its number now would be another worker's.
            return Err(StorageError::NoTrial {
                study: study.to_owned(),
                number,
            });
        }
        // Not created or read through this handle: found by number (a scan of the study).
        let rows = tx
            .query(
                "SELECT trial_id, state FROM trials \
                 WHERE study_id = ?1 AND number = ?2{for_update:trials}",
                &[id.into(), (number as i64).into()],
            )
            .map_err(&e)?;
        let Some(r) = rows.first() else {
            return Err(StorageError::NoTrial {
                study: study.to_owned(),
                number,
            });
        };
        let row = r[0].int().unwrap_or_default();
        cache.remember(number, row);
        Ok((row, r[1].text().unwrap_or_default().to_owned()))
    }
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
        self.with_cache(Mode::Write, &mut |tx, caches| {
            tx.execute("{lock_schema}", &[])
                .map_err(err(self.location()))?;
            let name = &config.name;
            if let Some(found) = self.identity(tx, name, true)? {
                if !overwrite {
                    let stored = self.config(tx, found.id, name)?;
                    let identity = match found.instance {
                        Some(_) => found,
                        None => {
                            let instance = new_instance();
                            self.set_instance(tx, found.id, &instance)?;
                            Identity {
                                id: found.id,
                                instance: Some(instance),
                            }
                        }
                    };
                    // An entry made here and never committed names an instance the database
                    // does not hold, so it is never trusted.
                    if !caches.get(name).is_some_and(|c| c.is_of(&identity)) {
                        caches.insert(name.clone(), StudyCache::new(identity, stored.clone()));
                    }
                    return Ok(stored);
                }
                caches.remove(name);
                self.delete_study_rows(tx, found.id)?;
            }
            let instance = new_instance();
            let id = self.create_study(tx, config, &instance)?;
            let identity = Identity {
                id,
                instance: Some(instance),
            };
            caches.insert(name.clone(), StudyCache::new(identity, config.clone()));
            Ok(config.clone())
        })
    }

    fn study_names(&self) -> Result<Vec<String>, StorageError> {
        let location = self.location();
        self.timed(Mode::Read, &mut |tx| {
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
        // Read afresh: this is how a caller checks what is stored, e.g. before resuming.
        self.timed(Mode::Read, &mut |tx| {
            let id = self.require(tx, name, false)?.id;
            self.config(tx, id, name)
        })
    }

    fn delete_study(&self, name: &str) -> Result<(), StorageError> {
        self.with_cache(Mode::Write, &mut |tx, caches| {
            caches.remove(name);
            let id = self.require(tx, name, true)?.id;
            self.delete_study_rows(tx, id)
        })
    }

    fn trials(&self, study: &str) -> Result<Vec<Trial>, StorageError> {
        self.with_cache(Mode::Read, &mut |tx, caches| {
            let cache = self.current(tx, caches, study, false)?;
            self.refresh(tx, cache)?;
            Ok(cache.trials.to_vec())
        })
    }

    fn create_trial(
        &self,
        study: &str,
        stale_after: Option<Duration>,
        decide: &mut Decide<'_>,
    ) -> Result<Option<Trial>, StorageError> {
        self.create(study, stale_after, decide)
    }

    fn report(
        &self,
        study: &str,
        number: u64,
        epoch: u32,
        metrics: &Metrics,
    ) -> Result<(), StorageError> {
        self.with_cache(Mode::Write, &mut |tx, caches| {
            let cache = self.current(tx, caches, study, false)?;
            let (row, state) = self.trial_row(tx, cache, study, number)?;
            if state != "RUNNING" {
                return Err(StorageError::Finished {
                    study: study.to_owned(),
                    number,
                });
            }
            self.write_epoch(tx, row, &cache.config, epoch, metrics)?;
            self.beat(tx, row)
        })
    }

    fn heartbeat(&self, study: &str, number: u64) -> Result<(), StorageError> {
        // A beat lost to a crash of the machine costs nothing: the next one replaces it.
        self.with_cache(Mode::Lazy, &mut |tx, caches| {
            let cache = self.current(tx, caches, study, false)?;
            let (row, state) = self.trial_row(tx, cache, study, number)?;
            if state != "RUNNING" {
                return Err(StorageError::Finished {
                    study: study.to_owned(),
                    number,
                });
            }
            self.beat(tx, row)
        })
    }

    fn update_trial(&self, study: &str, trial: &Trial) -> Result<(), StorageError> {
        // The general path below tells why nothing changed (ended, gone, or written by an
        // attempt whose answer was lost).
        let mut retried = match self.write_known(study, trial)? {
            Known::Written => return Ok(()),
            Known::Unknown => false,
            Known::Unchanged { retried } => retried,
        };
        self.with_cache(Mode::Write, &mut |tx, caches| {
            let cache = self.current(tx, caches, study, false)?;
            let (row, state) = self.trial_row(tx, cache, study, trial.number)?;
            if std::mem::replace(&mut retried, true) && state != "RUNNING" {
                // The connection was lost while committing: this update may have gone through.
                let stored = self.load_trials(tx, cache.identity.id, Which::Row(row))?;
                if stored.first().is_some_and(|l| {
                    l.trial.state == trial.state
                        && l.trial.score == trial.score
                        && l.trial.message == trial.message
                }) {
                    return Ok(());
                }
            }
            self.write_trial(tx, row, &cache.config, trial)
        })
    }
}
