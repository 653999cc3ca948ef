//! The unit-interval encoding (`prob_to_value` / `value_to_prob`), checked against the
//! numbers of KerasTuner's own tests.

use tuner::space::{HyperParameters, Param, SearchSpace, Value};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-4
}

#[test]
fn int_buckets_are_centred() {
    // KerasTuner test_int: Int(5, 9, step=1), value_to_prob(6) == 0.3.
    let p = Param::int("rg", 5, 9).step(1).build().unwrap();
    assert!(close(p.value_to_prob(&Value::Int(6)), 0.3));
    assert_eq!(p.prob_to_value(0.3), Value::Int(6));
    assert_eq!(p.prob_to_value(0.0), Value::Int(5));
    assert_eq!(p.prob_to_value(0.999_999), Value::Int(9));
}

#[test]
fn int_log_with_step() {
    // KerasTuner test_int_log_with_step.
    let p = Param::int("rg", 2, 32).step(2).log().build().unwrap();
    assert!(close(p.value_to_prob(&Value::Int(4)), 0.3));
    assert_eq!(p.prob_to_value(0.3), Value::Int(4));
}

#[test]
fn int_log_without_step_round_trips() {
    // KerasTuner test_int_log_without_step: values at v + 0.5 in [min, max + 1).
    let p = Param::int("rg", 2, 32).log().build().unwrap();
    assert_eq!(
        p.prob_to_value(p.value_to_prob(&Value::Int(4))),
        Value::Int(4)
    );
    let expected = (4.5f64 / 2.0).ln() / (33.0f64 / 2.0).ln();
    assert!((p.value_to_prob(&Value::Int(4)) - expected).abs() < 1e-12);
}

#[test]
fn float_linear_without_step() {
    // KerasTuner test_float_linear_value_to_prob_no_step.
    let p = Param::float("rg", 1.0, 11.0).build().unwrap();
    assert!(close(p.value_to_prob(&Value::Float(4.5)), 0.35));
    assert_eq!(p.prob_to_value(0.35), Value::Float(4.5));
}

#[test]
fn float_log_with_step() {
    // KerasTuner test_float_log_with_step.
    let p = Param::float("rg", 0.01, 100.0)
        .step(10)
        .log()
        .build()
        .unwrap();
    assert!(close(p.value_to_prob(&Value::Float(0.1)), 0.3));
    assert_eq!(p.prob_to_value(0.3), Value::Float(0.1));
}

#[test]
fn float_reverse_log_with_step() {
    // KerasTuner test_float_reverse_log_with_step: values 100, 99.91, 99.01, 90.01, 0.01.
    let p = Param::float("rg", 0.01, 100.0)
        .step(10)
        .reverse_log()
        .build()
        .unwrap();
    assert!(close(p.value_to_prob(&Value::Float(99.91)), 0.3));
    assert!(close(p.prob_to_value(0.3).as_float().unwrap(), 99.91));
    let values: Vec<f64> = p
        .values()
        .unwrap()
        .iter()
        .map(|v| v.as_float().unwrap())
        .collect();
    for (v, e) in values.iter().zip([100.0, 99.91, 99.01, 90.01, 0.01]) {
        assert!(close(*v, e), "{values:?}");
    }
}

#[test]
fn float_zero_length_interval_is_centred() {
    let p = Param::float("f", 2.0, 2.0).build().unwrap();
    assert_eq!(p.value_to_prob(&Value::Float(2.0)), 0.5);
    assert_eq!(p.prob_to_value(0.7), Value::Float(2.0));
}

#[test]
fn choice_buckets_are_centred() {
    // KerasTuner test_choice: value_to_prob(1) of [1, 2, 3] is 1/6.
    let p = Param::choice("choice", [1, 2, 3]).build().unwrap();
    assert!(close(p.value_to_prob(&Value::Int(1)), 1.0 / 6.0));
    assert_eq!(p.prob_to_value(1.0), Value::Int(3));
    assert_eq!(p.prob_to_value(0.0), Value::Int(1));
    assert!(p.value_to_prob(&Value::Int(7)).is_nan(), "not a choice");
}

