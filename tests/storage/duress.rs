//! Many workers under what a cluster does to them: a worker stopped (SIGSTOP) past the grace
//! period and then continued, an outside connection holding locks, every PostgreSQL session
//! cut (as a server restart does), a trial asked by a process that is then killed (the
//! finish/stale race is `race.rs`). Each run checks the study afterwards: no completed trial
//! lost (every result a worker saw stored is stored), none duplicated (one completed trial per retry chain), no worker crashed, nothing
//! left Running, numbers contiguous. The workers are this test binary re-run on one test.
//! PostgreSQL runs need `TUNER_TEST_POSTGRES_URL` (skipped with a line on stderr without it);
//! a real server restart under load is `restart.rs`, on a cluster of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tuner::oracle::RandomSearch;
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::{retried, Storage, ASKED_AT, RETRY_OF};
use tuner::study::{Catalog, StudyError};
use tuner::trial::{Trial, TrialState};
use tuner::tuner::TrialError;
use tuner::Tuner;

const CHILD_URL: &str = "TUNER_DURESS_URL";
const CHILD_STUDY: &str = "TUNER_DURESS_STUDY";
const CHILD_DIR: &str = "TUNER_DURESS_DIR";
const CHILD_KIND: &str = "TUNER_DURESS_KIND";
const CHILD_TRIALS: &str = "TUNER_DURESS_TRIALS";

/// Every worker's heartbeat and grace period: short, so the tests stay short.
const BEAT: Duration = Duration::from_millis(100);
const GRACE: Duration = Duration::from_millis(1000);
/// How long each objective takes.
const WORK: Duration = Duration::from_millis(30);

pub(crate) fn tmp(name: &str) -> PathBuf {
    crate::common::tmp(module_path!(), name)
}

/// The PostgreSQL URL, or a visible skip (CI must give one).
pub(crate) fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("TUNER_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must export TUNER_TEST_POSTGRES_URL (see .ci/run)"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIP {test}: TUNER_TEST_POSTGRES_URL is not set, PostgreSQL not tested"
            );
            None
        }
    }
}

pub(crate) fn sqlite_url(name: &str) -> String {
    format!("sqlite:///{}", tmp(name).join("study.db").display())
}

pub(crate) fn tuner(url: &str, study: &str, dir: &Path, trials: u64, overwrite: bool) -> Tuner {
    let space = SearchSpace::builder()
        .param(Param::float("x", -3.0, 3.0))
        .build()
        .unwrap();
    Tuner::for_space(space, RandomSearch::new())
        .objective("loss")
        .max_trials(trials)
        .storage_url(url)
        .directory(dir)
        .project_name(study)
        .overwrite(overwrite)
        .heartbeat_interval(BEAT)
        .grace_period(GRACE)
        .seed(std::process::id() as u64)
        .quiet(true)
        .build()
        .unwrap()
}

/// The children's entry point; does nothing in a normal test run.
#[test]
fn duress_child_entry() {
    let (Ok(url), Ok(study), Ok(dir), Ok(kind), Ok(trials)) = (
        std::env::var(CHILD_URL),
        std::env::var(CHILD_STUDY),
        std::env::var(CHILD_DIR),
        std::env::var(CHILD_KIND),
        std::env::var(CHILD_TRIALS),
    ) else {
        return;
    };
    let trials: u64 = trials.parse().unwrap();
    let mut tuner = tuner(&url, &study, Path::new(&dir), trials, false);
    match kind.as_str() {
        "search" => {
            // What this worker saw stored as completed, for the parent to find again.
            let log = Path::new(&dir).join(format!("completed-{}.txt", std::process::id()));
            tuner.on_trial_end(move |t: &Trial| {
                if t.state == TrialState::Completed {
                    let mut f = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&log)
                        .unwrap();
                    writeln!(f, "{}", t.number).unwrap();
                }
            });
            tuner
                .search_fn(|hp: &HyperParameters, _| {
                    std::thread::sleep(WORK);
                    Ok::<_, TrialError>(hp.get_as::<f64>("x")?.powi(2))
                })
                .unwrap();
        }
        "ask" => {
            let trial = tuner.ask().unwrap();
            let asked = Path::new(&dir).join("asked.txt");
            std::fs::write(asked.with_extension("tmp"), trial.number.to_string()).unwrap();
            std::fs::rename(asked.with_extension("tmp"), asked).unwrap();
            // Never tells: the parent kills this asker.
            std::thread::sleep(Duration::from_secs(60));
        }
        other => panic!("unknown child kind {other}"),
    }
}

