//! The `tuner` command, run as a user would: every subcommand on a fixed study, the ask/tell
//! loop, and the error paths (unknown study, bad URL, bad files, misuse).
#![cfg(feature = "cli")]

use crate::report_fixture::{scratch, small_study};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `tuner` in `dir` with `args`; (exit code, stdout, stderr).
pub(crate) fn tuner(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_tuner"))
        .args(args)
        .current_dir(dir)
        .env_remove("TUNER_STORAGE")
        .env_remove("TUNER_DIRECTORY")
        .output()
        .expect("the tuner binary runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

/// Runs a command that must succeed; its stdout.
pub(crate) fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = tuner(dir, args);
    assert_eq!(code, 0, "tuner {args:?} failed: {err}");
    out
}

/// Runs a command that must fail with exit code 1; its stderr.
pub(crate) fn fails(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = tuner(dir, args);
    assert_eq!(code, 1, "tuner {args:?} should fail; printed {out}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/report_golden")
            .join(name),
    )
    .unwrap()
}

/// A folder holding `tuning/small/study.db`, as the library lays out a study by default.
fn with_small_study(name: &str) -> PathBuf {
    let dir = scratch(name);
    small_study(&dir.join("tuning/small/study.db"));
    dir
}

#[test]
fn studies_lists_each_study_with_counts_and_best() {
    let dir = with_small_study("cli-studies");
    let out = ok(&dir, &["studies"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("study"), "{out}");
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&row[..4], ["small", "4", "2", "0.875000"], "{out}");
    assert!(lines[1].contains("val_accuracy (max)"), "{out}");
    // The same through an explicit storage URL.
    let url = format!("sqlite:///{}", dir.join("tuning/small/study.db").display());
    assert!(ok(&dir, &["studies", "--storage", &url]).contains("small"));
    // An empty folder has no studies; a missing one is an error that says what to pass.
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    assert_eq!(
        ok(&dir, &["studies", "--directory", "empty"]),
        "no studies\n"
    );
    let err = fails(&dir, &["studies", "--directory", "nowhere"]);
    assert!(
        err.contains("nowhere") && err.contains("--storage"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn summary_trials_and_best_match_the_library() {
    let dir = with_small_study("cli-reports");
    let summary = ok(&dir, &["summary", "small"]);
    let location = format!("sqlite:///{}", Path::new("tuning/small/study.db").display());
    assert_eq!(
        summary,
        golden("summary.txt").replace("tuning/small", &location)
    );
    assert_eq!(
        ok(&dir, &["trials", "small", "--csv"]),
        golden("trials.csv")
    );
    assert_eq!(
        ok(&dir, &["trials", "small", "--json"]),
        golden("trials.json")
    );
    ok(
        &dir,
        &["trials", "small", "--csv", "--out", "out/trials.csv"],
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("out/trials.csv")).unwrap(),
        golden("trials.csv")
    );
    let table = ok(&dir, &["trials", "small"]);
    assert_eq!(table.lines().count(), 5, "{table}");
    assert!(table.lines().nth(3).unwrap().contains("STOPPED"), "{table}");

    let best = ok(&dir, &["best", "small"]);
    assert!(
        best.starts_with("Trial 01: val_accuracy (max) = 0.875 at epoch 2"),
        "{best}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&dir, &["best", "small", "--json", "-n", "2"])).unwrap();
    assert_eq!(json[0]["number"], 1);
    assert_eq!(json[1]["number"], 0);
    assert_eq!(json[0]["params"]["units"], 128);
    assert_eq!(json[0]["params"]["activation"], "tanh");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn space_prints_the_summary_and_json_that_ask_reads_back() {
    let dir = with_small_study("cli-space");
    let text = ok(&dir, &["space", "small"]);
    assert_eq!(text, crate::report_fixture::small_space().summary());
    let json = ok(&dir, &["space", "small", "--json"]);
    let space: tuner::space::SearchSpace = serde_json::from_str(&json).unwrap();
    assert_eq!(space, crate::report_fixture::small_space());
    // The printed JSON creates a new study with the same space.
    std::fs::write(dir.join("space.json"), &json).unwrap();
    let asked = ok(
        &dir,
        &["ask", "copy", "--space", "space.json", "--oracle", "random"],
    );
    assert!(asked.contains("\"number\":0"), "{asked}");
    assert_eq!(ok(&dir, &["space", "copy"]), text);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plot_writes_every_kind_as_svg_and_png() {
    let dir = with_small_study("cli-plot");
    let kinds = [
        "history",
        "curves",
        "parallel",
        "slice",
        "importance",
        "contour",
        "rank",
        "edf",
        "timeline",
    ];
    for kind in kinds {
        let file = format!("plots/{kind}.svg");
        let out = ok(&dir, &["plot", "small", "--kind", kind, "--out", &file]);
        assert!(out.contains(&file), "{out}");
        let svg = std::fs::read_to_string(dir.join(&file)).unwrap();
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    ok(
        &dir,
        &["plot", "small", "--kind", "history", "--out", "h.png"],
    );
    for kind in ["history", "contour", "edf", "timeline"] {
        let file = format!("{kind}.png");
        ok(&dir, &["plot", "small", "--kind", kind, "--out", &file]);
        assert!(std::fs::read(dir.join(&file))
            .unwrap()
            .starts_with(b"\x89PNG"));
    }
    // A single-objective study has no Pareto front, and says so.
    let err = fails(
        &dir,
        &["plot", "small", "--kind", "pareto", "--out", "p.svg"],
    );
    assert!(err.contains("two objectives"), "{err}");
    let err = fails(
        &dir,
        &["plot", "small", "--kind", "history", "--out", "h.pdf"],
    );
    assert!(err.contains(".svg or .png"), "{err}");
    let (code, _, err) = tuner(&dir, &["plot", "small", "--kind", "pie", "--out", "p.svg"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("history") && err.contains("importance"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn report_writes_one_self_contained_page() {
    let dir = with_small_study("cli-report");
    let out = ok(&dir, &["report", "small", "--out", "out/report.html"]);
    assert!(out.contains("out/report.html"), "{out}");
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    let xhtml = html.replacen("<!DOCTYPE html>", "", 1);
    let doc = roxmltree::Document::parse(&xhtml).expect("the report is well-formed XHTML");
    let by_id = |id: &str| {
        doc.descendants()
            .find(|n| n.attribute("id") == Some(id))
            .unwrap_or_else(|| panic!("no element #{id}"))
    };
    let summary: String = by_id("summary")
        .descendants()
        .filter_map(|n| n.text())
        .collect();
    assert!(summary.contains("val_accuracy (max)"), "{summary}");
    assert!(summary.contains("tuning/small/study.db"), "{summary}");
    // Each plot that applies is inline SVG; Pareto does not apply to one objective.
    for kind in [
        "history",
        "curves",
        "parallel",
        "slice",
        "importance",
        "contour",
        "rank",
        "edf",
        "timeline",
    ] {
        let figure = by_id(&format!("plot-{kind}"));
        assert!(
            figure.descendants().any(|n| n.tag_name().name() == "svg"),
            "{kind} is not inline SVG"
        );
    }
    assert!(!html.contains("plot-pareto"));
    // Nothing is fetched: no script, no external reference.
    assert!(!html.contains("<script") && !html.contains(" src=") && !html.contains("href=\"http"));
    // The trials table: a header and a row per trial (the small study has four).
    let rows = by_id("trials")
        .descendants()
        .filter(|n| n.tag_name().name() == "tr")
        .count();
    assert_eq!(rows, 1 + 4);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn delete_removes_the_study_and_its_folder() {
    let dir = with_small_study("cli-delete");
    std::fs::write(dir.join("tuning/small/note.txt"), "checkpoint stand-in").unwrap();
    let out = ok(&dir, &["delete", "small"]);
    assert!(out.contains("deleted study `small`"), "{out}");
    assert!(!dir.join("tuning/small").exists());
    let err = fails(&dir, &["delete", "small"]);
    assert!(err.contains("no study named `small`"), "{err}");
    // Through a URL only the study goes; the database file stays for its other studies.
    small_study(&dir.join("shared.db"));
    let url = "sqlite:///shared.db";
    ok(&dir, &["delete", "small", "--storage", url]);
    assert!(dir.join("shared.db").exists());
    assert_eq!(ok(&dir, &["studies", "--storage", url]), "no studies\n");
    std::fs::remove_dir_all(&dir).ok();
}

/// The black-box loop a script in another language runs: ask, evaluate, tell.
#[test]
fn ask_and_tell_run_a_search_from_outside() {
    let dir = scratch("cli-ask");
    std::fs::write(
        dir.join("space.json"),
        r#"{"x": {"name": "FloatDistribution", "attributes": {"low": -3.0, "high": 3.0, "log": false, "step": null}},
            "k": {"name": "CategoricalDistribution", "attributes": {"choices": ["a", "b"]}}}"#,
    )
    .unwrap();
    for i in 0..8u64 {
        let asked: serde_json::Value = serde_json::from_str(&ok(
            &dir,
            &["ask", "bb", "--space", "space.json", "--oracle", "tpe"],
        ))
        .unwrap();
        assert_eq!(asked["number"], i);
        let x = asked["params"]["x"].as_f64().unwrap();
        let k = asked["params"]["k"].as_str().unwrap();
        let value = (x - 1.0).powi(2) + if k == "a" { 0.0 } else { 2.0 };
        let told = ok(
            &dir,
            &["tell", "bb", &i.to_string(), "--value", &value.to_string()],
        );
        assert!(told.contains("COMPLETED"), "{told}");
    }
    // Later asks need no --space: the study remembers it; a failure can be told too.
    let asked: serde_json::Value = serde_json::from_str(&ok(&dir, &["ask", "bb"])).unwrap();
    assert_eq!(asked["number"], 8);
    let told = ok(
        &dir,
        &["tell", "bb", "8", "--fail", "the simulator crashed"],
    );
    assert!(
        told.contains("FAILED") && told.contains("simulator crashed"),
        "{told}"
    );
    let csv = ok(&dir, &["trials", "bb", "--csv"]);
    assert_eq!(csv.lines().filter(|l| l.contains(",COMPLETED,")).count(), 8);
    let best: serde_json::Value =
        serde_json::from_str(&ok(&dir, &["best", "bb", "--json"])).unwrap();
    assert!(best[0]["score"].as_f64().unwrap() < 3.0, "{best}");

    // Negative values parse as values; a trial is told once.
    let asked: serde_json::Value = serde_json::from_str(&ok(&dir, &["ask", "bb"])).unwrap();
    let n = asked["number"].to_string();
    ok(&dir, &["tell", "bb", &n, "--value", "-1.5"]);
    let err = fails(&dir, &["tell", "bb", &n, "--value", "2"]);
    assert!(err.contains("already ended"), "{err}");
    let err = fails(&dir, &["tell", "bb", "99", "--value", "2"]);
    assert!(err.contains("no trial number 99"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_grid_study_ends_and_a_busy_one_says_to_tell_first() {
    let dir = scratch("cli-grid");
    std::fs::write(
        dir.join("space.json"),
        r#"{"params": [{"name": "n", "kind": {"type": "int", "min": 1, "max": 2}}]}"#,
    )
    .unwrap();
    let ask = ["ask", "g", "--space", "space.json", "--oracle", "grid"];
    ok(&dir, &ask);
    ok(&dir, &ask);
    // Both grid points are out and running: nothing to hand out until they are told.
    let err = fails(&dir, &ask);
    assert!(err.contains("tell their results first"), "{err}");
    ok(&dir, &["tell", "g", "0", "--value", "1"]);
    ok(&dir, &["tell", "g", "1", "--value", "2"]);
    let err = fails(&dir, &ask);
    assert!(
        err.contains("the search is over") && err.contains('2'),
        "{err}"
    );
    // The oracle is the study's: another one is refused by name.
    let err = fails(&dir, &["ask", "g", "--oracle", "random"]);
    assert!(err.contains("another oracle"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn errors_name_the_problem_and_the_fix() {
    let dir = with_small_study("cli-errors");
    let err = fails(&dir, &["summary", "nope"]);
    assert!(
        err.contains("no study named `nope`") && err.contains("studies in tuning: small"),
        "{err}"
    );
    let err = fails(
        &dir,
        &[
            "summary",
            "nope",
            "--storage",
            "sqlite:///tuning/small/study.db",
        ],
    );
    assert!(err.contains("it holds: small"), "{err}");
    let err = fails(&dir, &["studies", "--storage", "mysql://u@h/db"]);
    assert!(
        err.contains("unknown storage URL `mysql://u@h/db`"),
        "{err}"
    );
    std::fs::write(dir.join("junk.db"), "not a database at all").unwrap();
    let err = fails(&dir, &["studies", "--storage", "sqlite:///junk.db"]);
    assert!(err.contains("not a SQLite database"), "{err}");

    let err = fails(&dir, &["ask", "new", "--space", "missing.json"]);
    assert!(
        err.contains("cannot read the search space file missing.json"),
        "{err}"
    );
    std::fs::write(dir.join("bad.json"), "{not json").unwrap();
    let err = fails(&dir, &["ask", "new", "--space", "bad.json"]);
    assert!(err.contains("bad.json is not valid JSON"), "{err}");
    std::fs::write(
        dir.join("inverted.json"),
        r#"{"params": [{"name": "x", "kind": {"type": "float", "min": 2.0, "max": 1.0}}]}"#,
    )
    .unwrap();
    let err = fails(&dir, &["ask", "new", "--space", "inverted.json"]);
    assert!(err.contains("min 2 is greater than max 1"), "{err}");
    let err = fails(&dir, &["ask", "new"]);
    assert!(err.contains("does not exist yet: pass --space"), "{err}");
    assert!(
        !dir.join("tuning/new").exists(),
        "a failed ask creates nothing"
    );
    let err = fails(&dir, &["ask", "small", "--space", "inverted.json"]);
    assert!(err.contains("invalid search space"), "{err}");

    let err = fails(&dir, &["best", "nope"]);
    assert!(err.contains("no study named `nope`"), "{err}");
    // A study whose trials are all running has no best yet.
    std::fs::write(
        dir.join("one.json"),
        r#"{"params": [{"name": "x", "kind": {"type": "float", "min": 0.0, "max": 1.0}}]}"#,
    )
    .unwrap();
    ok(&dir, &["ask", "fresh", "--space", "one.json"]);
    let err = fails(&dir, &["best", "fresh"]);
    assert!(err.contains("no completed trial yet"), "{err}");
    let err = fails(
        &dir,
        &["plot", "fresh", "--kind", "history", "--out", "x.svg"],
    );
    assert!(err.contains("no trial has a score yet"), "{err}");
    let err = fails(&dir, &["tell", "fresh", "0", "--value", "1", "2"]);
    assert!(err.contains("give one --value per objective"), "{err}");

    let (code, _, err) = tuner(&dir, &["tell", "small", "0"]);
    assert_eq!(code, 2, "usage errors exit with 2");
    assert!(err.contains("--value"), "{err}");
    let help = ok(&dir, &["--help"]);
    for sub in [
        "studies", "summary", "best", "trials", "plot", "space", "delete", "ask", "tell",
    ] {
        assert!(help.contains(sub), "--help lists {sub}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// An oracle only this test can build: the command line cannot rebuild it.
struct Fixed;

impl tuner::oracle::Oracle for Fixed {
    fn name(&self) -> &'static str {
        "fixed"
    }
    fn config(&self) -> tuner::oracle::OracleConfig {
        tuner::oracle::OracleConfig::Custom {
            oracle: "fixed".to_owned(),
            settings: serde_json::json!({"x": 0.5}),
        }
    }
    fn suggest(&self, _: &tuner::oracle::OracleContext<'_>) -> tuner::oracle::Suggestion {
        let mut values = tuner::space::HyperParameters::new();
        values.insert("x", 0.5);
        tuner::oracle::Suggestion::Try(tuner::trial::TrialPlan {
            values,
            ..Default::default()
        })
    }
}

/// `tuner tell` records through the library's `Study` and nothing else: it needs no oracle
/// (a study whose oracle only its own program can build is told from the command line), and
/// it stores exactly what `Study::tell` stores for the same value.
#[test]
fn tell_goes_through_the_study() {
    use std::sync::Arc;
    use tuner::study::Study;
    use tuner::tuner::{Outcome, ASKED_AT};
    let dir = scratch("cli-tell-study");
    let open = |name: &str| {
        let folder = dir.join("tuning").join(name);
        std::fs::create_dir_all(&folder).unwrap();
        let storage = tuner::storage::SqliteStorage::open(folder.join("study.db")).unwrap();
        Study::open(
            Arc::new(storage),
            name,
            crate::report_fixture::small_space(),
            tuner::objective::Objective::minimize("value").into(),
            Box::new(Fixed),
            false,
        )
        .unwrap()
    };
    let (cli, lib) = (open("cli"), open("lib"));
    assert_eq!(cli.ask().unwrap().number, 0);
    assert_eq!(lib.ask().unwrap().number, 0);
    let told = ok(&dir, &["tell", "cli", "0", "--value", "0.5"]);
    assert!(told.contains("COMPLETED with score 0.5"), "{told}");
    let metrics = tuner::trial::Metrics::from([("value".to_owned(), 0.5)]);
    lib.tell(
        0,
        Ok::<_, tuner::tuner::TrialError>(Outcome::Metrics(metrics)),
    )
    .unwrap();
    let untimed = |study: &Study| {
        let mut t = study.trial(0).unwrap();
        t.seconds = 0.0;
        t.plan.attrs.remove(ASKED_AT);
        crate::common::untimed(vec![t]).remove(0)
    };
    assert_eq!(untimed(&cli), untimed(&lib));
    // Asking needs the oracle, which only this program has: the error names it.
    let err = fails(&dir, &["ask", "cli"]);
    assert!(err.contains("oracle `fixed`"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn counts_of_zero_and_a_changed_direction_are_refused_with_the_reason() {
    let dir = with_small_study("cli-rough-edges");
    for cmd in ["best", "summary"] {
        let (code, _, err) = tuner(&dir, &[cmd, "small", "-n", "0"]);
        assert_eq!(code, 2, "a usage error: {err}");
        assert!(
            err.contains("0 trials shows nothing: give 1 or more"),
            "{err}"
        );
    }
    std::fs::write(
        dir.join("one.json"),
        r#"{"params": [{"name": "x", "kind": {"type": "float", "min": 0.0, "max": 1.0}}]}"#,
    )
    .unwrap();
    ok(&dir, &["ask", "bb", "--space", "one.json"]);
    // The study minimises `value`: asking to maximise it is refused, old and new named...
    let err = fails(&dir, &["ask", "bb", "--direction", "maximize"]);
    assert!(
        err.contains("another objective: stored value (minimize), given value (maximize)"),
        "{err}"
    );
    // ... and the direction it has is accepted.
    let asked: serde_json::Value =
        serde_json::from_str(&ok(&dir, &["ask", "bb", "--direction", "minimize"])).unwrap();
    assert_eq!(asked["number"], 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn copy_makes_the_same_study_elsewhere_and_refuses_to_overwrite() {
    let dir = with_small_study("cli-copy");
    let out = ok(&dir, &["copy", "small", "--as", "twin"]);
    assert!(out.contains("copied study `small`"), "{out}");
    // The copy's times are its own (the target storage stamps them).
    let untimed = |study: &str| {
        let mut json: serde_json::Value =
            serde_json::from_str(&ok(&dir, &["trials", study, "--json"])).unwrap();
        for record in json.as_array_mut().unwrap() {
            let record = record.as_object_mut().unwrap();
            assert!(record
                .remove("datetime_start")
                .is_some_and(|t| t.is_string()));
            record.remove("datetime_complete");
        }
        json
    };
    assert_eq!(
        untimed("twin"),
        untimed("small"),
        "params, states, scores and curves survive the copy"
    );
    ok(&dir, &["copy", "small", "--to", "sqlite:///elsewhere.db"]);
    let moved = ok(
        &dir,
        &[
            "best",
            "small",
            "--storage",
            "sqlite:///elsewhere.db",
            "-n",
            "3",
        ],
    );
    assert_eq!(moved, ok(&dir, &["best", "small", "-n", "3"]));
    let err = fails(&dir, &["copy", "small", "--to", "sqlite:///elsewhere.db"]);
    assert!(
        err.contains("already exists in") && err.contains("tuner delete"),
        "{err}"
    );
    let err = fails(&dir, &["copy", "small"]);
    assert!(err.contains("onto itself"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
