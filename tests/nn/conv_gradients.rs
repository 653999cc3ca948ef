//! Gradient checks: every image layer's backward pass (input and parameter gradients) against
//! central finite differences of `sum(f(x) * r)` in f64, r a fixed pseudo-random tensor.

use dfdx::nn::Module;
use dfdx::prelude::{
    AsArray, Backward, Cpu, CpuError, Gradients, HasShape, OwnedTape, Shape, SumTo, Tensor,
    TensorFromVec, Trace, TryMul,
};
use tuner::nn::modules::{
    AvgPool2d, BatchNorm2d, Conv2d, GlobalAvgPool2d, GlobalMaxPool2d, MaxPool2d, Net,
    RandomContrast, RandomFlip, RandomTranslation, Width, Window,
};
use tuner::nn::{FlipMode, NetSpec, Padding};

type Traced = Tensor<(usize, Width), f64, Cpu, OwnedTape<f64, Cpu>>;

/// A loss value, its gradients and the input tensor they are keyed by.
type Evaluated = (f64, Gradients<f64, Cpu>, Tensor<(usize, Width), f64, Cpu>);

/// Deterministic values in about [-1, 1], distinct enough that pools have no ties.
fn noise(n: usize, salt: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let z = (i * 7919 + salt * 104_729) % 10_007;
            z as f64 / 5003.5 - 1.0 + (i as f64) * 1e-4
        })
        .collect()
}

/// `sum(m(x) * r)` traced on a device seeded 7 (random layers draw alike on every call),
/// with its gradients and the input tensor they are keyed by.
fn loss<M>(m: &M, xs: &[f64], n: usize) -> Evaluated
where
    M: Module<Traced, Output = Traced, Error = CpuError>,
{
    let dev = Cpu::seed_from_u64(7);
    let x = dev.tensor_from_vec(xs.to_vec(), (n, Width(xs.len() / n)));
    let y = m.try_forward(x.leaky_trace()).unwrap();
    let shape = *y.shape();
    let r = dev.tensor_from_vec(noise(shape.num_elements(), 3), shape);
    let l = y.try_mul(r).unwrap().try_sum::<(), _>().unwrap();
    let value = l.array();
    (value, l.backward(), x)
}

fn assert_close(analytic: &[f64], numeric: &[f64], what: &str) {
    assert_eq!(analytic.len(), numeric.len(), "{what}: lengths");
    let scale = numeric.iter().fold(1e-3f64, |a, v| a.max(v.abs()));
    for (i, (a, b)) in analytic.iter().zip(numeric).enumerate() {
        assert!(
            (a - b).abs() <= 1e-6 * scale,
            "{what}[{i}]: analytic {a} vs numeric {b}"
        );
    }
}

const H: f64 = 1e-5;

/// The input gradient against finite differences.
fn check_input<M>(m: &M, n: usize, width: usize, what: &str)
where
    M: Module<Traced, Output = Traced, Error = CpuError>,
{
    let xs = noise(n * width, 1);
    let (_, grads, x) = loss(m, &xs, n);
    let analytic = grads.get(&x).as_vec();
    let numeric: Vec<f64> = (0..xs.len())
        .map(|i| {
            let (mut up, mut down) = (xs.clone(), xs.clone());
            up[i] += H;
            down[i] -= H;
            (loss(m, &up, n).0 - loss(m, &down, n).0) / (2.0 * H)
        })
        .collect();
    assert_close(&analytic, &numeric, &format!("{what} d/dx"));
}

/// A parameter's gradient against finite differences, `param` selecting it in `m`.
fn check_param<M, S: Shape>(
    m: &mut M,
    n: usize,
    width: usize,
    param: impl Fn(&mut M) -> &mut Tensor<S, f64, Cpu>,
    what: &str,
) where
    M: Module<Traced, Output = Traced, Error = CpuError>,
{
    let xs = noise(n * width, 2);
    let (_, grads, _) = loss(m, &xs, n);
    let analytic = grads.get(&*param(m)).as_vec();
    let base = param(m).as_vec();
    let mut numeric = Vec::new();
    for i in 0..base.len() {
        let mut at = |delta: f64| {
            let mut v = base.clone();
            v[i] += delta;
            param(m).copy_from(&v);
            loss(m, &xs, n).0
        };
        numeric.push((at(H) - at(-H)) / (2.0 * H));
    }
    param(m).copy_from(&base);
    assert_close(&analytic, &numeric, &format!("{what} d/dparam"));
}

