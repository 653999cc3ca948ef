//! Every rule a space must follow, one test each: the space is rejected with a message that
//! names the parameter (and says what to do), and all problems come out at once.

use tuner::space::{Condition, Param, ParamKind, Sampling, SearchSpace, SpaceError, Value};

/// The problems of a space that must be invalid.
fn problems(result: Result<SearchSpace, SpaceError>) -> Vec<String> {
    match result {
        Err(SpaceError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect(),
        other => panic!("expected an invalid space, got {other:?}"),
    }
}

/// Asserts exactly one problem, naming `name` and mentioning `needle`.
fn rejects(result: Result<SearchSpace, SpaceError>, name: &str, needle: &str) {
    let problems = problems(result);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains(&format!("`{name}`")),
        "{}",
        problems[0]
    );
    assert!(problems[0].contains(needle), "{}", problems[0]);
}

fn one(p: impl Into<tuner::space::ParamBuilder>) -> Result<SearchSpace, SpaceError> {
    SearchSpace::builder().param(p).build()
}

#[test]
fn min_above_max() {
    rejects(one(Param::int("units", 12, 6)), "units", "swap the bounds");
    rejects(one(Param::float("lr", 0.1, 0.01)), "lr", "greater than max");
}

#[test]
fn step_zero_or_negative() {
    rejects(
        one(Param::int("units", 1, 9).step(0)),
        "units",
        "not positive",
    );
    rejects(
        one(Param::float("rate", 0.0, 1.0).step(-0.1)),
        "rate",
        "not positive",
    );
}

#[test]
fn log_sampling_needs_a_positive_min() {
    rejects(one(Param::float("lr", 0.0, 1.0).log()), "lr", "min > 0");
    rejects(one(Param::int("n", -2, 8).reverse_log()), "n", "min > 0");
}

#[test]
fn log_sampling_needs_a_multiplying_step() {
    rejects(
        one(Param::int("k", 1, 10).step(1).log()),
        "k",
        "greater than 1",
    );
    rejects(
        one(Param::float("lr", 0.1, 10.0).step(0.5).log()),
        "lr",
        "greater than 1",
    );
}

#[test]
fn float_bounds_and_step_are_finite() {
    rejects(
        one(Param::float("lr", f64::NAN, 1.0)),
        "lr",
        "not a finite number",
    );
    rejects(
        one(Param::float("lr", 0.0, f64::INFINITY)),
        "lr",
        "not a finite number",
    );
    rejects(
        one(Param::float("lr", 0.0, 1.0).step(f64::NAN)),
        "lr",
        "not a finite number",
    );
}

#[test]
fn choice_list_is_not_empty() {
    rejects(
        one(Param::choice("act", Vec::<Value>::new())),
        "act",
        "empty",
    );
}

#[test]
fn choice_values_share_one_type() {
    let mixed = vec![Value::from("a"), Value::from("b"), Value::Int(0)];
    rejects(one(Param::choice("act", mixed)), "act", "mix types");
}

#[test]
fn choice_values_are_distinct() {
    rejects(
        one(Param::choice("act", ["relu", "tanh", "relu"])),
        "act",
        "more than once",
    );
    rejects(
        one(Param::choice("m", [0.9, 0.5, 0.9])),
        "m",
        "more than once",
    );
}

#[test]
fn choice_values_are_finite() {
    rejects(
        one(Param::choice("m", [0.9, f64::NAN])),
        "m",
        "not a finite number",
    );
}

#[test]
fn only_number_choices_are_ordered() {
    rejects(
        one(Param::choice("act", ["relu", "tanh"]).ordered(true)),
        "act",
        "ordered",
    );
    assert!(one(Param::choice("m", [0.9, 0.5]).ordered(false)).is_ok());
}

