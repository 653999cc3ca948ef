//! The SQLite storage: every trial field round-trips, studies resume and count on, conflicting
//! or bad databases are refused without being touched, and a dead worker's trial is retried.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tuner::objective::{Objective, Objectives};
use tuner::oracle::{GridSearch, RandomSearch};
use tuner::space::{HyperParameters, Param, SearchSpace, Value};
use tuner::storage::{self, SqliteStorage, Storage, StorageError, StudyConfig};
use tuner::trial::{Metrics, Trial, TrialPlan, TrialState};
use tuner::tuner::TrialError;
use tuner::{Tuner, TunerError};

fn tmp(name: &str) -> PathBuf {
    crate::common::tmp(module_path!(), name)
}

fn every_kind() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::int("units", 32, 512).step(32))
        .param(Param::int("width", 2, 32).step(2).log())
        .param(Param::float("lr", 1e-4, 1e-1).log())
        .param(Param::float("dropout", 0.0, 0.5).step(0.1))
        .param(Param::choice("act", ["relu", "tanh", "gelu"]))
        .param(Param::choice("momentum", [0.9, 0.5]))
        .param(Param::choice("depth", [1, 2, 3]))
        .param(Param::boolean("bn"))
        .build()
        .unwrap()
}

fn config(name: &str) -> StudyConfig {
    StudyConfig {
        name: name.to_owned(),
        space: every_kind(),
        objectives: Objective::maximize("val_accuracy").into(),
        oracle: tuner::oracle::OracleConfig::Random,
    }
}

fn values() -> HyperParameters {
    let mut hp = HyperParameters::new();
    hp.insert("units", 96);
    hp.insert("width", 16);
    hp.insert("lr", 0.001_234_567_890_123_4);
    hp.insert("dropout", 0.300_000_000_000_000_04);
    hp.insert("act", "gelu");
    hp.insert("momentum", 0.5);
    hp.insert("depth", 3);
    hp.insert("bn", true);
    hp
}

fn metrics(pairs: &[(&str, f64)]) -> Metrics {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn every_trial_field_round_trips_through_a_fresh_connection() {
    let path = tmp("roundtrip").join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    storage.open_study(&config("rt"), false).unwrap();
    let plan = TrialPlan {
        values: values(),
        epochs: Some(12),
        initial_epoch: 4,
        parent: Some(0),
        attrs: [
            ("hyperband/bracket".to_owned(), Value::Int(2)),
            ("hyperband/round".to_owned(), Value::Int(1)),
            ("note".to_owned(), Value::from("x")),
        ]
        .into(),
    };
    let mut expected = Vec::new();
    for state in [
        TrialState::Completed,
        TrialState::Stopped,
        TrialState::Failed,
        TrialState::Invalid,
        TrialState::Running,
    ] {
        let mut trial = storage
            .create_trial("rt", None, &mut |_, _| Some(plan.clone()))
            .unwrap()
            .unwrap();
        assert_eq!(trial.state, TrialState::Running);
        storage
            .report(
                "rt",
                trial.number,
                4,
                &metrics(&[("val_accuracy", 0.5), ("loss", 1.25)]),
            )
            .unwrap();
        trial.history = vec![
            (4, metrics(&[("val_accuracy", 0.5), ("loss", 1.25)])),
            (
                5,
                metrics(&[("val_accuracy", 0.812_345_678_9), ("loss", f64::INFINITY)]),
            ),
            (6, metrics(&[("val_accuracy", -0.0), ("loss", 1e-300)])),
        ]
        .into();
        trial.state = state;
        trial.score = Some(0.812_345_678_9);
        trial.best_epoch = Some(5);
        trial.message = (state != TrialState::Completed).then(|| format!("why: {state}"));
        trial.retries = 2;
        trial.seconds = 3.25;
        storage.update_trial("rt", &trial).unwrap();
        expected.push(trial);
    }
    drop(storage);
    let reopened = SqliteStorage::open(&path).unwrap();
    assert_eq!(
        crate::common::untimed(reopened.trials("rt").unwrap()),
        expected
    );
    assert_eq!(reopened.study("rt").unwrap(), config("rt"));
    assert_eq!(reopened.study_names().unwrap(), vec!["rt".to_owned()]);
    // A finished trial is final.
    let err = reopened.update_trial("rt", &expected[0]).unwrap_err();
    assert!(
        matches!(err, StorageError::Finished { number: 0, .. }),
        "{err}"
    );
}

#[test]
fn nan_metrics_and_reports_survive() {
    let path = tmp("nan").join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    storage.open_study(&config("nan"), false).unwrap();
    let trial = storage
        .create_trial("nan", None, &mut |_, _| {
            Some(TrialPlan {
                values: values(),
                ..TrialPlan::default()
            })
        })
        .unwrap()
        .unwrap();
    for epoch in 0..3 {
        let v = if epoch == 1 {
            f64::NAN
        } else {
            epoch as f64 / 4.0
        };
        storage
            .report("nan", trial.number, epoch, &metrics(&[("val_accuracy", v)]))
            .unwrap();
    }
    // A report of the same epoch replaces it.
    storage
        .report("nan", trial.number, 2, &metrics(&[("val_accuracy", 0.75)]))
        .unwrap();
    let stored = &storage.trials("nan").unwrap()[0];
    let curve = stored.metric("val_accuracy");
    assert_eq!(curve.len(), 3);
    assert_eq!((curve[0], curve[2]), ((0, 0.0), (2, 0.75)));
    assert!(curve[1].1.is_nan());
    assert_eq!(stored.values(), &values());
}

fn quadratic(hp: &HyperParameters) -> Result<f64, TrialError> {
    let x = hp.get_as::<i64>("x")? as f64;
    Ok((x - 7.0).powi(2))
}

fn line() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::int("x", 0, 19))
        .build()
        .unwrap()
}

