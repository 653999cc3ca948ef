//! What optuna-dashboard shows of our trials, seen as a person sees it: the dashboard serves a
//! Hyperband study we wrote, headless Chromium renders a trial's page, and the rendered page
//! must list the best epoch, the other metrics and their curves, the Hyperband bookkeeping and
//! a failed trial's error under "User Attributes".
//!
//! Runs when `TUNER_TEST_DASHBOARD` names an `optuna-dashboard` executable (`pip install
//! optuna-dashboard`) and Chromium runs (`chromium` on the PATH, or `TUNER_TEST_CHROMIUM`);
//! prints a `SKIP` line otherwise. About 30 s per page on 2 cores: the page's script runs
//! under `--virtual-time-budget`.

use crate::report_fixture::scratch;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tuner::oracle::Hyperband;
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::{SqliteStorage, Storage};
use tuner::trial::{Metrics, TrialState};
use tuner::tuner::{Control, TrialError};
use tuner::Tuner;

/// The dashboard's process, ended when the test ends (also when it fails).
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn skip(why: &str) {
    println!("SKIP optuna_dashboard_shows_our_trial_attributes: {why}");
}

/// A Chromium that starts, else why not.
fn chromium() -> Result<PathBuf, String> {
    let path = std::env::var_os("TUNER_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("chromium"));
    match Command::new(&path).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(path),
        Ok(out) => Err(format!("{} --version: {}", path.display(), out.status)),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The page at `url` after its scripts ran, as Chromium renders it.
fn rendered(chromium: &Path, url: &str) -> String {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=15000",
            "--window-size=1400,1800",
            "--dump-dom",
            url,
        ])
        .stderr(Stdio::null())
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium --dump-dom {url}: {}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes a Hyperband study with extra metrics, a user attribute and one failed trial; the
/// number of a promoted completed trial and of the failed one.
fn hyperband_study(db: &Path, dir: &Path) -> (u64, u64) {
    let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(db).unwrap());
    let space = SearchSpace::builder()
        .param(Param::float("lr", 1e-3, 1e-1).log())
        .param(Param::int("units", 8, 64).step(8))
        .build()
        .unwrap();
    let mut tuner = Tuner::for_space(space, Hyperband::new(4))
        .objective("val_accuracy")
        .seed(3)
        .storage(storage)
        .directory(dir)
        .project_name("dash")
        .max_consecutive_failed_trials(20)
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, ctx| {
            let lr = hp.get_as::<f64>("lr")?;
            ctx.set_user_attr("layers", [64, 32])?;
            if ctx.number() == 2 {
                return Err(TrialError::failed("the model did not fit in memory"));
            }
            for epoch in ctx.initial_epoch()..ctx.epochs().unwrap_or(4) {
                let acc = 0.9 - lr - 0.2 / (epoch as f64 + 1.0);
                let m = Metrics::from([
                    ("val_accuracy".to_owned(), acc),
                    ("val_loss".to_owned(), 1.0 - acc),
                    ("accuracy".to_owned(), acc + 0.05),
                ]);
                if ctx.report(epoch, m) == Control::Stop {
                    break;
                }
            }
            Ok::<(), TrialError>(())
        })
        .unwrap();
    let trials = tuner.trials().unwrap();
    let promoted = trials
        .iter()
        .find(|t| t.state == TrialState::Completed && t.plan.parent.is_some())
        .expect("Hyperband promotes a trial");
    let failed = trials
        .iter()
        .find(|t| t.state == TrialState::Failed)
        .expect("trial 2 failed");
    (promoted.number, failed.number)
}

#[test]
fn optuna_dashboard_shows_our_trial_attributes() {
    let Some(dashboard) = std::env::var_os("TUNER_TEST_DASHBOARD") else {
        skip("TUNER_TEST_DASHBOARD does not name an optuna-dashboard executable");
        return;
    };
    let chromium = match chromium() {
        Ok(c) => c,
        Err(e) => return skip(&format!("no chromium ({e})")),
    };
    let dir = scratch("dashboard");
    let db = dir.join("study.db");
    let (promoted, failed) = hyperband_study(&db, &dir);

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _served = Served(
        Command::new(&dashboard)
            .arg(format!("sqlite:///{}", db.display()))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("optuna-dashboard starts"),
    );
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "optuna-dashboard did not listen on port {port} within a minute"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let page = |number: u64| {
        rendered(
            &chromium,
            &format!("http://127.0.0.1:{port}/dashboard/studies/1/trials?numbers={number}"),
        )
    };
    let promoted_page = page(promoted);
    assert!(promoted_page.contains("User Attributes"), "{promoted_page}");
    for name in [
        "best_epoch",
        "accuracy",
        "val_loss",
        "val_loss:epochs",
        "epochs",
        "initial_epoch",
        "parent",
        "hyperband/bracket",
        "hyperband/round",
        "layers",
    ] {
        assert!(
            // Each attribute is a paragraph "name value".
            promoted_page.contains(&format!(">{name} ")),
            "trial {promoted}'s page lacks the user attribute {name}"
        );
    }
    let failed_page = page(failed);
    assert!(failed_page.contains(">error "), "trial {failed}: no error");
    assert!(
        failed_page.contains("the model did not fit in memory"),
        "trial {failed}: the message is not shown"
    );
    std::fs::remove_dir_all(&dir).ok();
}
