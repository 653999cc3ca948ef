//! The quality benchmark's reduced mode, in-process: only robust facts are asserted.

#[path = "../../examples/oracle_quality.rs"]
#[allow(dead_code)]
mod quality;

#[test]
fn bayesian_and_tpe_beat_random_search_on_branin() {
    let settings = quality::Settings {
        seeds: 3,
        trials: vec![30],
        only: vec!["branin".to_owned()],
        oracles: vec!["random".to_owned(), "bayesian".to_owned(), "tpe".to_owned()],
    };
    let results = quality::quality(&settings);
    let median = |oracle: &str| {
        let runs = &results[&("branin".to_owned(), oracle.to_owned())];
        assert_eq!(runs.len(), 3);
        assert!(runs.iter().all(|r| r.regret.len() == 30));
        quality::median_regret(runs, 30)
    };
    let (random, bo, tpe) = (median("random"), median("bayesian"), median("tpe"));
    assert!(bo < random, "BO {bo} vs random {random}");
    assert!(tpe < random, "TPE {tpe} vs random {random}");
    // The GP models Branin well: far below random after 30 trials.
    assert!(bo < 0.05, "BO regret {bo}");
}

/// A random search on `(x - 0.3)^2` plus small alternating noise, one trial (the 26th) a lucky
/// draw of -0.5 far from the minimum; returns the tuner after 60 trials.
fn noisy_search(lucky: bool) -> tuner::Tuner {
    use std::sync::Arc;
    use tuner::oracle::RandomSearch;
    use tuner::space::{HyperParameters, Param, SearchSpace};
    use tuner::tuner::TrialError;
    let space = SearchSpace::builder()
        .param(Param::float("x", 0.0, 1.0))
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("tuner-best-predicted-{}", std::process::id()));
    let mut tuner = tuner::Tuner::for_space(space, RandomSearch::new())
        .objective("loss")
        .max_trials(60)
        .seed(3)
        .storage(Arc::new(tuner::storage::MemoryStorage::new()))
        .directory(&dir)
        .project_name(format!("best-predicted-{lucky}"))
        .quiet(true)
        .build()
        .unwrap();
    let mut k = 0;
    tuner
        .search_fn(|hp: &HyperParameters, _| {
            let x: f64 = hp.get_as("x")?;
            k += 1;
            let noise = if !lucky {
                0.0
            } else if k == 26 {
                -0.5
            } else if k % 2 == 0 {
                0.03
            } else {
                -0.03
            };
            Ok::<_, TrialError>((x - 0.3).powi(2) + noise)
        })
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    tuner
}

#[test]
fn best_predicted_passes_over_a_lucky_draw() {
    let tuner = noisy_search(true);
    let observed = &tuner.best_trials(1).unwrap()[0];
    assert_eq!(
        observed.number, 25,
        "the lucky draw is the best observation"
    );
    let predicted = tuner.best_predicted().unwrap();
    assert_ne!(predicted.number, 25);
    // Within the noise (+-0.03) of the minimum.
    let x: f64 = predicted.values().get_as("x").unwrap();
    assert!(
        (x - 0.3).powi(2) < 0.03,
        "best predicted x = {x} (trial {})",
        predicted.number
    );
}

#[test]
fn best_predicted_is_the_best_observation_without_noise() {
    let tuner = noisy_search(false);
    let observed = tuner.best_trials(1).unwrap()[0].number;
    assert_eq!(tuner.best_predicted().unwrap().number, observed);
}

#[test]
fn tpe_leaves_the_deceptive_branch_of_a_conditional_space() {
    // Branch `a` looks better at first but its best is 0.5; `b` reaches 0.
    let results = quality::conditional::results(&["tpe".to_owned()], 3, 100);
    let (_, runs, shares) = &results[0];
    for run in runs {
        let best = *run.regret.last().unwrap();
        assert!(best < quality::conditional::BRANCH_A_BEST, "best {best}");
    }
    // Random search spends half of its trials in each branch.
    let mean = shares.iter().sum::<f64>() / shares.len() as f64;
    assert!(mean < 0.4, "{shares:?} of the trials in branch a");
}