#[test]
fn default_inside_the_range() {
    rejects(
        one(Param::int("units", 6, 12).default(13)),
        "units",
        "outside the range",
    );
    rejects(
        one(Param::float("lr", 0.0, 1.0).default(2.0)),
        "lr",
        "outside the range",
    );
}

#[test]
fn default_on_the_step_grid() {
    rejects(
        one(Param::int("units", 6, 13).step(3).default(7)),
        "units",
        "step grid",
    );
    rejects(
        one(Param::int("bs", 2, 32).step(2).log().default(6)),
        "bs",
        "log grid",
    );
    rejects(
        one(Param::float("rate", 0.0, 1.0).step(0.2).default(0.5)),
        "rate",
        "step grid",
    );
}

#[test]
fn default_among_the_choices() {
    rejects(
        one(Param::choice("act", ["relu", "tanh"]).default("gelu")),
        "act",
        "choices",
    );
}

#[test]
fn default_of_the_right_type() {
    rejects(
        one(Param::int("units", 6, 12).default("six")),
        "units",
        "str value",
    );
    rejects(
        one(Param::boolean("shuffle").default(1)),
        "shuffle",
        "int value",
    );
}

#[test]
fn fixed_default_is_its_value() {
    let p = Param {
        name: "epochs".into(),
        kind: ParamKind::Fixed {
            value: Value::Int(10),
        },
        default: Value::Int(5),
        conditions: vec![],
    };
    rejects(
        SearchSpace::from_params(vec![p]),
        "epochs",
        "fixed parameter",
    );
}

#[test]
fn fixed_value_is_finite() {
    rejects(
        one(Param::fixed("scale", f64::NAN)),
        "scale",
        "not a finite number",
    );
}

#[test]
fn names_are_unique() {
    let result = SearchSpace::builder()
        .param(Param::int("units", 1, 4))
        .param(Param::boolean("units"))
        .build();
    rejects(result, "units", "declared twice");
}

#[test]
fn condition_parent_exists() {
    let result = one(Param::int("mlp_units", 32, 64).when("model", ["mlp"]));
    rejects(result, "mlp_units", "not a parameter of this space");
}

#[test]
fn condition_parent_comes_first() {
    let result = SearchSpace::builder()
        .param(Param::int("mlp_units", 32, 64).when("model_type", ["mlp"]))
        .param(Param::choice("model_type", ["mlp", "cnn"]))
        .build();
    rejects(result, "mlp_units", "declared after it");
}

#[test]
fn condition_value_is_a_parent_value() {
    let result = SearchSpace::builder()
        .param(Param::choice("model_type", ["mlp", "cnn"]))
        .param(Param::int("units", 32, 64).when("model_type", ["rnn"]))
        .build();
    rejects(result, "units", "can never be taken by `model_type`");
    let int_parent = SearchSpace::builder()
        .param(Param::int("depth", 1, 3))
        .param(Param::int("units_3", 32, 64).when("depth", [4]))
        .build();
    rejects(int_parent, "units_3", "outside the range");
}

#[test]
fn condition_value_has_the_parent_type() {
    let result = SearchSpace::builder()
        .param(Param::choice("model_type", ["mlp", "cnn"]))
        .param(Param::int("units", 32, 64).when("model_type", [1]))
        .build();
    rejects(result, "units", "holds str values");
}

#[test]
fn condition_parent_has_a_finite_value_set() {
    let result = SearchSpace::builder()
        .param(Param::float("lr", 0.001, 0.1))
        .param(Param::int("warmup", 0, 5).when("lr", [0.01]))
        .build();
    rejects(result, "warmup", "no finite set of values");
    let stepped = SearchSpace::builder()
        .param(Param::float("dropout", 0.0, 0.5).step(0.1))
        .param(Param::int("warmup", 0, 5).when("dropout", [0.3]))
        .build();
    assert!(stepped.is_ok(), "a stepped float is a fine parent");
}

#[test]
fn condition_is_not_on_the_param_itself() {
    let result = one(Param::int("units", 1, 4).when("units", [2]));
    rejects(result, "units", "itself");
}

