//! The fused dense kernels (`act(x W^T + b)` then dropout, one taped op) and the fused
//! softmax cross-entropy against dfdx's own unfused ops (matmul, broadcast add, activation,
//! `cross_entropy_with_logits_loss`): values and every gradient, in f64 tightly and in f32
//! (vectorised approximations) loosely; dropout against finite differences.

use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::nn::Module;
use dfdx::prelude::{
    AsArray, Backward, Cpu, Gradients, HasShape, OwnedTape, SumTo, Tensor, TensorFromVec, Trace,
    TryMul,
};
use dfdx::shapes::Shape;
use tuner::nn::modules::{softmax_cross_entropy, Layer, Net, Width};
use tuner::nn::{Activation, NetSpec};

/// Deterministic values in about [-1.5, 1.5].
fn noise(n: usize, salt: usize) -> Vec<f64> {
    (0..n)
        .map(|i| ((i * 7919 + salt * 104_729) % 10_007) as f64 / 3335.0 - 1.5)
        .collect()
}

const ACTIVATIONS: [Activation; 7] = [
    Activation::Relu,
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::Gelu,
    Activation::LeakyRelu(0.2),
    Activation::Elu(1.0),
    Activation::Linear,
];

fn spec(act: Activation) -> NetSpec {
    NetSpec::input(7)
        .dense(5)
        .activation(act)
        .dense(4)
        .activation(act)
        .dense(3)
}

/// The net's layers run one by one through dfdx's generic ops (no fusion).
fn unfused<E, T>(
    net: &Net<E, Cpu>,
    mut x: Tensor<(usize, Width), E, Cpu, T>,
) -> Tensor<(usize, Width), E, Cpu, T>
where
    E: tuner::nn::modules::KernelFloat,
    T: dfdx::prelude::Tape<E, Cpu>,
    Cpu: dfdx::tensor_ops::Device<E>,
{
    for layer in net.layers() {
        x = match layer {
            Layer::Dense(d) => d.try_forward(x).unwrap(),
            Layer::Activation(a) => a.try_forward(x).unwrap(),
            Layer::Dropout(_) => x,
            other => panic!("not a dense-only net: {other:?}"),
        };
    }
    x
}

/// What one checked pass gives: output values, gradients, and the input they are keyed by.
type Run<E> = (Vec<E>, Gradients<E, Cpu>, Tensor<(usize, Width), E, Cpu>);

/// Output values, `sum(y * r)`'s gradients, and the input they are keyed by.
fn run<E>(net: &Net<E, Cpu>, fused: bool, n: usize) -> Run<E>
where
    E: tuner::nn::modules::KernelFloat,
    Cpu: dfdx::tensor_ops::Device<E>,
{
    let dev = Cpu::seed_from_u64(3);
    let cast = |v: Vec<f64>| {
        v.into_iter()
            .map(|v| E::from_f64(v).unwrap())
            .collect::<Vec<E>>()
    };
    let x = dev.tensor_from_vec(
        cast(noise(n * net.input_width(), 1)),
        (n, Width(net.input_width())),
    );
    let traced: Tensor<(usize, Width), E, Cpu, OwnedTape<E, Cpu>> = x.leaky_trace();
    let y = if fused {
        net.try_forward(traced).unwrap()
    } else {
        unfused(net, traced)
    };
    let out = y.as_vec();
    let shape = *y.shape();
    let r = dev.tensor_from_vec(cast(noise(shape.num_elements(), 5)), shape);
    let grads = y.try_mul(r).unwrap().try_sum::<(), _>().unwrap().backward();
    (out, grads, x)
}

/// Every tensor gradient and the input gradient, in visiting order.
fn gradients<E>(
    net: &Net<E, Cpu>,
    grads: &Gradients<E, Cpu>,
    x: &Tensor<(usize, Width), E, Cpu>,
) -> Vec<Vec<E>>
where
    E: tuner::nn::modules::KernelFloat,
{
    let mut all = vec![grads.get(x).as_vec()];
    for layer in net.layers() {
        if let Layer::Dense(d) = layer {
            all.push(grads.get(&d.weight).as_vec());
            all.push(grads.get(&d.bias).as_vec());
        }
    }
    all
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * scale,
            "{what}[{i}]: fused {x} vs dfdx {y}"
        );
    }
}