fn conv(input: [usize; 3], filters: usize, k: usize, s: usize, p: Padding) -> Conv2d<f64, Cpu> {
    let dev = Cpu::seed_from_u64(1);
    let mut c = Conv2d::try_new(&dev, Window::padded(input, k, s, p).unwrap(), filters).unwrap();
    // A non-zero bias so that its gradient path is exercised with realistic outputs.
    c.bias.copy_from(&noise(filters, 9));
    c
}

#[test]
fn conv2d_gradients_match_finite_differences() {
    for (input, filters, k, s, p) in [
        ([2, 5, 5], 3, 3, 1, Padding::Valid),
        ([2, 6, 5], 2, 3, 2, Padding::Same),
        ([3, 4, 4], 2, 1, 1, Padding::Valid),
        ([1, 7, 6], 2, 4, 3, Padding::Same),
    ] {
        let what = format!("conv2d {input:?} f{filters} k{k} s{s} {p:?}");
        let width = input.iter().product();
        let mut c = conv(input, filters, k, s, p);
        check_input(&c, 2, width, &what);
        check_param(&mut c, 2, width, |m| &mut m.weight, &what);
        check_param(&mut c, 2, width, |m| &mut m.bias, &what);
    }
}

#[test]
fn pool_gradients_match_finite_differences() {
    for (input, k, s, p) in [
        ([2, 6, 6], 2, 2, Padding::Valid),
        ([2, 5, 7], 3, 2, Padding::Same),
        ([1, 5, 5], 3, 1, Padding::Valid),
    ] {
        let w = Window::padded(input, k, s, p).unwrap();
        let width = input.iter().product();
        check_input(
            &MaxPool2d { window: w },
            2,
            width,
            &format!("max_pool2d {w:?}"),
        );
        check_input(
            &AvgPool2d { window: w },
            2,
            width,
            &format!("avg_pool2d {w:?}"),
        );
    }
    check_input(
        &GlobalAvgPool2d { input: [3, 4, 5] },
        2,
        60,
        "global_avg_pool2d",
    );
    check_input(
        &GlobalMaxPool2d { input: [3, 4, 5] },
        2,
        60,
        "global_max_pool2d",
    );
}

#[test]
fn batch_norm_gradients_match_finite_differences() {
    let dev = Cpu::seed_from_u64(0);
    let mut bn: BatchNorm2d<f64, Cpu> = BatchNorm2d::try_new(&dev, [3, 3, 4], 0.99, 1e-3).unwrap();
    bn.gamma.copy_from(&[0.5, 1.5, -0.7]);
    bn.beta.copy_from(&[0.1, -0.2, 0.3]);
    check_input(&bn, 3, 36, "batch_norm2d");
    check_param(&mut bn, 3, 36, |m| &mut m.gamma, "batch_norm2d gamma");
    check_param(&mut bn, 3, 36, |m| &mut m.beta, "batch_norm2d beta");
}

#[test]
fn augmentation_gradients_match_finite_differences() {
    let input = [2, 5, 6];
    for mode in [
        FlipMode::Horizontal,
        FlipMode::Vertical,
        FlipMode::HorizontalAndVertical,
    ] {
        check_input(
            &RandomFlip { input, mode },
            4,
            60,
            &format!("random_flip {mode:?}"),
        );
    }
    let shift = RandomTranslation {
        input,
        height_factor: 0.4,
        width_factor: 0.3,
    };
    check_input(&shift, 4, 60, "random_translation");
    check_input(
        &RandomContrast { input, factor: 0.5 },
        4,
        60,
        "random_contrast",
    );
}

/// A whole `Net` with every image layer, residual blocks with identity and projection
/// shortcuts among them: the input gradient flows back through all of them.
#[test]
fn a_whole_cnn_backpropagates_correctly() {
    let same = Padding::Same;
    let spec = NetSpec::input_shape([1, 8, 8])
        .random_contrast(0.2)
        .conv2d_with(3, 3, 1, same)
        .batch_norm2d()
        .tanh()
        .residual(|b| {
            b.conv2d_with(3, 3, 1, same)
                .tanh()
                .conv2d_with(3, 3, 1, same)
        })
        .residual(|b| b.conv2d_with(4, 3, 2, same).tanh())
        .max_pool2d_with(2, 1, Padding::Valid)
        .avg_pool2d_with(2, 1, same)
        .global_avg_pool2d()
        .dense(3)
        .tanh()
        .residual(|b| b.dense(2))
        .dense(2);
    let net: Net<f64, Cpu> = spec.build(&Cpu::seed_from_u64(4)).unwrap();
    check_input(&net, 3, 64, "cnn");
}
