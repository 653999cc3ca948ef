//! A burn trial killed mid-training (SIGABRT from inside its `fit`) resumes from its last
//! epoch's checkpoint, not from scratch. The child is this test binary, re-run on one test.

use crate::models::MlpConfig;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tuner::burn::{BurnNet, BurnSpec};
use tuner::data::fashion_mnist;
use tuner::model::Trainable;
use tuner::prelude::*;
use tuner::pruner::{Pruner, PrunerContext};
use tuner::storage;
use tuner::trial::TrialState;
use tuner::tuner::LAST_CHECKPOINT;
use tuner::Tuner;

const CHILD_DIR: &str = "TUNER_BURN_KILL_DIR";

fn tmp(name: &str) -> PathBuf {
    crate::common::tmp(module_path!(), name)
}

/// The children's entry point; does nothing in a normal test run.
#[test]
fn child_entry() {
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        worker(Path::new(&dir), true);
    }
}

#[hypermodel]
fn tiny() -> BurnSpec<MlpConfig> {
    BurnSpec::new(MlpConfig::new(
        784,
        vec![hp_int!(units, 8..=16, step = 8) as usize],
        10,
    ))
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

fn worker(dir: &Path, crash: bool) -> Tuner<tuner::tuner::Typed<Tiny>> {
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
fn a_killed_burn_trial_resumes_from_its_last_epoch() {
    let _serial = crate::models::serial();
    let dir = tmp("resume");
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            crate::common::exact_test_name(module_path!(), "child_entry").as_str(),
            "--exact",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the child crashed");
    let dead_dir = dir.join("resume").join("trial_0000");
    let (last, _) = BurnNet::<MlpConfig>::load_checkpoint(&dead_dir.join(LAST_CHECKPOINT)).unwrap();
    assert_eq!(
        last.epochs_completed(),
        4,
        "epochs 0..=3 were saved before the crash"
    );

    let tuner = worker(&dir, false);
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
    // The first four epochs are the dead trial's own, not retrained.
    assert_eq!(&retry.history[..4], &dead.history[..4]);
    let retry_last = tuner.trial_dir(retry.number).join(LAST_CHECKPOINT);
    let (net, _) = BurnNet::<MlpConfig>::load_checkpoint(&retry_last).unwrap();
    assert_eq!(net.epochs_completed(), 6);
    let best = tuner.load_model(retry).unwrap();
    assert_eq!(
        best.module().hidden[0].weight.dims()[1] as i64,
        retry.values().get_as::<i64>("units").unwrap()
    );
    let completed = trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .count();
    assert_eq!(completed, 2, "both grid points completed once");
}
