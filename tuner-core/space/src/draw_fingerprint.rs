//! Seeded draws are part of the format: oracles, stored studies and tests replay them, so a
//! faster draw must give bit-identical values for the same random numbers. The fingerprints
//! below were recorded with the draw before its plan (commit c64171f).

use super::{HyperParameters, Param, SearchSpace, Value};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// FNV-1a over names, value types and value bits, in the order the set lists them.
fn fold(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

fn fold_values(hash: &mut u64, values: &HyperParameters) {
    fold(hash, &(values.len() as u64).to_le_bytes());
    for (name, value) in values.iter() {
        fold(hash, name.as_bytes());
        match value {
            Value::Int(v) => fold(
                hash,
                &[b'i']
                    .iter()
                    .chain(&v.to_le_bytes())
                    .copied()
                    .collect::<Vec<_>>(),
            ),
            Value::Float(v) => fold(
                hash,
                &[b'f']
                    .iter()
                    .chain(&v.to_bits().to_le_bytes())
                    .copied()
                    .collect::<Vec<_>>(),
            ),
            Value::Str(v) => fold(hash, &[b"s", v.as_bytes()].concat()),
            Value::Bool(v) => fold(hash, &[b'b', u8::from(*v)]),
        }
    }
}

fn spaces() -> Vec<SearchSpace> {
    let mlp = SearchSpace::builder()
        .param(Param::int("depth", 1, 3))
        .param(Param::int("units_0", 32, 512).step(32))
        .scope("depth", [2, 3], |s| {
            s.param(Param::int("units_1", 32, 512).step(32))
        })
        .scope("depth", [3], |s| {
            s.param(Param::int("units_2", 32, 512).step(32))
        })
        .param(Param::choice("activation", ["relu", "tanh", "gelu"]))
        .param(Param::boolean("dropout"))
        .scope("dropout", [true], |s| {
            s.param(Param::float("dropout_rate", 0.0, 0.5).step(0.1))
        })
        .param(Param::float("learning_rate", 1e-4, 1e-2).log())
        .build()
        .unwrap();
    let ints = SearchSpace::builder()
        .param(Param::int("a_plain", -50, 50))
        .param(Param::int("b_step", -7, 1000).step(3))
        .param(Param::int("c_log", 1, 1000).log())
        .param(Param::int("d_rlog", 1, 1000).reverse_log())
        .param(Param::int("e_logstep", 2, 5000).step(3).log())
        .param(Param::int("f_rlogstep", 1, 4000).step(2).reverse_log())
        .param(Param::int("g_huge", i64::MIN, i64::MAX))
        .param(Param::int("h_hugestep", i64::MIN + 5, i64::MAX - 3).step(7))
        .param(Param::int("i_one", 4, 4))
        .build()
        .unwrap();
    let floats = SearchSpace::builder()
        .param(Param::float("a_lin", -1.0, 1.0))
        .param(Param::float("b_step", 0.0, 1.0).step(0.2))
        .param(Param::float("c_step", 0.001, 0.1).step(0.003))
        .param(Param::float("d_log", 1e-5, 1e-1).log())
        .param(Param::float("e_rlog", 0.5, 0.999).reverse_log())
        .param(Param::float("f_logstep", 1e-4, 1.0).step(10.0).log())
        .param(
            Param::float("g_rlogstep", 0.1, 0.99)
                .step(1.5)
                .reverse_log(),
        )
        .param(Param::float("h_fine", -3.0, 7.0).step(1e-4))
        .param(Param::float("i_odd", 0.1, 0.7).step(0.1))
        .param(Param::float("j_big", 1e6, 1e9).step(12345.678))
        .build()
        .unwrap();
    let choices = SearchSpace::builder()
        .param(Param::choice("kind", ["mlp", "cnn", "rnn"]))
        .scope("kind", ["cnn"], |s| {
            s.param(Param::choice("kernel", [3, 5, 7]))
                .scope("kernel", [5, 7], |s| {
                    s.param(Param::float("pad", 0.0, 2.0).step(0.5))
                })
        })
        .scope("kind", ["mlp", "rnn"], |s| {
            s.param(Param::choice("width", [0.25, 0.5, 1.0]))
        })
        .param(Param::choice("flag", [true, false]))
        .param(Param::fixed("seed", 7))
        .param(Param::fixed("tag", "x"))
        .param(Param::boolean("zz"))
        .build()
        .unwrap();
    vec![mlp, ints, floats, choices]
}

/// Each space's fingerprint over 10,000 seeded draws, then one over `prob_to_value` of every
/// parameter at 10,000 evenly spread points.
#[test]
fn seeded_draws_are_bit_identical_to_the_recorded_stream() {
    let mut found = Vec::new();
    for (i, space) in spaces().iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(1234 + i as u64);
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        for _ in 0..10_000 {
            fold_values(&mut hash, &space.sample(&mut rng));
        }
        // The stream after the draws: the draws consumed exactly the same random numbers.
        fold(&mut hash, &rng.random::<u64>().to_le_bytes());
        found.push(hash);
    }
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for space in spaces() {
        for p in space.params() {
            for k in 0..10_000 {
                let value = p.prob_to_value(k as f64 / 10_000.0);
                let one: HyperParameters = [(p.name.clone(), value)].into_iter().collect();
                fold_values(&mut hash, &one);
            }
        }
    }
    found.push(hash);
    assert_eq!(found, RECORDED, "{found:#x?}");
}

const RECORDED: [u64; 5] = [
    0x8d92_5fa2_2b5c_fc07,
    0x79d5_6ddd_bef8_356b,
    0xb82e_d87e_d61f_63d8,
    0x198c_f816_845b_6fd8,
    0x44fb_8842_bfb6_f346,
];

/// A space too large for the draw's stack scratch draws what its parameters draw one by one
/// (and conditions still hold there).
#[test]
fn large_spaces_draw_what_their_parameters_draw() {
    let mut builder = SearchSpace::builder().param(Param::boolean("on"));
    for i in 0..20 {
        builder = builder.param(Param::float(format!("x{i:02}"), 0.0, 1.0).step(0.1));
    }
    let space = builder
        .scope("on", [true], |s| s.param(Param::int("y", 1, 9)))
        .build()
        .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut again = ChaCha8Rng::seed_from_u64(9);
    for _ in 0..1_000 {
        let values = space.sample(&mut rng);
        let mut expected = HyperParameters::new();
        for p in space.params() {
            if p.conditions.is_empty() || expected.get("on") == Some(&Value::Bool(true)) {
                expected.insert(p.name.clone(), p.sample(&mut again));
            }
        }
        assert_eq!(values, expected);
    }
}
