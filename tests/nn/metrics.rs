//! Metrics, class and sample weights, the learning-rate schedule and `predict_proba` in the
//! dfdx training loop, each checked against a computation by hand from the network's outputs.

use tuner::data::Dataset;
use tuner::model::metrics::{average_precision, roc_auc};
use tuner::nn::{Adam, ClassWeight, Fit, Loss, Metric, NetSpec, Network, ReduceLROnPlateau, Sgd};

/// 40 samples of 3 features, two classes (a noisy linear rule), 30% positives.
fn binary() -> Dataset {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..40u32 {
        let a = ((i * 37 % 17) as f32) / 17.0 - 0.5;
        let b = ((i * 11 % 13) as f32) / 13.0 - 0.5;
        let c = ((i * 5 % 7) as f32) / 7.0;
        x.extend([a, b, c]);
        y.push(usize::from(a + 0.3 * b > 0.15));
    }
    Dataset::classification(x, vec![3], y, 2).unwrap()
}

fn spec(lr: f64) -> NetSpec {
    NetSpec::input(3)
        .dense(8)
        .relu()
        .dense(2)
        .optimizer(Adam::new(lr))
}

fn tmp(name: &str) -> std::path::PathBuf {
    crate::common::tmp(module_path!(), name).join("net.safetensors")
}

/// Per-sample cross-entropy of each row of logits against its label.
fn cross_entropies(logits: &[f32], labels: &[usize]) -> Vec<f64> {
    logits
        .chunks_exact(2)
        .zip(labels)
        .map(|(row, &l)| {
            let (a, b) = (f64::from(row[0]), f64::from(row[1]));
            let m = a.max(b);
            let lse = m + ((a - m).exp() + (b - m).exp()).ln();
            lse - f64::from(row[l])
        })
        .collect()
}

#[test]
fn evaluate_reports_each_metric_as_computed_from_the_outputs() {
    let data = binary();
    let mut net = Network::new(&spec(0.05), 3).unwrap();
    net.fit(
        &data,
        None,
        &Fit::default().epochs(5).batch_size(8),
        &mut [],
    )
    .unwrap();
    let all = [
        Metric::Auc,
        Metric::PrAuc,
        Metric::F1,
        Metric::LogLoss,
        Metric::MacroF1,
    ];
    let m = net.evaluate_with(&data, 16, &all).unwrap();
    let proba = net.predict_proba(data.features()).unwrap();
    let labels = data.labels().unwrap();
    let scores: Vec<f64> = proba.chunks_exact(2).map(|r| f64::from(r[1])).collect();
    let positive: Vec<bool> = labels.iter().map(|&l| l == 1).collect();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    assert!(close(m["auc"], roc_auc(&scores, &positive)), "{m:?}");
    assert!(
        close(m["pr_auc"], average_precision(&scores, &positive)),
        "{m:?}"
    );
    let log_loss: f64 = labels
        .iter()
        .zip(proba.chunks_exact(2))
        .map(|(&l, r)| -f64::from(r[l]).ln())
        .sum::<f64>()
        / labels.len() as f64;
    assert!((m["log_loss"] - log_loss).abs() < 1e-5, "{m:?}");
    // Unweighted, log loss is the cross-entropy loss itself.
    assert!((m["log_loss"] - m["loss"]).abs() < 1e-5, "{m:?}");
    for row in proba.chunks_exact(2) {
        assert!((row[0] + row[1] - 1.0).abs() < 1e-6);
    }
    let history = net
        .fit(
            &data,
            Some(&data),
            &Fit::default().initial_epoch(5).epochs(6).metrics(all),
            &mut [],
        )
        .unwrap();
    let last = &history.last().unwrap().metrics;
    for name in [
        "auc",
        "val_auc",
        "pr_auc",
        "val_pr_auc",
        "f1",
        "val_macro_f1",
        "val_log_loss",
    ] {
        assert!(last.contains_key(name), "{name} missing from {last:?}");
    }
}