#[test]
fn condition_lists_some_values() {
    let result = SearchSpace::builder()
        .param(Param::boolean("regularize"))
        .param(Param::float("l2", 0.0, 0.1).when("regularize", Vec::<bool>::new()))
        .build();
    rejects(result, "l2", "lists no values");
}

#[test]
fn builder_misuse_is_reported_not_panicked() {
    rejects(
        one(Param::choice("act", ["relu"]).step(2)),
        "act",
        "step(2)",
    );
    rejects(
        one(Param::boolean("b").log()),
        "b",
        "sampling applies to int and float",
    );
    rejects(
        one(Param::int("n", 1, 9).ordered(true)),
        "n",
        "`ordered` applies to choice",
    );
    rejects(one(Param::int("n", 1, 9).step(2.5)), "n", "whole number");
}

#[test]
fn all_problems_are_reported_at_once() {
    let result = SearchSpace::builder()
        .param(Param::int("units", 64, 32))
        .param(Param::float("lr", 0.0, 1.0).log())
        .param(Param::choice("act", ["relu", "tanh"]).when("kind", ["a"]))
        .build();
    let problems = problems(result);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].contains("`units`"));
    assert!(problems[1].contains("`lr`"));
    assert!(problems[2].contains("`act`"));
    let message = SearchSpace::builder()
        .param(Param::int("units", 64, 32))
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("invalid search space:\n  - `units`"),
        "{message}"
    );
}

#[test]
fn struct_literals_are_validated_like_the_builder() {
    // What `#[hypermodel]` generates.
    let params = vec![
        Param {
            name: "units".into(),
            kind: ParamKind::Int {
                min: 32,
                max: 512,
                step: Some(32),
                sampling: Sampling::Linear,
            },
            default: Value::Int(32),
            conditions: vec![],
        },
        Param {
            name: "dropout".into(),
            kind: ParamKind::Float {
                min: 0.0,
                max: 0.5,
                step: Some(0.1),
                sampling: Sampling::Linear,
            },
            default: Value::Float(0.0),
            conditions: vec![Condition {
                parent: "units".into(),
                values: vec![Value::Int(64)],
            }],
        },
    ];
    let space = SearchSpace::from_params(params).unwrap();
    assert_eq!(space.len(), 2);
    assert_eq!(space.cardinality(), Some(15 + 6));
}

#[test]
fn a_param_can_be_checked_on_its_own() {
    let err = Param::int("units", 6, 13)
        .step(3)
        .default(7)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("`units`"));
    let ok = Param::int("units", 6, 13)
        .step(3)
        .default(9)
        .build()
        .unwrap();
    assert_eq!(ok.default, Value::Int(9));
}

#[test]
fn problems_are_structured_with_parameter_and_field() {
    use tuner::space::{Field, Problem};
    let space = SearchSpace::builder()
        .param(Param::int("n", 1, 9).step(2).default(4))
        .param(Param::choice("c", [0.1, 0.1 + 1e-12]))
        .param(Param::boolean("b").when("nope", [true]))
        .build();
    let Err(SpaceError::Invalid(problems)) = space else {
        panic!("expected an invalid space, got {space:?}");
    };
    let parts: Vec<(Option<&str>, Field)> =
        problems.iter().map(|p| (p.param(), p.field())).collect();
    assert_eq!(
        parts,
        [
            (Some("n"), Field::Default),
            (Some("c"), Field::Value(1)),
            (Some("b"), Field::Condition(0)),
        ]
    );
    assert!(matches!(
        &problems[1],
        Problem::DuplicateChoice { index: 1, .. }
    ));
    // The text is the one the run time has always printed.
    assert_eq!(
        problems[0].to_string(),
        "`n`: the default 4 is not on the step grid 1 + k * 2 (1, 3, 5, 7, ...); pick a default \
         among the parameter's values"
    );
}
