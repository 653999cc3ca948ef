//! How a study scales with worker processes: N copies of this program search one study at
//! once (random search, a trivial or a sleeping objective), and the parent reports trials per
//! second against the linear ideal and the latency of the ask path (from one trial's end to
//! the next one's start: deciding, storing, retrying stale trials) at p50 and p99. Linear is
//! one trial per objective duration per worker (or, for a trivial objective, n times the
//! first run's rate per worker). Two rates: over the whole run (process start-up, connecting
//! and opening the study included) and over the search itself (from the first trial's start
//! to the last one's end in any worker), which is what more trials per worker tend to.
//!
//! ```text
//! cargo run --release --example worker_scale -- --workers 1,2,4,8,16 --work-ms 50
//! cargo run --release --features postgres --example worker_scale -- \
//!     --storage postgresql://postgres@127.0.0.1:5432/db --workers 1,2,4,8,16 --work-ms 0
//! ```
//! Options: `--storage URL` (default: a SQLite file in the temp folder), `--workers LIST`,
//! `--work-ms MS` (the objective's duration, default 50), `--trials N` per worker (default 40),
//! `--server-pid PID` (PostgreSQL's postmaster: its reaped backends' CPU time is the server's
//! share). Each row searches a study of its own, deleted when every row is done. The CPU
//! columns are per trial, whatever else the machine runs: the workers' user + system time (this
//! process's reaped children) and, with `--server-pid`, the server's.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};
use tuner::oracle::RandomSearch;
use tuner::space::{Param, SearchSpace};
use tuner::tuner::TrialError;
use tuner::Tuner;

struct Args {
    storage: String,
    workers: Vec<usize>,
    work: Duration,
    trials: u64,
    /// PostgreSQL's postmaster, whose reaped children are the sessions' server processes.
    server_pid: Option<u32>,
    /// Set in a worker: the file its latencies go to.
    worker: Option<String>,
    /// The study searched: one per row, so that no row starts by deleting the rows of the
    /// one before (whose clean-up, the server's vacuum, would run during the measurement).
    study: String,
}