#[test]
fn a_binary_metric_on_three_classes_is_refused_before_training() {
    let data = Dataset::classification(vec![0.0; 9], vec![3], vec![0, 1, 2], 3).unwrap();
    let mut net = Network::new(&NetSpec::input(3).dense(3), 1).unwrap();
    let err = net
        .fit(&data, None, &Fit::default().metrics([Metric::Auc]), &mut [])
        .unwrap_err()
        .to_string();
    assert!(err.contains("auc") && err.contains("3"), "{err}");
    assert_eq!(net.epochs_completed(), 0);
}

/// The first epoch's reported loss, with the whole set as one unshuffled batch, is the loss
/// of the untrained network's outputs.
fn first_loss(fit: Fit) -> (f64, Vec<f64>) {
    let data = binary();
    let net = Network::new(&spec(0.01), 9).unwrap();
    let ce = cross_entropies(
        &net.predict(data.features()).unwrap(),
        data.labels().unwrap(),
    );
    let mut net = net;
    let fit = fit.epochs(1).batch_size(data.len()).shuffle(false);
    let history = net.fit(&data, None, &fit, &mut []).unwrap();
    (history.metric("loss")[0], ce)
}

#[test]
fn class_and_sample_weights_scale_each_loss_and_divide_by_n() {
    let labels = binary().labels().unwrap().to_vec();
    let n = labels.len() as f64;
    let (plain, ce) = first_loss(Fit::default());
    assert!((plain - ce.iter().sum::<f64>() / n).abs() < 1e-5);

    let (weighted, _) = first_loss(Fit::default().class_weight(ClassWeight::Given(vec![1.0, 3.0])));
    let by_hand: f64 = ce
        .iter()
        .zip(&labels)
        .map(|(l, &c)| l * if c == 1 { 3.0 } else { 1.0 })
        .sum::<f64>()
        / n;
    assert!((weighted - by_hand).abs() < 1e-5, "{weighted} vs {by_hand}");

    let positives = labels.iter().filter(|&&l| l == 1).count() as f64;
    let (balanced, _) = first_loss(Fit::default().class_weight(ClassWeight::Balanced));
    let w = [n / (2.0 * (n - positives)), n / (2.0 * positives)];
    let by_hand: f64 = ce.iter().zip(&labels).map(|(l, &c)| l * w[c]).sum::<f64>() / n;
    assert!((balanced - by_hand).abs() < 1e-5, "{balanced} vs {by_hand}");

    let sample: Vec<f32> = (0..labels.len()).map(|i| (i % 4) as f32 * 0.5).collect();
    let (both, _) = first_loss(
        Fit::default()
            .class_weight(ClassWeight::Given(vec![2.0, 1.0]))
            .sample_weight(sample.clone()),
    );
    let by_hand: f64 = ce
        .iter()
        .zip(&labels)
        .zip(&sample)
        .map(|((l, &c), &s)| l * f64::from(s) * if c == 0 { 2.0 } else { 1.0 })
        .sum::<f64>()
        / n;
    assert!((both - by_hand).abs() < 1e-5, "{both} vs {by_hand}");
}

