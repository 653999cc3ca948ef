//! Image layers in `NetSpec`: shape inference, validation errors that name the layer and the
//! fix, parameter counts, serde, checkpoints, batch-norm statistics and training-only
//! augmentation.

use dfdx::nn::{
    LoadFromSafetensors, Module, NumParams, ResetParams, SaveToSafetensors, ToDevice, ToDtype,
};
use dfdx::prelude::{Cpu, OwnedTape, Tensor, TensorFromVec, Trace};
use tuner::data::Dataset;
use tuner::nn::modules::{Layer, Net, Width};
use tuner::nn::{Fit, FlipMode, LayerSpec, NetSpec, Network, Padding, SpecError};

fn small_cnn() -> NetSpec {
    NetSpec::input_shape([1, 12, 12])
        .conv2d(4, 3)
        .batch_norm2d()
        .relu()
        .max_pool2d(2)
        .conv2d_with(6, 3, 1, Padding::Same)
        .relu()
        .avg_pool2d(2)
        .flatten()
        .dense(3)
}

fn layer_error(spec: NetSpec) -> (usize, String) {
    match spec.validate() {
        Err(SpecError::Layer { index, reason }) => (index, reason),
        other => panic!("expected a layer error, got {other:?}"),
    }
}

#[test]
fn shapes_follow_keras_arithmetic() {
    let spec = small_cnn();
    spec.validate().unwrap();
    // 12 -> conv 3 valid 10 -> pool 5 -> conv same 5 -> avg pool 2 (floor) -> 2.
    assert_eq!(spec.output_width(), 3);
    let strided = NetSpec::input_shape([3, 28, 28])
        .conv2d_with(8, 3, 2, Padding::Same)
        .flatten();
    assert_eq!(strided.output_width(), 8 * 14 * 14);
    let pooled = NetSpec::input_shape([2, 7, 9])
        .max_pool2d_with(3, 2, Padding::Same)
        .flatten();
    assert_eq!(pooled.output_width(), 2 * 4 * 5);
    let global = NetSpec::input_shape([5, 3, 3]).global_max_pool2d();
    assert_eq!(global.output_width(), 5);
}

#[test]
fn parameter_counts_match_the_built_network() {
    let specs = [
        small_cnn(),
        NetSpec::input_shape([3, 8, 8])
            .conv2d_with(4, 3, 1, Padding::Same)
            .residual(|b| b.conv2d_with(8, 3, 2, Padding::Same).batch_norm2d().relu())
            .residual(|b| b.conv2d_with(8, 3, 1, Padding::Same))
            .global_avg_pool2d()
            .residual(|b| b.dense(5))
            .dense(2),
    ];
    // conv 1->4 k3: 4*9+4; bn 4: 8; conv 4->6 k3: 6*36+6; dense 6*2*2 -> 3: 24*3+3.
    assert_eq!(specs[0].num_params(), 40 + 8 + 222 + 75);
    // conv 3->4: 112; branch conv 4->8 s2: 296 + bn 16; projection 1x1 4->8: 40;
    // identity block conv 8->8: 584; dense branch 8->5: 45 + projection 8->5: 45; dense 5->2: 12.
    assert_eq!(
        specs[1].num_params(),
        112 + 296 + 16 + 40 + 584 + 45 + 45 + 12
    );
    for spec in &specs {
        let net = Network::new(spec, 0).unwrap();
        assert_eq!(net.num_params(), spec.num_params(), "{spec:?}");
    }
}

#[test]
fn validation_names_the_layer_and_the_fix() {
    let (i, why) = layer_error(
        NetSpec::input_shape([28, 28])
            .conv2d(8, 3)
            .flatten()
            .dense(2),
    );
    assert_eq!(i, 0);
    assert!(
        why.contains("conv2d") && why.contains(".reshape([1, 28, 28])"),
        "{why}"
    );
    let (i, why) = layer_error(NetSpec::input(784).max_pool2d(2).dense(2));
    assert_eq!(i, 0);
    assert!(
        why.contains("max_pool2d") && why.contains("[channels, height, width]"),
        "{why}"
    );
    let (i, why) = layer_error(
        NetSpec::input_shape([1, 6, 6])
            .conv2d(4, 3)
            .max_pool2d(2)
            .conv2d(4, 5)
            .flatten()
            .dense(2),
    );
    assert_eq!(i, 2);
    assert!(
        why.contains("conv2d") && why.contains("5x5") && why.contains("2x2"),
        "{why}"
    );
    let (i, why) = layer_error(
        NetSpec::input_shape([1, 6, 6])
            .conv2d(0, 3)
            .flatten()
            .dense(2),
    );
    assert_eq!(i, 0);
    assert!(why.contains("filter"), "{why}");
    let (i, why) = layer_error(
        NetSpec::input_shape([1, 6, 6])
            .conv2d_with(2, 3, 0, Padding::Same)
            .flatten()
            .dense(2),
    );
    assert_eq!(i, 0);
    assert!(why.contains("stride"), "{why}");
    let (i, why) = layer_error(
        NetSpec::input_shape([2, 6, 6])
            .batch_norm2d_with(1.5, 1e-3)
            .flatten()
            .dense(2),
    );
    assert_eq!(i, 0);
    assert!(why.contains("momentum"), "{why}");
    let (i, why) = layer_error(
        NetSpec::input_shape([2, 6, 6])
            .conv2d(2, 1)
            .residual(|b| b.conv2d(4, 3))
            .flatten()
            .dense(2),
    );
    assert_eq!(i, 1);
    assert!(
        why.contains("residual") && why.contains("padding same"),
        "{why}"
    );
    let (i, why) = layer_error(
        NetSpec::input_shape([2, 6, 6])
            .residual(|b| b.conv2d(4, 3).dense(3))
            .flatten()
            .dense(2),
    );
    assert_eq!(i, 0);
    assert!(
        why.contains("branch layer 1 (dense)") && why.contains("flatten"),
        "{why}"
    );
    let (i, why) = layer_error(
        NetSpec::input_shape([1, 5, 5])
            .random_contrast(1.5)
            .flatten()
            .dense(2),
    );
    assert_eq!(i, 0);
    assert!(why.contains("random_contrast"), "{why}");
    assert_eq!(
        NetSpec::input_shape([1, 5, 5]).conv2d(2, 3).validate(),
        Err(SpecError::OutputShape(vec![2, 3, 3]))
    );
    // A convolution is something to train: no dense layer is needed.
    NetSpec::input_shape([1, 5, 5])
        .conv2d(3, 5)
        .flatten()
        .validate()
        .unwrap();
}

