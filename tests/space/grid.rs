//! KerasTuner's grids, with the numbers of its own docstrings (DESIGN.md section 3).

use tuner::space::{Param, SearchSpace, SpaceError, Value};

fn ints(param: &Param) -> Vec<i64> {
    param
        .values()
        .expect("finite")
        .iter()
        .map(|v| v.as_int().expect("int"))
        .collect()
}

fn floats(param: &Param) -> Vec<f64> {
    param
        .values()
        .expect("finite")
        .iter()
        .map(|v| v.as_float().expect("float"))
        .collect()
}

#[test]
fn int_max_is_inclusive() {
    let p = Param::int("n_layers", 6, 12).build().unwrap();
    assert_eq!(ints(&p), vec![6, 7, 8, 9, 10, 11, 12]);
    assert_eq!(p.cardinality(), Some(7));
}

#[test]
fn int_step_is_added_and_stops_at_max() {
    let p = Param::int("n_layers", 6, 13).step(3).build().unwrap();
    assert_eq!(ints(&p), vec![6, 9, 12]);
}

#[test]
fn int_log_step_multiplies() {
    let p = Param::int("batch_size", 2, 32)
        .step(2)
        .log()
        .build()
        .unwrap();
    assert_eq!(ints(&p), vec![2, 4, 8, 16, 32]);
}

#[test]
fn int_reverse_log_step_counts_down_from_max() {
    let p = Param::int("n", 2, 32)
        .step(2)
        .reverse_log()
        .build()
        .unwrap();
    assert_eq!(ints(&p), vec![32, 30, 26, 18, 2]);
}

#[test]
fn reverse_log_default_is_the_grid_point_nearest_min() {
    // 50 + 1 - 1 * 10^k: 50, 41; `min` itself is not on this grid.
    let p = Param::float("x", 1.0, 50.0)
        .step(10)
        .reverse_log()
        .build()
        .unwrap();
    assert_eq!(
        p.values(),
        Some(vec![Value::Float(50.0), Value::Float(41.0)])
    );
    assert_eq!(p.default, Value::Float(41.0));
    let q = Param::int("n", 2, 32)
        .step(2)
        .reverse_log()
        .build()
        .unwrap();
    assert_eq!(
        q.default,
        Value::Int(2),
        "min is on this grid: 32 / 2 = 2^4"
    );
}

#[test]
fn float_step_includes_max() {
    let p = Param::float("rotation", 0.0, 1.0)
        .step(0.2)
        .build()
        .unwrap();
    let values = floats(&p);
    assert_eq!(values.len(), 6);
    for (k, v) in values.iter().enumerate() {
        assert!((v - 0.2 * k as f64).abs() < 1e-12, "{values:?}");
    }
    assert!((values[5] - 1.0).abs() < 1e-12);
}

#[test]
fn float_grid_points_are_tidy_decimals() {
    let p = Param::float("dropout", 0.0, 0.5).step(0.1).build().unwrap();
    assert_eq!(floats(&p), vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5]);
}

#[test]
fn float_log_step_multiplies() {
    let p = Param::float("learning_rate", 0.001, 10.0)
        .step(10)
        .log()
        .build()
        .unwrap();
    let values = floats(&p);
    let expected = [0.001, 0.01, 0.1, 1.0, 10.0];
    assert_eq!(values.len(), expected.len());
    for (v, e) in values.iter().zip(expected) {
        assert!((v - e).abs() <= 1e-12 * e, "{values:?}");
    }
}

#[test]
fn float_without_step_has_no_finite_values() {
    let p = Param::float("lr", 1e-4, 1e-2).log().build().unwrap();
    assert_eq!(p.values(), None);
    assert_eq!(p.cardinality(), None);
}

#[test]
fn grid_search_samples_ten_points_of_a_float_without_step() {
    // KerasTuner's GridSearch: `{prob_to_value(0.1 * i + 0.05) for i in range(10)}`,
    // and the default first.
    let p = Param::float("x", 0.0, 1.0).build().unwrap();
    let values = p.grid_values();
    assert_eq!(values.len(), 11, "10 samples plus the default 0.0");
    assert_eq!(values[0], Value::Float(0.0));
    for (i, v) in values[1..].iter().enumerate() {
        assert!((v.as_float().unwrap() - (0.1 * i as f64 + 0.05)).abs() < 1e-12);
    }
}

