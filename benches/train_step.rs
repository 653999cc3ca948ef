//! One Adam training step (batch 128, cross-entropy) of a 784-256-128-10 MLP on real
//! Fashion-MNIST samples: dfdx's const-generic `Linear` stack against the same network built
//! at run time from a `NetSpec` (target ratio <= 1.05). Three variants:
//! - `const_linear`: dfdx's own `(Linear<784, 256>, ReLU, ...)`, the reference;
//! - `runtime_net`: our `Net` (run-time widths) in exactly the same loop;
//! - `network_train_on_batch`: `Network::train_on_batch`, the path `fit` takes per batch
//!   (checks, batch copy, one-hot targets, accuracy bookkeeping included).
//!
//! Before criterion's separate runs it prints interleaved median ratios (each round runs
//! every variant once), which stay meaningful when other work shares the cores.

use criterion::{criterion_group, criterion_main, Criterion};
use dfdx::nn::builders::{Linear, ReLU};
use dfdx::nn::{DeviceBuildExt, Module, ZeroGrads};
use dfdx::optim::{Adam, Optimizer as _};
use dfdx::prelude::{
    cross_entropy_with_logits_loss, AsArray, Backward, Const, Cpu, TensorFromVec, Trace,
};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tuner::data::{fashion_mnist, Dataset};
use tuner::nn::modules::{Net, Width};
use tuner::nn::{NetSpec, Network, Optimizer};

const BATCH: usize = 128;

type ConstMlp = (
    Linear<784, 256>,
    ReLU,
    Linear<256, 128>,
    ReLU,
    Linear<128, 10>,
);

fn spec() -> NetSpec {
    NetSpec::input(784)
        .dense(256)
        .relu()
        .dense(128)
        .relu()
        .dense(10)
        .optimizer(Optimizer::adam(1e-3))
}

fn batch() -> (Dataset, Vec<f32>) {
    let (train, _) = fashion_mnist::load_shipped().expect("shipped Fashion-MNIST subset");
    let b = train.take(BATCH);
    let mut onehot = vec![0.0f32; BATCH * 10];
    for (i, &l) in b.labels().unwrap().iter().enumerate() {
        onehot[i * 10 + l] = 1.0;
    }
    (b, onehot)
}

/// A training step that can be called repeatedly; returns the batch loss.
type Step = Box<dyn FnMut() -> f32>;

fn const_linear(x: Vec<f32>, onehot: Vec<f32>) -> Step {
    let dev = Cpu::seed_from_u64(0);
    let mut model = dev.build_module::<ConstMlp, f32>();
    let mut opt = Adam::new(&model, Default::default());
    let mut grads = Some(model.alloc_grads());
    Box::new(move || {
        let xt = dev.tensor_from_vec(x.clone(), (BATCH, Const::<784>));
        let yt = dev.tensor_from_vec(onehot.clone(), (BATCH, Const::<10>));
        let out = model.forward(xt.traced(grads.take().unwrap()));
        let loss = cross_entropy_with_logits_loss(out, yt);
        let l = loss.array();
        let mut g = loss.backward();
        opt.update(&mut model, &g).unwrap();
        model.zero_grads(&mut g);
        grads = Some(g);
        l
    })
}

fn runtime_net(x: Vec<f32>, onehot: Vec<f32>) -> Step {
    let dev = Cpu::seed_from_u64(0);
    let mut model: Net<f32, Cpu> = spec().build(&dev).unwrap();
    let mut opt = Adam::new(&model, Default::default());
    let mut grads = Some(model.alloc_grads());
    Box::new(move || {
        let xt = dev.tensor_from_vec(x.clone(), (BATCH, Width(784)));
        let yt = dev.tensor_from_vec(onehot.clone(), (BATCH, Width(10)));
        let out = model.forward(xt.traced(grads.take().unwrap()));
        let loss = cross_entropy_with_logits_loss(out, yt);
        let l = loss.array();
        let mut g = loss.backward();
        opt.update(&mut model, &g).unwrap();
        model.zero_grads(&mut g);
        grads = Some(g);
        l
    })
}

fn network(data: Dataset) -> Step {
    let mut net = Network::new(&spec(), 0).unwrap();
    Box::new(move || net.train_on_batch(&data).unwrap() as f32)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the variants in alternation, one step each per round, so background load on a
/// shared machine hits all of them alike; prints the median per-round time ratios.
fn interleaved_ratios(steps: &mut [(&str, Step)], rounds: usize) {
    for (_, step) in steps.iter_mut() {
        for _ in 0..20 {
            black_box(step());
        }
    }
    let mut times = vec![Vec::with_capacity(rounds); steps.len()];
    for _ in 0..rounds {
        for (i, (_, step)) in steps.iter_mut().enumerate() {
            let t = Instant::now();
            black_box(step());
            times[i].push(t.elapsed().as_secs_f64());
        }
    }
    let base: Vec<f64> = times[0].clone();
    for (i, (name, _)) in steps.iter().enumerate() {
        let ratios: Vec<f64> = times[i].iter().zip(&base).map(|(t, b)| t / b).collect();
        println!(
            "interleaved {name}: median step {:.3} ms, median ratio to {} {:.3} ({rounds} rounds)",
            median(times[i].clone()) * 1e3,
            steps[0].0,
            median(ratios)
        );
    }
}

fn train_step(c: &mut Criterion) {
    let (data, onehot) = batch();
    let x = data.features().to_vec();
    let mut steps: Vec<(&str, Step)> = vec![
        ("const_linear", const_linear(x.clone(), onehot.clone())),
        ("runtime_net", runtime_net(x, onehot)),
        ("network_train_on_batch", network(data)),
    ];
    interleaved_ratios(&mut steps, 300);

    let mut group = c.benchmark_group("train_step_784_256_128_10_b128");
    group
        .sample_size(60)
        .measurement_time(Duration::from_secs(10));
    for (name, step) in steps.iter_mut() {
        group.bench_function(*name, |b| b.iter(|| black_box(step())));
    }
    group.finish();
}

criterion_group!(benches, train_step);
criterion_main!(benches);
