//! Golden outputs of the reports on a fixed small study: KerasTuner's summary, CSV and JSON.
//! `TUNER_BLESS=1 cargo test --test report_golden` rewrites the files after a deliberate change.

use crate::report_fixture::{scratch, small_study};
use std::path::Path;
use tuner::report::{self, StudyView};
use tuner::storage::{SqliteStorage, Storage};

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/report_golden")
        .join(name);
    if std::env::var_os("TUNER_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with TUNER_BLESS=1 to write it)",
            path.display()
        )
    });
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

#[test]
fn summary_csv_and_json_of_the_small_study() {
    let dir = scratch("golden");
    let db = dir.join("small").join("study.db");
    let config = small_study(&db);
    let trials = SqliteStorage::open(&db).unwrap().trials("small").unwrap();
    let view = StudyView::from_config(&config, &trials);

    golden(
        "summary.txt",
        &report::results_summary(&view, "tuning/small", 10),
    );
    golden("trials.csv", &report::export::trials_csv(&view));
    golden("trials.json", &report::export::trials_json(&view));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn exported_json_reads_back_into_records() {
    let dir = scratch("golden-roundtrip");
    let db = dir.join("small").join("study.db");
    let config = small_study(&db);
    let trials = SqliteStorage::open(&db).unwrap().trials("small").unwrap();
    let view = StudyView::from_config(&config, &trials);
    let back: Vec<report::export::TrialRecord> =
        serde_json::from_str(&report::export::trials_json(&view)).unwrap();
    assert_eq!(back, report::export::trial_records(&view));
    // Per-metric best values follow each metric's direction, not the best epoch: trial 0's
    // lowest loss (0.5) is from epoch 2, its best val_accuracy (0.8) from epoch 1.
    assert_eq!(back[0].metrics["loss"], 0.5);
    assert_eq!(back[0].metrics["val_accuracy"], 0.8);
    assert_eq!(back[0].metrics["val_loss"], 0.55);
    std::fs::remove_dir_all(&dir).ok();
}
