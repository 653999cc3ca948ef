//! Several objectives: NSGA-II against random search and TPE (on the summed objectives) on
//! ZDT1, ZDT2 (2 objectives, 30 dimensions) and DTLZ2 (3 objectives, 12 dimensions), each run
//! through the real tuner loop (`Tuner::for_space(..).objectives(..).search_fn(..)` on
//! in-memory storage), 10 seeds. Prints one JSON line per run (the hypervolume of the front
//! after 100 and 300 trials, from `Tuner::hypervolume_history`) and a table of medians; with
//! `--peers FILE` (the output of `benches/peers/mo_peers.py`), Optuna's samplers in the same
//! table.
//!
//! `cargo run --release --example multi_objective [-- --seeds N --trials 100,300
//! --problems zdt1,zdt2,dtlz2 --oracles nsga2,nsga2-sbx,random,tpe --peers FILE]`

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::sync::Arc;
use std::time::Instant;
use tuner::objective::Objective;
use tuner::oracle::{Crossover, Mutation, Nsga2, Oracle, RandomSearch, Tpe};
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::MemoryStorage;
use tuner::trial::Metrics;
use tuner::tuner::TrialError;
use tuner::Tuner;

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
        "tpe" => Box::new(Tpe::new()),
        other => panic!("unknown oracle {other}: nsga2, nsga2-sbx, random, tpe"),
    }
}

/// One run: the hypervolume after each of `trials`, and its wall-clock seconds.
fn run(problem: &Problem, oracle_name: &str, seed: u64, trials: &[usize]) -> (Vec<f64>, f64) {
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
    let history = tuner.hypervolume_history(problem.reference).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let at = trials
        .iter()
        .map(|&k| history.get(k - 1).map_or(f64::NAN, |h| h.1))
        .collect();
    (at, seconds)
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
    let seeds: u64 = arg("--seeds").map_or(10, |s| s.parse().expect("--seeds N"));
    let trials: Vec<usize> = arg("--trials")
        .unwrap_or_else(|| "100,300".into())
        .split(',')
        .map(|t| t.parse().expect("--trials A,B"))
        .collect();
    let problems = arg("--problems").unwrap_or_else(|| "zdt1,zdt2,dtlz2".into());
    let oracles = arg("--oracles").unwrap_or_else(|| "nsga2,nsga2-sbx,random,tpe".into());
    // (problem, sampler) -> per trial count, the values over seeds.
    let mut table: BTreeMap<(String, String), Vec<Vec<f64>>> = BTreeMap::new();
    for problem in PROBLEMS
        .iter()
        .filter(|p| problems.split(',').any(|n| n == p.name))
    {
        for name in oracles.split(',') {
            for seed in 0..seeds {
                let (hv, seconds) = run(problem, name, seed, &trials);
                let cells: Vec<String> = trials
                    .iter()
                    .zip(&hv)
                    .map(|(k, v)| format!("\"hv{k}\": {v}"))
                    .collect();
                println!(
                    "{{\"problem\": \"{}\", \"sampler\": \"{name}\", \"seed\": {seed}, {}, \"wall_s\": {seconds:.2}}}",
                    problem.name,
                    cells.join(", ")
                );
                let row = table
                    .entry((problem.name.to_owned(), name.to_owned()))
                    .or_insert_with(|| vec![Vec::new(); trials.len()]);
                for (k, v) in hv.into_iter().enumerate() {
                    row[k].push(v);
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
            let row = table
                .entry((problem, sampler))
                .or_insert_with(|| vec![Vec::new(); trials.len()]);
            for (k, t) in trials.iter().enumerate() {
                if let Some(v) = field(line, &format!("hv{t}")).and_then(|v| v.parse().ok()) {
                    row[k].push(v);
                }
            }
        }
    }
    let header: Vec<String> = trials.iter().map(|t| format!("median HV @{t}")).collect();
    println!("\n| problem | sampler | seeds | {} |", header.join(" | "));
    println!("|---|---|---|{}", "---|".repeat(trials.len()));
    for ((problem, sampler), row) in &table {
        let cells: Vec<String> = row
            .iter()
            .map(|v| format!("{:.4}", median(v.clone())))
            .collect();
        println!(
            "| {problem} | {sampler} | {} | {} |",
            row[0].len(),
            cells.join(" | ")
        );
    }
}