#[test]
fn image_layers_round_trip_through_json() {
    let spec = NetSpec::input_shape([1, 8, 8])
        .random_flip(FlipMode::Horizontal)
        .random_translation(0.1, 0.2)
        .random_contrast(0.3)
        .conv2d_with(4, 3, 2, Padding::Same)
        .batch_norm2d()
        .residual(|b| b.conv2d_with(4, 3, 1, Padding::Same))
        .avg_pool2d_with(2, 1, Padding::Valid)
        .global_avg_pool2d()
        .dense(2);
    let json = serde_json::to_string(&spec).unwrap();
    assert!(
        json.contains(r#"{"layer":"conv2d","filters":4,"kernel":3,"stride":2,"padding":"same"}"#),
        "{json}"
    );
    assert!(
        json.contains(r#""layer":"residual","layers":[{"layer":"conv2d""#),
        "{json}"
    );
    let back: NetSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
    // Stride and padding default to Keras' (1, valid) when absent.
    let short: LayerSpec =
        serde_json::from_str(r#"{"layer":"conv2d","filters":2,"kernel":3}"#).unwrap();
    assert_eq!(
        short,
        LayerSpec::Conv2d {
            filters: 2,
            kernel: 3,
            stride: 1,
            padding: Padding::Valid
        }
    );
}

fn images(n: usize, seed: usize) -> Dataset {
    let features: Vec<f32> = (0..n * 144)
        .map(|i| (((i + seed) * 2_654_435_761usize) % 1000) as f32 / 1000.0)
        .collect();
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    Dataset::classification(features, vec![1, 12, 12], labels, 3).unwrap()
}

#[test]
fn checkpoints_keep_weights_and_moving_statistics() {
    let dir = std::env::temp_dir().join(format!("tuner-conv-ckpt-{}", std::process::id()));
    let path = dir.join("cnn.safetensors");
    let data = images(48, 1);
    let mut net = Network::new(&small_cnn(), 3).unwrap();
    net.fit(
        &data,
        None,
        &Fit::default().batch_size(16).epochs(2),
        &mut [],
    )
    .unwrap();
    net.save(&path).unwrap();
    let names: Vec<String> = net.weights().into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"1.moving_mean".to_owned()), "{names:?}");
    assert!(names.contains(&"4.weight".to_owned()), "{names:?}");
    let moving = |n: &Network| {
        n.weights()
            .into_iter()
            .find(|(k, _)| k == "1.moving_var")
            .unwrap()
            .1
    };
    assert_ne!(moving(&net), vec![1.0; 4], "training moved the variance");
    let loaded = Network::load(&path).unwrap();
    assert_eq!(loaded.weights(), net.weights());
    assert_eq!(
        loaded.predict(data.features()).unwrap(),
        net.predict(data.features()).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn batch_norm_moves_its_statistics_toward_the_batch() {
    let spec = NetSpec::input_shape([1, 12, 12])
        .batch_norm2d_with(0.5, 1e-3)
        .flatten()
        .dense(3);
    let data = images(16, 2);
    let mut net = Network::new(&spec, 0).unwrap();
    net.train_on_batch(&data).unwrap();
    let mean: f64 = data.features().iter().map(|&v| f64::from(v)).sum::<f64>() / 2304.0;
    let var: f64 = data
        .features()
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / 2304.0;
    let w = net.weights();
    let get = |name: &str| f64::from(w.iter().find(|(k, _)| k == name).unwrap().1[0]);
    assert!(
        (get("0.moving_mean") - 0.5 * mean).abs() < 1e-5,
        "{}",
        get("0.moving_mean")
    );
    assert!(
        (get("0.moving_var") - (0.5 + 0.5 * var)).abs() < 1e-5,
        "{}",
        get("0.moving_var")
    );
}

type Traced = Tensor<(usize, Width), f32, Cpu, OwnedTape<f32, Cpu>>;

#[test]
fn augmentation_acts_only_while_training_and_repeats_per_seed() {
    let spec = NetSpec::input_shape([1, 12, 12])
        .random_flip(FlipMode::HorizontalAndVertical)
        .random_translation(0.25, 0.25)
        .random_contrast(0.5)
        .flatten()
        .dense(3);
    let data = images(8, 3);
    let net: Net<f32, Cpu> = spec.build(&Cpu::seed_from_u64(1)).unwrap();
    let augment = |seed: u64| -> Vec<f32> {
        let dev = Cpu::seed_from_u64(seed);
        let x = dev.tensor_from_vec(data.features().to_vec(), (8, Width(144)));
        let mut y: Traced = x.leaky_traced();
        for layer in &net.layers()[..3] {
            y = match layer {
                Layer::RandomFlip(l) => l.forward(y),
                Layer::RandomTranslation(l) => l.forward(y),
                Layer::RandomContrast(l) => l.forward(y),
                other => panic!("unexpected {other:?}"),
            };
        }
        y.as_vec()
    };
    assert_eq!(augment(5), augment(5), "same seed, same draws");
    assert_ne!(augment(5), augment(6), "another seed draws differently");
    assert_ne!(
        augment(5),
        data.features().to_vec(),
        "training changes the images"
    );
    // Untraced (evaluation, prediction): the identity, so predictions equal the plain model's.
    let plain = NetSpec::input_shape([1, 12, 12]).flatten().dense(3);
    let a = Network::new(&spec, 4).unwrap();
    let b = Network::new(&plain, 4).unwrap();
    assert_eq!(
        a.weights(),
        b.weights()
            .into_iter()
            .map(|(n, v)| (n.replace('1', "4"), v))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        a.predict(data.features()).unwrap(),
        b.predict(data.features()).unwrap()
    );
}

#[test]
fn dfdx_traits_work_on_image_networks() {
    let spec = NetSpec::input_shape([2, 6, 6])
        .conv2d_with(3, 3, 1, Padding::Same)
        .batch_norm2d()
        .residual(|b| b.conv2d_with(4, 3, 2, Padding::Same).relu())
        .global_max_pool2d()
        .dense(2);
    let dev = Cpu::seed_from_u64(5);
    let xs: Vec<f32> = (0..144).map(|i| (i % 11) as f32 / 11.0).collect();
    // Inference output: a function of every tensor, batch norm's moving statistics included.
    let out = |net: &Net<f32, Cpu>| {
        net.forward(dev.tensor_from_vec(xs.clone(), (2, Width(72))))
            .as_vec()
    };
    let a: Net<f32, Cpu> = spec.build(&dev).unwrap();
    let mut b: Net<f32, Cpu> = spec.build(&Cpu::seed_from_u64(6)).unwrap();
    assert_eq!(a.num_trainable_params(), spec.num_params());
    assert_ne!(out(&a), out(&b));
    let path =
        std::env::temp_dir().join(format!("tuner-conv-st-{}.safetensors", std::process::id()));
    a.save_safetensors(&path).unwrap();
    b.load_safetensors(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out(&a), out(&b));
    let moved: Net<f32, Cpu> = a.to_device(&Cpu::seed_from_u64(1));
    assert_eq!(out(&a), out(&moved));
    let wide: Net<f64, Cpu> = a.clone().to_dtype::<f64>();
    let x64 = dev.tensor_from_vec(xs.iter().map(|&v| f64::from(v)).collect(), (2, Width(72)));
    for (p, q) in wide.forward(x64).as_vec().iter().zip(out(&a)) {
        assert!((p - f64::from(q)).abs() < 1e-5, "{p} vs {q}");
    }
    let mut c = a.clone();
    c.reset_params();
    assert_ne!(out(&c), out(&a), "reset redraws the kernels");
    assert_eq!(c.layers().len(), a.layers().len());
}

#[test]
fn training_repeats_bit_for_bit_per_seed() {
    let spec = NetSpec::input_shape([1, 12, 12])
        .random_flip(FlipMode::Horizontal)
        .random_translation(0.2, 0.2)
        .conv2d_with(4, 3, 1, Padding::Same)
        .batch_norm2d()
        .relu()
        .residual(|b| b.conv2d_with(6, 3, 2, Padding::Same).relu())
        .max_pool2d(2)
        .flatten()
        .dropout(0.3)
        .dense(3);
    let data = images(64, 4);
    let run = |seed: u64| {
        let mut net = Network::new(&spec, seed).unwrap();
        net.fit(
            &data,
            None,
            &Fit::default().batch_size(16).epochs(2),
            &mut [],
        )
        .unwrap();
        net.weights()
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}
