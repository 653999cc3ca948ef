//! Where stored studies are found: a storage URL, or the library's default layout of one
//! SQLite database per study at `directory/<study>/study.db` (what a [`Tuner`] writes).
//!
//! [`Tuner`]: crate::Tuner

use super::{Study, StudyError};
use crate::storage::{self, SqliteStorage, Storage, StorageError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The database file of the default storage, in the study's folder.
pub const STUDY_DB: &str = "study.db";

/// Studies in a storage URL, or in a folder of per-study databases.
#[derive(Debug, Clone)]
pub struct Catalog {
    url: Option<String>,
    directory: PathBuf,
}

/// What [`Catalog::survey`] found: the studies that load, and what is wrong with the rest.
#[derive(Debug, Default)]
pub struct Survey {
    /// Every study that loads, by database and name.
    pub studies: Vec<Study>,
    /// Each database or study that does not, with why (read-only, permission, corrupt,
    /// foreign schema, an incomplete study of another program, ...): (where, the error).
    /// A study Optuna created loads, as Optuna's rows describe it.
    pub problems: Vec<(String, StudyError)>,
}

/// What [`Catalog::delete`] removed.
#[derive(Debug, Clone, PartialEq)]
pub struct Deleted {
    /// The storage the study was deleted from.
    pub location: String,
    /// The study's folder, removed with it once its database held no other study.
    pub folder: Option<PathBuf>,
}

impl Catalog {
    /// Studies in `url` when given, else in `directory`'s per-study databases.
    pub fn new(url: Option<String>, directory: impl Into<PathBuf>) -> Self {
        Self {
            url,
            directory: directory.into(),
        }
    }

    /// The storage URL, if studies are looked for in one.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The folder of per-study databases.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The default database of `study`.
    pub fn default_db(&self, study: &str) -> PathBuf {
        self.directory.join(study).join(STUDY_DB)
    }

    /// Whether `study` may exist: always for a URL; for a folder, when its database does.
    pub fn may_hold(&self, study: &str) -> bool {
        self.url.is_some() || self.default_db(study).exists()
    }

    /// The storage holding (or to hold) `study`; a default database is created only with
    /// `create`.
    pub fn storage_for(&self, study: &str, create: bool) -> Result<Arc<dyn Storage>, StudyError> {
        if let Some(url) = &self.url {
            return Ok(storage::open(url)?);
        }
        let db = self.default_db(study);
        if !create && !db.exists() {
            return Err(StudyError::NoDatabase {
                study: study.to_owned(),
                db,
                dir: self.directory.clone(),
                others: self
                    .default_studies()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect(),
            });
        }
        Ok(Arc::new(SqliteStorage::open(&db)?))
    }

    /// The storage holding `study`, opened for reading only (nothing is created or written).
    fn read_storage_for(&self, study: &str) -> Result<Arc<dyn Storage>, StudyError> {
        if let Some(url) = &self.url {
            return Ok(storage::open_read_only(url)?);
        }
        let db = self.default_db(study);
        if !db.exists() {
            // The same answer as for writing: no such study, and what the folder holds.
            return self.storage_for(study, false);
        }
        Ok(Arc::new(SqliteStorage::open_read_only(&db)?))
    }

    /// The stored study `name`; a missing one is an error listing what the storage holds.
    pub fn load(&self, name: &str) -> Result<Study, StudyError> {
        let storage = self.storage_for(name, false)?;
        Self::load_from(storage, name)
    }

    /// The stored study `name` for reading only: as [`load`](Self::load), but its database is
    /// never created, migrated or written (the read commands use this).
    pub fn read(&self, name: &str) -> Result<Study, StudyError> {
        let storage = self.read_storage_for(name)?;
        Self::load_from(storage, name)
    }

    fn load_from(storage: Arc<dyn Storage>, name: &str) -> Result<Study, StudyError> {
        match Study::load(storage.clone(), name) {
            Err(StudyError::Storage(source @ StorageError::NoStudy { .. })) => {
                Err(StudyError::NotInStorage {
                    source,
                    names: storage.study_names().unwrap_or_default(),
                })
            }
            other => other,
        }
    }

    /// Every study found, by name, with its storage (read only); the first problem found is
    /// the error. [`survey`](Self::survey) reports every problem instead.
    pub fn studies(&self) -> Result<Vec<Study>, StudyError> {
        let survey = self.survey()?;
        match survey.problems.into_iter().next() {
            Some((_, e)) => Err(e),
            None => Ok(survey.studies),
        }
    }

    /// Every study that loads and every database or study that does not, with why; read
    /// only. Only a storage URL that cannot be opened, or a folder that cannot be listed, is
    /// an error.
    pub fn survey(&self) -> Result<Survey, StudyError> {
        let mut survey = Survey::default();
        let take = |survey: &mut Survey, storage: &Arc<dyn Storage>, names: Vec<String>| {
            for name in names {
                match Study::load(storage.clone(), &name) {
                    Ok(study) => survey.studies.push(study),
                    Err(e) => survey
                        .problems
                        .push((format!("study `{name}` in {}", storage.location()), e)),
                }
            }
        };
        match &self.url {
            Some(url) => {
                let storage = storage::open_read_only(url)?;
                let names = storage.study_names()?;
                take(&mut survey, &storage, names);
            }
            None => {
                for db in self.databases()? {
                    let opened = SqliteStorage::open_read_only(&db)
                        .map(|s| Arc::new(s) as Arc<dyn Storage>)
                        .and_then(|s| Ok((s.study_names()?, s)));
                    match opened {
                        Ok((names, storage)) => take(&mut survey, &storage, names),
                        Err(e) => survey
                            .problems
                            .push((db.display().to_string(), StudyError::Storage(e))),
                    }
                }
            }
        }
        Ok(survey)
    }

    /// The per-study database files in the folder, sorted.
    fn databases(&self) -> Result<Vec<PathBuf>, StudyError> {
        let entries =
            std::fs::read_dir(&self.directory).map_err(|source| StudyError::Unlistable {
                dir: self.directory.clone(),
                source,
            })?;
        let mut dbs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path().join(STUDY_DB))
            .filter(|p| p.is_file())
            .collect();
        dbs.sort();
        Ok(dbs)
    }

    /// Deletes a study and its trials; in a folder of per-study databases, its folder
    /// (database, checkpoints) goes too once the database holds no other study.
    pub fn delete(&self, study: &str) -> Result<Deleted, StudyError> {
        let storage = self.storage_for(study, false)?;
        storage.delete_study(study)?;
        let location = storage.location();
        let mut folder = None;
        if self.url.is_none() {
            let left = storage.study_names()?;
            // The database must be closed before its folder can go.
            drop(storage);
            if left.is_empty() {
                let dir = self.directory.join(study);
                std::fs::remove_dir_all(&dir).map_err(|source| StudyError::FolderLeft {
                    dir: dir.clone(),
                    source,
                })?;
                folder = Some(dir);
            }
        }
        Ok(Deleted { location, folder })
    }

    /// The studies in the folder's databases: (name, database), by folder name.
    fn default_studies(&self) -> Result<Vec<(String, PathBuf)>, StudyError> {
        let mut out = Vec::new();
        for db in self.databases()? {
            // A file that is not a study database is skipped here; `load` says what is wrong.
            if let Ok(storage) = SqliteStorage::open_read_only(&db) {
                for name in storage.study_names().unwrap_or_default() {
                    out.push((name, db.clone()));
                }
            }
        }
        Ok(out)
    }
}
