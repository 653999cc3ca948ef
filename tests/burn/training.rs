//! The shared training features on a burn model: metrics from the epoch's outputs, class and
//! sample weights in burn's cross-entropy (checked by hand), `ReduceLROnPlateau` changing
//! burn's learning rate and surviving a checkpoint, `predict_proba`.

use crate::models::{serial, tmp, MlpConfig};
use tuner::burn::{BurnNet, BurnSpec};
use tuner::data::Dataset;
use tuner::model::metrics::roc_auc;
use tuner::model::{ClassWeight, Fit, Metric, ModelSpec, ReduceLROnPlateau, Trainable};

/// 40 samples of 3 features, two classes.
fn binary() -> Dataset {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..40u32 {
        let a = ((i * 37 % 17) as f32) / 17.0 - 0.5;
        let b = ((i * 11 % 13) as f32) / 13.0 - 0.5;
        x.extend([a, b, ((i * 5 % 7) as f32) / 7.0]);
        y.push(usize::from(a + 0.3 * b > 0.15));
    }
    Dataset::classification(x, vec![3], y, 2).unwrap()
}

fn spec() -> BurnSpec<MlpConfig> {
    BurnSpec::new(MlpConfig::new(3, vec![8], 2)).learning_rate(2e-2)
}

#[test]
fn weighted_cross_entropy_is_the_weighted_sum_over_n() {
    let _serial = serial();
    let data = binary();
    let labels = data.labels().unwrap().to_vec();
    let n = labels.len();
    let sample: Vec<f32> = (0..n).map(|i| 0.5 + (i % 3) as f32).collect();
    let mut net = spec().build(4).unwrap();
    let proba = net.predict_proba(&data, n).unwrap();
    let by_hand: f64 = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            let class = if l == 1 { 4.0 } else { 1.0 };
            -f64::from(proba[i * 2 + l]).ln() * class * f64::from(sample[i])
        })
        .sum::<f64>()
        / n as f64;
    let fit = Fit::default()
        .batch_size(n)
        .shuffle(false)
        .class_weight(ClassWeight::Given(vec![1.0, 4.0]))
        .sample_weight(sample);
    let history = net.fit(&data, None, &fit, &mut []).unwrap();
    let loss = history.metric("loss")[0];
    assert!((loss - by_hand).abs() < 1e-5, "{loss} vs {by_hand}");
}

#[test]
fn metrics_come_from_the_outputs_and_reach_the_history() {
    let _serial = serial();
    let data = binary();
    let mut net = spec().build(2).unwrap();
    let fit = Fit::default()
        .epochs(3)
        .batch_size(8)
        .metrics([Metric::Auc, Metric::MacroF1]);
    let history = net.fit(&data, Some(&data), &fit, &mut []).unwrap();
    let last = &history.last().unwrap().metrics;
    for name in ["auc", "val_auc", "macro_f1", "val_macro_f1", "val_accuracy"] {
        assert!(last.contains_key(name), "{name} missing: {last:?}");
    }
    let m = net.evaluate_with(&data, 16, &[Metric::Auc]).unwrap();
    let proba = net.predict_proba(&data, 16).unwrap();
    let scores: Vec<f64> = proba.chunks_exact(2).map(|r| f64::from(r[1])).collect();
    let positive: Vec<bool> = data.labels().unwrap().iter().map(|&l| l == 1).collect();
    assert!(
        (m["auc"] - roc_auc(&scores, &positive)).abs() < 1e-6,
        "{m:?}"
    );
    assert_eq!(m["auc"], last["val_auc"], "evaluation and validation agree");
}

fn plateau() -> ReduceLROnPlateau {
    ReduceLROnPlateau::new("loss")
        .patience(2)
        .factor(0.5)
        .min_delta(1e9)
}

fn weights(net: &BurnNet<MlpConfig>) -> Vec<f32> {
    let m = net.module();
    let mut out = Vec::new();
    for l in m.hidden.iter().chain([&m.output]) {
        out.extend(l.weight.val().into_data().try_into_vec::<f32>().unwrap());
    }
    out
}

#[test]
fn reduce_lr_on_plateau_changes_burns_rate_across_a_checkpoint() {
    let _serial = serial();
    let data = binary();
    let fit = |from, to| {
        Fit::default()
            .initial_epoch(from)
            .epochs(to)
            .batch_size(8)
            .seed(3)
    };
    let mut whole = spec().build(6).unwrap();
    let mut cb = plateau();
    whole.fit(&data, None, &fit(0, 5), &mut [&mut cb]).unwrap();
    // Best at 0; halved after epochs 2 and 4.
    assert_eq!(whole.learning_rate(), 2e-2 * 0.25);

    let mut first = spec().build(6).unwrap();
    let mut cb = plateau();
    first.fit(&data, None, &fit(0, 2), &mut [&mut cb]).unwrap();
    assert_eq!(first.learning_rate(), 2e-2);
    let path = tmp(module_path!(), "plateau").join("net.ckpt");
    first.save_checkpoint(&path, None).unwrap();
    let (mut resumed, _) = BurnNet::<MlpConfig>::load_checkpoint(&path).unwrap();
    let mut cb = plateau();
    resumed
        .fit(&data, None, &fit(2, 5), &mut [&mut cb])
        .unwrap();
    assert_eq!(resumed.learning_rate(), whole.learning_rate());
    assert_eq!(
        weights(&resumed),
        weights(&whole),
        "the rate was used as in one run"
    );
}