#[test]
fn fused_dense_layers_match_dfdx_ops_in_f64() {
    for act in ACTIVATIONS {
        let net: Net<f64, Cpu> = spec(act).build(&Cpu::seed_from_u64(11)).unwrap();
        let (y_fused, g_fused, x_fused) = run(&net, true, 6);
        let (y_dfdx, g_dfdx, x_dfdx) = run(&net, false, 6);
        assert_close(&y_fused, &y_dfdx, 1e-12, &format!("{act} outputs"));
        let (a, b) = (
            gradients(&net, &g_fused, &x_fused),
            gradients(&net, &g_dfdx, &x_dfdx),
        );
        if act == Activation::Gelu {
            // dfdx 0.13's `accurate_gelu` backward drops the 1/sqrt(2) of d erf(x/sqrt 2)/dx
            // (its slope is Phi(x) + x e^(-x^2/2) sqrt(2/pi) / 2, not Phi(x) + x phi(x)), so
            // GELU's gradients are checked against finite differences instead.
            assert_close(&a[0], &numeric_input_gradient(&net, 6), 1e-7, "gelu d/dx");
            continue;
        }
        for (k, (a, b)) in a.iter().zip(&b).enumerate() {
            assert_close(a, b, 1e-12, &format!("{act} gradient {k}"));
        }
    }
}

/// `d sum(y * r) / dx` by central differences, on the fused pass (f64).
fn numeric_input_gradient(net: &Net<f64, Cpu>, n: usize) -> Vec<f64> {
    let w = net.input_width();
    let value = |xs: &[f64]| -> f64 {
        let dev = Cpu::seed_from_u64(3);
        let y = net
            .try_forward(dev.tensor_from_vec(xs.to_vec(), (n, Width(w))))
            .unwrap();
        let out = y.as_vec();
        out.iter()
            .zip(noise(out.len(), 5))
            .map(|(a, b)| a * b)
            .sum()
    };
    let xs = noise(n * w, 1);
    let h = 1e-6;
    (0..xs.len())
        .map(|i| {
            let (mut up, mut down) = (xs.clone(), xs.clone());
            up[i] += h;
            down[i] -= h;
            (value(&up) - value(&down)) / (2.0 * h)
        })
        .collect()
}

#[test]
fn fused_dense_layers_match_dfdx_ops_in_f32() {
    for act in ACTIVATIONS {
        let net: Net<f32, Cpu> = spec(act).build(&Cpu::seed_from_u64(11)).unwrap();
        let (y_fused, g_fused, x_fused) = run(&net, true, 6);
        let (y_dfdx, g_dfdx, x_dfdx) = run(&net, false, 6);
        let wide = |v: &[f32]| v.iter().map(|&v| f64::from(v)).collect::<Vec<_>>();
        assert_close(
            &wide(&y_fused),
            &wide(&y_dfdx),
            2e-6,
            &format!("{act} outputs"),
        );
        let (a, b) = (
            gradients(&net, &g_fused, &x_fused),
            gradients(&net, &g_dfdx, &x_dfdx),
        );
        if act == Activation::Gelu {
            continue; // dfdx's GELU slope is off (see the f64 test); values matched above.
        }
        for (k, (a, b)) in a.iter().zip(&b).enumerate() {
            assert_close(&wide(a), &wide(b), 2e-5, &format!("{act} gradient {k}"));
        }
    }
}

#[test]
fn the_data_pass_skips_only_the_input_gradient() {
    let net: Net<f64, Cpu> = spec(Activation::Tanh)
        .build(&Cpu::seed_from_u64(2))
        .unwrap();
    let dev = Cpu::seed_from_u64(3);
    let x = dev.tensor_from_vec(noise(4 * 7, 1), (4, Width(7)));
    let full = net
        .try_forward(x.leaky_trace())
        .unwrap()
        .try_sum::<(), _>()
        .unwrap()
        .backward();
    let data = net
        .try_forward_data(x.leaky_trace())
        .unwrap()
        .try_sum::<(), _>()
        .unwrap()
        .backward();
    for layer in net.layers() {
        if let Layer::Dense(d) = layer {
            assert_eq!(full.get(&d.weight).as_vec(), data.get(&d.weight).as_vec());
            assert_eq!(full.get(&d.bias).as_vec(), data.get(&d.bias).as_vec());
        }
    }
    assert!(full.get(&x).as_vec().iter().any(|&g| g != 0.0));
    // No buffer was ever made for the input's gradient: `get` of a missing one panics.
    let mut data = data;
    assert!(
        data.get_or_alloc_mut(&x).unwrap().iter().all(|&g| g == 0.0),
        "no input gradient for data"
    );
}

