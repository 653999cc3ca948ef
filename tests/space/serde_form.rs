//! Spaces and values as JSON: round trips, and an invalid space is refused on load.

use tuner::space::{HyperParameters, Param, SearchSpace, Value};

/// The seed's time-series space with a conditional branch, as a JSON file holds it.
const SPACE_JSON: &str = r#"{
  "params": [
    { "name": "units", "kind": { "type": "int", "min": 10, "max": 30, "step": 2 }, "default": 10 },
    { "name": "momentum", "kind": { "type": "choice", "values": [0.9, 0.7, 0.5, 0.3], "ordered": true },
      "default": 0.9 },
    { "name": "optimizer", "kind": { "type": "choice", "values": ["sgd", "adam"], "ordered": false },
      "default": "sgd" },
    { "name": "nesterov", "kind": { "type": "boolean" }, "default": false,
      "conditions": [ { "parent": "optimizer", "values": ["sgd"] } ] },
    { "name": "lr", "kind": { "type": "float", "min": 0.0001, "max": 0.01, "sampling": "log" },
      "default": 0.0001 },
    { "name": "epochs", "kind": { "type": "fixed", "value": 20 }, "default": 20 }
  ]
}"#;

#[test]
fn a_json_space_loads_and_validates() {
    let space: SearchSpace = serde_json::from_str(SPACE_JSON).unwrap();
    assert_eq!(space.len(), 6);
    let expected = SearchSpace::builder()
        .param(Param::int("units", 10, 30).step(2))
        .param(Param::choice("momentum", [0.9, 0.7, 0.5, 0.3]))
        .param(Param::choice("optimizer", ["sgd", "adam"]))
        .scope("optimizer", ["sgd"], |b| {
            b.param(Param::boolean("nesterov"))
        })
        .param(Param::float("lr", 1e-4, 1e-2).log())
        .param(Param::fixed("epochs", 20))
        .build()
        .unwrap();
    assert_eq!(space, expected);
}

#[test]
fn a_space_round_trips_through_json() {
    let space: SearchSpace = serde_json::from_str(SPACE_JSON).unwrap();
    let json = serde_json::to_string(&space).unwrap();
    let back: SearchSpace = serde_json::from_str(&json).unwrap();
    assert_eq!(back, space);
}

#[test]
fn an_invalid_json_space_is_refused_with_the_problem() {
    let bad = SPACE_JSON.replace(r#""min": 10, "max": 30"#, r#""min": 30, "max": 10"#);
    let err = serde_json::from_str::<SearchSpace>(&bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`units`"), "{err}");
    assert!(err.contains("greater than max"), "{err}");
    let orphan = SPACE_JSON.replace(r#""parent": "optimizer""#, r#""parent": "optimiser""#);
    let err = serde_json::from_str::<SearchSpace>(&orphan)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`nesterov`") && err.contains("`optimiser`"),
        "{err}"
    );
}

#[test]
fn values_round_trip_through_json_with_their_types() {
    let space: SearchSpace = serde_json::from_str(SPACE_JSON).unwrap();
    let mut values = HyperParameters::new();
    values.insert("units", 14);
    values.insert("momentum", 0.7);
    values.insert("optimizer", "sgd");
    values.insert("nesterov", true);
    values.insert("lr", 0.000_123_456_789);
    values.insert("epochs", 20);
    space.check(&values).unwrap();
    let json = serde_json::to_string(&values).unwrap();
    assert_eq!(
        json,
        r#"{"epochs":20,"lr":0.000123456789,"momentum":0.7,"nesterov":true,"optimizer":"sgd","units":14}"#
    );
    let back: HyperParameters = serde_json::from_str(&json).unwrap();
    assert_eq!(back, values);
    assert_eq!(back.get("units"), Some(&Value::Int(14)));
    assert_eq!(back.key(), values.key());
    space.check(&back).unwrap();
}

#[test]
fn a_whole_float_stays_a_float() {
    let mut values = HyperParameters::new();
    values.insert("scale", 1.0);
    let back: HyperParameters =
        serde_json::from_str(&serde_json::to_string(&values).unwrap()).unwrap();
    assert_eq!(back.get("scale"), Some(&Value::Float(1.0)));
}
