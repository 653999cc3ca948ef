//! Helpers every test binary shares.
// Each test binary uses a part of these.
#![allow(dead_code)]

use std::path::PathBuf;

/// Where test `name` of module `module` (its `module_path!()`) keeps its files: unique to this
/// process and module, so tests of one binary running side by side never share a folder.
pub fn tmp_path(module: &str, name: &str) -> PathBuf {
    let module = module.replace("::", "-");
    std::env::temp_dir().join(format!("tuner-{module}-{}-{name}", std::process::id()))
}

/// [`tmp_path`], made fresh and empty (a previous run's leftovers removed).
pub fn tmp(module: &str, name: &str) -> PathBuf {
    let dir = tmp_path(module, name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `--exact` name of test `name` in module `module` (its `module_path!()`), for re-running
/// this binary on that one test in a child process.
pub fn exact_test_name(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_, inner)) => format!("{inner}::{name}"),
        None => name.to_owned(),
    }
}

/// `trials` as read from a storage, with the start and completion times it stamped taken off
/// (every trial has a start; a finished one a completion no earlier), to compare with trials
/// a test built.
pub fn untimed(trials: Vec<tuner::trial::Trial>) -> Vec<tuner::trial::Trial> {
    trials
        .into_iter()
        .map(|mut t| {
            let start = t.datetime_start.take().expect("the storage stamps a start");
            if let Some(complete) = t.datetime_complete.take() {
                assert!(
                    complete >= start,
                    "trial {} ends before it starts",
                    t.number
                );
            }
            t
        })
        .collect()
}
