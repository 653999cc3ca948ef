//! BOHB against plain Hyperband and random search: the best validation value reached against
//! the epochs spent, over several seeds, on (a) a synthetic multi-fidelity function and (b) the
//! main job (the Fashion-MNIST MLP of `examples/fashion_mnist.rs`: same space, Hyperband with
//! max_epochs 10 and factor 3, random search with the same epoch budget in 10-epoch trials).
//!
//! `cargo run --release --example multi_fidelity -- [--task synthetic|fashion|both]
//!  [--seeds N] [--data DIR]`
//!
//! One worker, so trials end in number order and the epochs spent after a trial are the sum of
//! `epochs - initial_epoch` of the trials up to it (a promoted trial continues its parent's
//! checkpoint, so it spends only its new epochs). For each seed the three methods use the same
//! seed; the table gives the medians over seeds of the final best, and of the epochs each
//! method needed to reach plain Hyperband's final best of the same seed (as a share of
//! Hyperband's epochs). The table is printed again after every seed, so a long run can be
//! stopped at any point with a valid table of the seeds done.

use std::path::PathBuf;
use std::sync::Arc;
use tuner::data::{fashion_mnist, Dataset};
use tuner::nn::Activation::{Gelu, Relu, Tanh};
use tuner::nn::{Adam, Fit, NetSpec};
use tuner::objective::Objective;
use tuner::oracle::{Bohb, Hyperband, HyperbandSchedule, Oracle, RandomSearch};
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::trial::{Trial, TrialState};
use tuner::Tuner;

/// The main job's hypermodel (`examples/fashion_mnist.rs`), unchanged.
#[hypermodel]
fn mlp() -> NetSpec {
    let depth = hp_int!(depth, 1..=3);
    let mut net = NetSpec::input_shape([28, 28]).flatten();
    for i in 0..depth {
        net = net
            .dense(hp_int!(units[i], 32..=512, step = 32))
            .activation(hp_choice!(activation, [Relu, Tanh, Gelu]));
    }
    net.dropout(hp_float!(dropout, 0.0..=0.5, step = 0.1))
        .dense(10)
        .optimizer(Adam::new(hp_float!(learning_rate, 1e-4..=1e-2, log)))
}

const METHODS: [&str; 3] = ["bohb", "hyperband", "random"];

/// One method's run: (epochs spent, best value so far) after each trial.
type Trajectory = Vec<(u32, f64)>;

fn trajectory(trials: &[Trial], better: impl Fn(f64, f64) -> bool) -> Trajectory {
    let mut spent = 0;
    let mut best = f64::NAN;
    let mut out = Vec::new();
    for t in trials {
        spent += t
            .plan
            .epochs
            .map_or(t.history.len() as u32, |e| e - t.plan.initial_epoch);
        if let Some(s) = t.score.filter(|_| t.state == TrialState::Completed) {
            if best.is_nan() || better(s, best) {
                best = s;
            }
        }
        out.push((spent, best));
    }
    out
}