#[test]
fn resuming_keeps_completed_trials_and_continues_the_count() {
    let dir = tmp("resume");
    let build = |max: u64| {
        Tuner::for_space(line(), RandomSearch::new())
            .objective("loss")
            .max_trials(max)
            .seed(11)
            .directory(&dir)
            .project_name("resume")
            .quiet(true)
            .build()
            .unwrap()
    };
    let mut first = build(5);
    assert_eq!(first.search_fn(|hp, _| quadratic(hp)).unwrap().trials, 5);
    let before = first.trials().unwrap();
    drop(first);
    assert!(dir.join("resume").join("study.db").exists());
    let mut second = build(12);
    assert_eq!(second.remaining_trials().unwrap(), Some(7));
    let report = second.search_fn(|hp, _| quadratic(hp)).unwrap();
    assert_eq!(report.trials, 7, "only the trials left are run");
    let after = second.trials().unwrap();
    assert_eq!(
        &after[..5],
        &before[..],
        "completed trials are kept as they were"
    );
    let numbers: Vec<u64> = after.iter().map(|t| t.number).collect();
    assert_eq!(numbers, (0..12).collect::<Vec<_>>());
    let keys: std::collections::HashSet<String> = after.iter().map(|t| t.values().key()).collect();
    assert_eq!(
        keys.len(),
        12,
        "the resumed random search never repeats a configuration"
    );
    // Resuming a finished study runs nothing more.
    let mut third = build(12);
    assert_eq!(third.search_fn(|hp, _| quadratic(hp)).unwrap().trials, 0);
}

#[test]
fn a_resumed_grid_continues_where_it_stopped() {
    let dir = tmp("grid");
    let build = |max: Option<u64>| {
        let b = Tuner::for_space(line(), GridSearch::new())
            .objective("loss")
            .directory(&dir)
            .project_name("grid")
            .quiet(true);
        match max {
            Some(m) => b.max_trials(m),
            None => b,
        }
        .build()
        .unwrap()
    };
    build(Some(8)).search_fn(|hp, _| quadratic(hp)).unwrap();
    let mut rest = build(None);
    assert_eq!(rest.search_fn(|hp, _| quadratic(hp)).unwrap().trials, 12);
    let xs: Vec<i64> = rest
        .trials()
        .unwrap()
        .iter()
        .map(|t| t.values().get_as::<i64>("x").unwrap())
        .collect();
    assert_eq!(xs, (0..20).collect::<Vec<_>>());
    assert_eq!(
        rest.best_values(1).unwrap()[0].get_as::<i64>("x").unwrap(),
        7
    );
}

