//! Many workers, one study: 4 processes search the same study on SQLite and on PostgreSQL;
//! trial numbers are unique and Grid/Random hand out each configuration exactly once.
//! PostgreSQL tests run when `TUNER_TEST_POSTGRES_URL` names a database (CI starts one).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tuner::oracle::{GridSearch, Hyperband, Oracle, RandomSearch};
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::{self, StorageError};
use tuner::trial::{Metrics, Trial, TrialPlan, TrialState};
use tuner::tuner::TrialError;
use tuner::Tuner;

const CHILD_URL: &str = "TUNER_WORKER_TEST_URL";
const CHILD_STUDY: &str = "TUNER_WORKER_TEST_STUDY";
const CHILD_DIR: &str = "TUNER_WORKER_TEST_DIR";
const CHILD_ORACLE: &str = "TUNER_WORKER_TEST_ORACLE";

fn tmp(name: &str) -> PathBuf {
    crate::common::tmp(module_path!(), name)
}

/// The PostgreSQL URL to test against; a visible skip line (not a failure) when there is none,
/// except under CI, which must provide one.
pub(crate) fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("TUNER_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must export TUNER_TEST_POSTGRES_URL (see .ci/run)"
            );
            // Straight to the terminal: the test harness hides println! of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP {test}: TUNER_TEST_POSTGRES_URL is not set, PostgreSQL not tested"
            );
            None
        }
    }
}

fn space() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::int("a", 0, 11))
        .param(Param::choice("b", ["x", "y", "z", "w"]))
        .build()
        .unwrap()
}

fn oracle(name: &str) -> Box<dyn Fn() -> Box<dyn Oracle>> {
    match name {
        "grid" => Box::new(|| Box::new(GridSearch::new())),
        "random" => Box::new(|| Box::new(RandomSearch::new())),
        "hyperband" => Box::new(|| Box::new(Hyperband::new(9).factor(3))),
        other => panic!("unknown oracle {other}"),
    }
}

fn tuner(url: &str, study: &str, dir: &Path, oracle_name: &str, overwrite: bool) -> Tuner {
    struct Boxed(Box<dyn Oracle>);
    impl Oracle for Boxed {
        fn name(&self) -> &'static str {
            self.0.name()
        }
        fn config(&self) -> tuner::oracle::OracleConfig {
            self.0.config()
        }
        fn suggest(&self, ctx: &tuner::oracle::OracleContext<'_>) -> tuner::oracle::Suggestion {
            self.0.suggest(ctx)
        }
    }
    Tuner::for_space(space(), Boxed(oracle(oracle_name)()))
        .objective("loss")
        .max_trials(200)
        .storage_url(url)
        .directory(dir)
        .project_name(study)
        .overwrite(overwrite)
        .quiet(true)
        .build()
        .unwrap()
}

/// The workers' entry point; does nothing in a normal test run.
#[test]
fn worker_entry() {
    let (Ok(url), Ok(study), Ok(dir), Ok(oracle)) = (
        std::env::var(CHILD_URL),
        std::env::var(CHILD_STUDY),
        std::env::var(CHILD_DIR),
        std::env::var(CHILD_ORACLE),
    ) else {
        return;
    };
    let mut tuner = tuner(&url, &study, Path::new(&dir), &oracle, false);
    tuner
        .search_fn(|hp: &HyperParameters, ctx| {
            let a = hp.get_as::<i64>("a")? as f64;
            let start = ctx.initial_epoch();
            let end = ctx.epochs().unwrap_or(start + 1);
            for epoch in start..end {
                std::thread::sleep(Duration::from_millis(3));
                let loss = (a - 5.0).abs() + 1.0 / (epoch as f64 + 1.0);
                ctx.report(epoch, Metrics::from([("loss".to_owned(), loss)]));
            }
            Ok::<_, TrialError>(())
        })
        .unwrap();
}

