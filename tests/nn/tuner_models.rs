//! Tuning a `#[hypermodel]` that builds a dfdx network, on real Fashion-MNIST samples.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use tuner::data::{fashion_mnist, Dataset};
use tuner::model::{Callback, Control, EarlyStopping, Mode};
use tuner::nn::{Adam, Fit, NetSpec, Network};
use tuner::oracle::{GridSearch, Hyperband, RandomSearch};
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::trial::Metrics;
use tuner::trial::TrialState;
use tuner::tuner::{KFold, TrialError, CHECKPOINT, LAST_CHECKPOINT};
use tuner::Tuner;

#[hypermodel]
fn small() -> NetSpec {
    let mut net = NetSpec::input_shape([28, 28]).flatten();
    if hp_bool!(hidden) {
        net = net.dense(hp_int!(width, 16..=32, step = 16)).relu();
    }
    net.dense(10)
        .optimizer(Adam::new(hp_float!(lr, 1e-3..=1e-2, log)))
}

/// 600 training and 200 validation samples of the shipped subset.
fn data() -> (Dataset, Dataset) {
    let (train, _) = fashion_mnist::load_shipped().unwrap();
    let (a, rest) = train.split_at(600);
    (a, rest.take(200))
}

fn tmp(name: &str) -> std::path::PathBuf {
    crate::common::tmp_path(module_path!(), name)
}

#[test]
fn best_model_is_the_best_epoch_of_the_best_trial() {
    let (train, val) = data();
    let mut tuner = Tuner::builder::<Small>(RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(3)
        .seed(5)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp("best"))
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search(&train, &val, Fit::default().batch_size(64).epochs(3))
        .unwrap();
    let best = tuner.best_trials(1).unwrap().remove(0);
    assert_eq!(best.history.len(), 3);
    let recorded = best.best_metrics().unwrap()["val_accuracy"];
    let model = tuner.best_models(1).unwrap().remove(0);
    let evaluated = model.evaluate(&val, 100).unwrap()["accuracy"];
    assert_eq!(evaluated, recorded, "the checkpoint is the scored epoch");
    let params: SmallParams = tuner.best_params(1).unwrap().remove(0);
    assert_eq!(model.spec(), &Small::build(&params));
    assert_eq!(params.width.is_some(), params.hidden);
}

#[test]
fn a_model_over_max_model_size_fails_without_training() {
    let (train, val) = data();
    let mut tuner = Tuner::builder::<Small>(GridSearch::new())
        .objective("val_loss")
        .max_trials(2)
        .max_model_size(7_850) // a 784-10 layer has 7,850 parameters; any hidden layer is more
        .max_consecutive_failed_trials(10)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp("size"))
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search(&train, &val, Fit::default().epochs(1))
        .unwrap();
    for t in tuner.trials().unwrap() {
        let hidden = t.values().get_as::<bool>("hidden").unwrap();
        if hidden {
            assert_eq!(t.state, TrialState::Failed);
            assert!(t.message.unwrap().contains("max_model_size (7850)"));
            assert!(t.history.is_empty());
        } else {
            assert_eq!(t.state, TrialState::Completed);
        }
    }
}

#[test]
fn hyperband_promotions_continue_the_parents_checkpoint() {
    let (train, val) = data();
    let mut tuner = Tuner::builder::<Small>(Hyperband::new(3).factor(3))
        .objective("val_loss")
        .seed(9)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp("hyperband"))
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search(&train, &val, Fit::default().batch_size(64))
        .unwrap();
    let trials = tuner.trials().unwrap();
    let promoted: Vec<_> = trials.iter().filter(|t| t.plan.parent.is_some()).collect();
    assert!(!promoted.is_empty());
    for t in promoted {
        let parent = &trials[t.plan.parent.unwrap() as usize];
        assert!(tuner.trial_dir(parent.number).join(CHECKPOINT).exists());
        // Trained only the epochs after the parent's budget, numbered from there.
        let epochs: Vec<u32> = t.history.iter().map(|(e, _)| *e).collect();
        assert_eq!(
            epochs,
            (t.plan.initial_epoch..t.plan.epochs.unwrap()).collect::<Vec<_>>()
        );
        // Continuing trained weights: its first epoch beats the parent's first epoch.
        assert!(t.history[0].1["loss"] < parent.history[0].1["loss"]);
    }
}