#[test]
fn weights_of_the_wrong_length_or_on_regression_are_errors() {
    let data = binary();
    let mut net = Network::new(&spec(0.01), 1).unwrap();
    let err = net
        .fit(
            &data,
            None,
            &Fit::default().sample_weight(vec![1.0; 3]),
            &mut [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("40 rows"), "{err}");
    let reg = Dataset::regression(vec![0.0; 6], vec![3], vec![1.0, 2.0], 1).unwrap();
    let mut net = Network::new(&NetSpec::input(3).dense(1).loss(Loss::Mse), 1).unwrap();
    let err = net
        .fit(
            &reg,
            None,
            &Fit::default().class_weight(ClassWeight::Balanced),
            &mut [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("class_weight"), "{err}");
}

fn sgd(lr: f64) -> NetSpec {
    NetSpec::input(3)
        .dense(4)
        .relu()
        .dense(2)
        .optimizer(Sgd::new(lr))
}

/// A plateau on `loss`: no epoch ever improves by 1e9.
fn plateau(patience: usize) -> ReduceLROnPlateau {
    ReduceLROnPlateau::new("loss")
        .patience(patience)
        .factor(0.5)
        .min_delta(1e9)
}

#[test]
fn reduce_lr_on_plateau_lowers_the_rate_and_training_uses_it() {
    let data = binary();
    let fit = |from, to| Fit::default().initial_epoch(from).epochs(to).batch_size(8);
    let mut scheduled = Network::new(&sgd(0.2), 4).unwrap();
    let mut cb = plateau(1);
    scheduled
        .fit(&data, None, &fit(0, 2), &mut [&mut cb])
        .unwrap();
    // Epoch 0 sets the best, epoch 1 waits one epoch: the rate is halved after it.
    assert_eq!(scheduled.learning_rate(), 0.1);
    assert_eq!(cb.reductions(), 1);

    // The same two epochs at 0.2, then the third from the same weights at 0.1 by hand.
    let mut by_hand = Network::new(&sgd(0.2), 4).unwrap();
    by_hand.fit(&data, None, &fit(0, 2), &mut []).unwrap();
    let path = tmp("by-hand");
    by_hand.save(&path).unwrap();
    let mut at_half = Network::new(&sgd(0.1), 4).unwrap();
    at_half.load_weights_into(&path).unwrap();
    assert_eq!(scheduled.weights(), at_half.weights());

    let mut keep = ReduceLROnPlateau::new("loss").patience(100);
    scheduled
        .fit(&data, None, &fit(2, 3), &mut [&mut keep])
        .unwrap();
    at_half.fit(&data, None, &fit(2, 3), &mut []).unwrap();
    assert_eq!(
        scheduled.weights(),
        at_half.weights(),
        "epoch 2 trained at 0.1"
    );
}

#[test]
fn a_checkpoint_keeps_the_rate_and_the_schedule() {
    let data = binary();
    let fit = |from, to| Fit::default().initial_epoch(from).epochs(to).batch_size(8);
    let mut whole = Network::new(&sgd(0.2), 6).unwrap();
    let mut cb = plateau(2);
    whole.fit(&data, None, &fit(0, 5), &mut [&mut cb]).unwrap();
    // Best at 0; waits 1, 2 -> halved after 2; waits 3, 4 -> halved after 4.
    assert_eq!(whole.learning_rate(), 0.05);

    let mut first = Network::new(&sgd(0.2), 6).unwrap();
    let mut cb = plateau(2);
    first.fit(&data, None, &fit(0, 2), &mut [&mut cb]).unwrap();
    let path = tmp("resume");
    first.save(&path).unwrap();
    let mut resumed = Network::load(&path).unwrap();
    // A fresh callback: its counters come back from the checkpoint.
    let mut cb = plateau(2);
    resumed
        .fit(&data, None, &fit(2, 5), &mut [&mut cb])
        .unwrap();
    assert_eq!(resumed.learning_rate(), 0.05);
    assert_eq!(resumed.weights(), whole.weights());
}

#[test]
fn predict_proba_is_the_softmax_of_predict() {
    let data = binary();
    let net = Network::new(&spec(0.01), 2).unwrap();
    let logits = net.predict(data.features()).unwrap();
    let proba = net.predict_proba(data.features()).unwrap();
    for (l, p) in logits.chunks_exact(2).zip(proba.chunks_exact(2)) {
        let p1 = 1.0 / (1.0 + f64::from(l[0] - l[1]).exp());
        assert!((f64::from(p[1]) - p1).abs() < 1e-6);
    }
    let single = Network::new(&NetSpec::input(3).dense(1).loss(Loss::Mse), 2).unwrap();
    let z = single.predict(&[0.5, -1.0, 2.0]).unwrap()[0];
    let p = single.predict_proba(&[0.5, -1.0, 2.0]).unwrap()[0];
    assert!((f64::from(p) - 1.0 / (1.0 + (-f64::from(z)).exp())).abs() < 1e-6);
}
