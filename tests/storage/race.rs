//! A worker finishing its trial while another fails it as stale, at once, many times: exactly
//! one outcome is recorded each time, and the loser is told so (never another error).

use crate::duress::{postgres_url, sqlite_url, tmp, tuner};
use std::io::Write;
use std::time::Duration;
use tuner::storage::{self, StorageError};
use tuner::trial::TrialState;

/// Races an owner's finish against another handle's stale verdict, 30 times.
fn finish_retry_race(url: &str, study: &str) {
    let dir = tmp(study);
    let setup = tuner(url, study, &dir, 1000, true);
    let a = storage::open(url).unwrap();
    let b = storage::open(url).unwrap();
    let plan = tuner::trial::TrialPlan::default();
    let grace = Duration::from_millis(40);
    let (mut finished, mut failed) = (0, 0);
    for round in 0..30u64 {
        let mut trial = a
            .create_trial(study, None, &mut |_, _| Some(plan.clone()))
            .unwrap()
            .unwrap();
        std::thread::sleep(grace + Duration::from_millis(round % 7));
        let finisher = std::thread::spawn({
            let a = a.clone();
            let study = study.to_owned();
            let mut t = trial.clone();
            move || {
                std::thread::sleep(Duration::from_micros(round * 97 % 3000));
                t.state = TrialState::Completed;
                t.score = Some(1.0);
                a.update_trial(&study, &t)
            }
        });
        let mut retried_now = None;
        b.create_trial(study, Some(grace), &mut |trials, stale| {
            retried_now = stale;
            stale.map(|n| storage::retry_plan(&trials[n as usize]))
        })
        .unwrap();
        let by_owner = finisher.join().unwrap();
        let stored = &a.trials(study).unwrap()[trial.number as usize];
        match (by_owner, retried_now) {
            (Ok(()), None) => {
                assert_eq!(stored.state, TrialState::Completed);
                finished += 1;
            }
            (Err(StorageError::Finished { .. }), Some(n)) => {
                assert_eq!(n, trial.number);
                assert_eq!(stored.state, TrialState::Failed);
                failed += 1;
                // The retry stands in for it: finish it so the next round starts clean.
                trial = a.trials(study).unwrap().pop().unwrap();
                trial.state = TrialState::Completed;
                trial.score = Some(1.0);
                a.update_trial(study, &trial).unwrap();
            }
            other => panic!("round {round}: two outcomes or an error: {other:?}"),
        }
    }
    drop(setup);
    let _ = writeln!(
        std::io::stderr(),
        "{url}: finish/stale race, 30 rounds: {finished} finished by the owner, {failed} \
         failed and retried, never both"
    );
}

#[test]
fn finishing_and_failing_as_stale_at_once_record_exactly_one_outcome_on_sqlite() {
    finish_retry_race(&sqlite_url("race"), "race");
}

#[test]
fn finishing_and_failing_as_stale_at_once_record_exactly_one_outcome_on_postgres() {
    let Some(url) = postgres_url("finishing_and_failing_as_stale_at_once_..._on_postgres") else {
        return;
    };
    finish_retry_race(&url, "duress_race");
}