#[test]
fn conflicting_settings_are_an_error_naming_the_setting() {
    let dir = tmp("conflict");
    let base = || {
        Tuner::for_space(line(), GridSearch::new())
            .directory(&dir)
            .project_name("c")
            .quiet(true)
    };
    base().objective("loss").build().unwrap();
    let err = base().objective("val_accuracy").build().err().unwrap();
    assert!(err.to_string().contains("different objective"), "{err}");
    let err = base()
        .oracle(RandomSearch::new())
        .objective("loss")
        .build()
        .err()
        .unwrap();
    assert!(err.to_string().contains("different oracle"), "{err}");
    let wider = SearchSpace::builder()
        .param(Param::int("x", 0, 29))
        .build()
        .unwrap();
    let err = Tuner::for_space(wider, GridSearch::new())
        .objective("loss")
        .directory(&dir)
        .project_name("c")
        .build()
        .err()
        .unwrap();
    assert!(err.to_string().contains("different search space"), "{err}");
    // overwrite(true) starts afresh with the new settings.
    Tuner::for_space(line(), GridSearch::new())
        .objective("val_accuracy")
        .directory(&dir)
        .project_name("c")
        .overwrite(true)
        .build()
        .unwrap();
}

#[test]
fn resume_only_on_a_missing_study_says_where_and_creates_nothing() {
    let dir = tmp("missing");
    let err = Tuner::for_space(line(), GridSearch::new())
        .objective("loss")
        .directory(&dir)
        .project_name("absent")
        .resume(true)
        .build()
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(
        text.contains("absent") && text.contains("study.db"),
        "{text}"
    );
    assert!(!dir.join("absent").exists(), "nothing was created");
    // A shared database without the study: same error, naming the database.
    let url = format!("sqlite:///{}", dir.join("shared.db").display());
    storage::open(&url).unwrap();
    let err = Tuner::for_space(line(), GridSearch::new())
        .objective("loss")
        .directory(&dir)
        .storage_url(&url)
        .project_name("absent")
        .resume(true)
        .build()
        .err()
        .unwrap();
    assert!(
        matches!(err, TunerError::Storage(StorageError::NoStudy { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("shared.db"), "{err}");
}

fn expect_refused(path: &std::path::Path, needle: &str) {
    let before = std::fs::read(path).unwrap();
    let err = SqliteStorage::open(path).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StorageError::Schema { .. }), "{text}");
    assert!(
        text.contains(&path.display().to_string()),
        "names the file: {text}"
    );
    assert!(text.contains(needle), "says why ({needle}): {text}");
    assert!(text.contains("nothing was changed"), "{text}");
    assert!(
        std::fs::read(path).unwrap() == before,
        "the file is untouched"
    );
}

#[test]
fn corrupt_foreign_and_newer_databases_are_refused_untouched() {
    let dir = tmp("bad");
    let corrupt = dir.join("corrupt.db");
    std::fs::write(
        &corrupt,
        b"this is not a database, just some text that is long enough...",
    )
    .unwrap();
    expect_refused(&corrupt, "not a SQLite database");

    let foreign = dir.join("foreign.db");
    edit(&foreign, "CREATE TABLE invoices (id INTEGER)");
    expect_refused(&foreign, "invoices");

    let newer = dir.join("newer.db");
    drop(SqliteStorage::open(&newer).unwrap());
    edit(
        &newer,
        "UPDATE alembic_version SET version_num = 'v9.9.9.z'",
    );
    expect_refused(&newer, "newer");

    let older = dir.join("older.db");
    drop(SqliteStorage::open(&older).unwrap());
    edit(
        &older,
        "UPDATE alembic_version SET version_num = 'v3.0.0.d'",
    );
    expect_refused(&older, "optuna storage upgrade");
}

/// A study written by a newer tuner (attribute format) is refused when opened.
#[test]
fn a_study_from_a_newer_tuner_is_refused() {
    let path = tmp("format").join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    storage.open_study(&config("f"), false).unwrap();
    drop(storage);
    edit(
        &path,
        "UPDATE study_system_attributes SET value_json = '99' WHERE key = 'tuner:format'",
    );
    let storage = SqliteStorage::open(&path).unwrap();
    let err = storage.study("f").unwrap_err();
    assert!(err.to_string().contains("newer tuner"), "{err}");
}

#[test]
fn an_unreachable_postgres_url_is_a_clear_error() {
    let err = storage::open("postgresql://nobody@127.0.0.1:1/nothing")
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(
        text.contains("127.0.0.1:1") && text.contains("cannot connect"),
        "{text}"
    );
}

/// Runs one statement on the file directly, as another program would.
fn edit(path: &std::path::Path, sql: &str) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(sql).unwrap();
}

