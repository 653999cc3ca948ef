//! Hyperband promotions of burn trials continue the parent's checkpoint (weights and Adam's
//! state): parent epochs 0..2 plus child epochs 2..4 give the metrics of one run of 0..4.

use crate::models::{data, tmp, MlpConfig, Small, SmallParams};
use std::sync::Arc;
use tuner::burn::BurnNet;
use tuner::model::{ModelSpec, Trainable};
use tuner::oracle::Hyperband;
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::trial::TrialState;
use tuner::tuner::{CHECKPOINT, LAST_CHECKPOINT};
use tuner::Tuner;

#[test]
fn a_promoted_burn_trial_continues_as_one_trained_straight() {
    let _serial = crate::models::serial();
    let (train, val) = data();
    let fit = Fit::default().batch_size(64);
    let mut tuner = Tuner::builder::<Small>(Hyperband::new(4).factor(2))
        .objective("loss")
        .seed(21)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp(module_path!(), "two-plus-two"))
        .quiet(true)
        .build()
        .unwrap();
    tuner.search(&train, &val, fit.clone()).unwrap();
    let trials = tuner.trials().unwrap();
    let promoted: Vec<_> = trials.iter().filter(|t| t.plan.parent.is_some()).collect();
    assert!(!promoted.is_empty(), "Hyperband(4, 2) promotes");
    for t in &promoted {
        let parent = &trials[t.plan.parent.unwrap() as usize];
        assert!(tuner.trial_dir(parent.number).join(CHECKPOINT).exists());
        let epochs: Vec<u32> = t.history.iter().map(|(e, _)| *e).collect();
        assert_eq!(
            epochs,
            (t.plan.initial_epoch..t.plan.epochs.unwrap()).collect::<Vec<_>>()
        );
    }
    // Children trained 2..4 from a parent trained 0..2 from scratch whose best epoch (the one
    // it checkpointed for its children) is its last.
    let pairs: Vec<_> = promoted
        .iter()
        .filter(|t| t.plan.initial_epoch == 2 && t.plan.epochs == Some(4))
        .filter_map(|t| {
            let parent = &trials[t.plan.parent? as usize];
            let fresh = parent.plan.parent.is_none() && parent.history.len() == 2;
            let best_is_last = fresh && parent.history[1].1["loss"] < parent.history[0].1["loss"];
            (best_is_last && t.state == TrialState::Completed).then_some((parent, *t))
        })
        .collect();
    assert!(!pairs.is_empty(), "a child continued a parent trained 0..2");
    for (parent, child) in pairs {
        let params: SmallParams = tuner.params_of(parent).unwrap();
        let seed = tuner.load_model(parent).unwrap().seed();
        let mut straight = Small::build(&params).build(seed).unwrap();
        let history = straight
            .fit(
                &train,
                Some(&val),
                &fit.clone().epochs(4).seed(seed),
                &mut [],
            )
            .unwrap();
        let stored: Vec<(u32, Metrics)> = parent.history[..2]
            .iter()
            .chain(&child.history)
            .cloned()
            .collect();
        let trained: Vec<(u32, Metrics)> = history
            .epochs
            .iter()
            .map(|e| (e.epoch as u32, e.metrics.clone()))
            .collect();
        // burn's flex backend is deterministic on one machine: equal to the last bit.
        assert_eq!(
            stored, trained,
            "trials {} + {}",
            parent.number, child.number
        );
        let last = tuner.trial_dir(child.number).join(LAST_CHECKPOINT);
        let (continued, _) = BurnNet::<MlpConfig>::load_checkpoint(&last).unwrap();
        assert_eq!(continued.epochs_completed(), 4);
    }
}