fn args() -> Result<Args, String> {
    let tmp = std::env::temp_dir().join(format!("tuner-scale-{}.db", std::process::id()));
    let mut a = Args {
        storage: format!("sqlite:///{}", tmp.display()),
        workers: vec![1, 2, 4, 8, 16],
        work: Duration::from_millis(50),
        trials: 40,
        server_pid: None,
        worker: None,
        study: "scale".to_owned(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--storage" => a.storage = value()?,
            "--workers" => {
                a.workers = value()?
                    .split(',')
                    .map(|n| n.parse().map_err(|e| format!("--workers: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--work-ms" => {
                a.work =
                    Duration::from_millis(value()?.parse().map_err(|e| format!("--work-ms: {e}"))?)
            }
            "--trials" => a.trials = value()?.parse().map_err(|e| format!("--trials: {e}"))?,
            "--worker" => a.worker = Some(value()?),
            "--study" => a.study = value()?,
            "--server-pid" => {
                a.server_pid = Some(value()?.parse().map_err(|e| format!("--server-pid: {e}"))?)
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

fn tuner(
    a: &Args,
    max_trials: u64,
    overwrite: bool,
) -> Result<Tuner, Box<dyn std::error::Error + Send + Sync>> {
    let space = SearchSpace::builder()
        .param(Param::float("x", -5.0, 5.0))
        .param(Param::int("n", 1, 64))
        .build()?;
    Ok(Tuner::for_space(space, RandomSearch::new())
        .objective("loss")
        .max_trials(max_trials)
        .storage_url(&a.storage)
        .directory(std::env::temp_dir().join("tuner-scale"))
        .project_name(&a.study)
        .overwrite(overwrite)
        .seed(std::process::id() as u64)
        .quiet(true)
        .build()?)
}

/// Seconds since the Unix epoch: one clock for every worker process of the machine.
fn wall() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One worker: searches, and writes its first trial's start and last trial's end (wall clock)
/// on the first line of `out`, then each ask's latency (seconds), one a line. The first ask
/// (opening the study, the first read) is not a latency of the steady search.
fn worker(a: &Args, out: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut t = tuner(a, a.trials, false)?;
    let ended: std::sync::Arc<std::sync::Mutex<Option<Instant>>> = Default::default();
    let latencies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let window = std::sync::Arc::new(std::sync::Mutex::new((f64::NAN, f64::NAN)));
    {
        let (ended, latencies, window) = (ended.clone(), latencies.clone(), window.clone());
        t.on_trial_begin(move |_| {
            if let Some(at) = *ended.lock().unwrap() {
                latencies.lock().unwrap().push(at.elapsed().as_secs_f64());
            }
            let mut w = window.lock().unwrap();
            if w.0.is_nan() {
                w.0 = wall();
            }
        });
    }
    {
        let (ended, window) = (ended.clone(), window.clone());
        t.on_trial_end(move |_| {
            *ended.lock().unwrap() = Some(Instant::now());
            window.lock().unwrap().1 = wall();
        });
    }
    let work = a.work;
    t.search_fn(|hp, _| {
        std::thread::sleep(work);
        Ok::<_, TrialError>(hp.get_as::<f64>("x")?.powi(2))
    })?;
    let mut f = std::fs::File::create(out)?;
    let (first, last) = *window.lock().unwrap();
    writeln!(f, "{first} {last}")?;
    for l in latencies.lock().unwrap().iter() {
        writeln!(f, "{l}")?;
    }
    Ok(())
}

/// The user + system CPU seconds of the reaped children of process `pid` (`self` or a pid):
/// fields 16 and 17 of `/proc/PID/stat`, in clock ticks.
fn children_cpu(pid: &str, tick: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (in parentheses, which may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // Field 16 of the whole line is index 13 of the fields after the name (which start at 3).
    let ticks = fields.get(13)?.parse::<f64>().ok()? + fields.get(14)?.parse::<f64>().ok()?;
    Some(ticks / tick)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 where it cannot be asked).
fn clock_tick() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

// `Report` prints a failure as sentences with their causes, not a `Debug` dump.
fn main() -> Result<(), tuner::Report> {
    run().map_err(tuner::Report::boxed)
}

fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut a = args()?;
    if let Some(out) = &a.worker {
        return worker(&a, out);
    }
    println!(
        "storage {}, objective {} ms, {} trials per worker",
        a.storage.split('@').next_back().unwrap_or(&a.storage),
        a.work.as_millis(),
        a.trials
    );
    println!(
        "| workers | trials | seconds | trials/s | % of linear | search trials/s | \
         search % of linear | ask p50 ms | ask p99 ms | client CPU ms/trial | \
         server CPU ms/trial |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let tick = clock_tick();
    let server = a.server_pid.map(|p| p.to_string());
    let cpu = || {
        (
            children_cpu("self", tick).unwrap_or(f64::NAN),
            server
                .as_deref()
                .and_then(|p| children_cpu(p, tick))
                .unwrap_or(f64::NAN),
        )
    };
    let mut one = None;
    let mut studies = Vec::new();
    for n in a.workers.clone() {
        let trials = a.trials * n as u64;
        // Each run starts a fresh study, with max_trials stored by this first handle's runs.
        a.study = format!("scale-{}-{n}", std::process::id());
        studies.push(a.study.clone());
        drop(tuner(&a, trials, true)?);
        let started = Instant::now();
        let (client0, server0) = cpu();
        let mut children = Vec::new();
        let files: Vec<String> = (0..n)
            .map(|i| {
                std::env::temp_dir()
                    .join(format!("tuner-scale-{}-{i}.txt", std::process::id()))
                    .display()
                    .to_string()
            })
            .collect();
        for file in &files {
            children.push(
                Command::new(std::env::current_exe()?)
                    .args([
                        "--storage",
                        &a.storage,
                        "--work-ms",
                        &a.work.as_millis().to_string(),
                        "--trials",
                        &trials.to_string(),
                        "--worker",
                        file,
                        "--study",
                        &a.study,
                    ])
                    .spawn()?,
            );
        }
        for mut c in children {
            let status = c.wait()?;
            if !status.success() {
                return Err(format!("a worker exited with {status}").into());
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let stored = tuner(&a, trials, false)?.trials()?.len();
        // The workers' sessions have ended (and been reaped by the server) by now, but for
        // the reading handle's, just closed: give the postmaster a moment to reap it.
        std::thread::sleep(Duration::from_millis(200));
        let (client1, server1) = cpu();
        let per_trial = |s: f64| 1e3 * s / stored as f64;
        let mut lat: Vec<f64> = Vec::new();
        let (mut first, mut last) = (f64::INFINITY, f64::NEG_INFINITY);
        for f in &files {
            let text = std::fs::read_to_string(f)?;
            let mut lines = text.lines();
            if let Some((a, b)) = lines.next().and_then(|l| l.split_once(' ')) {
                first = first.min(a.parse().unwrap_or(f64::INFINITY));
                last = last.max(b.parse().unwrap_or(f64::NEG_INFINITY));
            }
            lat.extend(lines.filter_map(|l| l.parse::<f64>().ok()));
            let _ = std::fs::remove_file(f);
        }
        let search_rate = stored as f64 / (last - first);
        lat.sort_by(f64::total_cmp);
        let rate = stored as f64 / seconds;
        // Linear: n times one worker's pace; with a sleeping objective, n per objective
        // duration (what the issue counts), else n times the first run's rate per worker.
        let (base, search_base) = match a.work.as_secs_f64() {
            w if w > 0.0 => (1.0 / w, 1.0 / w),
            _ => *one.get_or_insert((rate / n as f64, search_rate / n as f64)),
        };
        println!(
            "| {n} | {stored} | {seconds:.1} | {rate:.1} | {:.0}% | {search_rate:.1} | {:.0}% \
             | {:.1} | {:.1} | {:.2} | {:.2} |",
            100.0 * rate / (base * n as f64),
            100.0 * search_rate / (search_base * n as f64),
            1e3 * percentile(&lat, 0.5),
            1e3 * percentile(&lat, 0.99),
            per_trial(client1 - client0),
            per_trial(server1 - server0)
        );
    }
    // After every row: deleting a row's study before the next would have the server vacuum
    // its rows during that row's measurement.
    let storage = tuner::storage::open(&a.storage)?;
    for study in &studies {
        storage.delete_study(study)?;
    }
    Ok(())
}
