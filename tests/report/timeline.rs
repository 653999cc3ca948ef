//! Trials' start and completion times: stamped by each storage, read back, exported as
//! datetimes, and drawn as the timeline (one bar per trial, coloured by state).

use crate::report_fixture::{scratch, small_space, small_study};
use tuner::objective::Objective;
use tuner::oracle::OracleConfig;
use tuner::report::{self, StudyView};
use tuner::storage::{MemoryStorage, SqliteStorage, Storage, StudyConfig};
use tuner::trial::{Metrics, TrialPlan, TrialState};

/// Two trials finished and one left running, through `storage`; the trials read back.
fn three_trials(storage: &dyn Storage) -> Vec<tuner::trial::Trial> {
    let config = StudyConfig {
        name: "timed".to_owned(),
        space: small_space(),
        objectives: Objective::minimize("loss").into(),
        oracle: OracleConfig::Random,
    };
    storage.open_study(&config, true).unwrap();
    for state in [
        TrialState::Completed,
        TrialState::Failed,
        TrialState::Running,
    ] {
        let mut trial = storage
            .create_trial("timed", None, &mut |_, _| Some(TrialPlan::default()))
            .unwrap()
            .unwrap();
        if state != TrialState::Running {
            trial.history = vec![(0, Metrics::from([("loss".to_owned(), 0.5)]))].into();
            trial.rescore(&config.objectives);
            trial.state = state;
            storage.update_trial("timed", &trial).unwrap();
        }
    }
    storage.trials("timed").unwrap()
}

#[test]
fn every_storage_stamps_starts_and_completions() {
    let dir = scratch("times");
    let sqlite = SqliteStorage::open(dir.join("study.db")).unwrap();
    let memory = MemoryStorage::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for trials in [three_trials(&sqlite), three_trials(&memory)] {
        let (done, failed, running) = (&trials[0], &trials[1], &trials[2]);
        for t in &trials {
            let start = t.datetime_start.expect("every trial has a start");
            let age = now - start.and_utc().timestamp();
            assert!(
                (-5..60).contains(&age),
                "trial {} started at {start} (UTC)",
                t.number
            );
        }
        for t in [done, failed] {
            assert!(t.datetime_complete >= t.datetime_start, "{t:?}");
            assert!(t.duration().is_some_and(|d| (0.0..60.0).contains(&d)));
        }
        assert_eq!(running.datetime_complete, None);
        assert_eq!(running.duration(), None);
        assert!(done.datetime_start <= failed.datetime_start);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn exports_carry_the_times_as_datetimes() {
    let dir = scratch("times-export");
    let db = dir.join("small").join("study.db");
    let config = small_study(&db);
    let trials = SqliteStorage::open(&db).unwrap().trials("small").unwrap();
    let view = StudyView::from_config(&config, &trials);
    let csv = report::export::trials_csv(&view);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let row: Vec<&str> = csv.lines().nth(2).unwrap().split(',').collect();
    assert_eq!(row[at("datetime_start")], "2026-01-15T09:00:05.000000");
    assert_eq!(row[at("datetime_complete")], "2026-01-15T09:00:25.250000");
    let json: serde_json::Value =
        serde_json::from_str(&report::export::trials_json(&view)).unwrap();
    assert_eq!(json[3]["datetime_start"], "2026-01-15T09:00:26.250000");
    assert_eq!(json[3]["datetime_complete"], "2026-01-15T09:00:26.750000");
    assert_eq!(trials[1].duration(), Some(20.25));
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "plots")]
#[test]
fn the_timeline_has_a_bar_per_trial_coloured_by_state() {
    use tuner::report::plot::{self, PlotKind};
    let dir = scratch("timeline");
    let db = dir.join("small").join("study.db");
    let config = small_study(&db);
    let trials = SqliteStorage::open(&db).unwrap().trials("small").unwrap();
    let view = StudyView::from_config(&config, &trials);
    let svg = plot::svg(PlotKind::Timeline, &view).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("plots are well-formed XML");
    let rects = |fill: &str| {
        doc.descendants()
            .filter(|n| n.tag_name().name() == "rect")
            .filter(|n| {
                n.attribute("fill")
                    .is_some_and(|f| f.eq_ignore_ascii_case(fill))
            })
            .count()
    };
    // A bar per trial and a legend box per state: 2 completed, 1 stopped, 1 failed.
    assert_eq!(rects("#1F77B4"), 2 + 1, "completed");
    assert_eq!(rects("#FF7F0E"), 1 + 1, "stopped");
    assert_eq!(rects("#D62728"), 1 + 1, "failed");
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .filter_map(|n| n.text().map(|t| t.trim().to_owned()))
        .collect();
    for label in [
        "COMPLETED (2)",
        "STOPPED (1)",
        "FAILED (1)",
        "time since the first trial started (2026-01-15 09:00:00 UTC)",
        "trial",
    ] {
        assert!(texts.iter().any(|t| t == label), "{label}: {texts:?}");
    }
    // Trial 1 (5 s to 25.25 s) overlaps trial 0 (0 to 12.5 s): its bar starts left of 0's end.
    let bar = |fill: &str, k: usize| -> (f64, f64) {
        let n = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "rect")
            .filter(|n| {
                n.attribute("fill")
                    .is_some_and(|f| f.eq_ignore_ascii_case(fill))
            })
            .nth(k)
            .unwrap();
        let x: f64 = n.attribute("x").unwrap().parse().unwrap();
        let w: f64 = n.attribute("width").unwrap().parse().unwrap();
        (x, x + w)
    };
    let (zero, one) = (bar("#1F77B4", 0), bar("#1F77B4", 1));
    assert!(one.0 < zero.1 && one.1 > zero.1, "{zero:?} {one:?}");

    // Trials built in a program, never stored, have no times and nothing to draw.
    let untimed: Vec<_> = trials
        .iter()
        .cloned()
        .map(|mut t| {
            t.datetime_start = None;
            t
        })
        .collect();
    let err = plot::svg(
        PlotKind::Timeline,
        &StudyView::from_config(&config, &untimed),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("no trial has a start time"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
