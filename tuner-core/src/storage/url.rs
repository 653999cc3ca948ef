//! Opening a storage from a URL in SQLAlchemy's (and so Optuna's) spelling.

use super::{MemoryStorage, SqliteStorage, Storage, StorageError};
use std::sync::Arc;

/// Opens the storage a URL names, as Optuna spells them:
/// `sqlite:///relative/study.db`, `sqlite:////absolute/study.db`,
/// `postgresql://user:password@host:port/database` (also `postgres://` and
/// `postgresql+psycopg2://`; needs the `postgres` feature), or `memory`.
pub fn open(url: &str) -> Result<Arc<dyn Storage>, StorageError> {
    if let Some(path) = url.strip_prefix("sqlite:///") {
        if path.is_empty() {
            return Err(StorageError::BadUrl(url.to_owned()));
        }
        return Ok(Arc::new(SqliteStorage::open(path)?));
    }
    if url == "memory" || url == "memory://" {
        return Ok(Arc::new(MemoryStorage::new()));
    }
    if let Some(rest) = postgres_rest(url) {
        return open_postgres(url, rest);
    }
    Err(StorageError::BadUrl(url.to_owned()))
}

/// Opens the storage a URL names, as [`open`] does, for reading only: nothing is created or
/// written (a missing SQLite file is an error naming it, not a new database).
pub fn open_read_only(url: &str) -> Result<Arc<dyn Storage>, StorageError> {
    if let Some(path) = url.strip_prefix("sqlite:///") {
        if path.is_empty() {
            return Err(StorageError::BadUrl(url.to_owned()));
        }
        return Ok(Arc::new(SqliteStorage::open_read_only(path)?));
    }
    if let Some(rest) = postgres_rest(url) {
        return open_postgres_read_only(url, rest);
    }
    open(url)
}

/// The part after the scheme of a PostgreSQL URL, whatever Python driver it names.
fn postgres_rest(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let base = scheme.split('+').next()?;
    matches!(base, "postgresql" | "postgres").then_some(rest)
}

#[cfg(feature = "postgres")]
fn open_postgres(_url: &str, rest: &str) -> Result<Arc<dyn Storage>, StorageError> {
    Ok(Arc::new(super::PostgresStorage::connect(&format!(
        "postgresql://{rest}"
    ))?))
}

#[cfg(feature = "postgres")]
fn open_postgres_read_only(_url: &str, rest: &str) -> Result<Arc<dyn Storage>, StorageError> {
    Ok(Arc::new(super::PostgresStorage::connect_read_only(
        &format!("postgresql://{rest}"),
    )?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres_read_only(url: &str, rest: &str) -> Result<Arc<dyn Storage>, StorageError> {
    open_postgres(url, rest)
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(url: &str, _rest: &str) -> Result<Arc<dyn Storage>, StorageError> {
    Err(StorageError::Backend {
        location: url.to_owned(),
        message: "PostgreSQL storage needs tuner's `postgres` cargo feature: \
                  tuner = { version = \"...\", features = [\"postgres\"] }"
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_driver_names_are_accepted() {
        assert_eq!(
            postgres_rest("postgresql+psycopg2://u@127.0.0.1:5432/db"),
            Some("u@127.0.0.1:5432/db")
        );
        assert_eq!(postgres_rest("postgres://u@h/db"), Some("u@h/db"));
        assert_eq!(postgres_rest("mysql://u@h/db"), None);
    }

    #[test]
    fn unknown_schemes_are_refused_by_name() {
        let err = open("mysql://u@h/db").err().unwrap();
        assert!(err.to_string().contains("mysql://u@h/db"), "{err}");
        assert!(matches!(open("sqlite:///"), Err(StorageError::BadUrl(_))));
    }
}