#[test]
fn a_dead_workers_trial_is_failed_and_retried_once() {
    let dir = tmp("stale");
    let space = SearchSpace::builder()
        .param(Param::int("x", 0, 5))
        .build()
        .unwrap();
    let build = || {
        Tuner::for_space(space.clone(), GridSearch::new())
            .objective("loss")
            .directory(&dir)
            .project_name("stale")
            .heartbeat_interval(Duration::from_millis(50))
            .grace_period(Duration::from_millis(400))
            .quiet(true)
            .build()
            .unwrap()
    };
    let tuner = build();
    // A worker takes x = 0 and dies without a word.
    let dead = tuner
        .storage()
        .create_trial("stale", None, &mut |_, _| {
            let mut hp = HyperParameters::new();
            hp.insert("x", 0);
            Some(TrialPlan {
                values: hp,
                ..TrialPlan::default()
            })
        })
        .unwrap()
        .unwrap();
    drop(tuner);
    let mut tuner = build();
    let started = std::time::Instant::now();
    let report = tuner
        .search_fn(|hp, _| Ok::<_, TrialError>(hp.get_as::<i64>("x")? as f64))
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "it waited for the grace period"
    );
    assert_eq!(report.trials, 6, "5 new configurations and 1 retry");
    let trials = tuner.trials().unwrap();
    assert_eq!(trials.len(), 7);
    let failed = &trials[dead.number as usize];
    assert_eq!(failed.state, TrialState::Failed);
    assert!(
        failed.message.as_deref().unwrap().contains("no heartbeat"),
        "{failed:?}"
    );
    let retries: Vec<&Trial> = trials
        .iter()
        .filter(|t| storage::retried(&t.plan) == Some(dead.number))
        .collect();
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0].values(), dead.values());
    assert_eq!(retries[0].state, TrialState::Completed);
    let done: Vec<i64> = trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .map(|t| t.values().get_as::<i64>("x").unwrap())
        .collect();
    let mut sorted = done.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![0, 1, 2, 3, 4, 5],
        "each configuration completed exactly once"
    );
    // The dead trial's late result is refused.
    let mut late = dead.clone();
    late.state = TrialState::Completed;
    let err = tuner.storage().update_trial("stale", &late).unwrap_err();
    assert!(matches!(err, StorageError::Finished { .. }), "{err}");
}

#[test]
fn memory_storage_retries_stale_trials_too() {
    let memory: Arc<dyn Storage> = Arc::new(storage::MemoryStorage::new());
    let space = SearchSpace::builder()
        .param(Param::int("x", 0, 2))
        .build()
        .unwrap();
    let build = || {
        Tuner::for_space(space.clone(), GridSearch::new())
            .objective("loss")
            .storage(memory.clone())
            .directory(tmp("memstale"))
            .project_name("m")
            .heartbeat_interval(Duration::from_millis(20))
            .grace_period(Duration::from_millis(100))
            .quiet(true)
            .build()
            .unwrap()
    };
    let tuner = build();
    tuner
        .storage()
        .create_trial("m", None, &mut |_, _| {
            let mut hp = HyperParameters::new();
            hp.insert("x", 1);
            Some(TrialPlan {
                values: hp,
                ..TrialPlan::default()
            })
        })
        .unwrap();
    let mut tuner = build();
    let report = tuner
        .search_fn(|hp, _| Ok::<_, TrialError>(hp.get_as::<i64>("x")? as f64))
        .unwrap();
    assert_eq!(report.completed, 3);
    let states: Vec<TrialState> = tuner.trials().unwrap().iter().map(|t| t.state).collect();
    assert_eq!(
        states.iter().filter(|s| **s == TrialState::Failed).count(),
        1
    );
}

