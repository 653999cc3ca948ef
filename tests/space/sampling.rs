//! Sampling follows each parameter's scale: statistical checks over 20k seeded draws, with
//! thresholds loose enough to hold for any seed (chi-square, 9 degrees of freedom: 40 is
//! far beyond the 0.1% critical value 27.9, while a wrong scale scores in the thousands).

use rand::rngs::ChaCha8Rng;
use rand::SeedableRng;
use tuner::space::{Param, SearchSpace, Value};

const DRAWS: usize = 20_000;

/// Chi-square of `samples` in `[0, 1)` over 10 equal bins against the uniform law.
fn chi_square_uniform(samples: impl Iterator<Item = f64>) -> f64 {
    let mut bins = [0usize; 10];
    let mut n = 0usize;
    for s in samples {
        assert!(
            (0.0..=1.0).contains(&s),
            "sample {s} outside the unit interval"
        );
        bins[((s * 10.0) as usize).min(9)] += 1;
        n += 1;
    }
    let expected = n as f64 / 10.0;
    bins.iter()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum()
}

fn draws(p: &Param, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..DRAWS)
        .map(|_| p.sample(&mut rng).as_float().unwrap())
        .collect()
}

#[test]
fn log_sampling_is_uniform_in_log_scale() {
    let (min, max) = (1e-4, 1.0);
    let p = Param::float("lr", min, max).log().build().unwrap();
    let xs = draws(&p, 7);
    let log_scale = xs.iter().map(|x| (x / min).ln() / (max / min).ln());
    let chi = chi_square_uniform(log_scale);
    assert!(chi < 40.0, "log(x) should be uniform, chi-square {chi}");
    // ... and therefore far from uniform in linear scale.
    let linear = xs.iter().map(|x| (x - min) / (max - min));
    assert!(chi_square_uniform(linear) > 1000.0);
}

#[test]
fn linear_sampling_is_uniform() {
    let p = Param::float("dropout", 0.0, 0.5).build().unwrap();
    let chi = chi_square_uniform(draws(&p, 11).into_iter().map(|x| x / 0.5));
    assert!(chi < 40.0, "chi-square {chi}");
}

#[test]
fn reverse_log_sampling_crowds_towards_max() {
    let (min, max) = (1e-4, 1.0);
    let p = Param::float("momentum", min, max)
        .reverse_log()
        .build()
        .unwrap();
    let xs = draws(&p, 3);
    // P(x > midpoint) = 1 - log(5001)/log(10000) ~ 0.925 (log sampling would give 0.075).
    let upper = xs.iter().filter(|&&x| x > (min + max) / 2.0).count() as f64 / DRAWS as f64;
    assert!(
        (upper - 0.925).abs() < 0.02,
        "share above the midpoint: {upper}"
    );
    // The distance to the top, `max + min - x`, is log-uniform on [min, max].
    let mirrored = xs
        .iter()
        .map(|x| ((max + min - x) / min).ln() / (max / min).ln());
    let chi = chi_square_uniform(mirrored);
    assert!(chi < 40.0, "chi-square {chi}");
}

#[test]
fn stepped_int_picks_every_grid_point_equally() {
    let p = Param::int("units", 10, 30).step(2).build().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut counts = [0usize; 11];
    for _ in 0..22_000 {
        let v = p.sample(&mut rng).as_int().unwrap();
        assert!(p.contains(&Value::Int(v)));
        counts[((v - 10) / 2) as usize] += 1;
    }
    let chi: f64 = counts
        .iter()
        .map(|&o| (o as f64 - 2000.0).powi(2) / 2000.0)
        .sum();
    assert!(
        chi < 42.0,
        "10 degrees of freedom, chi-square {chi}: {counts:?}"
    );
}

#[test]
fn log_int_without_step_reaches_both_ends() {
    let p = Param::int("filters", 1, 64).log().build().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let xs: Vec<i64> = (0..DRAWS)
        .map(|_| p.sample(&mut rng).as_int().unwrap())
        .collect();
    assert!(xs.contains(&1) && xs.contains(&64));
    // log sampling: about as many draws in [1, 8) as in [8, 65).
    let low = xs.iter().filter(|&&x| x < 8).count() as f64 / DRAWS as f64;
    let expected = (8f64).ln() / (65f64).ln();
    assert!((low - expected).abs() < 0.02, "{low} vs {expected}");
}

#[test]
fn space_sampling_is_reproducible_and_valid() {
    let space = SearchSpace::builder()
        .param(Param::choice("model_type", ["mlp", "cnn"]))
        .scope("model_type", ["mlp"], |b| {
            b.param(Param::int("mlp_units", 32, 128).step(32))
        })
        .scope("model_type", ["cnn"], |b| {
            b.param(Param::choice("cnn_filters", [16, 32]))
                .param(Param::choice("cnn_kernel", [3, 5]))
        })
        .param(Param::float("lr", 1e-4, 1e-2).log())
        .build()
        .unwrap();
    let mut a = ChaCha8Rng::seed_from_u64(42);
    let mut b = ChaCha8Rng::seed_from_u64(42);
    let mut seen_mlp = false;
    let mut seen_cnn = false;
    for _ in 0..200 {
        let values = space.sample(&mut a);
        assert_eq!(values, space.sample(&mut b));
        space.check(&values).unwrap();
        match values.get_as::<String>("model_type").unwrap().as_str() {
            "mlp" => {
                seen_mlp = true;
                assert_eq!(values.len(), 3);
            }
            _ => {
                seen_cnn = true;
                assert_eq!(values.len(), 4);
            }
        }
    }
    assert!(seen_mlp && seen_cnn);
}
