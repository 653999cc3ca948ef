//! The `model_selection` example's conditional model: every trial holds exactly the live
//! branch's parameters, whether drawn from the space or run by a tuner.

#[path = "../../examples/model_selection.rs"]
#[allow(dead_code)]
mod example;

use example::{ModelSelection, ModelSelectionParams};
use rand::rngs::ChaCha8Rng;
use rand::SeedableRng;
use std::collections::BTreeSet;
use std::sync::Arc;
use tuner::data::fashion_mnist;
use tuner::nn::{Fit, LayerSpec};
use tuner::oracle::BayesianOptimization;
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::trial::TrialState;
use tuner::Tuner;

/// The names a trial must hold given its values, from the model's own rules: the branch's
/// parameters, per-layer ones up to the layer count, and the shared learning rate.
fn expected_names(values: &HyperParameters) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = ["model_type", "learning_rate"]
        .into_iter()
        .map(String::from)
        .collect();
    match values.get_as::<String>("model_type").unwrap().as_str() {
        "mlp" => {
            let n = values.get_as::<i64>("mlp_layers").unwrap();
            names.extend(["mlp_layers".into(), "mlp_dropout".into()]);
            names.extend((0..n).map(|i| format!("mlp_units_{i}")));
        }
        _ => {
            let n = values.get_as::<i64>("cnn_blocks").unwrap();
            names.extend(["cnn_blocks", "cnn_kernel", "cnn_global_pool"].map(String::from));
            names.extend((0..n).map(|i| format!("cnn_filters_{i}")));
        }
    }
    names
}

fn names(values: &HyperParameters) -> BTreeSet<String> {
    values.iter().map(|(n, _)| n.to_owned()).collect()
}

/// Typed params agree with the branch: the other branch's fields are `None`.
fn check_typed(p: &ModelSelectionParams) {
    let mlp = p.model_type == "mlp";
    assert_eq!(p.mlp_layers.is_some(), mlp, "{p:?}");
    assert_eq!(p.mlp_dropout.is_some(), mlp, "{p:?}");
    assert_eq!(p.cnn_blocks.is_some(), !mlp, "{p:?}");
    assert_eq!(p.cnn_kernel.is_some(), !mlp, "{p:?}");
    let convs = ModelSelection::build(p)
        .layers
        .iter()
        .filter(|l| matches!(l, LayerSpec::Conv2d { .. }))
        .count();
    assert_eq!(convs as i64, p.cnn_blocks.unwrap_or(0), "{p:?}");
}

#[test]
fn sampled_trials_hold_only_the_live_branch() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        let values = ModelSelection::space().sample(&mut rng);
        assert_eq!(names(&values), expected_names(&values));
        let p = ModelSelection::params_from(&values).unwrap();
        check_typed(&p);
        ModelSelection::build(&p).validate().unwrap();
        seen.insert(p.model_type.clone());
    }
    assert_eq!(seen.len(), 2, "both branches drawn");
}

#[test]
fn a_bayesian_search_records_only_the_live_branch() {
    let (train, _) = fashion_mnist::load_shipped().unwrap();
    let (fit_part, rest) = train.split_at(256);
    let val = rest.take(128);
    let mut tuner = Tuner::builder::<ModelSelection>(BayesianOptimization::new())
        .objective("val_accuracy")
        .max_trials(8)
        .seed(3)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(std::env::temp_dir().join(format!("tuner-models-sel-{}", std::process::id())))
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search(&fit_part, &val, Fit::default().batch_size(64).epochs(1))
        .unwrap();
    let trials = tuner.trials().unwrap();
    assert_eq!(trials.len(), 8);
    let mut seen = BTreeSet::new();
    for t in &trials {
        assert_eq!(t.state, TrialState::Completed, "{:?}", t.message);
        assert_eq!(names(t.values()), expected_names(t.values()));
        ModelSelection::space().check(t.values()).unwrap();
        let p = ModelSelection::params_from(t.values()).unwrap();
        check_typed(&p);
        seen.insert(p.model_type);
    }
    assert_eq!(seen.len(), 2, "both branches tried");
    std::fs::remove_dir_all(tuner.dir()).ok();
}
