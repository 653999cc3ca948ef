//! The `Normalize` layer (adapted on the training split only, kept in checkpoints, applied at
//! predict time, continued by Hyperband children) and `search_split`'s seeded, stratified
//! hold-out, with the `Fit` settings a search refuses.

use std::sync::Arc;
use tuner::data::{CsvOptions, Dataset};
use tuner::nn::{Adam, Fit, NetSpec, Network, NormStats};
use tuner::oracle::{Hyperband, RandomSearch};
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::tuner::{validation_split, TunerError};
use tuner::Tuner;

fn tmp(name: &str) -> std::path::PathBuf {
    crate::common::tmp(module_path!(), name)
}

/// The shipped breast-cancer table: 569 x 30, features from 0.001 to 4254 (needs scaling).
fn cancer() -> Dataset {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data/breast-cancer/breast_cancer.csv.gz");
    let o = CsvOptions::default()
        .target_name("diagnosis")
        .categorical(["diagnosis"]);
    tuner::data::load_csv(&path, &o).unwrap()
}

fn two_features(rows: &[[f32; 2]], labels: &[usize]) -> Dataset {
    let features = rows.iter().flatten().copied().collect();
    Dataset::classification(features, vec![2], labels.to_vec(), 2).unwrap()
}

#[test]
fn normalisation_is_fitted_on_the_training_split_only() {
    let spec = NetSpec::input(2).normalize().dense(4).relu().dense(2);
    let train = two_features(
        &[[1.0, 10.0], [3.0, 30.0], [5.0, 20.0], [7.0, 40.0]],
        &[0, 1, 0, 1],
    );
    let val = two_features(&[[100.0, -5.0], [200.0, 9.0]], &[0, 1]);
    let other_val = two_features(&[[-1e4, 1e4], [0.5, 0.5]], &[1, 0]);
    let fit = Fit::default().epochs(2).batch_size(2);
    let stats_after = |val: &Dataset| {
        let mut net = Network::new(&spec, 1).unwrap();
        assert!(net.norm_stats().is_none(), "not adapted before fit");
        net.fit(&train, Some(val), &fit, &mut []).unwrap();
        net.norm_stats().unwrap().clone()
    };
    let stats = stats_after(&val);
    assert_eq!(stats, NormStats::adapt(&train));
    assert_eq!(stats.mean, [4.0, 25.0]);
    assert_eq!(
        stats.variance,
        [5.0, 125.0],
        "population variance, as Keras"
    );
    assert_eq!(stats.count, 4);
    assert_eq!(
        stats_after(&other_val),
        stats,
        "validation rows never reach the statistics"
    );
    // With Keras' validation_split, the held-out tail is not adapted on either.
    let all = train.concat(&val).unwrap();
    let mut net = Network::new(&spec, 1).unwrap();
    net.fit(&all, None, &fit.clone().validation_split(0.3), &mut [])
        .unwrap();
    assert_eq!(net.norm_stats(), Some(&stats));
}

#[test]
fn stats_survive_a_checkpoint_and_apply_at_predict_time() {
    let data = cancer().take(200);
    let spec = NetSpec::input(30).normalize().dense(8).relu().dense(2);
    let mut net = Network::new(&spec, 3).unwrap();
    net.fit(&data, None, &Fit::default().epochs(1), &mut [])
        .unwrap();
    let stats = net.norm_stats().unwrap().clone();
    let dir = tmp("checkpoint");
    let path = dir.join("net.safetensors");
    net.save(&path).unwrap();
    let mut loaded = Network::load(&path).unwrap();
    assert_eq!(loaded.norm_stats(), Some(&stats));
    let x = data.row(7).to_vec();
    assert_eq!(loaded.predict(&x).unwrap(), net.predict(&x).unwrap());
    // A loaded network keeps its statistics when trained on other data (a Hyperband child
    // continuing its parent's checkpoint normalises as its parent did).
    let other = cancer().select(&(300..400).collect::<Vec<_>>());
    loaded
        .fit(
            &other,
            None,
            &Fit::default().epochs(2).initial_epoch(1),
            &mut [],
        )
        .unwrap();
    assert_eq!(loaded.norm_stats(), Some(&stats));
    assert_ne!(NormStats::adapt(&other), stats);
}

