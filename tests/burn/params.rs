//! A trial's typed params reach the burn module: its widths and learning rate are the ones
//! the trial's params say, and the counted parameters match the module's.

use crate::models::{data, tmp, Small, SmallParams};
use std::sync::Arc;
use tuner::oracle::RandomSearch;
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::Tuner;

#[test]
fn widths_and_learning_rate_are_the_trials_params() {
    let _serial = crate::models::serial();
    let (train, val) = data();
    let mut tuner = Tuner::builder::<Small>(RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(4)
        .seed(3)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp(module_path!(), "params"))
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search(&train, &val, Fit::default().epochs(1).batch_size(64))
        .unwrap();
    let trials = tuner.trials().unwrap();
    assert_eq!(trials.len(), 4);
    for t in &trials {
        let params: SmallParams = tuner.params_of(t).unwrap();
        let net = tuner.load_model(t).unwrap();
        let module = net.module();
        let widths: Vec<usize> = module.hidden.iter().map(|l| l.weight.dims()[1]).collect();
        let wanted: Vec<usize> = params.units.iter().map(|&u| u as usize).collect();
        assert_eq!(widths, wanted, "trial {}", t.number);
        assert_eq!(widths.len() as i64, params.depth);
        assert_eq!(module.hidden[0].weight.dims()[0], 784);
        assert_eq!(module.output.weight.dims(), [*widths.last().unwrap(), 10]);
        assert_eq!(net.spec().learning_rate, params.lr, "trial {}", t.number);
        assert_eq!(module.dropout.prob, params.dropout);
        // The counted parameters are the module's: weights and biases of every layer.
        let mut expected = 0;
        let mut width = 784;
        for &u in widths.iter().chain([10].iter()) {
            expected += width * u + u;
            width = u;
        }
        assert_eq!(net.num_params(), expected);
    }
    assert!(trials.iter().all(|t| t.history.len() == 1));
}

#[test]
fn max_model_size_fails_too_large_burn_models_before_training() {
    let _serial = crate::models::serial();
    let (train, val) = data();
    let mut tuner = Tuner::builder::<Small>(RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(3)
        .seed(4)
        // Any model here has at least 784 * 16 + 16 + 16 * 10 + 10 parameters.
        .max_model_size(1000)
        .max_consecutive_failed_trials(10)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp(module_path!(), "size"))
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search(&train, &val, Fit::default().epochs(1).batch_size(64))
        .unwrap();
    let trials = tuner.trials().unwrap();
    assert!(!trials.is_empty());
    for t in &trials {
        assert_eq!(t.state, tuner::trial::TrialState::Failed, "{t:?}");
        assert!(t
            .message
            .as_deref()
            .unwrap()
            .contains("max_model_size (1000)"));
        assert!(t.history.is_empty(), "nothing was trained");
    }
}