/// Creates the study, runs `n` worker processes on it at once, and returns its trials.
fn run_workers(url: &str, study: &str, oracle: &str, n: usize) -> Vec<Trial> {
    let dir = tmp(study);
    let storage = tuner(url, study, &dir, oracle, true).storage().clone();
    let children: Vec<_> = (0..n)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    crate::common::exact_test_name(module_path!(), "worker_entry").as_str(),
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_URL, url)
                .env(CHILD_STUDY, study)
                .env(CHILD_DIR, &dir)
                .env(CHILD_ORACLE, oracle)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a worker failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let trials = storage.trials(study).unwrap();
    let numbers: Vec<u64> = trials.iter().map(|t| t.number).collect();
    assert_eq!(
        numbers,
        (0..trials.len() as u64).collect::<Vec<_>>(),
        "unique numbers"
    );
    let unfinished: Vec<&Trial> = trials
        .iter()
        .filter(|t| t.state != TrialState::Completed)
        .collect();
    assert!(unfinished.is_empty(), "not completed: {unfinished:?}");
    trials
}

fn each_configuration_once(trials: &[Trial]) {
    let mut keys: Vec<String> = trials.iter().map(|t| t.values().key()).collect();
    keys.sort();
    let total = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), total, "no configuration was handed out twice");
    assert_eq!(total, 48, "the whole space was covered");
}

fn sqlite_url(name: &str) -> String {
    format!("sqlite:///{}", tmp(name).join("shared.db").display())
}

#[test]
fn four_workers_on_sqlite_cover_the_grid_exactly_once() {
    each_configuration_once(&run_workers(&sqlite_url("grid"), "grid", "grid", 4));
}

#[test]
fn four_workers_on_sqlite_never_repeat_a_random_configuration() {
    each_configuration_once(&run_workers(&sqlite_url("random"), "random", "random", 4));
}

#[test]
fn four_workers_share_hyperband_brackets() {
    let trials = run_workers(&sqlite_url("hb"), "hb", "hyperband", 4);
    // Exactly the schedule's trials, as with one worker: no bracket was run twice.
    let schedule = Hyperband::new(9).factor(3).schedule();
    let planned: u32 = schedule.table().iter().flatten().map(|(n, _)| n).sum();
    assert_eq!(trials.len(), planned as usize);
    for t in trials.iter().filter(|t| t.plan.parent.is_some()) {
        let parent = &trials[t.plan.parent.unwrap() as usize];
        assert_eq!(parent.values(), t.values());
    }
}

#[test]
fn four_workers_on_postgres_cover_the_grid_exactly_once() {
    let Some(url) = postgres_url("four_workers_on_postgres_cover_the_grid_exactly_once") else {
        return;
    };
    let study = format!("grid-{}", std::process::id());
    each_configuration_once(&run_workers(&url, &study, "grid", 4));
    storage::open(&url).unwrap().delete_study(&study).unwrap();
}

#[test]
fn four_workers_on_postgres_never_repeat_a_random_configuration() {
    let Some(url) = postgres_url("four_workers_on_postgres_never_repeat_a_random_configuration")
    else {
        return;
    };
    let study = format!("random-{}", std::process::id());
    each_configuration_once(&run_workers(&url, &study, "random", 4));
    storage::open(&url).unwrap().delete_study(&study).unwrap();
}

