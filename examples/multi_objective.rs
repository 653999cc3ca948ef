//! Several objectives: NSGA-II and the multi-objective TPE against random search on ZDT1,
//! ZDT2 (2 objectives, 30 dimensions) and DTLZ2 (3 objectives, 12 dimensions), each run
//! through the real tuner loop (`Tuner::for_space(..).objectives(..).search_fn(..)` on
//! in-memory storage), 10 seeds. Prints one JSON line per run (the hypervolume of the front
//! after 100 and 300 trials, from `Tuner::hypervolume_history`) and a table of medians; with
//! `--peers FILE` (the output of `benches/peers/mo_peers.py`), Optuna's samplers in the same
//! table. Oracles: `nsga2` (Optuna's defaults), `nsga2-sbx` (SBX + polynomial mutation),
//! `tpe` (MOTPE, hypervolume-contribution weights), `tpe-uniform` (uniform weights, Optuna
//! 5), `tpe-sum` (the summed losses), `tpe-indep` (MOTPE, one estimator per parameter, as
//! Optuna's default for several objectives), `tpe-indep-uniform` (both: Optuna 5's
//! `TPESampler` for several objectives), `bayesian`, `random`. Each JSON line has the run's
//! wall and CPU seconds (the process's, from `/proc/self/stat`; NaN elsewhere).
//!
//! `--constrained` runs constrained Branin instead (`multi_objective/constrained.rs`): the
//! regret among feasible trials (default trials 50,100; oracles `tpe,tpe-blind,random,
//! bayesian`, `-blind` meaning the constraint is not declared).
//!
//! `cargo run --release --example multi_objective [-- --seeds N --trials 100,300
//! --problems zdt1,zdt2,dtlz2 --oracles nsga2,nsga2-sbx,random,tpe --peers FILE
//! --constrained]`

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::sync::Arc;
use std::time::Instant;
use tuner::objective::Objective;
use tuner::oracle::{
    BayesianOptimization, Crossover, MultiObjectiveSplit, Mutation, Nsga2, Oracle, RandomSearch,
    Scalarisation, Tpe,
};
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::MemoryStorage;
use tuner::trial::Metrics;
use tuner::tuner::TrialError;
use tuner::Tuner;

#[path = "multi_objective/constrained.rs"]
mod constrained;

/// A problem: dimensions, objectives (all minimised) and the hypervolume's reference point.
struct Problem {
    name: &'static str,
    dims: usize,
    reference: &'static [f64],
    f: fn(&[f64]) -> Vec<f64>,
}

fn zdt(x: &[f64], second: fn(f64) -> f64) -> Vec<f64> {
    let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (x.len() - 1) as f64;
    vec![x[0], g * (1.0 - second(x[0] / g))]
}

fn dtlz2(x: &[f64]) -> Vec<f64> {
    let g: f64 = x[2..].iter().map(|v| (v - 0.5).powi(2)).sum();
    let (a, b) = (x[0] * PI / 2.0, x[1] * PI / 2.0);
    vec![
        (1.0 + g) * a.cos() * b.cos(),
        (1.0 + g) * a.cos() * b.sin(),
        (1.0 + g) * a.sin(),
    ]
}

const PROBLEMS: &[Problem] = &[
    Problem {
        name: "zdt1",
        dims: 30,
        reference: &[1.1, 11.0],
        f: |x| zdt(x, f64::sqrt),
    },
    Problem {
        name: "zdt2",
        dims: 30,
        reference: &[1.1, 11.0],
        f: |x| zdt(x, |r| r * r),
    },
    Problem {
        name: "dtlz2",
        dims: 12,
        reference: &[2.0, 2.0, 2.0],
        f: dtlz2,
    },
];

