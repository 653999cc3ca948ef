//! The run-time-width building blocks are real dfdx modules: dfdx's own traits (params count,
//! reset, grads, optimizers, safetensors, to_device) work on them, and they compute what
//! dfdx's const-generic `Linear` computes.

use dfdx::nn::builders::Linear;
use dfdx::nn::{
    BuildModule, DeviceBuildExt, LoadFromSafetensors, Module, NumParams, ResetParams,
    SaveToSafetensors, ToDevice, ZeroGrads,
};
use dfdx::optim::{Adam, AdamConfig, Optimizer as _};
use dfdx::prelude::{
    cross_entropy_with_logits_loss, AsArray, Backward, Const, Cpu, Tensor, TensorFromVec, Trace,
};
use tuner::nn::modules::{Dense, Layer, Net, Width};
use tuner::nn::NetSpec;

fn spec() -> NetSpec {
    NetSpec::input(12)
        .dense(8)
        .relu()
        .layer_norm()
        .dropout(0.1)
        .dense(3)
}

fn net(seed: u64) -> (Cpu, Net<f32, Cpu>) {
    let dev = Cpu::seed_from_u64(seed);
    let net = spec().build(&dev).unwrap();
    (dev, net)
}

fn x(dev: &Cpu, n: usize) -> Tensor<(usize, Width), f32, Cpu> {
    let v: Vec<f32> = (0..n * 12)
        .map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0)
        .collect();
    dev.tensor_from_vec(v, (n, Width(12)))
}

fn values(net: &Net<f32, Cpu>) -> Vec<Vec<f32>> {
    net.layers()
        .iter()
        .flat_map(|l| match l {
            Layer::Dense(d) => vec![d.weight.as_vec(), d.bias.as_vec()],
            Layer::LayerNorm(n) => vec![n.gamma.as_vec(), n.beta.as_vec()],
            _ => vec![],
        })
        .collect()
}

#[test]
fn dfdx_counts_the_parameters_the_spec_predicts() {
    let (_, net) = net(0);
    assert_eq!(net.num_trainable_params(), spec().num_params());
    assert_eq!(spec().num_params(), 12 * 8 + 8 + 2 * 8 + 8 * 3 + 3);
}

#[test]
fn reset_params_redraws_weights_within_glorot_bounds() {
    let (_, mut net) = net(0);
    let before = values(&net);
    net.reset_params();
    let after = values(&net);
    assert_ne!(before[0], after[0]);
    let limit = (6.0f32 / (12.0 + 8.0)).sqrt();
    assert!(after[0].iter().all(|w| w.abs() <= limit));
    assert!(after[1].iter().all(|&b| b == 0.0), "biases reset to zero");
    assert!(
        after[2].iter().all(|&g| g == 1.0),
        "layer-norm gamma resets to one"
    );
}

#[test]
fn a_dfdx_optimizer_trains_a_net_directly() {
    let (dev, mut net) = net(1);
    let mut opt = Adam::new(
        &net,
        AdamConfig {
            lr: 1e-2,
            ..Default::default()
        },
    );
    let mut grads = net.alloc_grads();
    let target: Vec<f32> = (0..16)
        .flat_map(|i| {
            let mut r = [0.0; 3];
            r[i % 3] = 1.0;
            r
        })
        .collect();
    let t = dev.tensor_from_vec(target, (16usize, Width(3)));
    let mut losses = Vec::new();
    for _ in 0..30 {
        let y = net.forward(x(&dev, 16).traced(grads));
        let loss = cross_entropy_with_logits_loss(y, t.clone());
        losses.push(loss.array());
        grads = loss.backward();
        opt.update(&mut net, &grads).unwrap();
        net.zero_grads(&mut grads);
    }
    assert!(losses[29] < losses[0] * 0.5, "{losses:?}");
}

#[test]
fn dfdx_safetensors_and_to_device_round_trip() {
    let (dev, a) = net(2);
    let (_, mut b) = net(3);
    assert_ne!(values(&a), values(&b));
    let path =
        std::env::temp_dir().join(format!("tuner-nn-dfdx-{}.safetensors", std::process::id()));
    a.save_safetensors(&path).unwrap();
    b.load_safetensors(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(values(&a), values(&b));
    let c: Net<f32, Cpu> = a.to_device(&Cpu::seed_from_u64(9));
    assert_eq!(values(&a), values(&c));
    assert_eq!(c.layers().len(), a.layers().len());
    assert_eq!(
        a.forward(x(&dev, 4)).as_vec(),
        c.forward(x(&dev, 4)).as_vec()
    );
}

#[test]
fn dense_computes_what_const_generic_linear_computes() {
    let dev = Cpu::seed_from_u64(4);
    let lin = dev.build_module::<Linear<12, 5>, f32>();
    let mut dense = Dense::<f32, Cpu>::try_new(&dev, 12, 5).unwrap();
    dense.weight.copy_from(&lin.weight.as_vec());
    dense.bias.copy_from(&lin.bias.as_vec());
    let xs: Vec<f32> = x(&dev, 6).as_vec();
    let y_const = lin.forward(dev.tensor_from_vec(xs.clone(), (6usize, Const::<12>)));
    let y_dyn = dense.forward(dev.tensor_from_vec(xs, (6usize, Width(12))));
    assert_eq!(y_const.as_vec(), y_dyn.as_vec());
    let one: Tensor<(Const<1>, Width), f32, Cpu> =
        dev.tensor_from_vec(vec![1.0; 12], (Const::<1>, Width(12)));
    assert_eq!(dense.forward(one).as_vec().len(), 5);
}

#[test]
#[should_panic(expected = "build it with NetSpec::build")]
fn dfdx_build_module_on_a_net_panics_with_directions() {
    let _ = Net::<f32, Cpu>::build(&Cpu::default());
}
