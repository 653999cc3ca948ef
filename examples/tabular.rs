//! Tunes two small networks on real tables shipped in `examples/data/` (from Debian's
//! `python3-sklearn`) and compares each with baselines on a held-out test split:
//!
//! * breast cancer (569 x 30, binary): objective `val_auc`, balanced class weights,
//!   EarlyStopping and a `Normalize` first layer; scored by test AUC; baselines: an untuned
//!   network on raw features, and a constant score;
//! * diabetes (442 x 10, `sex` one-hot, regression): objective `val_rmse`, EarlyStopping,
//!   `Normalize`; scored by test RMSE; baselines: an untuned network on raw features, and the
//!   training mean.
//!
//! Each test metric is given ± its standard error: Hanley & McNeil's (1982) for an AUC, a
//! bootstrap over test rows (1000 resamples) for an RMSE. "Beats" means the tuned model's
//! paired-bootstrap difference from a baseline exceeds one standard error of that difference.
//!
//! `cargo run --release --example tabular -- [--trials N] [--epochs N] [--seed S]`

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tuner::data::{load_csv_named, CsvOptions, Dataset};
use tuner::model::{ClassWeight, EarlyStopping};
use tuner::nn::{Adam, Fit, Loss, NetSpec, Network};
use tuner::oracle::RandomSearch;
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::Tuner;

/// A binary classifier on standardised features: one or two hidden layers and dropout.
#[hypermodel]
fn classifier(width: usize) -> NetSpec {
    let mut net = NetSpec::input(width).normalize();
    for i in 0..hp_int!(layers, 1..=2) {
        net = net.dense(hp_int!(units[i], 8..=64, step = 8)).relu();
    }
    net.dropout(hp_float!(dropout, 0.0..=0.4, step = 0.1))
        .dense(2)
        .optimizer(Adam::new(hp_float!(lr, 1e-4..=1e-2, log)))
}

/// A regressor on standardised features.
#[hypermodel]
fn regressor(width: usize) -> NetSpec {
    let mut net = NetSpec::input(width).normalize();
    for i in 0..hp_int!(layers, 1..=2) {
        net = net.dense(hp_int!(units[i], 8..=64, step = 8)).relu();
    }
    net.dense(1)
        .loss(Loss::Mse)
        .optimizer(Adam::new(hp_float!(lr, 1e-3..=3e-2, log)))
}

/// The network a user would try first: Keras-default Adam, one hidden layer, raw features.
fn untuned(width: usize, out: usize, loss: Loss) -> NetSpec {
    NetSpec::input(width).dense(32).relu().dense(out).loss(loss)
}

struct Args {
    trials: u64,
    epochs: usize,
    seed: u64,
}

fn args() -> Result<Args, Box<dyn std::error::Error + Send + Sync>> {
    let mut a = Args {
        trials: 12,
        epochs: 60,
        seed: 7,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--trials" => a.trials = value()?.parse()?,
            "--epochs" => a.epochs = value()?.parse()?,
            "--seed" => a.seed = value()?.parse()?,
            other => {
                return Err(format!(
                    "unknown argument {other}; use --trials N, --epochs N, --seed S"
                )
                .into())
            }
        }
    }
    Ok(a)
}

fn data_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/data")
        .join(name)
}

/// Area under the ROC curve of `scores` for `positive` labels (ties count 1/2), with the
/// numbers of positives and negatives.
fn auc(scores: &[f64], positive: &[bool]) -> (f64, usize, usize) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mann-Whitney: the mean rank of the positives, ties given their average rank.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += rank * order[i..=j].iter().filter(|&&k| positive[k]).count() as f64;
        i = j + 1;
    }
    let n1 = positive.iter().filter(|&&p| p).count();
    let n0 = positive.len() - n1;
    let u = rank_sum - (n1 * (n1 + 1)) as f64 / 2.0;
    (u / (n1 * n0).max(1) as f64, n1, n0)
}

/// Hanley & McNeil's (1982) standard error of an AUC `a` from `n1` positives, `n0` negatives.
fn hanley_mcneil(a: f64, n1: usize, n0: usize) -> f64 {
    let (q1, q2) = (a / (2.0 - a), 2.0 * a * a / (1.0 + a));
    let (n1, n0) = (n1 as f64, n0 as f64);
    ((a * (1.0 - a) + (n1 - 1.0) * (q1 - a * a) + (n0 - 1.0) * (q2 - a * a)) / (n1 * n0)).sqrt()
}

fn rmse(pred: &[f64], truth: &[f64]) -> f64 {
    let se: f64 = pred.iter().zip(truth).map(|(p, t)| (p - t).powi(2)).sum();
    (se / truth.len() as f64).sqrt()
}

