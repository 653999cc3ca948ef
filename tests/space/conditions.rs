//! Conditional parameters (KerasTuner's conditional_scope): live only where their parents
//! say so, enumerated only where live, never silently active.

use std::collections::HashSet;
use tuner::space::{HyperParameters, Param, SearchSpace, SpaceError, Value};

/// model_type mlp -> mlp_units; model_type cnn -> cnn_filters x cnn_kernel.
fn conditional_space() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::choice("model_type", ["mlp", "cnn"]))
        .scope("model_type", ["mlp"], |b| {
            b.param(Param::int("mlp_units", 32, 128).step(32))
        })
        .scope("model_type", ["cnn"], |b| {
            b.param(Param::choice("cnn_filters", [16, 32]))
                .param(Param::choice("cnn_kernel", [3, 5]))
        })
        .build()
        .unwrap()
}

fn hp(pairs: &[(&str, Value)]) -> HyperParameters {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[test]
fn conditional_space_has_4_plus_4_combinations() {
    let space = conditional_space();
    assert_eq!(space.cardinality(), Some(8));
    let grid: Vec<HyperParameters> = space.grid().unwrap().collect();
    assert_eq!(grid.len(), 8);
    let keys: HashSet<String> = grid.iter().map(HyperParameters::key).collect();
    assert_eq!(keys.len(), 8, "no combination twice");
    for values in &grid {
        space.check(values).unwrap();
        let names: Vec<&str> = values.iter().map(|(k, _)| k).collect();
        match values.get_as::<String>("model_type").unwrap().as_str() {
            "mlp" => assert_eq!(names, ["mlp_units", "model_type"]),
            _ => assert_eq!(names, ["cnn_filters", "cnn_kernel", "model_type"]),
        }
    }
    let mlp = grid.iter().filter(|v| v.contains("mlp_units")).count();
    assert_eq!(mlp, 4);
}

#[test]
fn children_are_inactive_when_the_parent_says_so() {
    let space = conditional_space();
    let mlp_units = space.get("mlp_units").unwrap();
    let cnn = hp(&[("model_type", "cnn".into())]);
    let mlp = hp(&[("model_type", "mlp".into())]);
    assert!(!space.is_active(mlp_units, &cnn));
    assert!(space.is_active(mlp_units, &mlp));
    assert!(
        !space.is_active(mlp_units, &HyperParameters::new()),
        "no parent value"
    );
}

#[test]
fn defaults_hold_only_live_params() {
    let defaults = conditional_space().defaults();
    assert_eq!(
        defaults,
        hp(&[("model_type", "mlp".into()), ("mlp_units", Value::Int(32))])
    );
}

#[test]
fn nested_scopes_and_their_conditions() {
    let space = SearchSpace::builder()
        .param(Param::choice("model_type", ["mlp", "cnn"]))
        .param(Param::boolean("regularize"))
        .scope("model_type", ["mlp"], |b| {
            b.param(Param::int("units", 32, 64).step(32))
                .scope("regularize", [true], |b| {
                    b.param(Param::float("dropout", 0.1, 0.5).step(0.2))
                })
        })
        .build()
        .unwrap();
    let dropout = space.get("dropout").unwrap();
    assert_eq!(dropout.conditions.len(), 2);
    let both = hp(&[("model_type", "mlp".into()), ("regularize", true.into())]);
    let only_regularize = hp(&[("model_type", "cnn".into()), ("regularize", true.into())]);
    let only_mlp = hp(&[("model_type", "mlp".into()), ("regularize", false.into())]);
    assert!(space.is_active(dropout, &both));
    assert!(!space.is_active(dropout, &only_regularize));
    assert!(!space.is_active(dropout, &only_mlp));
    // cnn: 2 (regularize); mlp: 2 units x (no dropout + 3 dropouts) = 8; 2 + 8 = 10.
    assert_eq!(space.cardinality(), Some(10));
    assert_eq!(space.grid().unwrap().count(), 10);
}

#[test]
fn an_inactive_parent_makes_its_child_inactive() {
    let space = SearchSpace::builder()
        .param(Param::choice("model_type", ["mlp", "cnn"]))
        .param(Param::choice("pooling", ["max", "avg"]).when("model_type", ["cnn"]))
        .param(Param::int("pool_size", 2, 3).when("pooling", ["max"]))
        .build()
        .unwrap();
    let pool_size = space.get("pool_size").unwrap();
    // A stale `pooling` value while `model_type` is mlp does not make pool_size live.
    let stale = hp(&[("model_type", "mlp".into()), ("pooling", "max".into())]);
    assert!(!space.is_active(pool_size, &stale));
    assert_eq!(
        space.check(&stale),
        Err(SpaceError::Inactive("pooling".into()))
    );
    // mlp: 1; cnn: avg 1 + max 2 = 3; 4 in all.
    assert_eq!(space.cardinality(), Some(4));
    assert_eq!(space.grid().unwrap().count(), 4);
}

#[test]
fn depth_conditions_make_an_active_prefix() {
    // What `units[i]` under `depth` becomes: units_i live iff i < depth.
    let mut builder = SearchSpace::builder().param(Param::int("depth", 1, 3));
    for i in 0..3i64 {
        builder =
            builder.param(Param::choice(format!("units_{i}"), [32, 64]).when("depth", i + 1..=3));
    }
    let space = builder.build().unwrap();
    // depth 1: 2; depth 2: 4; depth 3: 8.
    assert_eq!(space.cardinality(), Some(14));
    let grid: Vec<HyperParameters> = space.grid().unwrap().collect();
    assert_eq!(grid.len(), 14);
    for values in &grid {
        let depth = values.get_as::<i64>("depth").unwrap();
        assert_eq!(values.len() as i64, depth + 1);
    }
}

#[test]
fn check_reports_missing_unknown_wrong_and_out_of_range_values() {
    let space = conditional_space();
    let missing = hp(&[("model_type", "mlp".into())]);
    assert_eq!(
        space.check(&missing),
        Err(SpaceError::Missing("mlp_units".into()))
    );
    let unknown = hp(&[
        ("model_type", "mlp".into()),
        ("mlp_units", Value::Int(32)),
        ("typo", Value::Int(1)),
    ]);
    assert_eq!(
        space.check(&unknown),
        Err(SpaceError::Unknown("typo".into()))
    );
    let wrong = hp(&[
        ("model_type", "mlp".into()),
        ("mlp_units", Value::Float(32.0)),
    ]);
    assert!(
        matches!(space.check(&wrong), Err(SpaceError::WrongType { name, .. }) if name == "mlp_units")
    );
    let off_grid = hp(&[("model_type", "mlp".into()), ("mlp_units", Value::Int(40))]);
    let err = space.check(&off_grid).unwrap_err();
    assert!(matches!(&err, SpaceError::OutOfRange { name, .. } if name == "mlp_units"));
    assert!(err.to_string().contains("step grid"), "{err}");
}

#[test]
fn key_is_canonical_and_typed() {
    let a = hp(&[("x", Value::Int(1)), ("y", Value::Float(0.1))]);
    let b = hp(&[("y", Value::Float(0.1)), ("x", Value::Int(1))]);
    assert_eq!(a.key(), b.key(), "insertion order does not matter");
    let c = hp(&[("x", Value::Float(1.0)), ("y", Value::Float(0.1))]);
    assert_ne!(a.key(), c.key(), "an int and a float differ");
    let d = hp(&[("x", Value::Int(1)), ("y", Value::Float(0.1 + 1e-16))]);
    assert_ne!(a.key(), d.key(), "floats are keyed exactly");
}