#[test]
fn fused_dropout_matches_finite_differences_and_drops_only_while_training() {
    let spec = NetSpec::input(6).dense(40).tanh().dropout(0.4).dense(3);
    let net: Net<f64, Cpu> = spec.build(&Cpu::seed_from_u64(5)).unwrap();
    let (n, w) = (3, 6);
    // The device is seeded alike on every call, so each call draws the same mask.
    let loss = |xs: &[f64]| -> (f64, Vec<f64>) {
        let dev = Cpu::seed_from_u64(9);
        let x = dev.tensor_from_vec(xs.to_vec(), (n, Width(w)));
        let y = net.try_forward(x.leaky_trace()).unwrap();
        let r = dev.tensor_from_vec(noise(n * 3, 4), (n, Width(3)));
        let l = y.try_mul(r).unwrap().try_sum::<(), _>().unwrap();
        (l.array(), l.backward().get(&x).as_vec())
    };
    let xs = noise(n * w, 2);
    let (_, analytic) = loss(&xs);
    let h = 1e-6;
    for i in 0..xs.len() {
        let (mut up, mut down) = (xs.clone(), xs.clone());
        up[i] += h;
        down[i] -= h;
        let numeric = (loss(&up).0 - loss(&down).0) / (2.0 * h);
        assert!(
            (numeric - analytic[i]).abs() < 1e-6,
            "dx[{i}]: {} vs {numeric}",
            analytic[i]
        );
    }
    // Traced, about 40% of the hidden values are dropped and the rest scaled by 1 / 0.6.
    let hidden: Net<f64, Cpu> = NetSpec::input(6)
        .dense(400)
        .tanh()
        .dropout(0.4)
        .build(&Cpu::seed_from_u64(5))
        .unwrap();
    let plain: Net<f64, Cpu> = NetSpec::input(6)
        .dense(400)
        .tanh()
        .build(&Cpu::seed_from_u64(5))
        .unwrap();
    let dev = Cpu::seed_from_u64(1);
    let x = dev.tensor_from_vec(xs.clone(), (n, Width(w)));
    let kept = plain.try_forward(x.clone()).unwrap().as_vec();
    let dropped = hidden.try_forward(x.leaky_trace()).unwrap().as_vec();
    let zeros = dropped.iter().filter(|&&v| v == 0.0).count() as f64 / dropped.len() as f64;
    assert!((zeros - 0.4).abs() < 0.06, "dropped share {zeros}");
    for (d, k) in dropped.iter().zip(&kept) {
        assert!(*d == 0.0 || (d - k / 0.6).abs() < 1e-12, "{d} vs {k} / 0.6");
    }
    // Untraced (evaluation), dropout is the identity.
    assert_eq!(hidden.try_forward(x).unwrap().as_vec(), kept);
}

#[test]
fn fused_cross_entropy_matches_dfdx() {
    let dev = Cpu::seed_from_u64(0);
    let (n, w) = (5, 4);
    let logits = noise(n * w, 7).iter().map(|v| v * 4.0).collect::<Vec<_>>();
    // One-hot rows, two of them scaled as sample weights do.
    let mut targets = vec![0.0; n * w];
    for i in 0..n {
        targets[i * w + (i * 3) % w] = [1.0, 1.0, 0.5, 2.0, 1.0][i];
    }
    let x = dev.tensor_from_vec(logits.clone(), (n, Width(w)));
    let t = dev.tensor_from_vec(targets.clone(), (n, Width(w)));
    let ours = softmax_cross_entropy(x.leaky_trace(), &targets).unwrap();
    let theirs = cross_entropy_with_logits_loss(x.leaky_trace(), t);
    assert!(
        (ours.array() - theirs.array()).abs() < 1e-12,
        "{} vs {}",
        ours.array(),
        theirs.array()
    );
    let (g1, g2) = (ours.backward(), theirs.backward());
    assert_close(
        &g1.get(&x).as_vec(),
        &g2.get(&x).as_vec(),
        1e-12,
        "d loss / d logits",
    );
    // f32, large logits: finite and close.
    let x32 = dev.tensor_from_vec(
        logits.iter().map(|&v| v as f32 * 20.0).collect::<Vec<_>>(),
        (n, Width(w)),
    );
    let t32: Vec<f32> = targets.iter().map(|&v| v as f32).collect();
    let ours = softmax_cross_entropy(x32.clone(), &t32).unwrap().array();
    let theirs =
        cross_entropy_with_logits_loss(x32, dev.tensor_from_vec(t32.clone(), (n, Width(w))))
            .array();
    assert!(
        ours.is_finite() && (ours - theirs).abs() < 1e-4 * theirs.abs().max(1.0),
        "{ours} vs {theirs}"
    );
}
