//! Memory stays flat over 50 burn trials searched in one process: resident memory grows by
//! less than 20% after a warm-up. Measured in a child process (this binary re-run on one
//! test), so the other tests of this binary allocate nothing while it measures.

use crate::models::Small;
use std::cell::RefCell;
use std::path::Path;
use std::process::Command;
use std::rc::Rc;
use std::sync::Arc;
use tuner::data::fashion_mnist;
use tuner::oracle::RandomSearch;
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::Tuner;

const CHILD_OUT: &str = "TUNER_BURN_MEMORY_OUT";
const WARM_UP: usize = 5;
const TRIALS: usize = 50;

/// Resident set size in bytes, from /proc/self/statm (Linux).
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// The child: searches `WARM_UP + TRIALS` trials and writes the RSS after each to `out`.
#[test]
fn child_entry() {
    let Ok(out) = std::env::var(CHILD_OUT) else {
        return;
    };
    let (train, val) = fashion_mnist::load_shipped().unwrap();
    let (train, val) = (train.take(256), val.take(100));
    let dir = Path::new(&out).with_extension("dir");
    let mut tuner = Tuner::builder::<Small>(RandomSearch::new())
        .objective("val_accuracy")
        .max_trials((WARM_UP + TRIALS) as u64)
        .seed(1)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(&dir)
        .quiet(true)
        .build()
        .unwrap();
    let samples = Rc::new(RefCell::new(Vec::new()));
    let record = samples.clone();
    tuner.on_trial_end(move |_| record.borrow_mut().push(rss_bytes()));
    tuner
        .search(&train, &val, Fit::default().epochs(1).batch_size(64))
        .unwrap();
    let lines: Vec<String> = samples.borrow().iter().map(|b| b.to_string()).collect();
    std::fs::write(&out, lines.join("\n")).unwrap();
}

#[test]
fn rss_stays_flat_over_50_burn_trials() {
    let dir = crate::common::tmp(module_path!(), "rss");
    let out = dir.join("rss.txt");
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            crate::common::exact_test_name(module_path!(), "child_entry").as_str(),
            "--exact",
            "--test-threads=1",
        ])
        .env(CHILD_OUT, &out)
        .status()
        .unwrap();
    assert!(status.success(), "the measuring child failed");
    let samples: Vec<usize> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(samples.len(), WARM_UP + TRIALS, "one sample per trial");
    let base = samples[WARM_UP - 1];
    let end = *samples.last().unwrap();
    let peak = *samples.iter().max().unwrap();
    let growth = end as f64 / base as f64 - 1.0;
    eprintln!(
        "RSS after warm-up {} KiB, after {TRIALS} burn trials {} KiB (peak {} KiB), growth {:.1}%",
        base / 1024,
        end / 1024,
        peak / 1024,
        growth * 100.0
    );
    assert!(
        growth < 0.20,
        "RSS grew {:.1}% over {TRIALS} trials",
        growth * 100.0
    );
}