#[test]
fn a_grace_period_shorter_than_the_heartbeat_is_refused() {
    let err = Tuner::for_space(line(), GridSearch::new())
        .objective("loss")
        .directory(tmp("grace"))
        .heartbeat_interval(Duration::from_secs(10))
        .grace_period(Duration::from_secs(5))
        .build()
        .err()
        .unwrap();
    assert!(err.to_string().contains("grace_period"), "{err}");
}

#[test]
fn two_objectives_store_one_value_each() {
    let path = tmp("multi").join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    let mut cfg = config("multi");
    cfg.objectives = Objectives::new(vec![
        Objective::maximize("val_accuracy"),
        Objective::minimize("latency"),
    ])
    .unwrap();
    storage.open_study(&cfg, false).unwrap();
    let mut trial = storage
        .create_trial("multi", None, &mut |_, _| {
            Some(TrialPlan {
                values: values(),
                ..TrialPlan::default()
            })
        })
        .unwrap()
        .unwrap();
    trial.history = vec![(0, metrics(&[("val_accuracy", 0.9), ("latency", 3.0)]))].into();
    trial.rescore(&cfg.objectives);
    trial.state = TrialState::Completed;
    storage.update_trial("multi", &trial).unwrap();
    assert_eq!(
        crate::common::untimed(storage.trials("multi").unwrap()),
        vec![trial]
    );
}

#[test]
fn random_floats_round_trip_bit_for_bit() {
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};
    let path = tmp("floats").join("study.db");
    let storage = SqliteStorage::open(&path).unwrap();
    storage.open_study(&config("floats"), false).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut trial = storage
        .create_trial("floats", None, &mut |_, _| {
            Some(TrialPlan {
                values: values(),
                ..TrialPlan::default()
            })
        })
        .unwrap()
        .unwrap();
    trial.history = (0..200)
        .map(|e| {
            let bits =
                rng.random::<u64>() & !(0x7ff << 52) | (rng.random_range(900u64..1150) << 52);
            (
                e,
                metrics(&[
                    ("val_accuracy", f64::from_bits(bits)),
                    ("u", rng.random::<f64>()),
                ]),
            )
        })
        .collect();
    trial.rescore(&Objective::maximize("val_accuracy").into());
    trial.seconds = rng.random::<f64>() * 1e3;
    trial.state = TrialState::Completed;
    storage.update_trial("floats", &trial).unwrap();
    let back = &crate::common::untimed(
        SqliteStorage::open(&path)
            .unwrap()
            .trials("floats")
            .unwrap(),
    )[0];
    assert_eq!(back, &trial);
}

/// A plan with `units` set apart from the usual values, to tell trials apart.
fn plan_with_units(units: i64) -> TrialPlan {
    let mut values = values();
    values.insert("units", units);
    TrialPlan {
        values,
        ..TrialPlan::default()
    }
}

/// The units of each trial, by number.
fn units_of(trials: &[Trial]) -> Vec<i64> {
    trials
        .iter()
        .map(|t| t.values().get_as::<i64>("units").unwrap())
        .collect()
}