fn oracle(name: &str) -> Box<dyn Oracle> {
    match name {
        "nsga2" => Box::new(Nsga2::new()),
        "nsga2-sbx" => Box::new(
            Nsga2::new()
                .crossover(Crossover::Sbx { eta: 15.0 })
                .mutation(Mutation::Polynomial { eta: 20.0 }),
        ),
        "random" => Box::new(RandomSearch::new()),
        "bayesian" => Box::new(BayesianOptimization::new()),
        "bayesian-sum" => Box::new(BayesianOptimization::new().multi_objective(Scalarisation::Sum)),
        "tpe" => Box::new(Tpe::new()),
        "tpe-uniform" => Box::new(Tpe::new().multi_objective(MultiObjectiveSplit::UniformWeights)),
        "tpe-sum" => Box::new(Tpe::new().multi_objective(MultiObjectiveSplit::Sum)),
        "tpe-indep" => Box::new(Tpe::new().multivariate(false)),
        "tpe-indep-uniform" => Box::new(
            Tpe::new()
                .multivariate(false)
                .multi_objective(MultiObjectiveSplit::UniformWeights),
        ),
        other => panic!(
            "unknown oracle {other}: nsga2, nsga2-sbx, random, bayesian, bayesian-sum, tpe, tpe-uniform, \
             tpe-sum, tpe-indep, tpe-indep-uniform"
        ),
    }
}

/// This process's CPU seconds so far (user + system, from `/proc/self/stat`; NaN elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the parenthesised command name: state is the 3rd, utime the 14th.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return f64::NAN;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        // The kernel's USER_HZ, 100 on Linux.
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => f64::NAN,
    }
}

