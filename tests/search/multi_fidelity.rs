//! Model-based and asynchronous multi-fidelity search: BOHB (Hyperband's brackets, new
//! configurations from TPE), ASHA with two workers sharing one study, and promotions in
//! multi-objective studies (Pareto-rank based successive halving).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tuner::objective::{Objective, Objectives};
use tuner::oracle::{Asha, Bohb, Hyperband, Oracle, OracleConfig};
use tuner::space::{HyperParameters, Param, SearchSpace};
use tuner::storage::{MemoryStorage, SqliteStorage, Storage};
use tuner::trial::{Metrics, Trial, TrialState};
use tuner::tuner::{TrialContext, TrialError};
use tuner::Tuner;

fn line() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .param(Param::float("y", 0.0, 1.0))
        .build()
        .unwrap()
}

/// A loss whose optimum is at (0.8, 0.3), approached as epochs go by.
fn curve(hp: &HyperParameters, ctx: &mut TrialContext<'_>) -> Result<(), TrialError> {
    let (x, y): (f64, f64) = (hp.get_as("x")?, hp.get_as("y")?);
    let end = ctx
        .epochs()
        .expect("a multi-fidelity oracle sets the budget");
    for epoch in ctx.initial_epoch()..end {
        let loss = (x - 0.8).powi(2) + (y - 0.3).powi(2) + 1.0 / f64::from(epoch + 1);
        ctx.report(epoch, Metrics::from([("val_loss".to_owned(), loss)]));
    }
    Ok(())
}

fn run(oracle: impl Oracle + 'static, name: &str, seed: u64) -> Vec<Trial> {
    let mut tuner = Tuner::for_space(line(), oracle)
        .objective("val_loss")
        .storage(Arc::new(MemoryStorage::new()))
        .directory(crate::common::tmp_path(
            module_path!(),
            &format!("{name}-{seed}"),
        ))
        .seed(seed)
        .quiet(true)
        .build()
        .unwrap();
    tuner.search_fn(curve).unwrap();
    tuner.trials().unwrap()
}

/// The new configurations (round 0) after the first bracket: those a model may have chosen.
fn later_new(trials: &[Trial]) -> Vec<&Trial> {
    let first_bracket = trials[0].plan.attrs["hyperband/bracket"].clone();
    trials
        .iter()
        .filter(|t| t.plan.parent.is_none() && t.plan.attrs["hyperband/bracket"] != first_bracket)
        .collect()
}

fn distance(t: &Trial) -> f64 {
    let v = t.values();
    let (x, y): (f64, f64) = (v.get_as("x").unwrap(), v.get_as("y").unwrap());
    ((x - 0.8).powi(2) + (y - 0.3).powi(2)).sqrt()
}

/// BOHB's model at work: after the first bracket, BOHB's new configurations (two thirds from
/// the model, a third random) lie nearer the optimum than Hyperband's random ones. Three seeds
/// pooled, so one lucky draw cannot decide. With BOHB's good-set rule the pooled median is
/// 0.35 against Hyperband's 0.46; with Optuna's `ceil(0.1 n)` good trials it was farther than
/// random (0.61). The model is fitted on few, pre-selected observations
/// (a budget's trials are the promoted best of the rung below), so no sharper steering is
/// claimed here.
#[test]
fn bohb_keeps_hyperbands_brackets_and_draws_later_configurations_from_the_model() {
    let (mut d_bohb, mut d_hb) = (Vec::new(), Vec::new());
    for seed in [11, 12, 13] {
        let hb = run(Hyperband::new(10).factor(3).iterations(3), "hb", seed);
        let bohb = run(Bohb::new(10).factor(3).iterations(3), "bohb", seed);
        // The same brackets, rounds and budgets: 12x2, 4x4, 2x10 / 6x4, 2x10 / 4x10, three
        // times.
        assert_eq!(bohb.len(), 3 * 30);
        let shape = |ts: &[Trial]| -> Vec<(u32, Option<u32>, bool)> {
            ts.iter()
                .map(|t| (t.plan.initial_epoch, t.plan.epochs, t.plan.parent.is_some()))
                .collect()
        };
        assert_eq!(shape(&bohb), shape(&hb));
        // While no budget has d + 2 = 4 observations, BOHB draws what Hyperband draws.
        for (a, b) in bohb.iter().zip(&hb).take(4) {
            assert_eq!(a.values(), b.values());
        }
        d_bohb.extend(later_new(&bohb).into_iter().map(distance));
        d_hb.extend(later_new(&hb).into_iter().map(distance));
    }
    let (m_bohb, m_hb) = (median(d_bohb), median(d_hb));
    assert!(
        m_bohb < 0.85 * m_hb,
        "median distance of BOHB's later configurations {m_bohb:.3} vs Hyperband's {m_hb:.3}"
    );
}