/// The epochs after which `run` first reached `target` (`None`: never).
fn epochs_to(run: &Trajectory, target: f64, better: &impl Fn(f64, f64) -> bool) -> Option<u32> {
    run.iter()
        .find(|(_, b)| !b.is_nan() && !better(target, *b))
        .map(|(e, _)| *e)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Prints the table over the seeds done: per method, the median final best, median epochs,
/// and the epochs needed to reach Hyperband's final best of the same seed.
fn table(title: &str, runs: &[[Trajectory; 3]], better: impl Fn(f64, f64) -> bool) {
    println!("\n{title}: {} seed(s)", runs.len());
    println!(
        "{:<10} {:>12} {:>8} {:>14} {:>22} {:>16}",
        "method", "final best", "epochs", "reached HB", "epochs to HB's best", "share of HB's"
    );
    for (m, name) in METHODS.iter().enumerate() {
        let finals: Vec<f64> = runs.iter().map(|r| r[m].last().unwrap().1).collect();
        let total: Vec<f64> = runs.iter().map(|r| r[m].last().unwrap().0 as f64).collect();
        let mut reached = 0;
        // A seed that never reaches the target counts as infinitely many epochs.
        let to: Vec<f64> = runs
            .iter()
            .map(|r| {
                let target = r[1].last().unwrap().1;
                match epochs_to(&r[m], target, &better) {
                    Some(e) => {
                        reached += 1;
                        e as f64
                    }
                    None => f64::INFINITY,
                }
            })
            .collect();
        let share: Vec<f64> = to
            .iter()
            .zip(runs)
            .map(|(e, r)| e / r[1].last().unwrap().0 as f64)
            .collect();
        println!(
            "{name:<10} {:>12.4} {:>8.0} {:>11}/{:<2} {:>22.0} {:>16.3}",
            median(finals),
            median(total),
            reached,
            runs.len(),
            median(to),
            median(share)
        );
    }
}

/// The epochs one Hyperband iteration spends: each round trains its models from the epoch
/// the round before stopped at.
fn hyperband_epochs(schedule: HyperbandSchedule) -> u32 {
    schedule
        .table()
        .iter()
        .map(|rounds| {
            let mut from = 0;
            rounds
                .iter()
                .map(|(n, e)| {
                    let spent = n * (e - from);
                    from = *e;
                    spent
                })
                .sum::<u32>()
        })
        .sum()
}

/// Hartmann's 6-d function (minimum -3.32237), shifted so that 0 is the optimum.
fn hartmann6(x: &[f64; 6]) -> f64 {
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
    let mut sum = 0.0;
    for i in 0..4 {
        let inner: f64 = (0..6).map(|j| A[i][j] * (x[j] - P[i][j]).powi(2)).sum();
        sum += ALPHA[i] * (-inner).exp();
    }
    3.32237 - sum
}

/// A deterministic standard normal from a trial seed and an epoch (Box-Muller on a hash).
fn gauss(seed: u64, epoch: u32) -> f64 {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let a = mix(seed ^ u64::from(epoch).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let b = mix(a);
    let u1 = ((a >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let u2 = (b >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The synthetic task: Hartmann-6 regret plus a learning-curve term that shrinks with the
/// epochs (slower for large `x5`, so low budgets rank configurations imperfectly) and noise
/// whose size shrinks with the epochs; max_epochs 27, factor 3, two Hyperband iterations.
fn synthetic(seed: u64, method: &str) -> Result<Trajectory, Report> {
    let mut builder = SearchSpace::builder();
    for j in 0..6 {
        builder = builder.param(Param::float(format!("x{j}"), 0.0, 1.0));
    }
    let space = builder.build()?;
    let (max_epochs, iterations) = (27, 2);
    let hb_epochs = iterations * hyperband_epochs(Hyperband::new(max_epochs).factor(3).schedule());
    let oracle: Box<dyn Oracle> = match method {
        "bohb" => Box::new(Bohb::new(max_epochs).factor(3).iterations(iterations)),
        "hyperband" => Box::new(Hyperband::new(max_epochs).factor(3).iterations(iterations)),
        _ => Box::new(RandomSearch::new()),
    };
    let mut builder = Tuner::for_space(space, oracle)
        .objectives([Objective::minimize("val_loss")])
        .storage(Arc::new(MemoryStorage::new()))
        .directory(std::env::temp_dir().join("tuner_multi_fidelity"))
        .overwrite(true)
        .seed(seed)
        .quiet(true);
    if method == "random" {
        builder = builder.max_trials(u64::from(hb_epochs / max_epochs));
    }
    let mut tuner = builder.build()?;
    tuner.search_fn(|hp: &HyperParameters, ctx| {
        let mut x = [0.0; 6];
        for (j, v) in x.iter_mut().enumerate() {
            *v = hp.get_as::<f64>(&format!("x{j}"))?;
        }
        let end = ctx.epochs().unwrap_or(max_epochs);
        for epoch in ctx.initial_epoch()..end {
            let e = f64::from(epoch + 1);
            let slow = 1.0 + 2.0 * x[5];
            let value =
                hartmann6(&x) + slow / e.sqrt() * 0.5 + 0.3 / e.sqrt() * gauss(ctx.seed(), epoch);
            ctx.report(epoch, Metrics::from([("val_loss".to_owned(), value)]));
        }
        Ok::<_, TrialError>(())
    })?;
    Ok(trajectory(&tuner.trials()?, |a, b| a < b))
}

/// The main job for one method and seed (the example's split: the last sixth of the training
/// set scores the trials).
fn fashion(
    seed: u64,
    method: &str,
    fit_part: &Dataset,
    val: &Dataset,
) -> Result<Trajectory, Report> {
    let fit = Fit::default().batch_size(128);
    let oracle: Box<dyn Oracle> = match method {
        "bohb" => Box::new(Bohb::new(10).factor(3)),
        "hyperband" => Box::new(Hyperband::new(10).factor(3)),
        _ => Box::new(RandomSearch::new()),
    };
    let mut builder = Tuner::builder::<Mlp>(oracle)
        .objective("val_accuracy")
        .storage(Arc::new(MemoryStorage::new()))
        .directory(PathBuf::from("tuning/multi_fidelity").join(format!("{method}_{seed}")))
        .overwrite(true)
        .seed(seed)
        .quiet(true);
    if method == "random" {
        let budget = hyperband_epochs(Hyperband::new(10).factor(3).schedule());
        builder = builder.max_trials(u64::from(budget / 10));
    }
    let mut tuner = builder.build()?;
    tuner.search(fit_part, val, fit.epochs(10))?;
    Ok(trajectory(&tuner.trials()?, |a, b| a > b))
}

fn main() -> Result<(), Report> {
    let mut task = "both".to_owned();
    let mut seeds = 10u64;
    let mut data: Option<PathBuf> = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| Report::msg(format!("{a} needs a value")))
        };
        match a.as_str() {
            "--task" => task = value()?,
            "--seeds" => seeds = value()?.parse().map_err(Report::msg)?,
            "--data" => data = Some(PathBuf::from(value()?)),
            other => {
                return Err(Report::msg(format!(
                    "unknown argument {other}; use --task synthetic|fashion|both, --seeds N, \
                     --data DIR"
                )))
            }
        }
    }
    if task == "synthetic" || task == "both" {
        let mut runs = Vec::new();
        for seed in 0..seeds {
            let run = [
                synthetic(seed, METHODS[0])?,
                synthetic(seed, METHODS[1])?,
                synthetic(seed, METHODS[2])?,
            ];
            runs.push(run);
        }
        table(
            "Synthetic (Hartmann-6 regret + shrinking curve and noise; val_loss, lower is better; \
             Hyperband(27, 3) x 2 iterations)",
            &runs,
            |a, b| a < b,
        );
    }
    if task == "fashion" || task == "both" {
        let fm = fashion_mnist::load_with_source(data.as_deref())?;
        let (fit_part, val) = fm.train.split_at(fm.train.len() * 5 / 6);
        println!(
            "Fashion-MNIST from {}: {} train, {} validation samples",
            fm.source,
            fit_part.len(),
            val.len()
        );
        let mut runs = Vec::new();
        for seed in 0..seeds {
            let started = std::time::Instant::now();
            let run = [
                fashion(seed, METHODS[0], &fit_part, &val)?,
                fashion(seed, METHODS[1], &fit_part, &val)?,
                fashion(seed, METHODS[2], &fit_part, &val)?,
            ];
            println!(
                "seed {seed}: bohb {:.4}, hyperband {:.4}, random {:.4} ({:.0}s)",
                run[0].last().unwrap().1,
                run[1].last().unwrap().1,
                run[2].last().unwrap().1,
                started.elapsed().as_secs_f64()
            );
            runs.push(run);
            table(
                "Fashion-MNIST MLP (val_accuracy, higher is better; Hyperband(10, 3))",
                &runs,
                |a, b| a > b,
            );
        }
    }
    Ok(())
}
