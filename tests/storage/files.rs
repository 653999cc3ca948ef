//! What a study's files go through: a chain of retries continues from the newest checkpoint
//! of the whole chain; read commands never write (no file made, no schema, no journal mode
//! switched); and every bad file is refused with its real cause, while `survey` lists the
//! healthy studies beside the problems of the rest.

use std::path::{Path, PathBuf};
use std::time::Duration;
use tuner::oracle::RandomSearch;
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::{self, retried, retry_plan, SqliteStorage, Storage, StorageError};
use tuner::study::{Catalog, StudyError, StudyRequest, STUDY_DB};
use tuner::trial::TrialPlan;
use tuner::tuner::{TrialError, LAST_CHECKPOINT};
use tuner::Tuner;

fn tmp(name: &str) -> PathBuf {
    crate::common::tmp(module_path!(), name)
}

fn space() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::float("x", -3.0, 3.0))
        .build()
        .unwrap()
}

fn tuner(dir: &Path, name: &str, overwrite: bool) -> Tuner {
    Tuner::for_space(space(), RandomSearch::new())
        .objective("loss")
        .max_trials(1)
        .directory(dir)
        .project_name(name)
        .overwrite(overwrite)
        .heartbeat_interval(Duration::from_millis(50))
        .grace_period(Duration::from_millis(300))
        .quiet(true)
        .build()
        .unwrap()
}

#[test]
fn a_retry_continues_from_the_newest_checkpoint_of_its_whole_chain() {
    let dir = tmp("chain");
    let mut t = tuner(&dir, "chain", true);
    let storage = t.storage().clone();
    let mut plan = TrialPlan::default();
    plan.values.insert("x", 0.5);
    // Trial 0 trained nine epochs and saved its checkpoint; then its worker died.
    let first = storage
        .create_trial("chain", None, &mut |_, _| Some(plan.clone()))
        .unwrap()
        .unwrap();
    std::fs::create_dir_all(t.trial_dir(first.number)).unwrap();
    std::fs::write(
        t.trial_dir(first.number).join(LAST_CHECKPOINT),
        "nine epochs",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(450));
    // Its retry died too, before its first epoch: its folder holds nothing.
    let second = storage
        .create_trial(
            "chain",
            Some(Duration::from_millis(300)),
            &mut |trials, stale| Some(retry_plan(&trials[stale? as usize])),
        )
        .unwrap()
        .unwrap();
    assert_eq!(retried(&second.plan), Some(first.number));
    std::fs::create_dir_all(t.trial_dir(second.number)).unwrap();
    std::thread::sleep(Duration::from_millis(450));
    // The search retries the retry, from trial 0's checkpoint rather than the empty folder.
    let mut resumed = Vec::new();
    t.search_fn(|_: &HyperParameters, ctx| {
        resumed.push(ctx.resume_dir().map(Path::to_path_buf));
        Ok::<_, TrialError>(1.0)
    })
    .unwrap();
    assert_eq!(resumed, vec![Some(t.trial_dir(first.number))]);
    let trials = t.trials().unwrap();
    assert_eq!(retried(&trials[2].plan), Some(second.number));
}

/// The bytes of a file, to show it was not touched.
fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn read_only_opens_never_write() {
    let dir = tmp("read-only");
    let typo = dir.join("typo.db");
    let url = format!("sqlite:///{}", typo.display());
    let err = storage::open_read_only(&url).err().unwrap();
    assert!(err.to_string().contains("no such database file"), "{err}");
    assert!(!typo.exists(), "a read made no file");

    // A study database in the rollback journal, as Optuna's SQLAlchemy leaves it.
    let db = dir.join("study.db");
    tuner(&dir.join("s"), "s", true);
    std::fs::copy(dir.join("s").join("s").join(STUDY_DB), &db).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.query_row("PRAGMA journal_mode = DELETE", [], |r| {
        r.get::<_, String>(0)
    })
    .unwrap();
    drop(conn);
    let before = bytes(&db);
    let read = SqliteStorage::open_read_only(&db).unwrap();
    assert_eq!(read.study_names().unwrap(), ["s"]);
    assert!(read.trials("s").unwrap().is_empty());
    drop(read);
    assert_eq!(
        bytes(&db),
        before,
        "the file is untouched, journal mode included"
    );
    assert!(!dir.join("study.db-wal").exists());
}

