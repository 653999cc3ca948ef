//! Steady-state epoch time of dense MLPs (batch 128, Adam 1e-3, softmax cross-entropy, 50,000
//! training samples + validation on 10,000, as Keras' `fit(validation_data=...)` times an
//! epoch): our `Network::fit` on the fused kernels against dfdx's const-generic `Linear`
//! stack in the same kind of loop, and optionally Keras 3 + JAX (`benches/peers/keras_mlp.py`)
//! run as a child process on the same data, one configuration after the other.
//!
//! Prints per configuration: the median epoch after a warm-up one (wall, and process CPU),
//! GFLOP/s counting the textbook 6 FLOP per weight per training sample and 2 per validation
//! sample, and (ours) the share of the epoch in gemm, element-wise kernels, batch assembly,
//! the optimizer, and the rest (tape bookkeeping, metrics, allocation). Also the machine's
//! peak, measured with chains of fused multiply-adds on every core.
//!
//!     cargo bench -p tuner-tests --bench dense_kernels -- [--epochs 4] [--only 352]
//!         [--keras /work/venvs/kernels/bin/python] [--ours-only]
//!
//! `--ours-only` skips the dfdx baseline (for profiling our epoch alone).
//!
//! Full Fashion-MNIST is read from /usr/share/datasets/fashion-mnist when present (Debian's
//! `dataset-fashion-mnist`), else synthetic data of the same shape is generated.

use dfdx::nn::builders::{AccurateGeLU, Linear, ReLU, Tanh};
use dfdx::nn::{BuildOnDevice, DeviceBuildExt, Module, TensorCollection, ZeroGrads};
use dfdx::optim::{Adam, Optimizer as _};
use dfdx::prelude::{
    cross_entropy_with_logits_loss, AsArray, Backward, Const, Cpu, OwnedTape, Tensor,
    TensorFromVec, Trace,
};
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tuner::data::{fashion_mnist, Dataset};
use tuner::nn::modules::profile::{self, Profile};
use tuner::nn::{Activation, Callback, Fit, NetSpec, Network, Optimizer};

const BATCH: usize = 128;
const TRAIN: usize = 50_000;
const VAL: usize = 10_000;
/// Where Debian's `dataset-fashion-mnist` puts the full set.
const DEBIAN: &str = "/usr/share/datasets/fashion-mnist";

/// Process CPU time (user + system) from /proc/self/stat, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The machine's fp32 peak, measured: every core runs chains of independent fused
/// multiply-adds on the widest vectors it has (AVX-512, else AVX2+FMA), so the figure holds
/// whatever the clock under load and the number of FMA units per core are, which
/// /proc/cpuinfo does not tell (its "cpu MHz" is the base clock, printed beside).
fn peak() -> (f64, String) {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let mhz = info
        .lines()
        .find(|l| l.starts_with("cpu MHz"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (flop_per_call, isa) = fma::width();
    const CALLS: u64 = 200_000_000;
    let start = Instant::now();
    let sink: f32 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..cores).map(|_| s.spawn(|| fma::chains(CALLS))).collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0.0)).sum()
    });
    std::hint::black_box(sink);
    let gflops =
        (cores as u64 * CALLS) as f64 * flop_per_call / start.elapsed().as_secs_f64() / 1e9;
    (
        gflops,
        format!(
            "{gflops:.0} GFLOP/s fp32 measured ({cores} cores, {isa} FMA chains; cpuinfo's base \
             clock {:.3} GHz)",
            mhz / 1e3
        ),
    )
}

/// Independent FMA chains for the peak measurement.
mod fma {
    /// FLOP per call of `step` and the instruction set used.
    pub fn width() -> (f64, &'static str) {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") {
                return (12.0 * 16.0 * 2.0, "AVX-512");
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                return (12.0 * 8.0 * 2.0, "AVX2");
            }
        }
        (12.0 * 2.0, "scalar")
    }

    /// Runs `calls` rounds of 12 independent vector FMAs; returns a value to keep them alive.
    pub fn chains(calls: u64) -> f32 {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F, checked above.
                return unsafe { avx512(calls) };
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                // SAFETY: the CPU has AVX2 and FMA, checked above.
                return unsafe { avx2(calls) };
            }
        }
        let mut acc = [1.0f32; 12];
        for _ in 0..calls {
            for a in &mut acc {
                *a = std::hint::black_box(*a).mul_add(0.999_999, 1e-7);
            }
        }
        acc.iter().sum()
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn avx512(calls: u64) -> f32 {
        use std::arch::x86_64::*;
        let (m, c) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
        let mut acc = [_mm512_set1_ps(1.0); 12];
        for _ in 0..calls {
            for a in &mut acc {
                *a = _mm512_fmadd_ps(*a, m, c);
            }
        }
        acc.iter().map(|&a| _mm512_reduce_add_ps(a)).sum()
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn avx2(calls: u64) -> f32 {
        use std::arch::x86_64::*;
        let (m, c) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
        let mut acc = [_mm256_set1_ps(1.0); 12];
        for _ in 0..calls {
            for a in &mut acc {
                *a = _mm256_fmadd_ps(*a, m, c);
            }
        }
        let mut lanes = [0.0f32; 8];
        acc.iter()
            .map(|&a| {
                _mm256_storeu_ps(lanes.as_mut_ptr(), a);
                lanes.iter().sum::<f32>()
            })
            .sum()
    }
}

