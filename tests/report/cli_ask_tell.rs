//! `tuner tell --attr` (user attributes from the command line) and `tuner fail-abandoned`
//! (asked trials whose asker died), run as a user would.
#![cfg(feature = "cli")]

use crate::cli_commands::{fails, ok, tuner};
use crate::report_fixture::scratch;
use serde_json::{json, Value as Json};
use std::path::Path;
use tuner::study::Catalog;
use tuner::trial::TrialState;

fn ask(dir: &Path, study: &str) -> u64 {
    let asked: Json = serde_json::from_str(&ok(dir, &["ask", study, "--space", "space.json"]))
        .expect("ask prints JSON");
    asked["number"].as_u64().unwrap()
}

fn with_space(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::write(
        dir.join("space.json"),
        r#"{"x": {"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0, "log": false, "step": null}}}"#,
    )
    .unwrap();
    dir
}

#[test]
fn tell_sets_user_attributes_as_json_or_text() {
    let dir = with_space("cli-attrs");
    let n = ask(&dir, "attrs");
    ok(
        &dir,
        &[
            "tell",
            "attrs",
            &n.to_string(),
            "--value",
            "0.5",
            "--attr",
            "layers=[64, 32]",
            "--attr",
            "note=a plain note",
            "--attr",
            "seed=7",
            "--attr",
            "quoted=\"7\"",
            "--attr",
            "empty=",
        ],
    );
    let study = Catalog::new(None, dir.join("tuning"))
        .read("attrs")
        .unwrap();
    let trial = study.trial(n).unwrap();
    assert_eq!(trial.state, TrialState::Completed);
    let attrs = &trial.user_attrs;
    assert_eq!(attrs["layers"], json!([64, 32]));
    assert_eq!(attrs["note"], json!("a plain note"));
    assert_eq!(attrs["seed"], json!(7));
    assert_eq!(attrs["quoted"], json!("7"));
    assert_eq!(attrs["empty"], json!(""));
    let (code, _, err) = tuner(
        &dir,
        &["tell", "attrs", "0", "--value", "1", "--attr", "nokey"],
    );
    assert_eq!(code, 2, "a usage error: {err}");
    assert!(err.contains("`nokey` is not KEY=VALUE"), "{err}");
    // A trial told once keeps its attributes; telling it again is refused.
    let err = fails(
        &dir,
        &[
            "tell",
            "attrs",
            &n.to_string(),
            "--value",
            "1",
            "--attr",
            "a=1",
        ],
    );
    assert!(err.contains("already ended"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn fail_abandoned_fails_only_asked_trials_older_than_the_age_given() {
    let dir = with_space("cli-abandoned");
    let told = ask(&dir, "ab");
    let dead = ask(&dir, "ab");
    ok(&dir, &["tell", "ab", &told.to_string(), "--value", "0.1"]);
    let none = ok(&dir, &["fail-abandoned", "ab", "--older-than", "1h"]);
    assert!(none.contains("no asked trial"), "{none}");
    let study = Catalog::new(None, dir.join("tuning")).read("ab").unwrap();
    assert_eq!(study.trial(dead).unwrap().state, TrialState::Running);

    let out = ok(&dir, &["fail-abandoned", "ab", "--older-than", "0s"]);
    assert!(out.contains("failed 1 abandoned trial(s)"), "{out}");
    assert!(out.trim_end().ends_with(&format!(": {dead}")), "{out}");
    let trial = study.trial(dead).unwrap();
    assert_eq!(trial.state, TrialState::Failed);
    assert!(trial.message.unwrap().contains("never told"));
    assert_eq!(study.trial(told).unwrap().state, TrialState::Completed);
    let err = fails(&dir, &["tell", "ab", &dead.to_string(), "--value", "0.2"]);
    assert!(err.contains("already ended"), "{err}");
    // Nothing is left to fail, and a malformed age is refused with the forms it takes.
    let again = ok(&dir, &["fail-abandoned", "ab", "--older-than", "0"]);
    assert!(again.contains("no asked trial"), "{again}");
    let (code, _, err) = tuner(&dir, &["fail-abandoned", "ab", "--older-than", "5 weeks"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("use s, m, h or d"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `ask --direction` on a stored study with two objectives: the direction is about each of
/// them, so a different one is refused (never silently ignored) and theirs is accepted.
#[test]
fn a_direction_given_for_a_multi_objective_study_is_checked() {
    use tuner::objective::{Objective, Objectives};
    use tuner::storage::{SqliteStorage, Storage, StudyConfig};
    let dir = scratch("cli-multi-direction");
    let storage = SqliteStorage::open(dir.join("tuning/two/study.db")).unwrap();
    let objectives = Objectives::new(vec![
        Objective::minimize("loss"),
        Objective::minimize("latency"),
    ])
    .unwrap();
    let config = StudyConfig {
        name: "two".to_owned(),
        space: crate::report_fixture::small_space(),
        objectives,
        oracle: tuner::oracle::OracleConfig::Random,
    };
    storage.open_study(&config, false).unwrap();
    drop(storage);
    let err = fails(&dir, &["ask", "two", "--direction", "maximize"]);
    assert!(
        err.contains(
            "stored loss (minimize), latency (minimize), given loss (maximize), latency (maximize)"
        ),
        "{err}"
    );
    let asked: Json =
        serde_json::from_str(&ok(&dir, &["ask", "two", "--direction", "minimize"])).unwrap();
    assert_eq!(asked["number"], 0);
    std::fs::remove_dir_all(&dir).ok();
}