fn spawn(url: &str, study: &str, dir: &Path, kind: &str, trials: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            crate::common::exact_test_name(module_path!(), "duress_child_entry").as_str(),
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_URL, url)
        .env(CHILD_STUDY, study)
        .env(CHILD_DIR, dir)
        .env(CHILD_KIND, kind)
        .env(CHILD_TRIALS, trials.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {}", child.id());
}

/// What a run did, for the messages and the counts the issue asks for.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    trials: usize,
    failed_stale: usize,
    seconds: f64,
}

/// Starts the study and `workers` searching workers, runs `disturb` on them meanwhile, waits,
/// and checks everything a study must keep under duress.
pub(crate) fn run(
    url: &str,
    study: &str,
    workers: usize,
    trials: u64,
    disturb: impl FnOnce(&[Child]),
) -> Tally {
    let dir = tmp(study);
    let storage = tuner(url, study, &dir, trials, true).storage().clone();
    let started = Instant::now();
    let children: Vec<Child> = (0..workers)
        .map(|_| spawn(url, study, &dir, "search", trials))
        .collect();
    disturb(&children);
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a worker crashed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("completed-")
        {
            let text = std::fs::read_to_string(&path).unwrap();
            seen.extend(text.lines().map(|l| l.parse::<u64>().unwrap()));
        }
    }
    let all = check(storage.as_ref(), study, trials, &seen);
    optuna_agrees(url, study, &all);
    Tally {
        trials: all.len(),
        failed_stale: all.iter().filter(|t| t.state == TrialState::Failed).count(),
        seconds,
    }
}

/// The study's invariants; `seen` are the numbers workers saw stored as completed.
fn check(storage: &dyn Storage, study: &str, trials: u64, seen: &[u64]) -> Vec<Trial> {
    let all = storage.trials(study).unwrap();
    let numbers: Vec<u64> = all.iter().map(|t| t.number).collect();
    assert_eq!(
        numbers,
        (0..all.len() as u64).collect::<Vec<_>>(),
        "numbers contiguous"
    );
    let running: Vec<u64> = all
        .iter()
        .filter(|t| t.state == TrialState::Running)
        .map(|t| t.number)
        .collect();
    assert!(running.is_empty(), "left running: {running:?}");
    for n in seen {
        assert_eq!(
            all[*n as usize].state,
            TrialState::Completed,
            "trial {n} was stored completed, and is lost: {:?}",
            all[*n as usize]
        );
    }
    let distinct: BTreeSet<u64> = seen.iter().copied().collect();
    assert_eq!(distinct.len(), seen.len(), "a result recorded twice");
    // One completed trial per chain of retries, and each chain's failures retried once.
    let mut completed_roots = BTreeMap::new();
    let mut retries_of: BTreeMap<u64, usize> = BTreeMap::new();
    for t in &all {
        if let Some(before) = retried(&t.plan) {
            *retries_of.entry(before).or_default() += 1;
        }
        if t.state == TrialState::Completed {
            if let Some(other) = completed_roots.insert(root(&all, t), t.number) {
                panic!(
                    "trials {other} and {} are one trial completed twice",
                    t.number
                );
            }
        }
    }
    for t in all.iter().filter(|t| t.state == TrialState::Failed) {
        assert_eq!(
            retries_of.get(&t.number),
            Some(&1),
            "failed trial {} is retried exactly once: {:?}",
            t.number,
            t.message
        );
    }
    assert!(retries_of.values().all(|&n| n == 1), "{retries_of:?}");
    let originals = all.iter().filter(|t| retried(&t.plan).is_none()).count();
    assert_eq!(originals as u64, trials, "max_trials originals");
    assert_eq!(
        completed_roots.len() as u64,
        trials,
        "every trial completed once"
    );
    all
}