#[test]
fn two_handles_on_one_file_see_each_others_trials_as_they_change() {
    let path = tmp("handles").join("study.db");
    let a = SqliteStorage::open(&path).unwrap();
    let b = SqliteStorage::open(&path).unwrap();
    a.open_study(&config("h"), false).unwrap();
    assert_eq!(b.open_study(&config("h"), false).unwrap(), config("h"));
    // B reads the study before A adds to it, so what B holds must be brought up to date.
    assert!(b.trials("h").unwrap().is_empty());
    let mut first = a
        .create_trial("h", None, &mut |_, _| Some(plan_with_units(32)))
        .unwrap()
        .unwrap();
    a.report("h", first.number, 0, &metrics(&[("val_accuracy", 0.25)]))
        .unwrap();
    let seen = b.trials("h").unwrap();
    assert_eq!(units_of(&seen), [32]);
    assert_eq!(seen[0].state, TrialState::Running);
    assert_eq!(seen[0].metric("val_accuracy"), [(0, 0.25)]);
    // Another epoch of the running trial, and then its end, both reach B.
    b.report("h", first.number, 1, &metrics(&[("val_accuracy", 0.5)]))
        .unwrap();
    assert_eq!(a.trials("h").unwrap()[0].metric("val_accuracy").len(), 2);
    first.history = a.trials("h").unwrap()[0].history.clone();
    first.rescore(&config("h").objectives);
    first.state = TrialState::Completed;
    a.update_trial("h", &first).unwrap();
    assert_eq!(
        crate::common::untimed(b.trials("h").unwrap()),
        vec![first.clone()]
    );
    // B decides from A's trial and creates the next; A sees it and may finish it.
    let mut history_seen = Vec::new();
    let mut second = b
        .create_trial("h", None, &mut |trials, _| {
            history_seen = trials.to_vec();
            Some(plan_with_units(64))
        })
        .unwrap()
        .unwrap();
    assert_eq!(crate::common::untimed(history_seen), vec![first.clone()]);
    assert_eq!(second.number, 1);
    assert_eq!(units_of(&a.trials("h").unwrap()), [32, 64]);
    second.state = TrialState::Failed;
    second.message = Some("failed through A".into());
    a.update_trial("h", &second).unwrap();
    let through_b = b.trials("h").unwrap();
    assert_eq!(through_b[1].state, TrialState::Failed);
    assert_eq!(through_b[1].message.as_deref(), Some("failed through A"));
    // B's late result for the trial A finished is refused, and changes nothing.
    let mut late = second.clone();
    late.state = TrialState::Completed;
    let err = b.update_trial("h", &late).unwrap_err();
    assert!(
        matches!(err, StorageError::Finished { number: 1, .. }),
        "{err}"
    );
    assert_eq!(a.trials("h").unwrap(), b.trials("h").unwrap());
}

