//! Crash safety: a searching process killed with SIGKILL at random moments, again and again,
//! loses and duplicates nothing; a hypermodel trial killed mid-training resumes from its last
//! epoch, not from scratch. The children are this test binary, re-run on one test.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tuner::data::fashion_mnist;
use tuner::oracle::GridSearch;
use tuner::prelude::*;
use tuner::pruner::{Pruner, PrunerContext};
use tuner::storage::{self, SqliteStorage, Storage};
use tuner::trial::{Trial, TrialState};
use tuner::tuner::{TrialError, LAST_CHECKPOINT};
use tuner::Tuner;

/// Set in a child: the study folder to search in, and which search to run.
const CHILD_DIR: &str = "TUNER_KILL_TEST_DIR";
const CHILD_KIND: &str = "TUNER_KILL_TEST_KIND";

fn tmp(name: &str) -> PathBuf {
    crate::common::tmp(module_path!(), name)
}

/// Starts this test binary on `child_entry` only, searching in `dir`.
fn spawn_child(dir: &Path, kind: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            crate::common::exact_test_name(module_path!(), "child_entry").as_str(),
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir)
        .env(CHILD_KIND, kind)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The children's entry point; does nothing in a normal test run.
#[test]
fn child_entry() {
    let (Ok(dir), Ok(kind)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_KIND)) else {
        return;
    };
    match kind.as_str() {
        "grid" => grid_worker(Path::new(&dir)),
        "hypermodel" => {
            hypermodel_worker(Path::new(&dir), true);
        }
        other => panic!("unknown child kind {other}"),
    }
}

const GRID: i64 = 120;

fn grid_tuner(dir: &Path) -> Tuner {
    let space = SearchSpace::builder()
        .param(Param::int("x", 0, GRID - 1))
        .build()
        .unwrap();
    Tuner::for_space(space, GridSearch::new())
        .objective("loss")
        .directory(dir)
        .project_name("kill")
        .heartbeat_interval(Duration::from_millis(50))
        .grace_period(Duration::from_millis(400))
        .quiet(true)
        .build()
        .unwrap()
}

fn grid_worker(dir: &Path) {
    let mut tuner = grid_tuner(dir);
    tuner
        .search_fn(|hp: &HyperParameters, ctx| {
            let x = hp.get_as::<i64>("x")? as f64;
            for epoch in 0..3 {
                std::thread::sleep(Duration::from_millis(4));
                let loss = (x - 50.0).powi(2) + 1.0 / (epoch as f64 + 1.0);
                ctx.report(epoch, Metrics::from([("loss".to_owned(), loss)]));
            }
            Ok::<_, TrialError>(())
        })
        .unwrap();
}

/// What must never change once a trial has completed.
fn completed(trials: &[Trial]) -> BTreeMap<u64, Trial> {
    trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .map(|t| (t.number, t.clone()))
        .collect()
}

fn check_numbers(trials: &[Trial]) {
    let numbers: Vec<u64> = trials.iter().map(|t| t.number).collect();
    assert_eq!(
        numbers,
        (0..trials.len() as u64).collect::<Vec<_>>(),
        "unique, no gaps"
    );
}

#[test]
fn killed_at_random_moments_the_study_loses_and_duplicates_nothing() {
    let dir = tmp("grid");
    let db = dir.join("kill").join("study.db");
    let mut rng = ChaCha8Rng::seed_from_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    let mut kills = 0;
    let mut seen: BTreeMap<u64, Trial> = BTreeMap::new();
    while kills < 22 {
        let mut child = spawn_child(&dir, "grid");
        std::thread::sleep(Duration::from_millis(rng.random_range(15..160)));
        if child.try_wait().unwrap().is_some() {
            break; // the study finished before this kill
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        if !db.exists() {
            continue;
        }
        let trials = SqliteStorage::open(&db)
            .unwrap()
            .trials("kill")
            .unwrap_or_default();
        check_numbers(&trials);
        let now = completed(&trials);
        for (number, trial) in &seen {
            assert_eq!(
                now.get(number),
                Some(trial),
                "a completed trial changed or vanished"
            );
        }
        seen = now;
    }
    assert!(
        kills >= 20,
        "only {kills} kills before the study finished: make it longer"
    );
    let status = spawn_child(&dir, "grid").wait().unwrap();
    assert!(
        status.success(),
        "the final, uninterrupted run finishes the study"
    );

    let trials = SqliteStorage::open(&db).unwrap().trials("kill").unwrap();
    check_numbers(&trials);
    let done = completed(&trials);
    for (number, trial) in &seen {
        assert_eq!(
            done.get(number),
            Some(trial),
            "a completed trial changed or vanished"
        );
    }
    let mut xs: Vec<i64> = done
        .values()
        .map(|t| t.values().get_as::<i64>("x").unwrap())
        .collect();
    xs.sort();
    assert_eq!(
        xs,
        (0..GRID).collect::<Vec<_>>(),
        "every point completed exactly once"
    );
    assert!(trials.iter().all(|t| t.state != TrialState::Running));
    let retries: HashMap<u64, usize> = trials
        .iter()
        .filter_map(|t| storage::retried(&t.plan))
        .fold(HashMap::new(), |mut m, n| {
            *m.entry(n).or_default() += 1;
            m
        });
    let failed: Vec<&Trial> = trials
        .iter()
        .filter(|t| t.state == TrialState::Failed)
        .collect();
    for f in &failed {
        assert!(
            f.message.as_deref().unwrap().contains("no heartbeat"),
            "{f:?}"
        );
        assert_eq!(
            retries.get(&f.number),
            Some(&1),
            "trial {} retried exactly once",
            f.number
        );
    }
    assert_eq!(
        trials.len(),
        GRID as usize + failed.len(),
        "the final count is exact"
    );
    println!(
        "{kills} kills: {} trials, {} killed mid-trial and retried",
        trials.len(),
        failed.len()
    );
}

#[hypermodel]
fn tiny() -> NetSpec {
    NetSpec::input_shape([28, 28])
        .flatten()
        .dense(hp_int!(units, 8..=16, step = 8))
        .activation(tuner::nn::Activation::Relu)
        .dense(10)
        .optimizer(Adam::new(1e-3))
}

/// Aborts the process after trial 0 reports epoch 3: a crash in the middle of training.
struct CrashAtEpoch3;

impl Pruner for CrashAtEpoch3 {
    fn name(&self) -> &'static str {
        "crash"
    }
    fn prune(&self, ctx: &PrunerContext<'_>) -> bool {
        if ctx.trial == 0 && ctx.epoch == 3 {
            std::process::abort();
        }
        false
    }
}

