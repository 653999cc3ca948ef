//! How many trials to run at once, measured: the same random search (the same trials, by the
//! reproducibility rule of ARCHITECTURE.md "Parallel trials") over MLPs of the main job's
//! widths, one trial at a time on every core vs `cores` trials at once with one compute thread
//! each, side by side in one run. Prints wall and CPU seconds and their ratio per width.
//!
//! `cargo run --release --example parallel_trials -- [--trials N] [--samples N] [--data DIR]`

use tuner::data::{fashion_mnist, Dataset};
use tuner::nn::{Adam, Fit, NetSpec};
use tuner::oracle::RandomSearch;
use tuner::prelude::*;
use tuner::Tuner;

/// An MLP of fixed hidden widths; only the learning rate is searched.
#[hypermodel]
fn fixed_mlp(widths: Vec<usize>) -> NetSpec {
    let mut net = NetSpec::input_shape([28, 28]).flatten();
    for &w in &widths {
        net = net.dense(w).relu();
    }
    net.dense(10)
        .optimizer(Adam::new(hp_float!(learning_rate, 1e-4..=1e-2, log)))
}

/// Wall and CPU seconds of `trials` one-epoch trials with `parallel` at once, and the best score.
fn search(
    widths: &[usize],
    parallel: usize,
    trials: u64,
    (train, val): (&Dataset, &Dataset),
) -> Result<(f64, f64, f64), Report> {
    let dir = std::env::temp_dir().join(format!("tuner-parallel-trials-{}", std::process::id()));
    let mut tuner = Tuner::for_model(FixedMlp::new(widths.to_vec()), RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(trials)
        .seed(1)
        .parallel_trials(parallel)
        .directory(&dir)
        .overwrite(true)
        .quiet(true)
        .build()?;
    let report = tuner.search(train, val, Fit::default().epochs(1).batch_size(128))?;
    let best = tuner.best_trials(1)?[0].score.unwrap_or(f64::NAN);
    std::fs::remove_dir_all(&dir).ok();
    Ok((report.seconds, report.cpu_seconds, best))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() -> Result<(), Report> {
    let mut trials = 4u64;
    let mut samples = 10_000usize;
    let mut data = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| Report::msg(format!("{a} needs a value")))
        };
        match a.as_str() {
            "--trials" => trials = value()?.parse().map_err(Report::msg)?,
            "--samples" => samples = value()?.parse().map_err(Report::msg)?,
            "--data" => data = Some(std::path::PathBuf::from(value()?)),
            other => return Err(Report::msg(format!("unknown argument {other}"))),
        }
    }
    let fm = fashion_mnist::load_with_source(data.as_deref())?;
    let train = fm.train.take(samples.min(fm.train.len()));
    let val = fm.test.take((samples / 5).min(fm.test.len()));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "{trials} one-epoch trials of {} training / {} validation samples ({}), {cores} cores, \
         load average {}",
        train.len(),
        val.len(),
        fm.source,
        load_average()
    );
    println!(
        "\n{:<18} {:>14} {:>14} {:>12} {:>10}",
        "hidden widths",
        "1 at once s",
        format!("{cores} at once s"),
        "wall ratio",
        "CPU ratio"
    );
    let widths: [&[usize]; 4] = [&[64], &[256, 256], &[352, 352, 352], &[512, 512, 512]];
    for w in widths {
        let (w1, c1, b1) = search(w, 1, trials, (&train, &val))?;
        let (wn, cn, bn) = search(w, cores, trials, (&train, &val))?;
        // The rule: the same trials, so the same best score.
        let same = if b1.to_bits() == bn.to_bits() {
            ""
        } else {
            "  (scores differ!)"
        };
        println!(
            "{:<18} {:>7.2} ({:>4.1}) {:>7.2} ({:>4.1}) {:>12.2} {:>10.2}{same}",
            format!("{w:?}"),
            w1,
            c1,
            wn,
            cn,
            wn / w1,
            cn / c1
        );
    }
    println!("\n(wall seconds, CPU seconds in parentheses; ratio < 1: parallel trials faster)");
    println!("load average after: {}", load_average());
    Ok(())
}
