//! Search quality and oracle cost on functions with known optima: Branin, Hartmann6,
//! Rosenbrock 4-D, Ackley 5-D and a mixed int/categorical function, each oracle run through the
//! real tuner loop (`Tuner::for_space(..).search_fn(..)` on in-memory storage) for 10 seeds.
//!
//! Prints, per function and oracle, the median and quartiles of the simple regret (best value
//! found minus the optimum) after 50 and 100 trials and the median oracle time per suggestion;
//! then the suggestion time on Hartmann6 histories of 10, 100, 500 and 1,000 completed trials.
//!
//! `cargo run --release --example oracle_quality` (full), `-- --quick` (CI: 3 seeds, 30 and
//! 50 trials, no scaling table); `--seeds N`, `--trials A,B`, `--only name,name`,
//! `--oracles random,grid,bayesian,tpe`, `--no-scaling`, `--scaling-only`, `--per-seed`
//! (each seed's regret on stderr).
//!
//! `--only hard` (or the names `branin-nan`, `branin-inf`, `branin-nan20`) runs the failing
//! objectives of `oracle_quality/hard.rs` instead, with the share of failed trials after the
//! 20th and the runs the search aborted. `--noise` prints only the noise table
//! (`oracle_quality/noise.rs`: Branin + N(0, 1), true regret at the reported point).
//! `--conditional` prints only the conditional-space table (`oracle_quality/conditional.rs`:
//! two branches, the one that looks better at first being the worse).

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tuner::objective::Objective;
use tuner::oracle::{
    BayesianOptimization, GridSearch, Oracle, OracleContext, RandomSearch, Suggestion, Tpe,
};
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::MemoryStorage;
use tuner::trial::{Metrics, Trial, TrialPlan, TrialState};
use tuner::tuner::TrialError;
use tuner::Tuner;

#[path = "oracle_quality/conditional.rs"]
pub mod conditional;
#[path = "oracle_quality/hard.rs"]
pub mod hard;
#[path = "oracle_quality/noise.rs"]
pub mod noise;

/// A test function over a space, with its known minimum.
pub struct Problem {
    /// Short name.
    pub name: &'static str,
    /// The space searched.
    pub space: SearchSpace,
    /// The function (minimised).
    pub f: fn(&HyperParameters) -> f64,
    /// Its global minimum.
    pub optimum: f64,
    /// Whether a grid search is a sensible baseline (few dimensions).
    pub grid: bool,
}

fn float(hp: &HyperParameters, name: &str) -> f64 {
    hp.get_as::<f64>(name).expect("the space defines it")
}

fn floats(names: &[&str], lo: f64, hi: f64) -> SearchSpace {
    names
        .iter()
        .fold(SearchSpace::builder(), |b, n| {
            b.param(Param::float(*n, lo, hi))
        })
        .build()
        .expect("a valid space")
}

fn branin(hp: &HyperParameters) -> f64 {
    let (x1, x2) = (float(hp, "x1"), float(hp, "x2"));
    let b = 5.1 / (4.0 * PI * PI);
    let c = 5.0 / PI;
    let t = 1.0 / (8.0 * PI);
    (x2 - b * x1 * x1 + c * x1 - 6.0).powi(2) + 10.0 * (1.0 - t) * x1.cos() + 10.0
}

const X6: [&str; 6] = ["x1", "x2", "x3", "x4", "x5", "x6"];