/// Standard deviation of `stat` over `n` bootstrap resamples of the `rows` test rows
/// (a fixed-seed xorshift, so every run reports the same numbers).
fn bootstrap_se(rows: usize, n: usize, mut stat: impl FnMut(&[usize]) -> f64) -> f64 {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % rows as u64) as usize
    };
    let values: Vec<f64> = (0..n)
        .map(|_| {
            let pick: Vec<usize> = (0..rows).map(|_| next()).collect();
            stat(&pick)
        })
        .collect();
    let mean = values.iter().sum::<f64>() / n as f64;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
}

/// One model's test score, ± its standard error.
struct Scored {
    name: String,
    score: f64,
    se: f64,
}

/// Prints each baseline's comparison with the tuned model (`higher` = larger is better).
fn compare(
    metric: &str,
    tuned: &Scored,
    baselines: &[Scored],
    higher: bool,
    diff_se: impl Fn(usize) -> f64,
) -> bool {
    println!("  test {metric}:");
    for s in std::iter::once(tuned).chain(baselines) {
        println!("    {:<34} {:.4} ± {:.4}", s.name, s.score, s.se);
    }
    let mut all = true;
    for (i, b) in baselines.iter().enumerate() {
        let gain = if higher {
            tuned.score - b.score
        } else {
            b.score - tuned.score
        };
        let se = diff_se(i);
        let beats = gain > se;
        all &= beats;
        println!(
            "    tuned vs {:<26} better by {gain:.4} (paired bootstrap SE {se:.4}): {}",
            b.name,
            if beats {
                "beats it by more than one SE"
            } else {
                "NOT by more than one SE"
            }
        );
    }
    all
}

/// Tunes the classifier and compares it on the test split.
fn breast_cancer(a: &Args) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    let opts = CsvOptions::default()
        .target_name("diagnosis")
        .categorical(["diagnosis"]);
    let (data, names) = load_csv_named(&data_path("breast-cancer/breast_cancer.csv.gz"), &opts)?;
    let (train, test) = data.stratified_split(0.25, a.seed)?;
    println!(
        "breast cancer: {} rows x {} features ({} .. {}), classes benign/malignant {:?}; \
         {} to tune on, {} to test",
        data.len(),
        names.len(),
        names[0],
        names[names.len() - 1],
        data.class_counts().unwrap_or_default(),
        train.len(),
        test.len()
    );
    let dir = std::env::temp_dir().join(format!("tuner-tabular-{}-cancer", std::process::id()));
    let mut tuner = Tuner::for_model(Classifier::new(names.len()), RandomSearch::new())
        .objective("val_auc")
        .max_trials(a.trials)
        .seed(a.seed)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(&dir)
        .build()?;
    let fit = Fit::default()
        .epochs(a.epochs)
        .batch_size(32)
        .validation_split(0.2)
        .class_weight(ClassWeight::Balanced)
        .seed(a.seed);
    let mut early = EarlyStopping::new("val_auc").patience(5);
    tuner.search_split_with_callbacks(&train, fit.clone(), &mut [&mut early])?;
    let trials = tuner.trials()?;
    let stopped = trials.iter().filter(|t| t.history.len() < a.epochs).count();
    println!(
        "  EarlyStopping(val_auc, patience 5) ended {stopped} of {} trials before epoch {}",
        trials.len(),
        a.epochs
    );
    let best = tuner.best_models(1)?.remove(0);

    // The untuned network trains on the same rows as the trials, with the same budget.
    let (fit_rows, val_rows) = tuner::tuner::validation_split(&train, &fit)?;
    let mut plain = Network::new(&untuned(names.len(), 2, Loss::CrossEntropy), a.seed)?;
    plain.fit(
        &fit_rows,
        Some(&val_rows),
        &Fit::default().epochs(a.epochs).batch_size(32).seed(a.seed),
        &mut [],
    )?;

    let positive: Vec<bool> = test
        .labels()
        .unwrap_or_default()
        .iter()
        .map(|&l| l == 1)
        .collect();
    let margin = |net: &Network| -> Result<Vec<f64>, Box<dyn std::error::Error + Send + Sync>> {
        // The logit gap orders samples as the malignant probability does.
        Ok(net
            .predict(test.features())?
            .chunks_exact(2)
            .map(|o| f64::from(o[1] - o[0]))
            .collect())
    };
    let scores = [margin(&best)?, margin(&plain)?, vec![0.0; test.len()]];
    let names = [
        "tuned (normalize, balanced)",
        "untuned 32-unit MLP, raw features",
        "constant score",
    ];
    let scored: Vec<Scored> = scores
        .iter()
        .zip(names)
        .map(|(s, name)| {
            let (a, n1, n0) = auc(s, &positive);
            Scored {
                name: name.to_string(),
                score: a,
                se: hanley_mcneil(a, n1, n0),
            }
        })
        .collect();
    let diff_se = |b: usize| {
        bootstrap_se(test.len(), 1000, |pick| {
            let take = |s: &[f64]| pick.iter().map(|&i| s[i]).collect::<Vec<_>>();
            let pos: Vec<bool> = pick.iter().map(|&i| positive[i]).collect();
            auc(&take(&scores[0]), &pos).0 - auc(&take(&scores[b + 1]), &pos).0
        })
    };
    let (tuned, rest) = scored.split_first().expect("three models");
    let beats = compare("AUC (± Hanley-McNeil SE)", tuned, rest, true, diff_se);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(beats)
}

