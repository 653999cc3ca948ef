//! Objectives on the metrics the training loop reports: `val_auc` tunes end to end and reaches
//! the stored trials; an objective nobody reports fails before any trial, listing what is.

use std::sync::Arc;
use tuner::data::Dataset;
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::trial::{Direction, TrialState};
use tuner::tuner::TunerError;

#[hypermodel]
fn binary_mlp() -> NetSpec {
    NetSpec::input(2)
        .dense(hp_int!(units, 4..=8, step = 4))
        .relu()
        .dense(2)
        .optimizer(Adam::new(hp_float!(lr, 1e-2..=5e-2, log)))
}

/// Two noisy clusters, 25% positives: `n` samples of 2 features.
fn clusters(n: usize, offset: usize) -> Dataset {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in offset..offset + n {
        let positive = i % 4 == 0;
        let jitter = ((i * 7919 % 101) as f32 / 101.0 - 0.5) * 1.6;
        let centre = if positive { 0.6 } else { -0.6 };
        x.extend([centre + jitter, -centre + 0.5 * jitter]);
        y.push(usize::from(positive));
    }
    Dataset::classification(x, vec![2], y, 2).unwrap()
}

fn tuner(objective: &str, name: &str) -> Tuner<tuner::tuner::Typed<BinaryMlp>> {
    Tuner::builder::<BinaryMlp>(RandomSearch::new())
        .objective(objective)
        .max_trials(3)
        .seed(11)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(crate::common::tmp_path(module_path!(), name))
        .quiet(true)
        .build()
        .unwrap()
}

#[test]
fn val_auc_is_maximised_and_reaches_the_stored_trials() {
    let (train, val) = (clusters(160, 0), clusters(80, 1000));
    let mut tuner = tuner("val_auc", "auc");
    assert_eq!(tuner.objectives().direction(), Direction::Maximize);
    tuner
        .search(&train, &val, Fit::default().epochs(4).batch_size(16))
        .unwrap();
    let trials = tuner.trials().unwrap();
    assert_eq!(trials.len(), 3);
    for t in &trials {
        assert_eq!(t.state, TrialState::Completed, "{t:?}");
        let best = t.best_metrics().unwrap();
        let auc = best["val_auc"];
        assert!((0.0..=1.0).contains(&auc), "{best:?}");
        assert_eq!(t.score, Some(auc));
    }
    let best = tuner.best_trials(1).unwrap().remove(0);
    assert!(trials.iter().all(|t| t.score <= best.score));
    assert!(
        best.score.unwrap() > 0.8,
        "separable clusters: {:?}",
        best.score
    );
    let model = tuner.best_models(1).unwrap().remove(0);
    let m = model.evaluate_with(&val, 64, &[Metric::Auc]).unwrap();
    assert_eq!(
        Some(m["auc"]),
        best.score,
        "the checkpoint is the scored epoch"
    );
}

#[test]
fn an_objective_nobody_reports_fails_before_any_trial_with_the_list() {
    let (train, val) = (clusters(40, 0), clusters(20, 500));
    // Inferred as minimised from its name, but no metric of a classifier is an RMSE.
    let mut tuner = tuner("val_rmse", "unreported");
    let err = tuner
        .search(&train, &val, Fit::default().epochs(1))
        .unwrap_err();
    assert!(
        matches!(err, TunerError::UnreportedObjective { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    for name in ["val_rmse", "val_loss", "val_accuracy", "auc", "macro_f1"] {
        assert!(text.contains(name), "{name} not in: {text}");
    }
    assert!(tuner.trials().unwrap().is_empty(), "no trial was stored");
}
