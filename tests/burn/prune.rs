//! A pruned burn trial stops: the pruner's verdict ends its `fit` after that epoch.

use crate::models::{data, tmp, Small};
use std::sync::Arc;
use tuner::oracle::RandomSearch;
use tuner::prelude::*;
use tuner::pruner::{Pruner, PrunerContext};
use tuner::storage::MemoryStorage;
use tuner::trial::TrialState;
use tuner::Tuner;

/// Prunes every trial but the first at its epoch 1.
struct AllButFirstAtEpoch1;

impl Pruner for AllButFirstAtEpoch1 {
    fn name(&self) -> &'static str {
        "all-but-first"
    }
    fn prune(&self, ctx: &PrunerContext<'_>) -> bool {
        ctx.trial > 0 && ctx.epoch == 1
    }
}

#[test]
fn a_pruned_burn_trial_stops_after_the_pruned_epoch() {
    let _serial = crate::models::serial();
    let (train, val) = data();
    let epochs_begun = std::cell::RefCell::new(Vec::new());
    let mut tuner = Tuner::builder::<Small>(RandomSearch::new())
        .objective("val_loss")
        .max_trials(3)
        .seed(6)
        .pruner(AllButFirstAtEpoch1)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp(module_path!(), "pruned"))
        .quiet(true)
        .build()
        .unwrap();
    struct Count<'a>(&'a std::cell::RefCell<Vec<usize>>);
    impl Callback for Count<'_> {
        fn on_epoch_begin(&mut self, epoch: usize) {
            self.0.borrow_mut().push(epoch);
        }
    }
    let mut count = Count(&epochs_begun);
    tuner
        .search_with_callbacks(
            &train,
            &val,
            Fit::default().epochs(5).batch_size(64),
            &mut [&mut count],
        )
        .unwrap();
    let trials = tuner.trials().unwrap();
    assert_eq!(trials.len(), 3);
    assert_eq!(trials[0].state, TrialState::Completed);
    assert_eq!(trials[0].history.len(), 5);
    for t in &trials[1..] {
        assert_eq!(t.state, TrialState::Stopped, "{t:?}");
        let epochs: Vec<u32> = t.history.iter().map(|(e, _)| *e).collect();
        assert_eq!(
            epochs,
            [0, 1],
            "trial {} stopped at its pruned epoch",
            t.number
        );
    }
    // Training itself stopped: no epoch after the pruned one was begun.
    assert_eq!(*epochs_begun.borrow(), [0, 1, 2, 3, 4, 0, 1, 0, 1]);
}