fn data() -> (Dataset, Dataset, &'static str) {
    let dir = Path::new(DEBIAN);
    if dir.is_dir() {
        if let Ok((train, _)) = fashion_mnist::load_dir(dir) {
            if train.len() >= TRAIN + VAL {
                let (a, b) = train.split_at(TRAIN);
                return (
                    a,
                    b.take(VAL),
                    "Fashion-MNIST (Debian), first 50k / next 10k",
                );
            }
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut make = |n: usize| {
        let x: Vec<f32> = (0..n * 784).map(|_| rng.random::<f32>()).collect();
        let y: Vec<usize> = (0..n).map(|_| rng.random_range(0..10)).collect();
        Dataset::classification(x, vec![784], y, 10).expect("synthetic data")
    };
    (make(TRAIN), make(VAL), "synthetic, Fashion-MNIST's shape")
}

/// Weights (no biases) of a 784-...-10 MLP: what the FLOP count multiplies.
fn weights(widths: &[usize]) -> usize {
    let mut dims = vec![784];
    dims.extend_from_slice(widths);
    dims.push(10);
    dims.windows(2).map(|w| w[0] * w[1]).sum()
}

fn gflop_per_epoch(widths: &[usize]) -> f64 {
    let w = weights(widths) as f64;
    (6.0 * w * TRAIN as f64 + 2.0 * w * VAL as f64) / 1e9
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Records each epoch's wall and CPU time and kernel profile.
#[derive(Default)]
struct Clock {
    start: Option<(Instant, f64)>,
    epochs: Vec<(f64, f64, Profile)>,
}

impl Callback for Clock {
    fn on_epoch_begin(&mut self, _epoch: usize) {
        profile::take();
        self.start = Some((Instant::now(), cpu_seconds()));
    }

    fn on_epoch_end(&mut self, _epoch: usize, _m: &tuner::nn::Metrics) -> tuner::nn::Control {
        if let Some((t, c)) = self.start.take() {
            let p = profile::take();
            self.epochs
                .push((t.elapsed().as_secs_f64(), cpu_seconds() - c, p));
        }
        tuner::nn::Control::Continue
    }
}

/// Median steady-state (wall, cpu) seconds and the median epoch's profile shares.
struct Timing {
    wall: f64,
    cpu: f64,
    shares: Option<[f64; 5]>,
    val_accuracy: Option<f64>,
}

fn ours(
    widths: &[usize],
    act: Activation,
    train: &Dataset,
    val: &Dataset,
    epochs: usize,
) -> Timing {
    let mut spec = NetSpec::input(784);
    for &w in widths {
        spec = spec.dense(w).activation(act);
    }
    let spec = spec.dense(10).optimizer(Optimizer::adam(1e-3));
    let mut net = Network::new(&spec, 7).expect("valid spec");
    let mut clock = Clock::default();
    profile::set_enabled(true);
    let fit = Fit::default()
        .epochs(epochs)
        .batch_size(BATCH)
        .seed(3)
        .quiet();
    let history = net
        .fit(train, Some(val), &fit, &mut [&mut clock])
        .expect("training runs");
    profile::set_enabled(false);
    let steady = &clock.epochs[1..];
    let wall = median(steady.iter().map(|e| e.0).collect());
    let at = steady
        .iter()
        .position(|e| e.0 == wall)
        .expect("median is one of them");
    let (w, _, p) = steady[at];
    let parts = [p.gemm, p.elementwise, p.data, p.optimizer].map(|d: Duration| d.as_secs_f64() / w);
    let other = 1.0 - parts.iter().sum::<f64>();
    Timing {
        wall,
        cpu: median(steady.iter().map(|e| e.1).collect()),
        shares: Some([parts[0], parts[1], parts[2], parts[3], other]),
        val_accuracy: history
            .epochs
            .last()
            .and_then(|m| m.metrics.get("val_accuracy").copied()),
    }
}

/// dfdx's own loop on a const-generic model: shuffled batches, one-hot targets, traced
/// forward, `cross_entropy_with_logits_loss`, backward, Adam, zero grads; then the
/// validation forward untraced in batches of 256, with loss and accuracy.
fn dfdx_epochs<M>(train: &Dataset, val: &Dataset, epochs: usize) -> Timing
where
    M: BuildOnDevice<Cpu, f32>,
    M::Built: Module<
            Tensor<(usize, Const<784>), f32, Cpu, OwnedTape<f32, Cpu>>,
            Output = Tensor<(usize, Const<10>), f32, Cpu, OwnedTape<f32, Cpu>>,
        > + Module<Tensor<(usize, Const<784>), f32, Cpu>, Output = Tensor<(usize, Const<10>), f32, Cpu>>
        + TensorCollection<f32, Cpu>
        + ZeroGrads<f32, Cpu>,
{
    let dev = Cpu::seed_from_u64(7);
    let mut model = dev.build_module::<M, f32>();
    let mut opt = Adam::new(&model, Default::default());
    let mut grads = Some(model.alloc_grads());
    let labels = train.labels().expect("classes");
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut times = Vec::new();
    let mut accuracy = 0.0;
    for epoch in 0..epochs {
        let (t, c) = (Instant::now(), cpu_seconds());
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(epoch as u64));
        for idx in order.chunks(BATCH) {
            let n = idx.len();
            let mut x = Vec::with_capacity(n * 784);
            let mut onehot = vec![0.0f32; n * 10];
            for (k, &i) in idx.iter().enumerate() {
                x.extend_from_slice(train.row(i));
                onehot[k * 10 + labels[i]] = 1.0;
            }
            let xt = dev.tensor_from_vec(x, (n, Const::<784>));
            let yt = dev.tensor_from_vec(onehot, (n, Const::<10>));
            let out = model.forward(xt.traced(grads.take().expect("grads")));
            let loss = cross_entropy_with_logits_loss(out, yt);
            std::hint::black_box(loss.array());
            let mut g = loss.backward();
            opt.update(&mut model, &g).expect("update");
            model.zero_grads(&mut g);
            grads = Some(g);
        }
        let vl = val.labels().expect("classes");
        let mut correct = 0usize;
        for start in (0..val.len()).step_by(256) {
            let end = (start + 256).min(val.len());
            let n = end - start;
            let x = val.features()[start * 784..end * 784].to_vec();
            let mut onehot = vec![0.0f32; n * 10];
            for (k, &l) in vl[start..end].iter().enumerate() {
                onehot[k * 10 + l] = 1.0;
            }
            let out = model.forward(dev.tensor_from_vec(x, (n, Const::<784>)));
            let logits = out.as_vec();
            for (row, &l) in logits.chunks_exact(10).zip(&vl[start..end]) {
                let best = (0..10)
                    .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                    .unwrap_or(0);
                correct += usize::from(best == l);
            }
            let loss =
                cross_entropy_with_logits_loss(out, dev.tensor_from_vec(onehot, (n, Const::<10>)));
            std::hint::black_box(loss.array());
        }
        accuracy = correct as f64 / val.len() as f64;
        times.push((t.elapsed().as_secs_f64(), cpu_seconds() - c));
    }
    let steady = &times[1..];
    Timing {
        wall: median(steady.iter().map(|e| e.0).collect()),
        cpu: median(steady.iter().map(|e| e.1).collect()),
        shares: None,
        val_accuracy: Some(accuracy),
    }
}

// dfdx 0.13 builds modules from tuples of at most 6: each hidden layer is a (dense,
// activation) pair.
type Mlp352<A> = (
    (Linear<784, 352>, A),
    (Linear<352, 352>, A),
    (Linear<352, 352>, A),
    Linear<352, 10>,
);
type Mlp288<A> = (
    (Linear<784, 288>, A),
    (Linear<288, 160>, A),
    (Linear<160, 480>, A),
    Linear<480, 10>,
);
type Mlp128<A> = (Linear<784, 128>, A, Linear<128, 10>);

fn dfdx_run(
    widths: &[usize],
    act: Activation,
    train: &Dataset,
    val: &Dataset,
    epochs: usize,
) -> Timing {
    macro_rules! by_act {
        ($mlp:ident) => {
            match act {
                Activation::Relu => dfdx_epochs::<$mlp<ReLU>>(train, val, epochs),
                Activation::Tanh => dfdx_epochs::<$mlp<Tanh>>(train, val, epochs),
                Activation::Gelu => dfdx_epochs::<$mlp<AccurateGeLU>>(train, val, epochs),
                other => panic!("no const-generic baseline for {other}"),
            }
        };
    }
    match widths {
        [352, 352, 352] => by_act!(Mlp352),
        [288, 160, 480] => by_act!(Mlp288),
        [128] => by_act!(Mlp128),
        other => panic!("no const-generic baseline for widths {other:?}"),
    }
}

/// Keras 3 + JAX through `benches/peers/keras_mlp.py`: its printed steady-state line.
fn keras(
    python: &str,
    real: bool,
    widths: &[usize],
    act: Activation,
    epochs: usize,
) -> Option<Timing> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/peers/keras_mlp.py");
    let units: Vec<String> = widths.iter().map(|w| w.to_string()).collect();
    let out = Command::new(python)
        .env("KERAS_BACKEND", "jax")
        .args([
            script,
            "--units",
            &units.join(","),
            "--activation",
            act.name(),
        ])
        .args([
            "--epochs",
            &epochs.to_string(),
            "--train",
            "50000",
            "--val",
            "10000",
        ])
        .args(if real {
            vec!["--data", DEBIAN]
        } else {
            vec!["--synthetic"]
        })
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("steady"))?;
    // "steady wall 2.88 cpu 4.31 val_accuracy 0.8512"
    let f: Vec<&str> = line.split_whitespace().collect();
    let num = |k: &str| {
        f.iter()
            .position(|&x| x == k)
            .and_then(|i| f.get(i + 1)?.parse().ok())
    };
    Some(Timing {
        wall: num("wall")?,
        cpu: num("cpu")?,
        shares: None,
        val_accuracy: num("val_accuracy"),
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let epochs: usize = value("--epochs")
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
        .max(2);
    let python = value("--keras");
    let only = value("--only");
    let ours_only = args.iter().any(|a| a == "--ours-only");
    let (train, val, source) = data();
    let (peak_gflops, peak_text) = peak();
    println!("data: {source}; batch {BATCH}; {epochs} epochs each, median of epochs 2..");
    println!("peak: {peak_text}");
    println!("load average before: {}", loadavg());
    println!(
        "| widths | act | ours s (cpu) | dfdx s (cpu) | keras s (cpu) | ours/dfdx | ours/keras | GFLOP/s ours | dfdx | keras | ours: gemm / elementwise / data / optimizer / other | val acc ours / dfdx / keras |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let configs: [&[usize]; 3] = [&[352, 352, 352], &[288, 160, 480], &[128]];
    for widths in configs {
        if let Some(o) = &only {
            if widths.first().map(|w| w.to_string()).as_deref() != Some(o.as_str()) {
                continue;
            }
        }
        for act in [Activation::Relu, Activation::Tanh, Activation::Gelu] {
            let g = gflop_per_epoch(widths);
            let a = ours(widths, act, &train, &val, epochs);
            let b = (!ours_only).then(|| dfdx_run(widths, act, &train, &val, epochs));
            let real = source.starts_with("Fashion");
            let k = python
                .as_deref()
                .and_then(|p| keras(p, real, widths, act, epochs));
            let s = a.shares.unwrap_or_default();
            let pct = |v: f64| format!("{:.0}%", v * 100.0);
            let acc = |t: Option<&Timing>| {
                t.and_then(|t| t.val_accuracy)
                    .map_or("-".into(), |v| format!("{v:.3}"))
            };
            let kt = |f: fn(&Timing) -> String| k.as_ref().map_or("-".into(), f);
            let bt = |f: fn(&Timing) -> String| b.as_ref().map_or("-".into(), f);
            println!(
                "| {} | {} | {:.2} ({:.2}) | {} | {} | {} | {} | {:.1} | {} | {} | {} / {} / {} / {} / {} | {} / {} / {} |",
                widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("-"),
                act.name(),
                a.wall,
                a.cpu,
                bt(|b| format!("{:.2} ({:.2})", b.wall, b.cpu)),
                kt(|k| format!("{:.2} ({:.2})", k.wall, k.cpu)),
                b.as_ref().map_or("-".into(), |b| format!("{:.2}", a.wall / b.wall)),
                k.as_ref().map_or("-".into(), |k| format!("{:.2}", a.wall / k.wall)),
                g / a.wall,
                b.as_ref().map_or("-".into(), |b| format!("{:.1}", g / b.wall)),
                k.as_ref().map_or("-".into(), |k| format!("{:.1}", g / k.wall)),
                pct(s[0]),
                pct(s[1]),
                pct(s[2]),
                pct(s[3]),
                pct(s[4]),
                acc(Some(&a)),
                acc(b.as_ref()),
                acc(k.as_ref()),
            );
        }
    }
    println!("load average after: {}", loadavg());
    println!("(GFLOP/s as a share of the {peak_gflops:.0} GFLOP/s peak: divide the column by it)");
}