/// Optuna's `load_study` agrees with `tuner best` (what the command reads: the study through
/// a [`Catalog`], its best completed trial): the same best trial, value and count of completed
/// trials (when a Python with optuna is at hand: see `python.rs`).
pub(crate) fn optuna_agrees(url: &str, study: &str, all: &[Trial]) {
    let Ok(python) = crate::python::python() else {
        let _ = writeln!(std::io::stderr(), "SKIP optuna check of {study}: no optuna");
        return;
    };
    let best = Catalog::new(Some(url.to_owned()), std::env::temp_dir())
        .read(study)
        .and_then(|s| s.best_completed(1))
        .unwrap();
    let best = best.first().expect("`tuner best` finds a best trial");
    let url = url.replacen("postgresql://", "postgresql+psycopg2://", 1);
    let script = "import sys, optuna\n\
        optuna.logging.set_verbosity(optuna.logging.WARNING)\n\
        s = optuna.load_study(study_name=sys.argv[1], storage=sys.argv[2])\n\
        done = [t for t in s.trials if t.state == optuna.trial.TrialState.COMPLETE]\n\
        print(len(done), repr(s.best_value), s.best_trial.number)";
    let out = Command::new(python)
        .args(["-c", script, study, &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [count, value, number] = fields[..] else {
        panic!("optuna printed {text:?}");
    };
    let completed = all
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .count();
    assert_eq!(count.parse::<usize>().unwrap(), completed, "optuna's count");
    assert_eq!(
        (
            number.parse::<u64>().unwrap(),
            value.parse::<f64>().unwrap()
        ),
        (best.number, best.score.unwrap()),
        "optuna's best trial and value against `tuner best`"
    );
    let ours = all
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .filter_map(|t| t.score)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(best.score, Some(ours), "`tuner best` is the lowest loss");
}

/// The first trial of `t`'s chain of retries.
fn root(all: &[Trial], t: &Trial) -> u64 {
    let mut t = t;
    while let Some(before) = retried(&t.plan) {
        t = &all[before as usize];
    }
    t.number
}

pub(crate) fn report(what: &str, tally: &Tally) {
    let _ = writeln!(
        std::io::stderr(),
        "{what}: {} trials ({} failed as stale, each retried once) in {:.1}s; 0 lost, 0 \
         duplicated, 0 crashes, 0 left running",
        tally.trials,
        tally.failed_stale,
        tally.seconds
    );
}

/// Stops each worker in turn past the grace period, then continues it.
fn stop_and_continue(children: &[Child]) {
    for child in children.iter().take(2) {
        std::thread::sleep(Duration::from_millis(300));
        signal(child, "-STOP");
        std::thread::sleep(GRACE * 5 / 2);
        signal(child, "-CONT");
    }
}

#[test]
fn workers_stopped_past_the_grace_period_and_continued_lose_nothing_on_sqlite() {
    let tally = run(&sqlite_url("stop"), "stop", 3, 80, stop_and_continue);
    report("sqlite, 2 workers SIGSTOPped 2.5 s", &tally);
}

#[test]
fn workers_stopped_past_the_grace_period_and_continued_lose_nothing_on_postgres() {
    let Some(url) = postgres_url("workers_stopped_..._on_postgres") else {
        return;
    };
    let tally = run(&url, "duress_stop", 3, 80, stop_and_continue);
    report("postgres, 2 workers SIGSTOPped 2.5 s", &tally);
}

#[test]
fn an_outside_connection_holding_the_sqlite_lock_fails_no_live_trial() {
    let url = sqlite_url("outside");
    let db = url.strip_prefix("sqlite:///").unwrap().to_owned();
    let tally = run(&url, "outside", 3, 60, |_| {
        for _ in 0..2 {
            std::thread::sleep(Duration::from_millis(400));
            // Another program takes the write lock for three grace periods.
            let conn = rusqlite::Connection::open(&db).unwrap();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            std::thread::sleep(GRACE * 3);
            conn.execute_batch("COMMIT").unwrap();
        }
    });
    report("sqlite, write lock held outside 2 x 3 s", &tally);
    assert_eq!(tally.failed_stale, 0, "a live trial was failed as stale");
}

/// `psql`, from Debian's server folder or the path.
fn psql() -> String {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin/psql"))
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs.into_iter()
        .rev()
        .find(|p| p.exists())
        .map_or("psql".to_owned(), |p| p.display().to_string())
}

fn sql(url: &str, statements: &str) -> std::process::Output {
    Command::new(psql())
        .args([url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", statements])
        .output()
        .expect("psql runs")
}

#[test]
fn an_outside_connection_holding_postgres_locks_fails_no_live_trial() {
    let Some(url) = postgres_url("an_outside_connection_holding_postgres_locks") else {
        return;
    };
    let study = "duress_outside";
    let tally = run(&url, study, 3, 60, |_| {
        for _ in 0..2 {
            std::thread::sleep(Duration::from_millis(400));
            // The study row (what new trials wait for) and every heartbeat, held 3 s. A worker
            // holding a heartbeat while it waits for the study row makes this a deadlock that
            // PostgreSQL may settle by aborting the outsider; it then takes the locks again.
            let statements = format!(
                "BEGIN; SELECT study_id FROM studies WHERE study_name = '{study}' FOR UPDATE; \
                 LOCK TABLE trial_heartbeats IN EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT;"
            );
            let mut out = sql(&url, &statements);
            for _ in 0..5 {
                if out.status.success()
                    || !String::from_utf8_lossy(&out.stderr).contains("deadlock detected")
                {
                    break;
                }
                out = sql(&url, &statements);
            }
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
    report(
        "postgres, study row and heartbeats locked outside 2 x 3 s",
        &tally,
    );
    assert_eq!(tally.failed_stale, 0, "a live trial was failed as stale");
}

#[test]
fn workers_ride_through_every_postgres_session_being_cut() {
    let Some(url) = postgres_url("workers_ride_through_every_postgres_session_being_cut") else {
        return;
    };
    let tally = run(&url, "duress_cut", 3, 80, |_| {
        // What a restart does to each session (57P01), five times under load.
        for _ in 0..5 {
            std::thread::sleep(Duration::from_millis(300));
            let out = sql(
                &url,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
    report("postgres, every session terminated 5 times", &tally);
}

/// A killed asker's trial: never taken over by the search, which ends without waiting for
/// it; `fail_abandoned` resolves it, and a late tell is refused.
fn killed_asker(url: &str, study: &str) {
    let dir = tmp(study);
    let owner = tuner(url, study, &dir, 20, true);
    let mut asker = spawn(url, study, &dir, "ask", 20);
    let file = dir.join("asked.txt");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !file.exists() {
        assert!(Instant::now() < deadline, "the asker never asked");
        assert!(asker.try_wait().unwrap().is_none(), "the asker failed");
        std::thread::sleep(Duration::from_millis(20));
    }
    let asked: u64 = std::fs::read_to_string(&file).unwrap().parse().unwrap();
    asker.kill().unwrap();
    asker.wait().unwrap();
    std::thread::sleep(GRACE * 3 / 2);
    let workers: Vec<Child> = (0..2)
        .map(|_| spawn(url, study, &dir, "search", 20))
        .collect();
    for child in workers {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let trials = owner.trials().unwrap();
    let t = &trials[asked as usize];
    assert!(t.plan.attrs.contains_key(ASKED_AT));
    assert_eq!(
        t.state,
        TrialState::Running,
        "an asked trial is never taken over"
    );
    assert!(
        !trials.iter().any(|t| t.plan.attrs.contains_key(RETRY_OF)),
        "nothing was retried"
    );
    assert_eq!(
        owner.study().fail_abandoned(GRACE * 100).unwrap(),
        Vec::<u64>::new()
    );
    assert_eq!(
        owner.study().fail_abandoned(Duration::ZERO).unwrap(),
        vec![asked]
    );
    let after = owner.trials().unwrap();
    assert_eq!(after[asked as usize].state, TrialState::Failed);
    assert!(after.iter().all(|t| t.state != TrialState::Running));
    let late = owner
        .study()
        .tell(asked, Ok::<_, TrialError>(1.0))
        .unwrap_err();
    assert!(matches!(late, StudyError::NotRunning { .. }), "{late}");
    let numbers: Vec<u64> = after.iter().map(|t| t.number).collect();
    assert_eq!(numbers, (0..after.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        after
            .iter()
            .filter(|t| t.state == TrialState::Completed)
            .count(),
        20 - 1,
        "every trial but the asked one completed, once"
    );
    optuna_agrees(url, study, &after);
}

#[test]
fn a_killed_askers_trial_is_never_taken_over_and_is_failed_as_abandoned_on_sqlite() {
    killed_asker(&sqlite_url("asker"), "asker");
}

#[test]
fn a_killed_askers_trial_is_never_taken_over_and_is_failed_as_abandoned_on_postgres() {
    let Some(url) = postgres_url("a_killed_askers_trial_..._on_postgres") else {
        return;
    };
    killed_asker(&url, "duress_asker");
}
