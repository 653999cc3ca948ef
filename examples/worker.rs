//! Many workers, one study, no coordinator: this example starts N copies of itself, each a
//! worker that calls `search` on the same study; the storage hands every worker the next
//! trial atomically, and each one's oracle decides from the shared history.
//!
//! ```text
//! cargo run --release --example worker -- --workers 4
//! cargo run --release --example worker -- --workers 4 --storage postgresql://postgres@127.0.0.1:5432/db
//! ```
//! Options: `--workers N` (default 4), `--trials N` (default 60), `--storage URL` (default
//! SQLite at tuning/workers/study.db), `--study NAME` (default `workers`).

use std::process::Command;
use std::time::{Duration, Instant};
use tuner::oracle::RandomSearch;
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::tuner::TrialError;
use tuner::Tuner;

struct Args {
    workers: usize,
    trials: u64,
    storage: Option<String>,
    study: String,
    worker: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        workers: 4,
        trials: 60,
        storage: None,
        study: "workers".to_owned(),
        worker: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--workers" => a.workers = value()?.parse().map_err(|e| format!("--workers: {e}"))?,
            "--trials" => a.trials = value()?.parse().map_err(|e| format!("--trials: {e}"))?,
            "--storage" => a.storage = Some(value()?),
            "--study" => a.study = value()?,
            "--worker" => a.worker = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// Branin's function over a 2-D box: a classic black-box benchmark.
fn space() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::float("x1", -5.0, 10.0))
        .param(Param::float("x2", 0.0, 15.0))
        .build()
        .expect("a valid space")
}

fn branin(hp: &HyperParameters) -> Result<f64, TrialError> {
    let (x1, x2) = (hp.get_as::<f64>("x1")?, hp.get_as::<f64>("x2")?);
    let pi = std::f64::consts::PI;
    let b = 5.1 / (4.0 * pi * pi);
    let c = 5.0 / pi;
    // Pretend the objective takes a moment, as a real model would.
    std::thread::sleep(Duration::from_millis(20));
    Ok((x2 - b * x1 * x1 + c * x1 - 6.0).powi(2)
        + 10.0 * (1.0 - 1.0 / (8.0 * pi)) * x1.cos()
        + 10.0)
}

fn tuner(a: &Args, overwrite: bool) -> Result<Tuner, Box<dyn std::error::Error + Send + Sync>> {
    let mut builder = Tuner::for_space(space(), RandomSearch::new())
        .objective("loss")
        .max_trials(a.trials)
        .directory("tuning")
        .project_name(&a.study)
        .overwrite(overwrite)
        .quiet(true);
    if let Some(url) = &a.storage {
        builder = builder.storage_url(url);
    }
    Ok(builder.build()?)
}

// `Report` prints a failure as sentences with their causes, not a `Debug` dump.
fn main() -> Result<(), tuner::Report> {
    run().map_err(tuner::Report::boxed)
}

fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let a = args()?;
    if a.worker {
        let report = tuner(&a, false)?.search_fn(|hp, _| branin(hp))?;
        println!(
            "worker {}: {} trials in {:.1}s",
            std::process::id(),
            report.trials,
            report.seconds
        );
        return Ok(());
    }
    // The study is created once, then every worker resumes it.
    let study = tuner(&a, true)?;
    println!(
        "{} workers on study `{}` in {}",
        a.workers,
        a.study,
        study.storage().location()
    );
    let started = Instant::now();
    let mut children = Vec::new();
    for _ in 0..a.workers {
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.args([
            "--worker",
            "--trials",
            &a.trials.to_string(),
            "--study",
            &a.study,
        ]);
        if let Some(url) = &a.storage {
            cmd.args(["--storage", url]);
        }
        children.push(cmd.spawn()?);
    }
    for mut child in children {
        let status = child.wait()?;
        if !status.success() {
            return Err(format!("a worker exited with {status}").into());
        }
    }
    let trials = study.trials()?;
    let numbers: std::collections::BTreeSet<u64> = trials.iter().map(|t| t.number).collect();
    println!(
        "{} trials ({} distinct numbers) in {:.1}s",
        trials.len(),
        numbers.len(),
        started.elapsed().as_secs_f64()
    );
    study.results_summary(3)?;
    Ok(())
}