#[test]
fn postgres_round_trips_every_trial_field_and_retries_stale_trials() {
    let Some(url) = postgres_url("postgres_round_trips_every_trial_field_and_retries_stale_trials")
    else {
        return;
    };
    let study = format!("roundtrip-{}", std::process::id());
    let dir = tmp("pg-roundtrip");
    let t = tuner(&url, &study, &dir, "grid", true);
    let pg = t.storage().clone();
    let mut hp = HyperParameters::new();
    hp.insert("a", 3);
    hp.insert("b", "z");
    let plan = TrialPlan {
        values: hp,
        epochs: Some(9),
        initial_epoch: 3,
        parent: Some(0),
        attrs: [("hyperband/round".to_owned(), 1.into())].into(),
    };
    let mut trial = pg
        .create_trial(&study, None, &mut |_, _| Some(plan.clone()))
        .unwrap()
        .unwrap();
    pg.report(
        &study,
        trial.number,
        3,
        &Metrics::from([("loss".into(), f64::NAN)]),
    )
    .unwrap();
    trial.history = vec![
        (
            3,
            Metrics::from([("loss".into(), 2.5), ("acc".into(), f64::INFINITY)]),
        ),
        (4, Metrics::from([("loss".into(), 0.125)])),
    ]
    .into();
    trial.rescore(t.objectives());
    trial.state = TrialState::Completed;
    trial.retries = 1;
    trial.seconds = 0.5;
    pg.update_trial(&study, &trial).unwrap();
    let fresh = storage::open(&url).unwrap();
    assert_eq!(
        crate::common::untimed(fresh.trials(&study).unwrap()),
        vec![trial.clone()]
    );
    assert!(matches!(
        fresh.update_trial(&study, &trial),
        Err(StorageError::Finished { .. })
    ));
    // A worker that took a trial and died: failed after the grace period, retried once.
    let dead = pg
        .create_trial(&study, None, &mut |_, _| Some(plan.clone()))
        .unwrap()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let retry = fresh
        .create_trial(
            &study,
            Some(Duration::from_secs(1)),
            &mut |trials, stale| {
                let stale = stale.expect("the dead trial is stale");
                assert_eq!(trials[stale as usize].state, TrialState::Failed);
                Some(storage::retry_plan(&trials[stale as usize]))
            },
        )
        .unwrap()
        .unwrap();
    assert_eq!(storage::retried(&retry.plan), Some(dead.number));
    let again = fresh
        .create_trial(&study, Some(Duration::from_secs(1)), &mut |_, stale| {
            assert_eq!(stale, None, "a stale trial is failed only once");
            None
        })
        .unwrap();
    assert!(again.is_none());
    fresh.delete_study(&study).unwrap();
    assert!(matches!(
        fresh.study(&study),
        Err(StorageError::NoStudy { .. })
    ));
}

#[test]
fn two_postgres_handles_see_each_others_changes_and_never_a_deleted_study() {
    let Some(url) =
        postgres_url("two_postgres_handles_see_each_others_changes_and_never_a_deleted_study")
    else {
        return;
    };
    let study = format!("handles-{}", std::process::id());
    let dir = tmp("pg-handles");
    let a = tuner(&url, &study, &dir, "grid", true).storage().clone();
    let b = storage::open(&url).unwrap();
    let plan = |a: i64| {
        let mut hp = HyperParameters::new();
        hp.insert("a", a);
        hp.insert("b", "x");
        TrialPlan {
            values: hp,
            ..TrialPlan::default()
        }
    };
    let values = |trials: &[Trial]| -> Vec<i64> {
        trials
            .iter()
            .map(|t| t.values().get_as::<i64>("a").unwrap())
            .collect()
    };
    let mut first = a
        .create_trial(&study, None, &mut |_, _| Some(plan(1)))
        .unwrap()
        .unwrap();
    let seen = b.trials(&study).unwrap();
    assert_eq!(
        (values(&seen), seen[0].state),
        (vec![1], TrialState::Running)
    );
    b.report(
        &study,
        first.number,
        0,
        &Metrics::from([("loss".into(), 0.5)]),
    )
    .unwrap();
    first.history = a.trials(&study).unwrap()[0].history.clone();
    assert_eq!(first.history.len(), 1, "B's report reached A");
    first.state = TrialState::Completed;
    first.score = Some(0.5);
    a.update_trial(&study, &first).unwrap();
    assert_eq!(
        crate::common::untimed(b.trials(&study).unwrap()),
        vec![first.clone()]
    );
    // A re-creates the study (overwrite) and starts it afresh: B serves only the new trials.
    tuner(&url, &study, &dir, "grid", true);
    a.create_trial(&study, None, &mut |_, _| Some(plan(7)))
        .unwrap()
        .unwrap();
    let mut history = Vec::new();
    b.create_trial(&study, None, &mut |trials, _| {
        history = values(trials);
        None
    })
    .unwrap();
    assert_eq!(history, [7]);
    assert_eq!(values(&b.trials(&study).unwrap()), [7]);
    a.delete_study(&study).unwrap();
    assert!(matches!(
        b.trials(&study),
        Err(StorageError::NoStudy { .. })
    ));
    assert!(matches!(
        b.heartbeat(&study, 0),
        Err(StorageError::NoStudy { .. })
    ));
}