#[test]
fn trial_callbacks_see_every_trial_begin_and_end() {
    let (train, val) = data();
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut tuner = Tuner::builder::<Small>(RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(2)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp("callbacks"))
        .quiet(true)
        .build()
        .unwrap();
    let begin = log.clone();
    tuner.on_trial_begin(move |t| begin.borrow_mut().push(format!("begin {}", t.number)));
    let end = log.clone();
    tuner.on_trial_end(move |t| {
        end.borrow_mut()
            .push(format!("end {} {}", t.number, t.state))
    });
    tuner
        .search(&train, &val, Fit::default().epochs(1))
        .unwrap();
    assert_eq!(
        *log.borrow(),
        ["begin 0", "end 0 COMPLETED", "begin 1", "end 1 COMPLETED"]
    );
}

#[test]
fn cross_validation_scores_the_mean_over_folds() {
    // Nearest-centroid on raw pixels with a tunable shrinkage towards the global mean.
    let (train, _) = data();
    let space = SearchSpace::builder()
        .param(Param::float("shrink", 0.0, 0.9).step(0.3))
        .build()
        .unwrap();
    let mut tuner = Tuner::for_space(space, GridSearch::new())
        .objective("accuracy")
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp("cv"))
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search_cv(
            &train,
            KFold::new(3).shuffled(1),
            |hp: &HyperParameters, fit, val| {
                let shrink = hp.get_as::<f64>("shrink")? as f32;
                Ok::<_, TrialError>(centroid_accuracy(fit, val, shrink))
            },
        )
        .unwrap();
    let trials = tuner.trials().unwrap();
    assert_eq!(trials.len(), 4);
    for t in &trials {
        let m = &t.history[0].1;
        let mean = (m["fold_0/accuracy"] + m["fold_1/accuracy"] + m["fold_2/accuracy"]) / 3.0;
        assert!((m["accuracy"] - mean).abs() < 1e-12);
        assert!(
            m["accuracy"] > 0.5,
            "nearest centroid is far better than chance"
        );
    }
}

fn centroid_accuracy(train: &Dataset, val: &Dataset, shrink: f32) -> f64 {
    let w = train.feature_width();
    let labels = train.labels().unwrap();
    let mut sums = vec![vec![0f32; w]; 10];
    let mut counts = [0f32; 10];
    let mut global = vec![0f32; w];
    for (i, &l) in labels.iter().enumerate() {
        for (j, v) in train.row(i).iter().enumerate() {
            sums[l][j] += v;
            global[j] += v / labels.len() as f32;
        }
        counts[l] += 1.0;
    }
    let centroids: Vec<Vec<f32>> = (0..10)
        .map(|c| {
            (0..w)
                .map(|j| (1.0 - shrink) * sums[c][j] / counts[c].max(1.0) + shrink * global[j])
                .collect()
        })
        .collect();
    let val_labels = val.labels().unwrap();
    let correct = (0..val.len())
        .filter(|&i| {
            let row = val.row(i);
            let dist =
                |c: &Vec<f32>| -> f32 { c.iter().zip(row).map(|(a, b)| (a - b).powi(2)).sum() };
            let best = (0..10)
                .min_by(|&a, &b| dist(&centroids[a]).total_cmp(&dist(&centroids[b])))
                .unwrap();
            best == val_labels[i]
        })
        .count();
    correct as f64 / val.len() as f64
}

#[hypermodel]
fn dropped() -> NetSpec {
    NetSpec::input_shape([28, 28])
        .flatten()
        .dense(hp_int!(width, 16..=32, step = 16))
        .relu()
        .dropout(0.25)
        .dense(10)
        .optimizer(Adam::new(hp_float!(lr, 1e-3..=1e-2, log)))
}

