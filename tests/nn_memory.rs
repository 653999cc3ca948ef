//! Memory stays flat across many models built, trained and dropped in one process (no global
//! graph state in dfdx): 50 small models, resident memory grows by less than 20%; and across a
//! whole search of 200 trials with two trials at once (the tuner, its SQLite study, checkpoints,
//! the trial threads' pools), less than 10% after warm-up.
//! Its own test binary, so no other test allocates while it measures; its tests take turns.

use std::sync::{Arc, Mutex};
use tuner::data::fashion_mnist;
use tuner::nn::{Adam, Fit, NetSpec, Network};
use tuner::oracle::RandomSearch;
use tuner::prelude::*;
use tuner::Tuner;

/// One measurement at a time: the tests of this binary would otherwise run side by side.
static ALONE: Mutex<()> = Mutex::new(());

/// Resident set size in bytes, from /proc/self/statm (Linux).
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn rss_stays_flat_over_50_models() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let (train, test) = fashion_mnist::load_shipped().unwrap();
    let (train, test) = (train.take(256), test.take(100));
    let run = |i: usize| {
        let spec = NetSpec::input(784)
            .dense(32 + (i % 4) * 32)
            .relu()
            .dropout(0.1)
            .dense(10);
        let mut net = Network::new(&spec, i as u64).unwrap();
        net.fit(
            &train,
            Some(&test),
            &Fit::default().epochs(1).batch_size(64),
            &mut [],
        )
        .unwrap();
        net.evaluate(&test, 50).unwrap()["accuracy"]
    };
    // Warm up allocator pools and lazily initialised state first.
    for i in 0..5 {
        run(i);
    }
    let base = rss_bytes();
    let mut peak = base;
    for i in 5..55 {
        assert!(run(i).is_finite());
        peak = peak.max(rss_bytes());
    }
    let end = rss_bytes();
    let growth = end as f64 / base as f64 - 1.0;
    eprintln!(
        "RSS after warm-up {} KiB, after 50 models {} KiB (peak {} KiB), growth {:.1}%",
        base / 1024,
        end / 1024,
        peak / 1024,
        growth * 100.0
    );
    assert!(
        growth < 0.20,
        "RSS grew {:.1}% over 50 models",
        growth * 100.0
    );
}

#[hypermodel]
fn tiny_mlp() -> NetSpec {
    NetSpec::input_shape([28, 28])
        .flatten()
        .dense(hp_int!(units, 16..=64, step = 16))
        .relu()
        .dense(10)
        .optimizer(Adam::new(hp_float!(learning_rate, 1e-3..=1e-2, log)))
}

#[test]
fn rss_stays_flat_over_a_200_trial_parallel_search() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let (train, test) = fashion_mnist::load_shipped().unwrap();
    let (train, val) = (train.take(128), test.take(64));
    let dir = std::env::temp_dir().join(format!("tuner-nn-memory-{}", std::process::id()));
    let mut tuner = Tuner::builder::<TinyMlp>(RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(200)
        .seed(3)
        .parallel_trials(2)
        .directory(&dir)
        .overwrite(true)
        .quiet(true)
        .build()
        .unwrap();
    // Resident memory after each trial ends, on the thread that owns the callbacks.
    let samples = Arc::new(Mutex::new(Vec::new()));
    let seen = samples.clone();
    tuner.on_trial_end(move |_| seen.lock().unwrap().push(rss_bytes()));
    let report = tuner
        .search(&train, &val, Fit::default().epochs(1).batch_size(32))
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(report.completed, 200);
    let samples = samples.lock().unwrap();
    assert_eq!(samples.len(), 200);
    // Warm-up: the first 20 trials fill the allocator's pools, SQLite's page cache and the
    // trial threads' pools.
    let base = samples[19];
    let peak = *samples[20..].iter().max().unwrap();
    let end = samples[199];
    let growth = peak as f64 / base as f64 - 1.0;
    eprintln!(
        "200-trial search, 2 at once: RSS after 20 trials {} KiB, after 200 {} KiB, peak after \
         warm-up {} KiB, growth to the peak {:.1}%",
        base / 1024,
        end / 1024,
        peak / 1024,
        growth * 100.0
    );
    assert!(
        growth < 0.10,
        "RSS grew {:.1}% from trial 20 to the peak of a 200-trial search",
        growth * 100.0
    );
}