fn hartmann6(hp: &HyperParameters) -> f64 {
    const A: [[f64; 6]; 4] = [
        [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
        [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
        [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
        [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
    ];
    const P: [[f64; 6]; 4] = [
        [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
        [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
        [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
        [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
    ];
    const ALPHA: [f64; 4] = [1.0, 1.2, 3.0, 3.2];
    let x: Vec<f64> = X6.iter().map(|n| float(hp, n)).collect();
    -(0..4)
        .map(|i| {
            let s: f64 = (0..6).map(|j| A[i][j] * (x[j] - P[i][j]).powi(2)).sum();
            ALPHA[i] * (-s).exp()
        })
        .sum::<f64>()
}

fn rosenbrock4(hp: &HyperParameters) -> f64 {
    let x: Vec<f64> = X6[..4].iter().map(|n| float(hp, n)).collect();
    (0..3)
        .map(|i| 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2))
        .sum()
}

fn ackley5(hp: &HyperParameters) -> f64 {
    let x: Vec<f64> = X6[..5].iter().map(|n| float(hp, n)).collect();
    let d = x.len() as f64;
    let sq = x.iter().map(|v| v * v).sum::<f64>() / d;
    let cos = x.iter().map(|v| (2.0 * PI * v).cos()).sum::<f64>() / d;
    -20.0 * (-0.2 * sq.sqrt()).exp() - cos.exp() + 20.0 + std::f64::consts::E
}

/// Mixed: a float, a stepped int, a log-scaled float, an unordered choice and a boolean. The
/// choice's penalty grows with the int's distance from its best value; minimum 0.
fn mixed(hp: &HyperParameters) -> f64 {
    let x = float(hp, "x");
    let n = hp.get_as::<i64>("n").expect("defined") as f64;
    let lr = float(hp, "lr");
    let act = hp.get_as::<String>("activation").expect("defined");
    let bias = hp.get_as::<bool>("bias").expect("defined");
    let offset = match act.as_str() {
        "relu" => 0.8,
        "tanh" => 0.0,
        "gelu" => 0.3,
        _ => 1.5,
    };
    (x - 0.7).powi(2)
        + 0.05 * (n - 13.0).powi(2)
        + (lr.log10() + 2.5).powi(2)
        + offset * (1.0 + 0.1 * (n - 13.0).abs())
        + if bias { 0.0 } else { 0.3 }
}

/// The benchmark functions.
pub fn problems() -> Vec<Problem> {
    let branin_space = SearchSpace::builder()
        .param(Param::float("x1", -5.0, 10.0))
        .param(Param::float("x2", 0.0, 15.0))
        .build()
        .expect("valid");
    let mixed_space = SearchSpace::builder()
        .param(Param::float("x", -3.0, 3.0))
        .param(Param::int("n", 1, 25))
        .param(Param::float("lr", 1e-5, 1.0).log())
        .param(Param::choice(
            "activation",
            ["relu", "tanh", "gelu", "sigmoid"],
        ))
        .param(Param::boolean("bias"))
        .build()
        .expect("valid");
    vec![
        Problem {
            name: "branin",
            space: branin_space,
            f: branin,
            optimum: 0.397_887_357_729_738,
            grid: true,
        },
        Problem {
            name: "hartmann6",
            space: floats(&X6, 0.0, 1.0),
            f: hartmann6,
            optimum: -3.322_368_011_415_515,
            grid: false,
        },
        Problem {
            name: "rosenbrock4",
            space: floats(&X6[..4], -5.0, 10.0),
            f: rosenbrock4,
            optimum: 0.0,
            grid: false,
        },
        Problem {
            name: "ackley5",
            space: floats(&X6[..5], -32.768, 32.768),
            f: ackley5,
            optimum: 0.0,
            grid: false,
        },
        Problem {
            name: "mixed",
            space: mixed_space,
            f: mixed,
            optimum: 0.0,
            // 20,000 combinations: 100 grid trials would only vary the last parameters.
            grid: false,
        },
    ]
}

/// The oracles compared, by name.
pub const ORACLES: [&str; 4] = ["random", "grid", "bayesian", "tpe"];

/// A fresh oracle by name.
pub fn oracle(name: &str) -> Box<dyn Oracle> {
    match name {
        "random" => Box::new(RandomSearch::new()),
        "grid" => Box::new(GridSearch::new()),
        "bayesian" => Box::new(BayesianOptimization::new()),
        "tpe" => Box::new(Tpe::new()),
        // Ablations, by name only: no output warping; UCB instead of log-EI; TPE without group
        // decomposition (Optuna 5's default: conditional parameters one by one).
        "tpe-nogroup" => Box::new(Tpe::new().group(false)),
        "bayesian-nowarp" => Box::new(BayesianOptimization::new().output_warping(false)),
        "bayesian-ucb" => Box::new(
            BayesianOptimization::new().acquisition(tuner::oracle::Acquisition::Ucb { beta: 2.6 }),
        ),

        other => panic!("unknown oracle {other}"),
    }
}

/// Times every suggestion of the oracle it wraps.
struct Timed {
    inner: Box<dyn Oracle>,
    seconds: Arc<Mutex<Vec<f64>>>,
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
        self.seconds
            .lock()
            .expect("not poisoned")
            .push(t.elapsed().as_secs_f64());
        s
    }
}

/// One search: the best-so-far regret after each trial and the oracle's time per suggestion.
pub struct Run {
    /// `regret[k]`: the simple regret after `k + 1` trials.
    pub regret: Vec<f64>,
    /// Seconds per suggestion.
    pub seconds: Vec<f64>,
    /// `failed[k]`: whether trial `k` failed (an error, NaN or an infinite objective).
    pub failed: Vec<bool>,
    /// Why the search ended with an error, if it did (e.g. too many failures in a row).
    pub error: Option<String>,
}

/// Runs `oracle` on `problem` for `trials` trials through the tuner loop.
pub fn run(problem: &Problem, oracle_name: &str, trials: u64, seed: u64) -> Run {
    let seconds = Arc::new(Mutex::new(Vec::new()));
    let timed = Timed {
        inner: oracle(oracle_name),
        seconds: seconds.clone(),
    };
    let dir = std::env::temp_dir().join(format!("tuner-oracle-quality-{}", std::process::id()));
    let mut tuner = Tuner::for_space(problem.space.clone(), timed)
        .objective("loss")
        .max_trials(trials)
        .seed(seed)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(&dir)
        .project_name(format!("{}-{oracle_name}-{seed}", problem.name))
        .quiet(true)
        .build()
        .expect("a valid tuner");
    let f = problem.f;
    let error = tuner
        .search_fn(|hp: &HyperParameters, _| Ok::<_, TrialError>(f(hp)))
        .err()
        .map(|e| e.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    let mut best = f64::INFINITY;
    let trials = tuner.trials().expect("trials are stored");
    let failed = trials
        .iter()
        .map(|t| t.state == TrialState::Failed)
        .collect();
    let regret = trials
        .iter()
        .map(|t| {
            best = best.min(t.score.unwrap_or(f64::INFINITY));
            best - problem.optimum
        })
        .collect();
    let seconds = seconds.lock().expect("not poisoned").clone();
    Run {
        regret,
        seconds,
        failed,
        error,
    }
}

/// The `q`-quantile (linear interpolation) of `v`.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let pos = q * (s.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

/// Median regret over seeds after `at` trials (a run that ended early keeps its last value).
pub fn median_regret(runs: &[Run], at: usize) -> f64 {
    let at_k: Vec<f64> = runs.iter().map(|r| regret_at(r, at)).collect();
    quantile(&at_k, 0.5)
}

fn regret_at(run: &Run, at: usize) -> f64 {
    run.regret
        .get(at.saturating_sub(1))
        .or(run.regret.last())
        .copied()
        .unwrap_or(f64::INFINITY)
}

/// The share of trials `from + 1..=to` that failed (0 when the run did not get that far).
pub fn failed_share(run: &Run, from: usize, to: usize) -> f64 {
    let part = run
        .failed
        .get(from..to.min(run.failed.len()))
        .unwrap_or(&[]);
    if part.is_empty() {
        return 0.0;
    }
    part.iter().filter(|f| **f).count() as f64 / part.len() as f64
}

/// Settings of one benchmark run.
pub struct Settings {
    /// Seeds per function and oracle.
    pub seeds: u64,
    /// Trial counts reported (the largest is run).
    pub trials: Vec<u64>,
    /// Functions to run (empty: all).
    pub only: Vec<String>,
    /// Oracles to run.
    pub oracles: Vec<String>,
}

/// Runs every function and oracle; returns `(function, oracle) -> runs`.
pub fn quality(settings: &Settings) -> BTreeMap<(String, String), Vec<Run>> {
    let max = settings.trials.iter().copied().max().unwrap_or(100);
    let mut out = BTreeMap::new();
    let hard = settings.only.iter().any(|o| o == "hard");
    let wanted = |p: &Problem, is_hard: bool| {
        if settings.only.is_empty() {
            !is_hard
        } else {
            (hard && is_hard) || settings.only.iter().any(|o| o == p.name)
        }
    };
    let all = problems()
        .into_iter()
        .map(|p| (p, false))
        .chain(hard::problems().into_iter().map(|p| (p, true)));
    for (problem, is_hard) in all {
        if !wanted(&problem, is_hard) {
            continue;
        }
        for name in &settings.oracles {
            if name == "grid" && !problem.grid {
                continue;
            }
            let runs: Vec<Run> = (0..settings.seeds)
                .map(|s| run(&problem, name, max, s))
                .collect();
            out.insert((problem.name.to_owned(), name.clone()), runs);
        }
    }
    out
}

fn fmt(v: f64) -> String {
    if v == 0.0 {
        "0".to_owned()
    } else if v.abs() >= 0.01 && v.abs() < 1e4 {
        format!("{v:.4}")
    } else {
        format!("{v:.2e}")
    }
}

fn print_quality(results: &BTreeMap<(String, String), Vec<Run>>, trials: &[u64], per_seed: bool) {
    for &n in trials {
        println!("\nSimple regret after {n} trials: median [25%, 75%] over seeds; median oracle ms per suggestion");
        println!("| function | oracle | median | quartiles | seeds < 0.01 | ms/suggestion | failed after 20th (median) | aborted runs |");
        println!("|---|---|---|---|---|---|---|---|");
        for ((function, oracle), runs) in results {
            let at: Vec<f64> = runs.iter().map(|r| regret_at(r, n as usize)).collect();
            let ms: Vec<f64> = runs
                .iter()
                .flat_map(|r| r.seconds.iter().take(n as usize).map(|s| s * 1e3))
                .collect();
            let failed: Vec<f64> = runs
                .iter()
                .map(|r| failed_share(r, 20, n as usize))
                .collect();
            let aborted = runs.iter().filter(|r| r.error.is_some()).count();
            let close = at.iter().filter(|r| **r < 0.01).count();
            if per_seed {
                eprintln!(
                    "{function} {oracle} @{n}: {:?}",
                    at.iter().map(|v| format!("{v:.2e}")).collect::<Vec<_>>()
                );
            }
            println!(
                "| {function} | {oracle} | {} | [{}, {}] | {close} of {} | {:.3} | {:.1}% | {aborted} |",
                fmt(quantile(&at, 0.5)),
                fmt(quantile(&at, 0.25)),
                fmt(quantile(&at, 0.75)),
                at.len(),
                quantile(&ms, 0.5),
                100.0 * quantile(&failed, 0.5),
            );
        }
    }
}

/// Median seconds of `repeat` suggestions by `oracle_name` on Hartmann6 after `completed`
/// random trials, each suggestion's trial then completed (the history grows by one each
/// time, as in a real search); the first (cold: empty caches) time is returned separately.
pub fn suggestion_time(oracle_name: &str, completed: usize, repeat: usize) -> (f64, f64) {
    let problem = &problems()[1];
    let objectives = Objective::minimize("loss").into();
    let random = RandomSearch::new();
    let mut trials: Vec<Trial> = Vec::new();
    let complete = |trials: &mut Vec<Trial>, plan: TrialPlan| {
        let mut t = Trial::new(trials.len() as u64, plan);
        let v = (problem.f)(t.values());
        t.history.insert(0, Metrics::from([("loss".to_owned(), v)]));
        t.score = Some(v);
        t.best_epoch = Some(0);
        t.state = TrialState::Completed;
        trials.push(t);
    };
    while trials.len() < completed {
        let ctx = OracleContext {
            space: &problem.space,
            objectives: &objectives,
            trials: &trials,
            seed: 11,
        };
        let Suggestion::Try(plan) = random.suggest(&ctx) else {
            break;
        };
        complete(&mut trials, plan);
    }
    let oracle = oracle(oracle_name);
    let mut times = Vec::new();
    for _ in 0..repeat {
        let ctx = OracleContext {
            space: &problem.space,
            objectives: &objectives,
            trials: &trials,
            seed: 11,
        };
        let t = Instant::now();
        let s = oracle.suggest(&ctx);
        times.push(t.elapsed().as_secs_f64());
        let Suggestion::Try(plan) = s else { break };
        complete(&mut trials, plan);
    }
    let cold = times.first().copied().unwrap_or(f64::NAN);
    (cold, quantile(&times, 0.5))
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let quick = flag("--quick");
    let list = |v: Option<String>| -> Vec<String> {
        v.map(|s| s.split(',').map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let settings = Settings {
        seeds: value("--seeds")
            .and_then(|s| s.parse().ok())
            .unwrap_or(if quick { 3 } else { 10 }),
        trials: value("--trials")
            .map(|s| s.split(',').filter_map(|t| t.parse().ok()).collect())
            .unwrap_or(if quick { vec![30, 50] } else { vec![50, 100] }),
        only: list(value("--only")),
        oracles: {
            let o = list(value("--oracles"));
            if o.is_empty() {
                ORACLES.iter().map(|s| s.to_string()).collect()
            } else {
                o
            }
        },
    };
    if flag("--conditional") {
        conditional::print(&settings.oracles, settings.seeds, &settings.trials);
        return;
    }
    if flag("--noise") {
        noise::print(&settings.oracles, settings.seeds, &settings.trials);
        return;
    }
    if !flag("--scaling-only") {
        let t = Instant::now();
        let results = quality(&settings);
        print_quality(&results, &settings.trials, flag("--per-seed"));
        println!(
            "\n({} seeds, {:.0} s)",
            settings.seeds,
            t.elapsed().as_secs_f64()
        );
    }
    if quick || flag("--no-scaling") {
        return;
    }
    println!("\nSuggestion time on Hartmann6 after N completed trials (ms; median of 20 consecutive suggestions, the first one in brackets)");
    println!("| oracle | 10 | 100 | 500 | 1000 |");
    println!("|---|---|---|---|---|");
    for name in settings.oracles.iter().filter(|o| *o != "grid") {
        let cells: Vec<String> = [10, 100, 500, 1000]
            .iter()
            .map(|&n| {
                let (cold, median) = suggestion_time(name, n, 20);
                format!("{:.3} ({:.3})", median * 1e3, cold * 1e3)
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
}