fn median(mut d: Vec<f64>) -> f64 {
    d.sort_by(f64::total_cmp);
    d[d.len() / 2]
}

#[test]
fn bohb_with_every_configuration_random_is_hyperband() {
    let hb = run(Hyperband::new(9).factor(3), "hb_same", 11);
    let bohb = run(
        Bohb::new(9).factor(3).random_fraction(1.0),
        "bohb_random",
        11,
    );
    let plans = |ts: &[Trial]| ts.iter().map(|t| t.plan.clone()).collect::<Vec<_>>();
    assert_eq!(plans(&bohb), plans(&hb));
}

#[test]
fn bohb_and_asha_settings_are_stored_and_a_resume_with_others_is_refused() {
    let dir = crate::common::tmp(module_path!(), "bohb_resume");
    let build = |oracle: Box<dyn Oracle>| {
        Tuner::for_space(line(), oracle)
            .objective("val_loss")
            .directory(&dir)
            .project_name("study")
            .quiet(true)
            .build()
    };
    let tuner = build(Box::new(Bohb::new(9).random_fraction(0.25))).unwrap();
    let stored = tuner.study().config().oracle.clone();
    assert_eq!(
        stored,
        OracleConfig::Bohb {
            max_epochs: 9,
            factor: 3,
            hyperband_iterations: 1,
            random_fraction: 0.25,
            min_points: None
        }
    );
    drop(tuner);
    assert!(build(Box::new(Bohb::new(9).random_fraction(0.25))).is_ok());
    let err = build(Box::new(Bohb::new(9).random_fraction(0.5)))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("bohb setting `random_fraction`"), "{err}");
    let err = build(Box::new(Asha::new(9))).err().unwrap().to_string();
    assert!(err.contains("oracle"), "{err}");
    let asha = Asha::new(27).min_epochs(3).factor(3).config();
    let json = asha.to_json();
    assert_eq!(json["name"], "asha");
    assert_eq!(serde_json::from_value::<OracleConfig>(json).unwrap(), asha);
}

/// One ASHA worker on the shared SQLite study; returns how many trials it ran.
fn asha_worker(db: &std::path::Path, dir: &std::path::Path) -> u64 {
    let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(db).unwrap());
    let mut tuner = Tuner::for_space(line(), Asha::new(9).min_epochs(1).factor(3))
        .objective("val_loss")
        .storage(storage)
        .directory(dir)
        .project_name("asha")
        .max_trials(40)
        .seed(2)
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp, ctx| {
            // A trial takes a moment, as a model would, so both workers have trials running.
            std::thread::sleep(std::time::Duration::from_millis(15));
            curve(hp, ctx)
        })
        .unwrap()
        .trials
}

