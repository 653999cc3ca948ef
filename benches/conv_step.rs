//! One Adam training step (batch 128, cross-entropy) of a small CNN on real Fashion-MNIST
//! samples: `conv 16 3x3 -> relu -> maxpool 2 -> conv 32 3x3 -> relu -> maxpool 2 -> dense
//! 10`, through `Network::train_on_batch` (what `fit` runs per batch). Alongside: the same
//! network's inference on the batch, one convolution layer's forward+backward alone, and
//! the 784-256-128-10 MLP step of `train_step` for scale.
//!
//! Before criterion's separate runs it prints interleaved medians (each round runs every
//! variant once), which stay meaningful when other work shares the cores.

use criterion::{criterion_group, criterion_main, Criterion};
use dfdx::nn::{Module, ZeroGrads};
use dfdx::prelude::{Backward, Cpu, SumTo, TensorFromVec, Trace};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tuner::data::{fashion_mnist, Dataset};
use tuner::nn::modules::{Conv2d, Width, Window};
use tuner::nn::{NetSpec, Network, Optimizer, Padding};

const BATCH: usize = 128;

fn cnn() -> NetSpec {
    NetSpec::input_shape([28, 28])
        .reshape([1, 28, 28])
        .conv2d(16, 3)
        .relu()
        .max_pool2d(2)
        .conv2d(32, 3)
        .relu()
        .max_pool2d(2)
        .flatten()
        .dense(10)
        .optimizer(Optimizer::adam(1e-3))
}

fn mlp() -> NetSpec {
    NetSpec::input(784)
        .dense(256)
        .relu()
        .dense(128)
        .relu()
        .dense(10)
        .optimizer(Optimizer::adam(1e-3))
}

fn batch() -> Dataset {
    let (train, _) = fashion_mnist::load_shipped().expect("shipped Fashion-MNIST subset");
    train.take(BATCH)
}

/// Something to time repeatedly.
type Work = Box<dyn FnMut()>;

fn train_step(spec: NetSpec, data: Dataset) -> Work {
    let mut net = Network::new(&spec, 0).unwrap();
    Box::new(move || {
        black_box(net.train_on_batch(&data).unwrap());
    })
}

fn inference(data: Dataset) -> Work {
    let net = Network::new(&cnn(), 0).unwrap();
    Box::new(move || {
        black_box(net.predict(data.features()).unwrap());
    })
}

/// The second convolution (16 -> 32 channels, 13x13) alone: forward, sum, backward.
fn conv_layer() -> Work {
    let dev = Cpu::seed_from_u64(0);
    let window = Window::padded([16, 13, 13], 3, 1, Padding::Valid).unwrap();
    let conv: Conv2d<f32, Cpu> = Conv2d::try_new(&dev, window, 32).unwrap();
    let x: Vec<f32> = (0..BATCH * window.input_len())
        .map(|i| (i % 97) as f32 / 97.0)
        .collect();
    let x = dev.tensor_from_vec(x, (BATCH, Width(window.input_len())));
    let mut grads = Some(conv.alloc_grads());
    Box::new(move || {
        let g = grads.take().unwrap();
        let y = conv.forward(x.clone().traced(g));
        let mut g = y.sum::<(), _>().backward();
        conv.zero_grads(&mut g);
        grads = Some(g);
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn interleaved() {
    let data = batch();
    let mut variants: Vec<(&str, Work)> = vec![
        ("cnn train_on_batch", train_step(cnn(), data.clone())),
        ("cnn predict (inference)", inference(data.clone())),
        ("conv 16->32 13x13 fwd+bwd", conv_layer()),
        ("mlp train_on_batch", train_step(mlp(), data)),
    ];
    for (_, f) in variants.iter_mut() {
        for _ in 0..5 {
            f();
        }
    }
    let rounds = 100;
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); variants.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in variants.iter_mut().enumerate() {
            let t = Instant::now();
            f();
            times[i].push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    println!("interleaved medians over {rounds} rounds (batch {BATCH}):");
    for ((name, _), t) in variants.iter().zip(times) {
        println!("  {name:<28} {:>8.3} ms", median(t));
    }
}

fn bench(c: &mut Criterion) {
    interleaved();
    let data = batch();
    let mut g = c.benchmark_group("conv_step");
    g.sample_size(30).measurement_time(Duration::from_secs(10));
    let mut step = train_step(cnn(), data.clone());
    g.bench_function("cnn_train_on_batch", |b| b.iter(&mut step));
    let mut infer = inference(data);
    g.bench_function("cnn_predict", |b| b.iter(&mut infer));
    let mut conv = conv_layer();
    g.bench_function("conv_fwd_bwd", |b| b.iter(&mut conv));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