/// One run: the hypervolume after each of `trials`, its wall-clock and its CPU seconds.
fn run(problem: &Problem, oracle_name: &str, seed: u64, trials: &[usize]) -> (Vec<f64>, f64, f64) {
    let mut space = SearchSpace::builder();
    for i in 0..problem.dims {
        space = space.param(Param::float(format!("x{i}"), 0.0, 1.0));
    }
    let names: Vec<String> = (0..problem.reference.len())
        .map(|k| format!("f{k}"))
        .collect();
    let dir = std::env::temp_dir().join(format!("tuner-mo-{}", std::process::id()));
    let mut tuner = Tuner::for_space(space.build().unwrap(), oracle(oracle_name))
        .objectives(names.iter().map(|n| Objective::minimize(n.as_str())))
        .storage(Arc::new(MemoryStorage::new()))
        .directory(&dir)
        .max_trials(*trials.iter().max().unwrap() as u64)
        .seed(seed)
        .quiet(true)
        .build()
        .unwrap();
    let started = Instant::now();
    let cpu = cpu_seconds();
    let dims = problem.dims;
    let f = problem.f;
    let names_in = names.clone();
    tuner
        .search_fn(move |hp: &HyperParameters, _| {
            let x: Vec<f64> = (0..dims)
                .map(|i| hp.get_as::<f64>(&format!("x{i}")))
                .collect::<Result<_, _>>()?;
            let values = f(&x);
            Ok::<_, TrialError>(names_in.iter().cloned().zip(values).collect::<Metrics>())
        })
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    let history = tuner.hypervolume_history(problem.reference).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let at = trials
        .iter()
        .map(|&k| history.get(k - 1).map_or(f64::NAN, |h| h.1))
        .collect();
    (at, seconds, cpu)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The `"key": number` of a JSON line (the peers script writes flat objects).
fn field(line: &str, key: &str) -> Option<String> {
    let at = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = line[at..].trim_start();
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Some(rest[..end].trim().trim_matches('"').to_owned())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let constrained = args.iter().any(|a| a == "--constrained");
    let seeds: u64 = arg("--seeds").map_or(10, |s| s.parse().expect("--seeds N"));
    let default_trials = if constrained { "50,100" } else { "100,300" };
    let trials: Vec<usize> = arg("--trials")
        .unwrap_or_else(|| default_trials.into())
        .split(',')
        .map(|t| t.parse().expect("--trials A,B"))
        .collect();
    let problems = arg("--problems").unwrap_or_else(|| "zdt1,zdt2,dtlz2".into());
    let default_oracles = if constrained {
        "tpe,tpe-blind,random,bayesian"
    } else {
        "nsga2,nsga2-sbx,random,tpe"
    };
    let oracles = arg("--oracles").unwrap_or_else(|| default_oracles.into());
    // What each run measures after each trial count: the hypervolume, or the regret.
    let measure = if constrained { "regret" } else { "hv" };
    // (problem, sampler) -> per trial count, the values over seeds; and the last column.
    let mut table: BTreeMap<(String, String), Vec<Vec<f64>>> = BTreeMap::new();
    let mut extra: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    let mut record = |problem: &str, sampler: &str, values: &[f64], last: f64| {
        let key = (problem.to_owned(), sampler.to_owned());
        let row = table
            .entry(key.clone())
            .or_insert_with(|| vec![Vec::new(); trials.len()]);
        for (k, v) in values.iter().enumerate() {
            row[k].push(*v);
        }
        extra.entry(key).or_default().push(last);
    };
    let cells = |values: &[f64]| -> String {
        trials
            .iter()
            .zip(values)
            .map(|(k, v)| format!("\"{measure}{k}\": {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if constrained {
        for name in oracles.split(',') {
            for seed in 0..seeds {
                let started = Instant::now();
                let (regret, share) = constrained::run(name, seed, &trials);
                println!(
                    "{{\"problem\": \"branin-c\", \"sampler\": \"{name}\", \"seed\": {seed}, {}, \"feasible\": {share:.3}, \"wall_s\": {:.2}}}",
                    cells(&regret),
                    started.elapsed().as_secs_f64()
                );
                record("branin-c", name, &regret, share);
            }
        }
    } else {
        for problem in PROBLEMS
            .iter()
            .filter(|p| problems.split(',').any(|n| n == p.name))
        {
            for name in oracles.split(',') {
                for seed in 0..seeds {
                    let (hv, seconds, cpu) = run(problem, name, seed, &trials);
                    println!(
                        "{{\"problem\": \"{}\", \"sampler\": \"{name}\", \"seed\": {seed}, {}, \"wall_s\": {seconds:.2}, \"cpu_s\": {cpu:.2}}}",
                        problem.name,
                        cells(&hv)
                    );
                    let last = *hv.last().unwrap_or(&f64::NAN);
                    record(problem.name, name, &hv, last);
                }
            }
        }
    }
    if let Some(path) = arg("--peers") {
        let text = std::fs::read_to_string(&path).expect("the peers' JSON lines");
        for line in text.lines().filter(|l| l.starts_with('{')) {
            let (Some(problem), Some(sampler)) = (field(line, "problem"), field(line, "sampler"))
            else {
                continue;
            };
            if (problem == "branin-c") != constrained {
                continue;
            }
            let values: Vec<f64> = trials
                .iter()
                .map(|t| {
                    field(line, &format!("{measure}{t}"))
                        .map_or(f64::NAN, |v| v.parse().unwrap_or(f64::NAN))
                })
                .collect();
            let last = if constrained {
                field(line, "feasible").map_or(f64::NAN, |v| v.parse().unwrap_or(f64::NAN))
            } else {
                *values.last().unwrap_or(&f64::NAN)
            };
            record(&problem, &sampler, &values, last);
        }
    }
    let name = if constrained {
        "median regret"
    } else {
        "median HV"
    };
    let header: Vec<String> = trials.iter().map(|t| format!("{name} @{t}")).collect();
    let last_header = if constrained {
        "median feasible share after trial 10".to_owned()
    } else {
        format!("HV @{} range", trials.last().unwrap())
    };
    println!(
        "\n| problem | sampler | seeds | {} | {last_header} |",
        header.join(" | ")
    );
    println!("|---|---|---|{}---|", "---|".repeat(trials.len()));
    for (key, row) in &table {
        let (problem, sampler) = key;
        let cells: Vec<String> = row
            .iter()
            .map(|v| format!("{:.4}", median(v.clone())))
            .collect();
        let last = &extra[key];
        let last_cell = if constrained {
            format!("{:.3}", median(last.clone()))
        } else {
            let lo = last.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = last.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("{lo:.3}-{hi:.3}")
        };
        println!(
            "| {problem} | {sampler} | {} | {} | {last_cell} |",
            row[0].len(),
            cells.join(" | ")
        );
    }
}
