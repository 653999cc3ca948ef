//! burn checkpoints: weights and optimizer state in burn's records, the config beside them,
//! so training 0..2, saving, loading and training 2..4 repeats training 0..4.

use crate::models::{data, tmp, MlpConfig};
use tuner::burn::{BurnError, BurnNet, BurnSpec};
use tuner::model::{Fit, ModelSpec, Trainable};
use tuner::trial::Metrics;

fn spec() -> BurnSpec<MlpConfig> {
    BurnSpec::new(MlpConfig::new(784, vec![32], 10).with_dropout(0.2)).learning_rate(3e-3)
}

fn weights(net: &BurnNet<MlpConfig>) -> Vec<Vec<f32>> {
    let m = net.module();
    let mut out = Vec::new();
    for l in m.hidden.iter().chain([&m.output]) {
        out.push(l.weight.val().into_data().try_into_vec::<f32>().unwrap());
        out.push(
            l.bias
                .as_ref()
                .unwrap()
                .val()
                .into_data()
                .try_into_vec::<f32>()
                .unwrap(),
        );
    }
    out
}

fn metrics(h: &tuner::model::History) -> Vec<(usize, Metrics)> {
    h.epochs
        .iter()
        .map(|e| (e.epoch, e.metrics.clone()))
        .collect()
}

#[test]
fn a_continued_run_repeats_an_uninterrupted_one_bit_for_bit() {
    let _serial = crate::models::serial();
    let (train, val) = data();
    let fit = Fit::default().batch_size(64).seed(11);
    let mut straight = spec().build(5).unwrap();
    let all = straight
        .fit(&train, Some(&val), &fit.clone().epochs(4), &mut [])
        .unwrap();

    let dir = tmp(module_path!(), "continue");
    let path = dir.join("two.ckpt");
    let mut first = spec().build(5).unwrap();
    let head = first
        .fit(&train, Some(&val), &fit.clone().epochs(2), &mut [])
        .unwrap();
    first
        .save_checkpoint(&path, Some(&serde_json::json!({"note": "kept"})))
        .unwrap();
    drop(first);
    let (mut second, meta) = BurnNet::<MlpConfig>::load_checkpoint(&path).unwrap();
    assert_eq!(meta.unwrap()["note"], "kept");
    assert_eq!(second.epochs_completed(), 2);
    assert_eq!(second.seed(), 5);
    let tail = second
        .fit(
            &train,
            Some(&val),
            &fit.clone().initial_epoch(2).epochs(4),
            &mut [],
        )
        .unwrap();
    let mut joined = metrics(&head);
    joined.extend(metrics(&tail));
    assert_eq!(joined, metrics(&all));
    assert_eq!(weights(&second), weights(&straight));
    assert_eq!(second.epochs_completed(), 4);
}

#[test]
fn the_optimizer_state_is_in_the_checkpoint() {
    let _serial = crate::models::serial();
    let (train, val) = data();
    let fit = Fit::default().batch_size(64).seed(2);
    let dir = tmp(module_path!(), "optimizer");
    let path = dir.join("one.ckpt");
    let mut net = spec().build(8).unwrap();
    net.fit(&train, None, &fit.clone().epochs(1), &mut [])
        .unwrap();
    net.save_checkpoint(&path, None).unwrap();
    let (mut restored, _) = BurnNet::<MlpConfig>::load_checkpoint(&path).unwrap();
    // The same weights with Adam's moments reset: what a checkpoint without them would give.
    let mut fresh = spec().build(8).unwrap();
    fresh = BurnNet::from_module(fresh.spec().clone(), restored.module().clone(), 8);
    let next = fit.clone().initial_epoch(1).epochs(2);
    let with_state = restored.fit(&train, Some(&val), &next, &mut []).unwrap();
    let without = fresh.fit(&train, Some(&val), &next, &mut []).unwrap();
    assert_ne!(
        with_state.epochs[0].metrics["loss"], without.epochs[0].metrics["loss"],
        "Adam's moments carried over change the next epoch"
    );
}

#[test]
fn a_damaged_or_foreign_checkpoint_is_a_clear_error() {
    let _serial = crate::models::serial();
    let dir = tmp(module_path!(), "damaged");
    let net = spec().build(1).unwrap();
    let path = dir.join("model.ckpt");
    net.save_checkpoint(&path, None).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
    let err = BurnNet::<MlpConfig>::load_checkpoint(&path).err().unwrap();
    assert!(matches!(err, BurnError::Format { .. }), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");

    std::fs::write(&path, b"not a checkpoint at all").unwrap();
    let err = BurnNet::<MlpConfig>::load_checkpoint(&path).err().unwrap();
    assert!(
        err.to_string().contains("not a tuner burn checkpoint"),
        "{err}"
    );

    let missing = BurnNet::<MlpConfig>::load_checkpoint(&dir.join("absent"))
        .err()
        .unwrap();
    assert!(matches!(missing, BurnError::Io { .. }), "{missing}");
}

#[test]
fn a_bad_learning_rate_is_refused_when_building() {
    let _serial = crate::models::serial();
    let err = spec().learning_rate(f64::NAN).build(0).err().unwrap();
    assert!(err.to_string().contains("learning rate NaN"), "{err}");
}