#[test]
fn grid_search_samples_a_log_int_without_step() {
    let p = Param::int("n", 1, 1000).log().build().unwrap();
    assert_eq!(p.cardinality(), Some(1000), "every integer is a value");
    let values = p.grid_values();
    // Python: [int(1 * math.pow(1001, 0.1 * i + 0.05)) for i in range(10)]
    let ints: Vec<i64> = values.iter().map(|v| v.as_int().unwrap()).collect();
    assert_eq!(ints, vec![1, 2, 5, 11, 22, 44, 89, 177, 355, 708]);
}

#[test]
fn a_linear_int_grid_lists_every_value_default_first() {
    let p = Param::int("n", 1, 4).default(3).build().unwrap();
    let ints: Vec<i64> = p
        .grid_values()
        .iter()
        .map(|v| v.as_int().unwrap())
        .collect();
    assert_eq!(ints, vec![3, 1, 2, 4]);
}

#[test]
fn boolean_and_fixed_values() {
    let b = Param::boolean("shuffle").build().unwrap();
    assert_eq!(
        b.values(),
        Some(vec![Value::Bool(true), Value::Bool(false)])
    );
    assert_eq!(b.grid_values(), vec![Value::Bool(false), Value::Bool(true)]);
    let f = Param::fixed("epochs", 10).build().unwrap();
    assert_eq!(f.values(), Some(vec![Value::Int(10)]));
}

#[test]
fn contains_checks_type_range_and_grid() {
    let p = Param::int("units", 10, 30).step(2).build().unwrap();
    assert!(p.contains(&Value::Int(14)));
    assert!(!p.contains(&Value::Int(15)), "off the step grid");
    assert!(!p.contains(&Value::Int(32)), "above max");
    assert!(!p.contains(&Value::Float(14.0)), "wrong type");
    let f = Param::float("rate", 0.0, 1.0).step(0.2).build().unwrap();
    assert!(f.contains(&Value::Float(0.6)));
    assert!(
        f.contains(&Value::Float(0.2 * 3.0)),
        "grid arithmetic noise is tolerated"
    );
    assert!(!f.contains(&Value::Float(0.5)));
}

#[test]
fn time_series_space_has_44_combinations() {
    let space = SearchSpace::builder()
        .param(Param::int("units", 10, 30).step(2))
        .param(Param::choice("momentum", [0.9, 0.7, 0.5, 0.3]))
        .build()
        .unwrap();
    assert_eq!(space.cardinality(), Some(44));
    let keys: std::collections::HashSet<String> = space.grid().unwrap().map(|v| v.key()).collect();
    assert_eq!(keys.len(), 44);
    assert_eq!(space.grid().unwrap().count(), 44);
}

#[test]
fn grid_starts_at_the_defaults_and_varies_the_last_param_fastest() {
    let space = SearchSpace::builder()
        .param(Param::choice("optimizer", ["sgd", "adam"]))
        .param(Param::choice("learning_rate", [0.01, 0.1]))
        .build()
        .unwrap();
    let order: Vec<(String, f64)> = space
        .grid()
        .unwrap()
        .map(|v| {
            (
                v.get_as::<String>("optimizer").unwrap(),
                v.get_as::<f64>("learning_rate").unwrap(),
            )
        })
        .collect();
    let expected = [("sgd", 0.01), ("sgd", 0.1), ("adam", 0.01), ("adam", 0.1)];
    let expected: Vec<(String, f64)> = expected.iter().map(|(o, l)| (o.to_string(), *l)).collect();
    assert_eq!(order, expected);
    assert_eq!(space.grid().unwrap().next(), Some(space.defaults()));
}

#[test]
fn grid_of_an_unbounded_space_is_an_error_naming_the_param() {
    let space = SearchSpace::builder()
        .param(Param::float("lr", 1e-4, 1e-2).log())
        .build()
        .unwrap();
    assert!(matches!(space.grid(), Err(SpaceError::NotFinite(name)) if name == "lr"));
    assert_eq!(space.cardinality(), None);
    assert_eq!(space.sampled_grid().count(), 11);
}