#[test]
fn asha_promotes_without_waiting_with_two_workers_on_one_study() {
    let dir = crate::common::tmp(module_path!(), "asha");
    let db = dir.join("study.db");
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (db, dir) = (db.clone(), dir.clone());
            std::thread::spawn(move || asha_worker(&db, &dir))
        })
        .collect();
    let ran: Vec<u64> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    assert!(
        ran.iter().all(|n| *n > 0),
        "both workers ran trials: {ran:?}"
    );
    let storage = SqliteStorage::open(&db).unwrap();
    let trials = storage.trials("asha").unwrap();
    assert_eq!(trials.len(), 40);
    assert_eq!(ran.iter().sum::<u64>(), 40);
    assert!(trials.iter().all(|t| t.state == TrialState::Completed));
    let rung = |t: &Trial| t.plan.attrs["asha/rung"].as_int().unwrap();
    let by_number: HashMap<u64, &Trial> = trials.iter().map(|t| (t.number, t)).collect();
    let mut parents = HashSet::new();
    for t in trials.iter().filter(|t| t.plan.parent.is_some()) {
        let parent = by_number[&t.plan.parent.unwrap()];
        assert!(parents.insert(parent.number), "promoted once");
        assert_eq!(rung(parent) + 1, rung(t));
        assert_eq!(parent.values(), t.values());
        assert_eq!(parent.plan.epochs, Some(t.plan.initial_epoch));
        // At its promotion, the parent was among the best third of its rung's completed
        // trials: of the n done then, at most floor(n / 3) - 1 beat it.
        let rivals: Vec<&Trial> = trials
            .iter()
            .filter(|o| o.number < t.number && rung(o) == rung(parent))
            .collect();
        let better = rivals
            .iter()
            .filter(|o| o.score.unwrap() < parent.score.unwrap())
            .count();
        // (With two workers at most one rival, the other worker's trial, was still running.)
        assert!(
            better <= rivals.len() / 3,
            "trial {} promoted",
            parent.number
        );
    }
    // Rungs at 1, 3 and 9 epochs; some trial reached the top one (ASHA never waits for a rung
    // to fill).
    assert!(trials
        .iter()
        .any(|t| rung(t) == 2 && t.plan.epochs == Some(9)));
}

#[test]
fn several_objectives_promote_whole_pareto_fronts_first() {
    let objectives =
        Objectives::new(vec![Objective::minimize("f1"), Objective::minimize("f2")]).unwrap();
    let mut tuner = Tuner::for_space(line(), Hyperband::new(10).factor(3))
        .objectives(objectives.list().to_vec())
        .storage(Arc::new(MemoryStorage::new()))
        .directory(crate::common::tmp_path(module_path!(), "mo"))
        .seed(4)
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp, ctx| {
            let (x, y): (f64, f64) = (hp.get_as("x")?, hp.get_as("y")?);
            for epoch in ctx.initial_epoch()..ctx.epochs().unwrap() {
                let slow = 1.0 / f64::from(epoch + 1);
                ctx.report(
                    epoch,
                    Metrics::from([
                        ("f1".to_owned(), x + slow),
                        ("f2".to_owned(), 1.0 - x + y + slow),
                    ]),
                );
            }
            Ok::<_, TrialError>(())
        })
        .unwrap();
    let trials = tuner.trials().unwrap();
    // Round 0 of the first bracket: 12 trials, 4 promoted.
    let round0: Vec<&Trial> = trials
        .iter()
        .filter(|t| t.plan.epochs == Some(2) && t.plan.parent.is_none())
        .collect();
    assert_eq!(round0.len(), 12);
    let promoted: HashSet<u64> = trials
        .iter()
        .filter(|t| t.plan.initial_epoch == 2)
        .map(|t| t.plan.parent.unwrap())
        .collect();
    assert_eq!(promoted.len(), 4);
    let last = |t: &Trial| t.history.last().unwrap().1.clone();
    let points: Vec<Metrics> = round0.iter().map(|t| last(t)).collect();
    // No trial left behind dominates a promoted one.
    for (a, pa) in round0.iter().zip(&points) {
        for (b, pb) in round0.iter().zip(&points) {
            if promoted.contains(&a.number) && !promoted.contains(&b.number) {
                assert!(
                    !objectives.dominates(pb, pa),
                    "{} beats promoted {}",
                    b.number,
                    a.number
                );
            }
        }
    }
    // The first front goes on whole when it fits, and otherwise fills every place.
    let front: Vec<u64> = objectives
        .pareto_front(&points)
        .into_iter()
        .map(|i| round0[i].number)
        .collect();
    let kept = front.iter().filter(|n| promoted.contains(n)).count();
    assert_eq!(
        kept,
        front.len().min(4),
        "front {front:?}, promoted {promoted:?}"
    );
}