/// Tunes the regressor and compares it on the test split.
fn diabetes(a: &Args) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    let opts = CsvOptions::default()
        .target_name("progression")
        .regression()
        .categorical(["sex"]);
    let (data, names) = load_csv_named(&data_path("diabetes/diabetes.csv.gz"), &opts)?;
    let (train, test) = data.shuffled_split(0.25, a.seed)?;
    println!(
        "diabetes: {} rows x {} features ({}), {} to tune on, {} to test",
        data.len(),
        names.len(),
        names.join(" "),
        train.len(),
        test.len()
    );
    let dir = std::env::temp_dir().join(format!("tuner-tabular-{}-diabetes", std::process::id()));
    let mut tuner = Tuner::for_model(Regressor::new(names.len()), RandomSearch::new())
        .objective("val_rmse")
        .max_trials(a.trials)
        .seed(a.seed)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(&dir)
        .build()?;
    let fit = Fit::default()
        .epochs(a.epochs * 2)
        .batch_size(32)
        .validation_split(0.2)
        .seed(a.seed);
    let mut early = EarlyStopping::new("val_rmse").patience(10);
    tuner.search_split_with_callbacks(&train, fit.clone(), &mut [&mut early])?;
    let best = tuner.best_models(1)?.remove(0);
    let (fit_rows, val_rows) = tuner::tuner::validation_split(&train, &fit)?;
    let mut plain = Network::new(&untuned(names.len(), 1, Loss::Mse), a.seed)?;
    plain.fit(
        &fit_rows,
        Some(&val_rows),
        &Fit::default()
            .epochs(a.epochs * 2)
            .batch_size(32)
            .seed(a.seed),
        &mut [],
    )?;
    let values = |d: &Dataset| -> Vec<f64> {
        match d.targets() {
            tuner::data::Targets::Values { values, .. } => {
                values.iter().map(|&v| f64::from(v)).collect()
            }
            tuner::data::Targets::Classes { .. } => Vec::new(),
        }
    };
    let truth = values(&test);
    let mean = values(&fit_rows).iter().sum::<f64>() / fit_rows.len() as f64;
    let predict = |net: &Network| -> Result<Vec<f64>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(net
            .predict(test.features())?
            .iter()
            .map(|&v| f64::from(v))
            .collect())
    };
    let preds = [predict(&best)?, predict(&plain)?, vec![mean; test.len()]];
    let labels = [
        "tuned (normalize)",
        "untuned 32-unit MLP, raw features",
        "training mean",
    ];
    let scored: Vec<Scored> = preds
        .iter()
        .zip(labels)
        .map(|(p, name)| Scored {
            name: name.to_string(),
            score: rmse(p, &truth),
            se: bootstrap_se(test.len(), 1000, |pick| {
                let take = |s: &[f64]| pick.iter().map(|&i| s[i]).collect::<Vec<_>>();
                rmse(&take(p), &take(&truth))
            }),
        })
        .collect();
    let diff_se = |b: usize| {
        bootstrap_se(test.len(), 1000, |pick| {
            let take = |s: &[f64]| pick.iter().map(|&i| s[i]).collect::<Vec<_>>();
            rmse(&take(&preds[b + 1]), &take(&truth)) - rmse(&take(&preds[0]), &take(&truth))
        })
    };
    let (tuned, rest) = scored.split_first().expect("three models");
    let beats = compare("RMSE (± bootstrap SE)", tuned, rest, false, diff_se);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(beats)
}

// `Report` prints a failure as sentences with their causes, not a `Debug` dump.
fn main() -> Result<(), tuner::Report> {
    run().map_err(tuner::Report::boxed)
}

fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let a = args()?;
    let started = Instant::now();
    let classified = breast_cancer(&a)?;
    let regressed = diabetes(&a)?;
    println!(
        "tuned models beat every baseline by more than one SE: classification {classified}, \
         regression {regressed} ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