#[test]
fn the_layer_computes_x_minus_mean_over_sd() {
    let data = cancer().take(100);
    let stats = NormStats::adapt(&data);
    // The normalise layer draws no random numbers: the dense layer's weights are the same.
    let scaled = Network::new(
        &NetSpec::input(30).normalize_with(stats.clone()).dense(2),
        5,
    )
    .unwrap();
    let plain = Network::new(&NetSpec::input(30).dense(2), 5).unwrap();
    let x = data.row(3);
    let by_hand: Vec<f32> = x
        .iter()
        .zip(stats.mean.iter().zip(&stats.variance))
        .map(|(&x, (&m, &v))| (x - m) / v.sqrt())
        .collect();
    let (a, b) = (scaled.predict(x).unwrap(), plain.predict(&by_hand).unwrap());
    for (a, b) in a.iter().zip(&b) {
        assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
    }
    assert!(NetSpec::input(30)
        .dense(4)
        .normalize()
        .dense(2)
        .validate()
        .is_err());
    let wrong = NormStats {
        mean: vec![0.0; 3],
        variance: vec![1.0; 3],
        count: 1,
    };
    let err = NetSpec::input(30)
        .normalize_with(wrong)
        .dense(2)
        .validate()
        .unwrap_err();
    assert!(err.to_string().contains("30"), "{err}");
}

#[hypermodel]
fn scaled() -> NetSpec {
    NetSpec::input(30)
        .normalize()
        .dense(hp_int!(units, 4..=8, step = 4))
        .relu()
        .dense(2)
        .optimizer(Adam::new(hp_float!(lr, 1e-3..=1e-2, log)))
}

#[test]
fn search_split_is_seeded_stratified_and_adapts_on_its_training_part() {
    let data = cancer();
    let fit = Fit::default()
        .batch_size(64)
        .validation_split(0.25)
        .seed(11);
    let (kept, held) = validation_split(&data, &fit).unwrap();
    // 357 benign and 212 malignant: a quarter of each class held out.
    assert_eq!(held.class_counts().unwrap(), [89, 53]);
    assert_eq!(kept.class_counts().unwrap(), [268, 159]);
    assert_eq!(
        validation_split(&data, &fit).unwrap().1,
        held,
        "same seed, same split"
    );
    assert_ne!(
        validation_split(&data, &fit.clone().seed(12)).unwrap().1,
        held
    );

    let mut tuner = Tuner::builder::<Scaled>(Hyperband::new(3).factor(3))
        .objective("val_loss")
        .seed(4)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp("split"))
        .quiet(true)
        .build()
        .unwrap();
    tuner.search_split(&data, fit).unwrap();
    let trials = tuner.trials().unwrap();
    assert!(
        trials.iter().any(|t| t.plan.parent.is_some()),
        "Hyperband promoted some"
    );
    for model in tuner.best_models(3).unwrap() {
        assert_eq!(model.norm_stats(), Some(&NormStats::adapt(&kept)));
    }
    let best = tuner.best_trials(1).unwrap().remove(0);
    let val_acc = best.best_metrics().unwrap()["val_accuracy"];
    let model = tuner.best_models(1).unwrap().remove(0);
    assert_eq!(model.evaluate(&held, 256).unwrap()["accuracy"], val_acc);
}

#[test]
fn a_search_refuses_fit_settings_it_cannot_honour() {
    let data = cancer().take(120);
    let (train, val) = data.split_at(90);
    let mut tuner = Tuner::builder::<Scaled>(RandomSearch::new())
        .objective("val_loss")
        .max_trials(1)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(tmp("refuse"))
        .quiet(true)
        .build()
        .unwrap();
    let message = |e: TunerError| e.to_string();
    let e = message(
        tuner
            .search(&train, &val, Fit::default().validation_split(0.2))
            .unwrap_err(),
    );
    assert!(
        e.contains("validation_split") && e.contains("search_split"),
        "{e}"
    );
    let e = message(
        tuner
            .search(&train, &val, Fit::default().epochs(3).initial_epoch(1))
            .unwrap_err(),
    );
    assert!(e.contains("initial_epoch"), "{e}");
    let e = message(tuner.search_split(&data, Fit::default()).unwrap_err());
    assert!(e.contains("validation_split"), "{e}");
    let e = message(
        tuner
            .search_split(&data, Fit::default().validation_split(1.5))
            .unwrap_err(),
    );
    assert!(e.contains("validation_split"), "{e}");
    assert!(tuner.trials().unwrap().is_empty(), "no trial ran");
}
