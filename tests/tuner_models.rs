//! Tuning a `#[hypermodel]` that builds a dfdx network, on real Fashion-MNIST samples.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use tuner::data::{fashion_mnist, Dataset};
use tuner::nn::{Adam, Fit, NetSpec};
use tuner::oracle::{GridSearch, Hyperband, RandomSearch};
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::trial::TrialState;
use tuner::tuner::{KFold, TrialError, CHECKPOINT};
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
    std::env::temp_dir().join(format!("tuner-models-{}-{name}", std::process::id()))
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
