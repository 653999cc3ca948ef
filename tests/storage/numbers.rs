//! Trial numbers on PostgreSQL, where creates store without the study lock (a counter of trial
//! numbers swapped in the statement that inserts the trial) and fall back to it after lost
//! turns: under concurrent creates, slow deciders among them, and whatever a hand edit left
//! in the counter (gone, behind, ahead, not a number), numbers stay unique and contiguous,
//! and every decision stored was taken on all the trials before it.

use std::sync::Arc;
use std::time::Duration;
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::{self, Storage};
use tuner::trial::{Trial, TrialPlan};
use tuner::Tuner;

/// The study attribute holding the number the next trial takes (the storage's own key).
const COUNTER: &str = "tuner/next_number";

/// A plan recording how many trials its decision saw.
fn plan(seen: usize) -> TrialPlan {
    let mut values = HyperParameters::new();
    values.insert("seen", seen as i64);
    TrialPlan {
        values,
        ..TrialPlan::default()
    }
}

/// Creates one trial through `handle`, deciding in `delay`.
fn create(handle: &dyn Storage, study: &str, delay: Duration) -> Trial {
    handle
        .create_trial(study, None, &mut |trials, _| {
            std::thread::sleep(delay);
            Some(plan(trials.len()))
        })
        .expect("a create succeeds")
        .expect("the decider always decides")
}

/// Numbers 0..n, once each, and each trial decided on exactly the trials before it.
fn assert_contiguous_and_decided_on_all(trials: &[Trial], n: usize) {
    let mut numbers: Vec<u64> = trials.iter().map(|t| t.number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (0..n as u64).collect::<Vec<_>>());
    for t in trials {
        let seen = t.values().get_as::<i64>("seen").unwrap();
        assert_eq!(
            seen, t.number as i64,
            "trial {} was decided on {seen} trials",
            t.number
        );
    }
}

#[test]
fn trial_numbers_stay_contiguous_on_postgres_whatever_the_counter_holds() {
    let test = "trial_numbers_stay_contiguous_on_postgres_whatever_the_counter_holds";
    let Some(url) = crate::workers::postgres_url(test) else {
        return;
    };
    let study = format!("numbers-{}", std::process::id());
    let space = SearchSpace::builder()
        .param(Param::int("seen", 0, 1_000_000))
        .build()
        .unwrap();
    let dir = crate::common::tmp(module_path!(), "numbers");
    Tuner::for_space(space, tuner::oracle::RandomSearch::new())
        .objective("loss")
        .storage_url(&url)
        .directory(&dir)
        .project_name(&study)
        .overwrite(true)
        .quiet(true)
        .build()
        .unwrap();
    // Four handles, four sessions: each one's reads go stale as the others create.
    let handles: Vec<Arc<dyn Storage>> = (0..4).map(|_| storage::open(&url).unwrap()).collect();
    std::thread::scope(|s| {
        for (i, handle) in handles.iter().enumerate() {
            let study = &study;
            // One decider slower than a decision taken again under the lock (20 ms).
            let delay = Duration::from_millis(if i == 3 { 30 } else { 0 });
            s.spawn(move || {
                for _ in 0..if i == 3 { 5 } else { 25 } {
                    create(handle.as_ref(), study, delay);
                }
            });
        }
    });
    let mut n = 80;
    assert_contiguous_and_decided_on_all(&handles[0].trials(&study).unwrap(), n);

    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let counter = |db: &mut postgres::Client| -> Option<String> {
        db.query_opt(
            "SELECT a.value_json FROM study_system_attributes a JOIN studies s \
             ON s.study_id = a.study_id WHERE s.study_name = $1 AND a.key = $2",
            &[&study, &COUNTER],
        )
        .unwrap()
        .map(|r| r.get(0))
    };
    assert_eq!(counter(&mut db), Some(n.to_string()));
    let edits = [
        ("gone", "DELETE FROM study_system_attributes"),
        (
            "behind",
            "UPDATE study_system_attributes SET value_json = '0'",
        ),
        (
            "ahead",
            "UPDATE study_system_attributes SET value_json = '100000'",
        ),
        (
            "not a number",
            "UPDATE study_system_attributes SET value_json = 'x'",
        ),
    ];
    for (what, edit) in edits {
        db.execute(
            &format!(
                "{edit} WHERE key = $1 AND study_id = \
                 (SELECT study_id FROM studies WHERE study_name = $2)"
            ),
            &[&COUNTER, &study],
        )
        .unwrap();
        // Alternating handles, and two at once: every create reads a changed study.
        for round in 0..4 {
            create(handles[round % 4].as_ref(), &study, Duration::ZERO);
        }
        std::thread::scope(|s| {
            for handle in &handles[..2] {
                let study = &study;
                s.spawn(move || {
                    for _ in 0..5 {
                        create(handle.as_ref(), study, Duration::ZERO);
                    }
                });
            }
        });
        n += 14;
        let trials = handles[1].trials(&study).unwrap();
        assert_contiguous_and_decided_on_all(&trials, n);
        assert_eq!(counter(&mut db), Some(n.to_string()), "counter {what}");
    }
    handles[0].delete_study(&study).unwrap();
}
