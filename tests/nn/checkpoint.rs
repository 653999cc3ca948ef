//! Checkpoints: save -> load gives bit-identical outputs; mismatched files are clear errors
//! that leave the target untouched; writes are atomic.

use std::path::{Path, PathBuf};
use tuner::data::{fashion_mnist, Dataset};
use tuner::nn::{read_checkpoint_info, Fit, NetSpec, Network, NnError, Optimizer};

fn data() -> (Dataset, Dataset) {
    let (train, test) = fashion_mnist::load_shipped().expect("shipped subset");
    (train.take(256), test.take(100))
}

/// A fresh directory under the target dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tuner-nn-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn spec() -> NetSpec {
    NetSpec::input_shape([28, 28])
        .flatten()
        .dense(32)
        .layer_norm()
        .relu()
        .dropout(0.2)
        .dense(10)
        .optimizer(Optimizer::adam(1e-3))
}

fn trained(seed: u64) -> Network {
    let (train, _) = data();
    let mut net = Network::new(&spec(), seed).unwrap();
    net.fit(&train, None, &Fit::default().epochs(2), &mut [])
        .unwrap();
    net
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn save_then_load_gives_bit_identical_outputs() {
    let tmp = TempDir::new("roundtrip");
    let (_, test) = data();
    let net = trained(1);
    let path = tmp.path("model.safetensors");
    let meta = serde_json::json!({"trial": "0007", "units": 32});
    net.save_with_metadata(&path, Some(&meta)).unwrap();
    assert_eq!(
        files(&tmp.0),
        ["model.safetensors"],
        "no temporary file is left behind"
    );

    let loaded = Network::load(&path).unwrap();
    assert_eq!(loaded.spec(), net.spec());
    assert_eq!(loaded.epochs_completed(), 2);
    assert_eq!(loaded.seed(), 1);
    let a = net.predict(test.features()).unwrap();
    let b = loaded.predict(test.features()).unwrap();
    assert_eq!(a.len(), 100 * 10);
    assert!(
        a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
        "outputs differ after load"
    );
    assert_eq!(
        net.evaluate(&test, 32).unwrap(),
        loaded.evaluate(&test, 32).unwrap()
    );

    let info = read_checkpoint_info(&path).unwrap();
    assert_eq!(info.spec, spec());
    assert_eq!(info.metadata, Some(meta));
}

#[test]
fn loaded_network_continues_training() {
    let tmp = TempDir::new("continue");
    let (train, _) = data();
    let net = trained(2);
    let path = tmp.path("ckpt.safetensors");
    net.save(&path).unwrap();
    let mut loaded = Network::load(&path).unwrap();
    let start = loaded.epochs_completed();
    let h = loaded
        .fit(
            &train,
            None,
            &Fit::default().initial_epoch(start).epochs(start + 2),
            &mut [],
        )
        .unwrap();
    assert_eq!(h.epoch_numbers(), [2, 3]);
    assert!(h.metric("loss").iter().all(|l| l.is_finite()));
}

#[test]
fn loading_a_wrong_shape_errors_and_leaves_the_target_untouched() {
    let tmp = TempDir::new("mismatch");
    let (_, test) = data();
    let wide = Network::new(&NetSpec::input(784).dense(64).relu().dense(10), 0).unwrap();
    let wide_path = tmp.path("wide.safetensors");
    wide.save(&wide_path).unwrap();

    let mut target = trained(3);
    let before_w = target.weights();
    let before_out = target.predict(test.features()).unwrap();

    let err = target.load_weights_into(&wide_path).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, NnError::Checkpoint { .. }), "{msg}");
    assert!(
        msg.contains("wide.safetensors") && msg.contains("architecture"),
        "{msg}"
    );
    assert!(
        target.weights() == before_w,
        "a failed load changed the weights"
    );
    assert_eq!(target.predict(test.features()).unwrap(), before_out);

    // The same tensors under another spec header: the per-tensor check names the problem.
    let other = Network::new(
        &NetSpec::input_shape([28, 28])
            .flatten()
            .dense(33)
            .layer_norm()
            .relu()
            .dropout(0.2)
            .dense(10),
        0,
    )
    .unwrap();
    let other_path = tmp.path("other.safetensors");
    other.save(&other_path).unwrap();
    let raw = strip_spec(&std::fs::read(&other_path).unwrap());
    let headerless = tmp.path("headerless.safetensors");
    std::fs::write(&headerless, raw).unwrap();
    let err = target
        .load_weights_into(&headerless)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("1.weight has shape [33, 784], the model needs [32, 784]"),
        "{err}"
    );
    assert!(target.weights() == before_w);

    // A truncated file is an error too, and changes nothing.
    let good = tmp.path("good.safetensors");
    target.save(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cut = tmp.path("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let err = target.load_weights_into(&cut).unwrap_err().to_string();
    assert!(
        err.contains("cut.safetensors") && err.contains("truncated or corrupt"),
        "{err}"
    );
    assert!(matches!(
        Network::load(&cut),
        Err(NnError::Checkpoint { .. })
    ));
    assert!(target.weights() == before_w);

    assert!(matches!(
        Network::load(tmp.path("missing.safetensors")),
        Err(NnError::Io { .. })
    ));
}

/// Rewrites a safetensors file's header without the `tuner.netspec` entry.
fn strip_spec(bytes: &[u8]) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    header["__metadata__"]
        .as_object_mut()
        .unwrap()
        .remove("tuner.netspec");
    let mut h = serde_json::to_vec(&header).unwrap();
    while !h.len().is_multiple_of(8) {
        h.push(b' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    out.extend(&bytes[8 + n..]);
    out
}

#[test]
fn load_weights_into_the_same_architecture_copies_them() {
    let tmp = TempDir::new("same");
    let (_, test) = data();
    let source = trained(4);
    let path = tmp.path("w.safetensors");
    source.save(&path).unwrap();
    let mut target = Network::new(&spec(), 99).unwrap();
    assert!(target.weights() != source.weights());
    target.load_weights_into(&path).unwrap();
    assert!(target.weights() == source.weights());
    assert_eq!(
        target.predict(test.features()).unwrap(),
        source.predict(test.features()).unwrap()
    );
}

#[test]
fn saving_overwrites_atomically_into_new_directories() {
    let tmp = TempDir::new("atomic");
    let path = tmp.path("nested/dir/model.safetensors");
    let a = trained(5);
    a.save(&path).unwrap();
    let b = trained(6);
    b.save(&path).unwrap();
    assert_eq!(files(&tmp.path("nested/dir")), ["model.safetensors"]);
    assert!(Network::load(&path).unwrap().weights() == b.weights());
}

/// The same network trained 0..4 straight, and 0..2, saved, loaded and trained 2..4.
fn straight_and_continued(spec: &NetSpec, tmp: &TempDir) -> (Network, Network) {
    let (train, val) = data();
    let fit = Fit::default().batch_size(32).seed(11);
    let mut straight = Network::new(spec, 4).unwrap();
    let all = straight
        .fit(&train, Some(&val), &fit.clone().epochs(4), &mut [])
        .unwrap();
    let mut first = Network::new(spec, 4).unwrap();
    let head = first
        .fit(&train, Some(&val), &fit.clone().epochs(2), &mut [])
        .unwrap();
    let path = tmp.path("half.safetensors");
    first.save(&path).unwrap();
    let mut continued = Network::load(&path).unwrap();
    let tail = continued
        .fit(
            &train,
            Some(&val),
            &fit.clone().initial_epoch(2).epochs(4),
            &mut [],
        )
        .unwrap();
    let mut joined = head.epochs;
    joined.extend(tail.epochs);
    assert_eq!(joined, all.epochs, "every epoch's metrics, bit for bit");
    (straight, continued)
}

fn same_bits(a: &Network, b: &Network) -> bool {
    a.weights()
        .iter()
        .zip(b.weights())
        .all(|((na, va), (nb, vb))| {
            *na == nb && va.iter().zip(&vb).all(|(x, y)| x.to_bits() == y.to_bits())
        })
}

#[test]
fn two_epochs_saved_loaded_and_two_more_equal_four_straight() {
    let tmp = TempDir::new("two-plus-two");
    let optimizers: [Optimizer; 3] = [
        Optimizer::adam(1e-3).into(),
        Optimizer::sgd(1e-2).momentum(0.9).into(),
        Optimizer::rmsprop(1e-3).centered(true).momentum(0.5).into(),
    ];
    for opt in optimizers {
        let spec = spec().optimizer(opt.clone());
        let (straight, continued) = straight_and_continued(&spec, &tmp);
        assert!(same_bits(&straight, &continued), "{opt:?}: weights differ");
        assert_eq!(continued.epochs_completed(), 4);
    }
}

/// Rewrites a checkpoint as one written before optimizer state was saved: without the
/// `optimizer.*` tensors and the step count.
fn strip_optimizer(bytes: &[u8]) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let data = &bytes[8 + n..];
    let mut kept: Vec<(String, serde_json::Value)> = header
        .into_iter()
        .filter(|(k, _)| !k.starts_with("optimizer."))
        .collect();
    let offset = |v: &serde_json::Value| v["data_offsets"][0].as_u64().unwrap_or(0);
    kept.sort_by_key(|(_, v)| offset(v));
    let mut out_header = serde_json::Map::new();
    let mut out_data = Vec::new();
    for (name, mut v) in kept {
        if name == "__metadata__" {
            v.as_object_mut().unwrap().remove("tuner.optimizer_steps");
        } else {
            let [a, b] = [0, 1].map(|i| v["data_offsets"][i].as_u64().unwrap() as usize);
            let start = out_data.len();
            out_data.extend_from_slice(&data[a..b]);
            v["data_offsets"] = serde_json::json!([start, out_data.len()]);
        }
        out_header.insert(name, v);
    }
    let mut h = serde_json::to_vec(&out_header).unwrap();
    while !h.len().is_multiple_of(8) {
        h.push(b' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    out.extend(out_data);
    out
}

#[test]
fn a_checkpoint_without_optimizer_state_loads_with_a_fresh_optimizer() {
    let tmp = TempDir::new("old-format");
    let (train, val) = data();
    let net = trained(5);
    let path = tmp.path("new.safetensors");
    net.save(&path).unwrap();
    let old = tmp.path("old.safetensors");
    std::fs::write(&old, strip_optimizer(&std::fs::read(&path).unwrap())).unwrap();

    let more = Fit::default().initial_epoch(2).epochs(3).seed(1);
    let mut from_old = Network::load(&old).unwrap();
    assert!(same_bits(&from_old, &net), "the weights still load");
    from_old.fit(&train, Some(&val), &more, &mut []).unwrap();
    // A fresh optimizer is what `load_weights_into` a new network gives.
    let mut fresh = Network::new(&spec(), 5).unwrap();
    fresh.load_weights_into(&old).unwrap();
    fresh.fit(&train, Some(&val), &more, &mut []).unwrap();
    assert!(same_bits(&from_old, &fresh));
    // And the saved state matters: continuing with it trains to other weights.
    let mut from_new = Network::load(&path).unwrap();
    from_new.fit(&train, Some(&val), &more, &mut []).unwrap();
    assert!(!same_bits(&from_new, &fresh));
}