/// Counts the trainings it sees begin and the epochs it sees end.
#[derive(Default)]
struct Counter {
    begins: usize,
    epochs: Vec<usize>,
}

impl Callback for Counter {
    fn on_train_begin(&mut self) {
        self.begins += 1;
    }
    fn on_epoch_end(&mut self, epoch: usize, _: &Metrics) -> Control {
        self.epochs.push(epoch);
        Control::Continue
    }
}

#[test]
fn a_users_early_stopping_stops_every_trial_and_the_curve_shows_where() {
    let (train, val) = data();
    let mut tuner = Tuner::builder::<Small>(RandomSearch::new())
        .objective("val_loss")
        .max_trials(2)
        .seed(3)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp("early"))
        .quiet(true)
        .build()
        .unwrap();
    // The training loss falls, so watched as "larger is better" it never improves after the
    // first epoch: patience 0 stops every trial at epoch 1 of its 5.
    let mut early = EarlyStopping::new("loss").mode(Mode::Max);
    let mut counter = Counter::default();
    tuner
        .search_with_callbacks(
            &train,
            &val,
            Fit::default().batch_size(64).epochs(5),
            &mut [&mut early, &mut counter],
        )
        .unwrap();
    let trials = tuner.trials().unwrap();
    assert_eq!(trials.len(), 2);
    for t in &trials {
        assert_eq!(t.state, TrialState::Completed);
        let epochs: Vec<u32> = t.history.iter().map(|(e, _)| *e).collect();
        assert_eq!(epochs, [0, 1], "trial {} stopped after epoch 1", t.number);
        assert!(t.history[1].1["loss"] < t.history[0].1["loss"]);
    }
    assert_eq!(early.stopped_epoch(), Some(1));
    // Every trial's training began afresh and ran the user's callbacks on each epoch.
    assert_eq!(counter.begins, 2);
    assert_eq!(counter.epochs, [0, 1, 0, 1]);
}

#[test]
fn a_promoted_trial_continues_bit_for_bit_as_one_trained_straight() {
    let (train, val) = data();
    let fit = Fit::default().batch_size(64);
    let mut tuner = Tuner::builder::<Dropped>(Hyperband::new(4).factor(2))
        .objective("loss")
        .seed(21)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp("two-plus-two"))
        .quiet(true)
        .build()
        .unwrap();
    tuner.search(&train, &val, fit.clone()).unwrap();
    let trials = tuner.trials().unwrap();
    // Children trained 2..4 from a parent trained 0..2 from scratch, whose best epoch (the
    // one it checkpointed for its children) is its last.
    let pairs: Vec<_> = trials
        .iter()
        .filter(|t| t.plan.initial_epoch == 2 && t.plan.epochs == Some(4))
        .filter_map(|t| {
            let parent = &trials[t.plan.parent? as usize];
            let fresh = parent.plan.parent.is_none() && parent.history.len() == 2;
            let best_is_last = fresh && parent.history[1].1["loss"] < parent.history[0].1["loss"];
            (best_is_last && t.state == TrialState::Completed).then_some((parent, t))
        })
        .collect();
    assert!(
        !pairs.is_empty(),
        "Hyperband(4, 2) promotes from 2 to 4 epochs"
    );
    for (parent, child) in pairs {
        let params: DroppedParams = tuner.params_of(parent).unwrap();
        let seed = tuner.load_model(parent).unwrap().seed();
        let mut straight = Network::new(&Dropped::build(&params), seed).unwrap();
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
        assert_eq!(
            stored, trained,
            "trials {} + {}",
            parent.number, child.number
        );
        let continued = Network::load(tuner.trial_dir(child.number).join(LAST_CHECKPOINT)).unwrap();
        assert_eq!(continued.epochs_completed(), 4);
        for ((name, a), (_, b)) in straight.weights().iter().zip(continued.weights()) {
            let same = a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "{name} differs");
        }
    }
}