#[test]
fn an_empty_file_is_refused_by_every_open_and_stays_empty() {
    let dir = tmp("empty");
    let folder = dir.join("e");
    std::fs::create_dir_all(&folder).unwrap();
    let db = folder.join(STUDY_DB);
    std::fs::write(&db, b"").unwrap();
    for err in [
        SqliteStorage::open(&db).err().unwrap(),
        SqliteStorage::open_read_only(&db).err().unwrap(),
    ] {
        assert!(matches!(err, StorageError::Schema { .. }), "{err}");
        assert!(err.to_string().contains("empty (0 bytes)"), "{err}");
    }
    let catalog = Catalog::new(None, &dir);
    let err = catalog.read("e").unwrap_err();
    assert!(err.to_string().contains("empty (0 bytes)"), "{err}");
    // A search resuming there refuses too, rather than reusing the old trial folders.
    let err = Tuner::for_space(space(), RandomSearch::new())
        .objective("loss")
        .directory(&dir)
        .project_name("e")
        .quiet(true)
        .build()
        .err()
        .unwrap();
    assert!(err.to_string().contains("empty (0 bytes)"), "{err}");
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
}

#[test]
fn survey_lists_the_healthy_studies_and_each_problem_with_its_cause() {
    let dir = tmp("survey");
    tuner(&dir, "good", true);
    let write = |name: &str, content: &[u8]| {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join(STUDY_DB), content).unwrap();
    };
    write(
        "corrupt",
        b"this is not a database, just some text that is long enough...",
    );
    write("empty", b"");
    let foreign = dir.join("foreign").join(STUDY_DB);
    std::fs::create_dir_all(foreign.parent().unwrap()).unwrap();
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE invoices (id INTEGER)")
        .unwrap();
    // A study Optuna created: our schema, no tuner configuration.
    let optuna = dir.join("optuna").join(STUDY_DB);
    std::fs::create_dir_all(optuna.parent().unwrap()).unwrap();
    drop(SqliteStorage::open(&optuna).unwrap());
    rusqlite::Connection::open(&optuna)
        .unwrap()
        .execute_batch("INSERT INTO studies (study_name) VALUES ('by-optuna')")
        .unwrap();
    let before: Vec<Vec<u8>> = ["corrupt", "empty", "foreign", "optuna"]
        .iter()
        .map(|n| bytes(&dir.join(n).join(STUDY_DB)))
        .collect();

    let survey = Catalog::new(None, &dir).survey().unwrap();
    let names: Vec<&str> = survey.studies.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["good"]);
    let problems: Vec<String> = survey
        .problems
        .iter()
        .map(|(place, e)| format!("{place}: {e}"))
        .collect();
    assert_eq!(problems.len(), 4, "{problems:#?}");
    for (needle, cause) in [
        ("corrupt", "not a SQLite database"),
        ("empty", "empty (0 bytes)"),
        ("foreign", "invoices"),
        ("by-optuna", "not created by tuner"),
    ] {
        assert!(
            problems
                .iter()
                .any(|p| p.contains(needle) && p.contains(cause)),
            "{needle}: {cause} in {problems:#?}"
        );
    }
    let after: Vec<Vec<u8>> = ["corrupt", "empty", "foreign", "optuna"]
        .iter()
        .map(|n| bytes(&dir.join(n).join(STUDY_DB)))
        .collect();
    assert!(before == after, "surveying wrote nothing");
    let first = Catalog::new(None, &dir).studies().unwrap_err();
    assert!(matches!(first, StudyError::Storage(_)), "{first}");
}

#[test]
fn a_study_with_an_empty_space_is_refused_and_nothing_is_created() {
    let dir = tmp("empty-space");
    let catalog = Catalog::new(None, &dir);
    let request = StudyRequest {
        space: Some(SearchSpace::builder().build().unwrap()),
        ..StudyRequest::default()
    };
    let err = catalog.open("nothing", request).unwrap_err();
    assert!(matches!(err, StudyError::EmptySpace { .. }), "{err}");
    assert!(err.to_string().contains("empty search space"), "{err}");
    assert!(!catalog.default_db("nothing").exists());
}
