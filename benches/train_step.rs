//! One Adam training step (batch 128, cross-entropy) of a 784-256-128-10 MLP on real
//! Fashion-MNIST samples: dfdx's const-generic `Linear` stack against the same network built
//! at run time from a `NetSpec` (target ratio <= 1.05). Three variants:
//! - `const_linear`: dfdx's own `(Linear<784, 256>, ReLU, ...)`, the reference;
//! - `runtime_net`: our `Net` (run-time widths) in exactly the same loop;
//! - `network_train_on_batch`: `Network::train_on_batch`, the path `fit` takes per batch
//!   (checks, batch copy, one-hot targets, accuracy bookkeeping included).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;
use tuner::data::{fashion_mnist, Dataset};
use tuner::nn::dfdx::nn::builders::{Linear, ReLU};
use tuner::nn::dfdx::nn::{DeviceBuildExt, Module, ZeroGrads};
use tuner::nn::dfdx::optim::{Adam, Optimizer as _};
use tuner::nn::dfdx::prelude::{
    cross_entropy_with_logits_loss, AsArray, Backward, Const, Cpu, TensorFromVec, Trace,
};
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

fn train_step(c: &mut Criterion) {
    let (data, onehot) = batch();
    let x = data.features().to_vec();
    let mut group = c.benchmark_group("train_step_784_256_128_10_b128");
    group
        .sample_size(60)
        .measurement_time(Duration::from_secs(10));

    {
        let dev = Cpu::seed_from_u64(0);
        let mut model = dev.build_module::<ConstMlp, f32>();
        let mut opt = Adam::new(&model, Default::default());
        let mut grads = Some(model.alloc_grads());
        group.bench_function("const_linear", |b| {
            b.iter(|| {
                let xt = dev.tensor_from_vec(x.clone(), (BATCH, Const::<784>));
                let yt = dev.tensor_from_vec(onehot.clone(), (BATCH, Const::<10>));
                let out = model.forward(xt.traced(grads.take().unwrap()));
                let loss = cross_entropy_with_logits_loss(out, yt);
                let l = loss.array();
                let mut g = loss.backward();
                opt.update(&mut model, &g).unwrap();
                model.zero_grads(&mut g);
                grads = Some(g);
                black_box(l)
            })
        });
    }

    {
        let dev = Cpu::seed_from_u64(0);
        let mut model: Net<f32, Cpu> = spec().build(&dev).unwrap();
        let mut opt = Adam::new(&model, Default::default());
        let mut grads = Some(model.alloc_grads());
        group.bench_function("runtime_net", |b| {
            b.iter(|| {
                let xt = dev.tensor_from_vec(x.clone(), (BATCH, Width(784)));
                let yt = dev.tensor_from_vec(onehot.clone(), (BATCH, Width(10)));
                let out = model.forward(xt.traced(grads.take().unwrap()));
                let loss = cross_entropy_with_logits_loss(out, yt);
                let l = loss.array();
                let mut g = loss.backward();
                opt.update(&mut model, &g).unwrap();
                model.zero_grads(&mut g);
                grads = Some(g);
                black_box(l)
            })
        });
    }

    {
        let mut net = Network::new(&spec(), 0).unwrap();
        group.bench_function("network_train_on_batch", |b| {
            b.iter(|| black_box(net.train_on_batch(&data).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, train_step);
criterion_main!(benches);
