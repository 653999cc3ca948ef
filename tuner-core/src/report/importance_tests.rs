use super::*;
use crate::objective::{Objective, Objectives};
use crate::space::{HyperParameters, ParamBuilder, SearchSpace};
use crate::trial::{Metrics, Trial, TrialPlan};
use rand::rngs::ChaCha8Rng;
use rand::SeedableRng;

/// `n` random trials of `space`, scored by `f`, all completed.
fn study_of(
    space: &SearchSpace,
    objectives: &Objectives,
    n: u64,
    f: impl Fn(&HyperParameters) -> f64,
) -> Vec<Trial> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    (0..n)
        .map(|i| {
            let values = space.sample(&mut rng);
            let score = f(&values);
            let mut t = Trial::new(
                i,
                TrialPlan {
                    values,
                    ..TrialPlan::default()
                },
            );
            t.history = vec![(0, Metrics::from([("loss".to_owned(), score)]))].into();
            t.rescore(objectives);
            t.state = TrialState::Completed;
            t
        })
        .collect()
}

#[test]
fn the_parameter_that_sets_the_score_dominates() {
    let space = SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .param(Param::float("noise", 1e-3, 1.0).log())
        .param(Param::choice("c", ["a", "b", "c"]))
        .param(Param::fixed("k", 3))
        .build()
        .unwrap();
    let objectives: Objectives = Objective::minimize("loss").into();
    let trials = study_of(&space, &objectives, 200, |v| {
        let x: f64 = v.get_as("x").unwrap();
        let noise: f64 = v.get_as("noise").unwrap();
        (x - 0.3).powi(2) + 1e-4 * noise
    });
    let view = StudyView::new("t", &space, &objectives, &trials);
    let imp = param_importances(&view);
    assert_eq!(imp[0].0, "x", "{imp:?}");
    assert!(imp[0].1 > 0.6, "{imp:?}");
    assert_eq!(imp.iter().find(|(k, _)| k == "k").unwrap().1, 0.0);
    assert!((imp.iter().map(|(_, v)| v).sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn a_decisive_choice_is_found_and_direction_is_respected() {
    let space = SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .param(Param::choice("c", ["a", "b", "c", "d"]))
        .build()
        .unwrap();
    // Maximised: only choice "b" scores well (a quarter of the trials), x adds a little.
    // Asked what it takes to reach the top fifth, the answer is `c`, not `x`.
    let objectives: Objectives = Objective::maximize("loss").into();
    let trials = study_of(&space, &objectives, 120, |v| {
        let c = v.get_as::<String>("c").unwrap();
        let x: f64 = v.get_as("x").unwrap();
        let hit = if c == "b" { 1.0 } else { 0.0 };
        hit + 0.01 * x
    });
    let view = StudyView::new("t", &space, &objectives, &trials);
    let imp = PedAnova::new().target_quantile(0.2).evaluate(&view);
    assert_eq!(imp[0].0, "c", "{imp:?}");
    assert!(imp[0].1 > 0.5, "{imp:?}");
}

#[test]
fn an_irrelevant_conditional_parameter_stays_unimportant() {
    let space = SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .param(Param::choice("c", ["a", "b"]))
        .scope("c", ["b"], |s| s.param(Param::float("y", 0.0, 1.0)))
        .build()
        .unwrap();
    let objectives: Objectives = Objective::minimize("loss").into();
    let trials = study_of(&space, &objectives, 200, |v| v.get_as::<f64>("x").unwrap());
    let imp = param_importances(&StudyView::new("t", &space, &objectives, &trials));
    assert_eq!(imp[0].0, "x", "{imp:?}");
    assert!(imp[0].1 > 0.6, "{imp:?}");
}

#[test]
fn one_trial_shares_equally() {
    let space = SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .param(Param::boolean("b"))
        .build()
        .unwrap();
    let objectives: Objectives = Objective::minimize("loss").into();
    let trials = study_of(&space, &objectives, 1, |_| 1.0);
    let imp = param_importances(&StudyView::new("t", &space, &objectives, &trials));
    assert_eq!(imp, vec![("x".to_owned(), 0.5), ("b".to_owned(), 0.5)]);
}

#[test]
fn grids_are_optunas() {
    let grid = |p: ParamBuilder| Grid::of(&p.build().unwrap(), 50);
    let steps = |p: ParamBuilder| grid(p).map(|g| g.size());
    // A float range: 50 points; a short int range: one per value; stepped: one per step.
    assert_eq!(steps(Param::float("f", 0.0, 1.0)), Some(50));
    assert_eq!(steps(Param::int("i", 1, 8)), Some(8));
    assert_eq!(steps(Param::int("i", 32, 512).step(32)), Some(16));
    assert_eq!(steps(Param::int("i", 0, 1000)), Some(50));
    // A log int range: ceil(log2(size)) + 1 points, here ceil(log2(1024)) + 1.
    assert_eq!(steps(Param::int("i", 1, 1024).log()), Some(11));
    assert_eq!(steps(Param::choice("c", ["a", "b", "c"])), Some(3));
    assert_eq!(grid(Param::fixed("k", 3)), None);
    assert_eq!(grid(Param::choice("c", ["a"])), None);
    // The nearest point, a midpoint to the lower one: 0.25 * 49 = 12.25 -> 12; on the
    // 3-point grid of [0, 2] step 1, 0.5 goes to point 0.
    let g = grid(Param::float("f", 0.0, 1.0)).unwrap();
    assert_eq!(g.index(&Value::Float(0.25)), Some(12));
    assert_eq!(g.index(&Value::Float(1.0)), Some(49));
    let g = grid(Param::int("i", 0, 2)).unwrap();
    assert_eq!(g.index(&Value::Int(1)), Some(1));
    let g = grid(Param::float("f", 0.0, 2.0).step(1.0)).unwrap();
    assert_eq!(g.index(&Value::Float(0.5)), Some(0));
    assert_eq!(g.index(&Value::Float(0.51)), Some(1));
    // Log ranges are counted in log space: sqrt(10) is a quarter of the way through [1, 100].
    let g = grid(Param::float("f", 1.0, 100.0).log()).unwrap();
    assert_eq!(g.index(&Value::Float(10f64.sqrt())), Some(12));
}

#[test]
fn densities_sum_to_one_and_favour_what_was_seen() {
    let pa = PedAnova::new();
    for categorical in [false, true] {
        let p = pa.density(&[0.0, 3.0, 1.0, 0.0, 0.0, 2.0, 0.0], categorical);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{p:?}");
        assert!(p[1] > p[3] && p[5] > p[6], "{p:?}");
    }
    // Optuna's categorical estimator by hand: counts [2, 0], prior 1: two kernels (the
    // observed choice, the prior), weights 2/3 and 1/3; the observed kernel is
    // (1 + 1/2, 1/2) / 2 and the prior (1/2, 1/2): p = (2/3 * 3/4 + 1/3 * 1/2, ...).
    let p = pa.density(&[2.0, 0.0], true);
    assert!((p[0] - (0.5 + 1.0 / 6.0)).abs() < 1e-12, "{p:?}");
}

#[test]
fn identical_densities_diverge_by_nothing() {
    let p = [0.2, 0.3, 0.5];
    assert!(pearson_divergence(&p, &p).abs() < 1e-9);
    assert!(pearson_divergence(&[0.9, 0.05, 0.05], &p) > 0.5);
}

#[test]
fn the_top_is_the_inverted_cdf_quantile_with_ties() {
    let values = HyperParameters::new();
    let done: Vec<(&HyperParameters, f64)> = (0..30).map(|i| (&values, f64::from(i))).collect();
    // ceil(0.1 * 30) = 3 trials.
    assert_eq!(PedAnova::new().top(&done).iter().filter(|t| **t).count(), 3);
    let tied: Vec<(&HyperParameters, f64)> = (0..30).map(|i| (&values, f64::from(i / 5))).collect();
    // The third-best loss is 0, shared by five trials.
    assert_eq!(PedAnova::new().top(&tied).iter().filter(|t| **t).count(), 5);
}

#[test]
fn scott_width_shrinks_with_concentrated_data() {
    let spread: Vec<(usize, f64)> = (0..10).map(|i| (i, 5.0)).collect();
    assert!(scott_sigma(&spread) > 1.0);
    assert_eq!(scott_sigma(&[(4, 50.0)]), 0.5 / 1.64);
}