fn hypermodel_worker(dir: &Path, crash: bool) -> Tuner<tuner::tuner::Typed<Tiny>> {
    let (train, val) = fashion_mnist::load_shipped().unwrap();
    let (train, val) = (train.take(256), val.take(128));
    let mut builder = Tuner::grid::<Tiny>()
        .objective("val_loss")
        .directory(dir)
        .project_name("resume")
        .heartbeat_interval(Duration::from_millis(50))
        .grace_period(Duration::from_millis(300))
        .seed(5)
        .quiet(true);
    if crash {
        builder = builder.pruner(CrashAtEpoch3);
    }
    let mut tuner = builder.build().unwrap();
    tuner
        .search(&train, &val, Fit::default().epochs(6).batch_size(64))
        .unwrap();
    tuner
}

#[test]
fn a_hypermodel_trial_killed_mid_training_resumes_from_its_last_epoch() {
    let dir = tmp("hypermodel");
    let status = spawn_child(&dir, "hypermodel").wait().unwrap();
    assert!(!status.success(), "the child crashed");
    let dead_dir = dir.join("resume").join("trial_0000");
    let last = tuner::nn::read_checkpoint_info(dead_dir.join(LAST_CHECKPOINT)).unwrap();
    assert_eq!(
        last.epochs_completed, 4,
        "epochs 0..=3 were saved before the crash"
    );

    let tuner = hypermodel_worker(&dir, false);
    let trials = tuner.trials().unwrap();
    let dead = &trials[0];
    assert_eq!(dead.state, TrialState::Failed, "{dead:?}");
    let retry = trials
        .iter()
        .find(|t| storage::retried(&t.plan) == Some(0))
        .expect("the dead trial is retried");
    assert_eq!(retry.state, TrialState::Completed);
    assert_eq!(retry.values(), dead.values());
    let epochs: Vec<u32> = retry.history.iter().map(|(e, _)| *e).collect();
    assert_eq!(epochs, vec![0, 1, 2, 3, 4, 5]);
    // The first four epochs are the dead trial's own, not retrained (the retry's seed differs,
    // so retraining would give other numbers).
    assert_eq!(&retry.history[..4], &dead.history[..4]);
    let retry_last =
        tuner::nn::read_checkpoint_info(tuner.trial_dir(retry.number).join(LAST_CHECKPOINT))
            .unwrap();
    assert_eq!(retry_last.epochs_completed, 6);
    // Its best checkpoint is loadable and belongs to its best epoch.
    let net = tuner.load_model(retry).unwrap();
    assert_eq!(
        net.spec(),
        &Tiny::build(&Tiny::params_from(retry.values()).unwrap())
    );
    let completed = trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .count();
    assert_eq!(completed, 2, "both grid points completed once");
}

#[test]
fn the_default_storage_is_sqlite_in_the_project_folder() {
    let dir = tmp("default");
    let tuner = grid_tuner(&dir);
    assert!(dir.join("kill").join("study.db").exists());
    assert!(tuner.storage().location().ends_with("study.db"));
    let again = SqliteStorage::open(dir.join("kill").join("study.db")).unwrap();
    assert_eq!(again.study_names().unwrap(), vec!["kill".to_owned()]);
}
