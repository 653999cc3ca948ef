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
