//! `#[hypermodel]` costs: (a) drawing typed params from the generated space (target < 1 us),
//! (b) the generated builder against the same body written by hand (target ratio <= 1.05).
//!
//! `TYPED_DRAWS=N` runs N typed draws and nothing else (`BUILDS=generated:N` or
//! `BUILDS=by_hand:N` N builds), for an instruction counter:
//! `valgrind --tool=callgrind target/release/deps/hypermodel-* ` at two N, the difference
//! over the difference of N is the cost of one draw without start-up.

use criterion::{criterion_group, Criterion};
use rand::rngs::ChaCha8Rng;
use rand::SeedableRng;
use std::hint::black_box;
use tuner::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Relu,
    Tanh,
    Gelu,
}
use Activation::*;

#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    Dense(usize, Activation),
    Dropout(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Net {
    pub input: usize,
    pub layers: Vec<Layer>,
    pub output: usize,
    pub learning_rate: f64,
}

/// DESIGN.md's example, with a small struct in place of `NetSpec`.
#[hypermodel]
pub fn mlp() -> Net {
    let depth = hp_int!(depth, 1..=3);
    let mut layers = Vec::new();
    for i in 0..depth {
        layers.push(Layer::Dense(
            hp_int!(units[i], 32..=512, step = 32) as usize,
            hp_choice!(activation, [Relu, Tanh, Gelu]),
        ));
    }
    if hp_bool!(use_dropout) {
        layers.push(Layer::Dropout(hp_float!(dropout, 0.0..=0.5, step = 0.1)));
    }
    Net {
        input: 784,
        layers,
        output: 10,
        learning_rate: hp_float!(learning_rate, 1e-4..=1e-2, log),
    }
}

/// The same body with plain arguments in place of `hp_*!`.
fn mlp_by_hand(
    depth: i64,
    units: &[i64],
    activation: Activation,
    use_dropout: bool,
    dropout: f64,
    learning_rate: f64,
) -> Net {
    let mut layers = Vec::new();
    for i in 0..depth {
        layers.push(Layer::Dense(units[i as usize] as usize, activation));
    }
    if use_dropout {
        layers.push(Layer::Dropout(dropout));
    }
    Net {
        input: 784,
        layers,
        output: 10,
        learning_rate,
    }
}

fn sampling(c: &mut Criterion) {
    let space = Mlp::space();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    c.bench_function("hypermodel/sample_typed_params", |b| {
        b.iter(|| Mlp::params_from(&space.sample(&mut rng)).expect("sampled values are valid"))
    });
    c.bench_function("hypermodel/sample_values_only", |b| {
        b.iter(|| space.sample(&mut rng))
    });
    let values = space.sample(&mut rng);
    c.bench_function("hypermodel/params_from_only", |b| {
        b.iter(|| Mlp::params_from(black_box(&values)).expect("valid"))
    });
}

fn building(c: &mut Criterion) {
    let p = MlpParams {
        depth: 3,
        units: vec![64, 256, 128],
        activation: MlpActivation::Gelu,
        use_dropout: true,
        dropout: Some(0.2),
        learning_rate: 1e-3,
    };
    assert_eq!(
        Mlp::build(&p),
        mlp_by_hand(3, &[64, 256, 128], Gelu, true, 0.2, 1e-3)
    );
    c.bench_function("hypermodel/build_generated", |b| {
        b.iter(|| Mlp::build(black_box(&p)))
    });
    c.bench_function("hypermodel/build_by_hand", |b| {
        b.iter(|| {
            let units: &[i64] = black_box(&[64, 256, 128]);
            mlp_by_hand(
                black_box(3),
                units,
                black_box(Gelu),
                black_box(true),
                black_box(0.2),
                black_box(1e-3),
            )
        })
    });
}

/// `n` typed draws (sample + params_from), for counting instructions.
fn typed_draws(n: u64) {
    let space = Mlp::space();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut depth = 0;
    for _ in 0..n {
        let p = Mlp::params_from(&space.sample(&mut rng)).expect("sampled values are valid");
        depth += black_box(p).depth;
    }
    println!("{n} typed draws, total depth {depth}");
}

/// `n` builds, generated or by hand, for counting instructions.
fn builds(which: &str, n: u64) {
    let p = MlpParams {
        depth: 3,
        units: vec![64, 256, 128],
        activation: MlpActivation::Gelu,
        use_dropout: true,
        dropout: Some(0.2),
        learning_rate: 1e-3,
    };
    let mut layers = 0;
    for _ in 0..n {
        let net = match which {
            "generated" => Mlp::build(black_box(&p)),
            _ => {
                let units: &[i64] = black_box(&[64, 256, 128]);
                mlp_by_hand(
                    black_box(3),
                    units,
                    black_box(Gelu),
                    black_box(true),
                    black_box(0.2),
                    black_box(1e-3),
                )
            }
        };
        layers += black_box(net).layers.len();
    }
    println!("{n} {which} builds, {layers} layers");
}

criterion_group!(benches, sampling, building);

fn main() {
    if let Ok(spec) = std::env::var("BUILDS") {
        let (which, n) = spec
            .split_once(':')
            .expect("BUILDS=generated:N or by_hand:N");
        builds(which, n.parse().expect("a number of builds"));
        return;
    }
    if let Ok(n) = std::env::var("TYPED_DRAWS") {
        typed_draws(n.parse().expect("TYPED_DRAWS is a number of draws"));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
