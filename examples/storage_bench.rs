//! Storage throughput: trials per second for a trivial objective with 1, 2 and 4 worker
//! processes on SQLite and (when a URL is given) PostgreSQL. Every trial is a full round trip:
//! an atomic create (read the history, let the oracle decide, insert) and a final update.
//!
//! ```text
//! cargo run --release --example storage_bench -- [--postgres postgresql://user@127.0.0.1:5432/db] [--trials 300]
//! ```

use std::process::Command;
use std::time::{Duration, Instant};
use tuner::oracle::RandomSearch;
use tuner::space::{Param, SearchSpace};
use tuner::tuner::TrialError;
use tuner::Tuner;

fn tuner(
    url: &str,
    study: &str,
    trials: u64,
    overwrite: bool,
) -> Result<Tuner, Box<dyn std::error::Error + Send + Sync>> {
    let space = SearchSpace::builder()
        .param(Param::float("x", -10.0, 10.0))
        .param(Param::int("n", 1, 64))
        .build()?;
    Ok(Tuner::for_space(space, RandomSearch::new())
        .objective("loss")
        .max_trials(trials)
        .storage_url(url)
        .directory(std::env::temp_dir().join("tuner-storage-bench"))
        .project_name(study)
        .overwrite(overwrite)
        .heartbeat_interval(Duration::from_secs(5))
        .quiet(true)
        .build()?)
}

/// Runs `workers` processes on a fresh study until it holds `trials` trials; trials/second.
fn measure(
    url: &str,
    workers: usize,
    trials: u64,
) -> Result<f64, Box<dyn std::error::Error + Send + Sync>> {
    let study = format!("bench-{workers}-{}", std::process::id());
    let owner = tuner(url, &study, trials, true)?;
    let started = Instant::now();
    let children = (0..workers)
        .map(|_| {
            Command::new(std::env::current_exe()?)
                .args(["--worker", url, &study, &trials.to_string()])
                .spawn()
        })
        .collect::<Result<Vec<_>, _>>()?;
    for mut child in children {
        if !child.wait()?.success() {
            return Err("a worker failed".into());
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let stored = owner.trials()?.len() as u64;
    if stored != trials {
        return Err(format!("expected {trials} trials, the study holds {stored}").into());
    }
    owner.storage().delete_study(&study)?;
    Ok(trials as f64 / seconds)
}

// `Report` prints a failure as sentences with their causes, not a `Debug` dump.
fn main() -> Result<(), tuner::Report> {
    run().map_err(tuner::Report::boxed)
}

fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--worker") {
        let [_, url, study, trials] = &args[..] else {
            return Err("--worker URL STUDY TRIALS".into());
        };
        tuner(url, study, trials.parse()?, false)?.search_fn(|hp, _| {
            let x = hp.get_as::<f64>("x")?;
            Ok::<_, TrialError>(x * x + hp.get_as::<i64>("n")? as f64)
        })?;
        return Ok(());
    }
    let mut trials = 300u64;
    let mut postgres = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--trials" => trials = it.next().ok_or("--trials N")?.parse()?,
            "--postgres" => postgres = Some(it.next().ok_or("--postgres URL")?.clone()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let db = std::env::temp_dir()
        .join("tuner-storage-bench")
        .join("bench.db");
    let _ = std::fs::remove_file(&db);
    let mut backends = vec![("SQLite", format!("sqlite:///{}", db.display()))];
    if let Some(url) = postgres {
        backends.push(("PostgreSQL", url));
    }
    println!("{trials} trials per run, trivial objective, fresh study each run\n");
    println!("| storage    |  1 worker |  2 workers |  4 workers |");
    println!("|------------|----------:|-----------:|-----------:|");
    for (name, url) in backends {
        let mut row = format!("| {name:<10} |");
        for workers in [1, 2, 4] {
            let rate = measure(&url, workers, trials)?;
            row.push_str(&format!(" {rate:>7.0}/s |"));
        }
        println!("{row}");
    }
    Ok(())
}
