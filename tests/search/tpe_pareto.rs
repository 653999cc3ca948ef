//! The multi-objective TPE (Optuna's MOTPE): on a history whose good trials are known by hand,
//! the split by Pareto fronts steers the search where the summed losses would not; and it
//! beats random search on ZDT1 through the tuner loop.

use std::sync::Arc;
use tuner::objective::{hypervolume, Objective, Objectives};
use tuner::oracle::{MultiObjectiveSplit, Oracle, OracleContext, RandomSearch, Suggestion, Tpe};
use tuner::space::{HyperParameters, Param, SearchSpace, Value};
use tuner::storage::MemoryStorage;
use tuner::trial::{Metrics, Trial, TrialPlan, TrialState};
use tuner::tuner::TrialError;
use tuner::Tuner;

fn line() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .build()
        .unwrap()
}

fn objectives() -> Objectives {
    Objectives::new(vec![Objective::minimize("a"), Objective::minimize("b")]).unwrap()
}

fn completed(number: u64, x: f64, a: f64, b: f64, objectives: &Objectives) -> Trial {
    let mut values = HyperParameters::new();
    values.insert("x", Value::Float(x));
    let mut t = Trial::new(
        number,
        TrialPlan {
            values,
            ..TrialPlan::default()
        },
    );
    t.history
        .insert(0, Metrics::from([("a".into(), a), ("b".into(), b)]));
    t.rescore(objectives);
    t.state = TrialState::Completed;
    t
}

/// 30 trials, so 3 good ones (Optuna's `ceil(0.1 n)`). The whole first front is at x near
/// 0.12: losses (0, 100), (100, 0) and (40, 40). Near x = 0.85 two trials are dominated by
/// (40, 40) but have the next smallest sums (81, 82), and 25 poor trials (sums of 180 and
/// more) spread over [0.2, 0.7]. By fronts the good trials are the three near 0.12; by
/// summed losses, (40, 40) and the two near 0.85.
fn history(objectives: &Objectives) -> Vec<Trial> {
    let mut trials = vec![
        completed(0, 0.10, 0.0, 100.0, objectives),
        completed(1, 0.12, 100.0, 0.0, objectives),
        completed(2, 0.14, 40.0, 40.0, objectives),
        completed(3, 0.85, 40.5, 40.5, objectives),
        completed(4, 0.86, 41.0, 41.0, objectives),
    ];
    for k in 0..25u64 {
        let x = 0.2 + 0.5 * k as f64 / 24.0;
        trials.push(completed(5 + k, x, 90.0 + k as f64, 90.0, objectives));
    }
    trials
}

/// Where `oracle` goes next from that history, over 20 seeds.
fn next_xs(oracle: &Tpe) -> Vec<f64> {
    let space = line();
    let objectives = objectives();
    let trials = history(&objectives);
    (0..20)
        .map(|seed| {
            let ctx = OracleContext {
                space: &space,
                objectives: &objectives,
                trials: &trials,
                seed,
            };
            let Suggestion::Try(plan) = oracle.suggest(&ctx) else {
                panic!("a continuous space never runs out")
            };
            plan.values.get_as::<f64>("x").unwrap()
        })
        .collect()
}

#[test]
fn motpe_samples_near_the_first_front_where_the_sum_would_not() {
    for split in [
        MultiObjectiveSplit::HypervolumeWeights,
        MultiObjectiveSplit::UniformWeights,
    ] {
        let xs = next_xs(&Tpe::new().multi_objective(split));
        let near_front = xs.iter().filter(|x| **x < 0.3).count();
        assert!(
            near_front >= 17,
            "{split:?}: {near_front} of 20 near the front: {xs:?}"
        );
    }
    // Summing the losses makes two of the three good trials those near 0.85.
    let xs = next_xs(&Tpe::new().multi_objective(MultiObjectiveSplit::Sum));
    let near_sum = xs.iter().filter(|x| **x > 0.7).count();
    assert!(near_sum >= 10, "{near_sum} of 20 near 0.85: {xs:?}");
}

/// ZDT1 in 6 dimensions through the tuner loop: the front's hypervolume under (1.1, 11).
fn zdt1(oracle: Box<dyn Oracle>, seed: u64) -> f64 {
    let mut space = SearchSpace::builder();
    for i in 0..6 {
        space = space.param(Param::float(format!("x{i}"), 0.0, 1.0));
    }
    let mut tuner = Tuner::for_space(space.build().unwrap(), oracle)
        .objectives([Objective::minimize("f1"), Objective::minimize("f2")])
        .storage(Arc::new(MemoryStorage::new()))
        .directory(crate::common::tmp_path(
            module_path!(),
            &format!("zdt1-{seed}"),
        ))
        .max_trials(80)
        .seed(seed)
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, _| {
            let x: Vec<f64> = (0..6)
                .map(|i| hp.get_as::<f64>(&format!("x{i}")))
                .collect::<Result<_, _>>()?;
            let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / 5.0;
            let f2 = g * (1.0 - (x[0] / g).sqrt());
            Ok::<_, TrialError>(Metrics::from([("f1".into(), x[0]), ("f2".into(), f2)]))
        })
        .unwrap();
    let hv = tuner.hypervolume_history(&[1.1, 11.0]).unwrap();
    let points: Vec<Vec<f64>> = tuner
        .pareto_front()
        .unwrap()
        .iter()
        .map(|t| {
            let m = t.best_metrics().unwrap();
            vec![m["f1"], m["f2"]]
        })
        .collect();
    // The history's last value is the front's hypervolume.
    let last = hv.last().unwrap().1;
    assert!((last - hypervolume(&points, &[1.1, 11.0])).abs() < 1e-9);
    last
}

#[test]
fn motpe_beats_random_search_on_zdt1() {
    let mut wins = 0;
    for seed in 0..3 {
        let tpe = zdt1(Box::new(Tpe::new()), seed);
        let random = zdt1(Box::new(RandomSearch::new()), seed);
        wins += usize::from(tpe > random);
    }
    assert_eq!(wins, 3, "MOTPE beat random search on {wins} of 3 seeds");
}