#[test]
fn boolean_and_fixed() {
    let b = Param::boolean("b").build().unwrap();
    assert_eq!(b.value_to_prob(&Value::Bool(false)), 0.25);
    assert_eq!(b.value_to_prob(&Value::Bool(true)), 0.75);
    assert_eq!(b.prob_to_value(0.49), Value::Bool(false));
    assert_eq!(b.prob_to_value(0.5), Value::Bool(true));
    let f = Param::fixed("f", "adam").build().unwrap();
    assert_eq!(f.value_to_prob(&Value::from("adam")), 0.5);
    assert_eq!(f.prob_to_value(0.9), Value::from("adam"));
}

#[test]
fn every_grid_value_round_trips() {
    let params = [
        Param::int("a", 6, 12).build().unwrap(),
        Param::int("b", 6, 13).step(3).build().unwrap(),
        Param::int("c", 2, 32).step(2).log().build().unwrap(),
        Param::int("d", 2, 32)
            .step(2)
            .reverse_log()
            .build()
            .unwrap(),
        Param::int("e", 1, 50).log().build().unwrap(),
        Param::int("e2", 1, 50).reverse_log().build().unwrap(),
        Param::float("f", 0.0, 1.0).step(0.2).build().unwrap(),
        Param::float("g", -1.0, 1.0).step(0.1).build().unwrap(),
        Param::float("h", 0.001, 10.0)
            .step(10)
            .log()
            .build()
            .unwrap(),
        Param::float("i", 0.01, 100.0)
            .step(10)
            .reverse_log()
            .build()
            .unwrap(),
        Param::choice("j", ["relu", "tanh", "gelu"])
            .build()
            .unwrap(),
        Param::choice("k", [0.9, 0.7, 0.5, 0.3]).build().unwrap(),
        Param::boolean("l").build().unwrap(),
        Param::fixed("m", 3).build().unwrap(),
    ];
    for p in &params {
        let values = p.values().unwrap();
        assert!(!values.is_empty());
        for v in values {
            let u = p.value_to_prob(&v);
            assert!((0.0..1.0).contains(&u), "{}: {v:?} -> {u}", p.name);
            assert_eq!(p.prob_to_value(u), v, "{}", p.name);
        }
    }
}

#[test]
fn prob_to_value_always_gives_a_value_of_the_param() {
    let params = [
        Param::int("a", 1, 100).log().build().unwrap(),
        Param::int("b", 1, 100).reverse_log().build().unwrap(),
        Param::float("c", 1e-5, 1e-1).log().build().unwrap(),
        Param::float("d", 1e-5, 1e-1).reverse_log().build().unwrap(),
        Param::float("e", 0.0, 1.0).step(0.3).build().unwrap(),
    ];
    for p in &params {
        for i in 0..=1000 {
            let u = f64::from(i) / 1000.0;
            let v = p.prob_to_value(u);
            assert!(p.contains(&v), "{}: {u} -> {v:?}", p.name);
        }
        assert!(p.contains(&p.prob_to_value(f64::NAN)));
        assert!(p.contains(&p.prob_to_value(7.0)));
    }
}

#[test]
fn a_space_maps_to_and_from_the_unit_cube() {
    let space = SearchSpace::builder()
        .param(Param::choice("model_type", ["mlp", "cnn"]))
        .scope("model_type", ["mlp"], |b| {
            b.param(Param::int("mlp_units", 32, 128).step(32))
        })
        .param(Param::float("lr", 1e-4, 1e-2).log())
        .build()
        .unwrap();
    let values = space.from_unit(&[0.75, 0.9, 0.5]);
    assert_eq!(values.get("model_type"), Some(&Value::from("cnn")));
    assert!(!values.contains("mlp_units"), "inactive coordinate ignored");
    assert!((values.get_as::<f64>("lr").unwrap() - 1e-3).abs() < 1e-12);
    let unit = space.to_unit(&values);
    assert_eq!(unit.len(), 3);
    assert_eq!(unit[0], Some(0.75));
    assert_eq!(unit[1], None);
    assert!((unit[2].unwrap() - 0.5).abs() < 1e-12);

    let mut mlp = HyperParameters::new();
    mlp.insert("model_type", "mlp");
    mlp.insert("mlp_units", 96);
    mlp.insert("lr", 1e-4);
    assert_eq!(
        space.to_unit(&mlp),
        vec![Some(0.25), Some(0.625), Some(0.0)]
    );
    assert_eq!(space.index_of("lr"), Some(2));
}