#[test]
fn a_trial_failed_as_stale_through_one_handle_is_seen_failed_through_the_other() {
    let path = tmp("stale-handles").join("study.db");
    let a = SqliteStorage::open(&path).unwrap();
    let b = SqliteStorage::open(&path).unwrap();
    a.open_study(&config("s"), false).unwrap();
    let running = a
        .create_trial("s", None, &mut |_, _| Some(plan_with_units(96)))
        .unwrap()
        .unwrap();
    assert_eq!(a.trials("s").unwrap()[0].state, TrialState::Running);
    std::thread::sleep(Duration::from_millis(60));
    // A slow transaction (a loaded machine) restarts the staleness count, so the retry may
    // take a few asks; each ask that sees no stale trial creates nothing.
    let mut stale_seen = None;
    let mut retry = None;
    for _ in 0..100 {
        retry = b
            .create_trial(
                "s",
                Some(Duration::from_millis(20)),
                &mut |trials, stale| {
                    stale_seen = stale;
                    Some(storage::retry_plan(&trials[stale? as usize]))
                },
            )
            .unwrap();
        if retry.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    let retry = retry.expect("the silent trial is judged stale within 100 asks");
    assert_eq!(stale_seen, Some(running.number));
    let through_a = a.trials("s").unwrap();
    assert_eq!(through_a[0].state, TrialState::Failed);
    assert_eq!(storage::retried(&through_a[1].plan), Some(running.number));
    assert_eq!(through_a[1].number, retry.number);
    let err = a.heartbeat("s", running.number).unwrap_err();
    assert!(matches!(err, StorageError::Finished { .. }), "{err}");
}

#[test]
fn a_study_deleted_and_recreated_through_one_handle_is_not_served_stale_by_the_other() {
    let path = tmp("recreated").join("study.db");
    let a = SqliteStorage::open(&path).unwrap();
    let b = SqliteStorage::open(&path).unwrap();
    a.open_study(&config("r"), false).unwrap();
    for units in [32, 64] {
        let mut t = a
            .create_trial("r", None, &mut |_, _| Some(plan_with_units(units)))
            .unwrap()
            .unwrap();
        t.state = TrialState::Completed;
        t.score = Some(0.5);
        a.update_trial("r", &t).unwrap();
    }
    assert_eq!(units_of(&b.trials("r").unwrap()), [32, 64]);
    let ids = |sql: &str| -> Vec<i64> {
        let c = rusqlite::Connection::open(&path).unwrap();
        let mut stmt = c.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let old_study = ids("SELECT study_id FROM studies");
    let old_trials = ids("SELECT trial_id FROM trials ORDER BY trial_id");

    // A replaces the study: another objective, and a first trial of its own.
    let mut other = config("r");
    other.objectives = Objective::minimize("loss").into();
    a.open_study(&other, true).unwrap();
    let fresh = a
        .create_trial("r", None, &mut |_, _| Some(plan_with_units(512)))
        .unwrap()
        .unwrap();
    // SQLite gave the new study (and its trial) the row ids of the old ones: ids alone
    // cannot tell them apart.
    assert_eq!(ids("SELECT study_id FROM studies"), old_study);
    assert_eq!(ids("SELECT trial_id FROM trials"), old_trials[..1]);

    let seen = b.trials("r").unwrap();
    assert_eq!(units_of(&seen), [512]);
    assert_eq!(seen[0].state, TrialState::Running);
    assert_eq!(b.study("r").unwrap(), other);
    // B writes with the new study's objective: `loss` is the intermediate value, not accuracy.
    b.report(
        "r",
        fresh.number,
        0,
        &metrics(&[("loss", 0.125), ("val_accuracy", 0.875)]),
    )
    .unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    let stored: f64 = c
        .query_row(
            "SELECT intermediate_value FROM trial_intermediate_values",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0.125);
    let mut history = Vec::new();
    b.create_trial("r", None, &mut |trials, _| {
        history = units_of(trials);
        None
    })
    .unwrap();
    assert_eq!(history, [512]);

    // Deleted through A: B reports the study missing instead of serving what it read.
    a.delete_study("r").unwrap();
    let err = b.trials("r").unwrap_err();
    assert!(matches!(err, StorageError::NoStudy { .. }), "{err}");
    let err = b
        .report("r", fresh.number, 1, &metrics(&[("loss", 0.1)]))
        .unwrap_err();
    assert!(matches!(err, StorageError::NoStudy { .. }), "{err}");
}

#[test]
fn a_study_written_without_an_instance_token_is_read_afresh_and_given_one() {
    let path = tmp("untokened").join("study.db");
    let a = SqliteStorage::open(&path).unwrap();
    a.open_study(&config("u"), false).unwrap();
    let mut t = a
        .create_trial("u", None, &mut |_, _| Some(plan_with_units(128)))
        .unwrap()
        .unwrap();
    t.state = TrialState::Completed;
    t.score = Some(0.5);
    a.update_trial("u", &t).unwrap();
    assert_eq!(units_of(&a.trials("u").unwrap()), [128]);
    // As an older tuner leaves it: no instance token; and a finished trial changed by another
    // program. Without a token nothing read before can be trusted, so the change is seen.
    edit(
        &path,
        "DELETE FROM study_system_attributes WHERE key = 'tuner:instance'; \
         UPDATE trial_params SET param_value = 256 WHERE param_name = 'units'",
    );
    assert_eq!(units_of(&a.trials("u").unwrap()), [256]);
    let second = a
        .create_trial("u", None, &mut |trials, _| {
            assert_eq!(units_of(trials), [256]);
            Some(plan_with_units(64))
        })
        .unwrap()
        .unwrap();
    a.report("u", second.number, 0, &metrics(&[("val_accuracy", 0.5)]))
        .unwrap();
    let tokens = || -> i64 {
        rusqlite::Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM study_system_attributes WHERE key = 'tuner:instance'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(
        tokens(),
        0,
        "reading and writing trials leaves the study as it is"
    );
    SqliteStorage::open(&path)
        .unwrap()
        .open_study(&config("u"), false)
        .unwrap();
    assert_eq!(tokens(), 1, "opening the study gives it a token");
    assert_eq!(units_of(&a.trials("u").unwrap()), [256, 64]);
    assert_eq!(a.trials("u").unwrap()[1].metric("val_accuracy"), [(0, 0.5)]);
}
