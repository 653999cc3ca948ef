//! The tuner loop's own cost per trial as the history grows: one search (default SQLite storage
//! in a temporary folder, `RandomSearch`, a trivial objective) run to the largest size, with the
//! time between one objective call's end and the next one's start measured for every trial.
//! That gap is everything the loop does per trial: storing the finished trial, the heartbeat
//! thread, the atomic create (history read, oracle decision, insert) and the trial's folder.
//!
//! For each size N the table shows the mean over the trials just before N (the last 10%, at
//! least 5), the main thread's CPU time over the same trials, the mean time of RandomSearch's
//! own `suggest` in them, and the load average when N was reached.
//!
//! ```text
//! cargo run --release --example loop_overhead -- [--trials 10000] [--dir /dev/shm]
//! ```
//!
//! `--dir` puts the study elsewhere than the system's temporary folder: on a RAM disk the
//! disk's flush latency (each trial commits twice with `synchronous = FULL`) drops out and
//! what is left is the loop's own work. `--keep` leaves the study in place (in
//! `<dir>/tuner-loop-overhead`) and `--resume` continues one left so, measuring only the trials
//! it adds: a long history made once serves to time a slower build at that history.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tuner::oracle::{Oracle, OracleContext, RandomSearch, Suggestion};
use tuner::space::{Param, SearchSpace};
use tuner::storage::{SqliteStorage, Storage};
use tuner::tuner::TrialError;
use tuner::Tuner;

/// Times every suggestion of the oracle it wraps, indexed by the history length it saw.
struct Timed {
    inner: RandomSearch,
    seconds: Arc<Mutex<Vec<(usize, f64)>>>,
}

impl Oracle for Timed {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn config(&self) -> tuner::oracle::OracleConfig {
        self.inner.config()
    }
    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion {
        let t = Instant::now();
        let s = self.inner.suggest(ctx);
        let dt = t.elapsed().as_secs_f64();
        self.seconds
            .lock()
            .expect("not poisoned")
            .push((ctx.trials.len(), dt));
        s
    }
}

/// The calling thread's CPU time so far (Linux), or `None` where it cannot be read.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// The 1-minute load average (Linux), or NaN.
fn load() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// What was seen when one trial's objective started.
#[derive(Clone, Copy)]
struct Mark {
    start: Instant,
    end: Instant,
    cpu: Option<Duration>,
    load: f64,
}

// `Report` prints a failure as sentences with their causes, not a `Debug` dump.
fn main() -> Result<(), tuner::Report> {
    run().map_err(tuner::Report::boxed)
}

fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut trials = 10_000usize;
    let mut root = std::env::temp_dir();
    let (mut keep, mut resume) = (false, false);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--trials" => trials = args.next().ok_or("--trials N")?.parse()?,
            "--dir" => root = args.next().ok_or("--dir PATH")?.into(),
            "--keep" => keep = true,
            "--resume" => (keep, resume) = (true, true),
            other => {
                return Err(format!(
                    "unknown argument {other}; use --trials N, --dir PATH, --keep, --resume"
                )
                .into())
            }
        }
    }
    let dir = if keep {
        root.join("tuner-loop-overhead")
    } else {
        root.join(format!("tuner-loop-overhead-{}", std::process::id()))
    };
    let first = if resume {
        SqliteStorage::open(dir.join("loop").join("study.db"))?
            .trials("loop")?
            .len()
    } else {
        0
    };
    let sizes: Vec<usize> = [10, 100, 1_000, 10_000, 100_000]
        .into_iter()
        .filter(|&n| n <= trials && n > first)
        .collect();
    let windows: Vec<(usize, usize)> = sizes
        .iter()
        .map(|&n| ((n - (n / 10).max(5)).max(first), n))
        .collect();
    // Only trials at a window's edges read /proc, so the reading costs the loop nothing else.
    let edges: std::collections::BTreeSet<usize> =
        windows.iter().flat_map(|&(a, b)| [a, b - 1]).collect();

    let space = SearchSpace::builder()
        .param(Param::float("x", -10.0, 10.0))
        .param(Param::int("n", 1, 64))
        .param(Param::choice("act", ["relu", "tanh", "gelu"]))
        .build()?;
    let seconds = Arc::new(Mutex::new(Vec::with_capacity(trials + 1)));
    let oracle = Timed {
        inner: RandomSearch::new(),
        seconds: seconds.clone(),
    };
    let mut tuner = Tuner::for_space(space, oracle)
        .objective("loss")
        .max_trials(trials as u64)
        .directory(&dir)
        .project_name("loop")
        .overwrite(!resume)
        .quiet(true)
        .build()?;
    let mut marks: Vec<Mark> = Vec::with_capacity(trials);
    let t0 = Instant::now();
    tuner.search_fn(|hp, ctx| {
        let start = Instant::now();
        let k = ctx.number() as usize;
        let (cpu, load) = if edges.contains(&k) {
            (thread_cpu(), load())
        } else {
            (None, f64::NAN)
        };
        let x = hp.get_as::<f64>("x")?;
        let value = x * x + hp.get_as::<i64>("n")? as f64;
        marks.push(Mark {
            start,
            end: Instant::now(),
            cpu,
            load,
        });
        Ok::<_, TrialError>(value)
    })?;
    let total = t0.elapsed();
    let stored = tuner.trials()?.len();
    let db = dir.join("loop").join("study.db");
    let db_size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if stored != trials || marks.len() != trials - first {
        return Err(format!(
            "expected {trials} trials, ran {} and stored {stored}",
            marks.len()
        )
        .into());
    }

    let suggest = seconds.lock().expect("not poisoned").clone();
    println!(
        "loop overhead per trial: SQLite (default, WAL, synchronous=FULL) in {}, RandomSearch, \
         trivial objective; {trials} trials in {:.1} s, {:.1} MB database",
        root.display(),
        total.as_secs_f64(),
        db_size as f64 / 1e6
    );
    println!();
    println!("| trials | trials measured | loop ms/trial | CPU ms/trial | random suggest ms | load avg |");
    println!("|---:|---|---:|---:|---:|---:|");
    for &(a, b) in &windows {
        // Trial k's loop cost: from trial k-1's objective end to trial k's objective start.
        let from = a.max(first + 1);
        let gaps: Vec<f64> = (from..b)
            .map(|k| (marks[k - first].start - marks[k - first - 1].end).as_secs_f64() * 1e3)
            .collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let cpu = match (marks[a - first].cpu, marks[b - 1 - first].cpu) {
            (Some(c0), Some(c1)) if b - 1 > a => {
                format!("{:.2}", (c1 - c0).as_secs_f64() * 1e3 / (b - 1 - a) as f64)
            }
            _ => "-".to_owned(),
        };
        // The suggestion that created trial k saw a history of k trials.
        let picked: Vec<f64> = suggest
            .iter()
            .filter(|(seen, _)| (from..b).contains(seen))
            .map(|(_, s)| s * 1e3)
            .collect();
        let oracle = picked.iter().sum::<f64>() / picked.len().max(1) as f64;
        println!(
            "| {b} | {from}-{} | {mean:.2} | {cpu} | {oracle:.3} | {:.2} |",
            b - 1,
            marks[b - 1 - first].load
        );
    }
    Ok(())
}
