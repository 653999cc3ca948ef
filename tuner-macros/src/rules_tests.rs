//! The macro rejects every problem the run time's validation can produce, each at its
//! token; the kinds its syntax cannot even express are rejected by that syntax. So no space
//! that compiles reaches the generated `.expect(..)` of `Model::space()`.

use crate::expand::hypermodel;
use proc_macro2::TokenStream;
use tuner_space::{Field, Problem, Sampling, Value, ValueType};

/// The errors of expanding `fn model() -> i64 { <body> }`.
fn errors(body: &str) -> Vec<String> {
    let item: TokenStream = format!("fn model() -> i64 {{ {body} }}").parse().unwrap();
    match hypermodel(TokenStream::new(), item) {
        Ok(_) => Vec::new(),
        Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
    }
}

/// Which kind a problem is; exhaustive, so a new kind fails to compile until it has a case.
fn kind(p: &Problem) -> usize {
    match p {
        Problem::EmptyName => 0,
        Problem::NotFinite { .. } => 1,
        Problem::MinAboveMax { .. } => 2,
        Problem::StepNotPositive { .. } => 3,
        Problem::LogNeedsPositiveMin { .. } => 4,
        Problem::LogStepNotAboveOne { .. } => 5,
        Problem::EmptyChoice { .. } => 6,
        Problem::MixedTypes { .. } => 7,
        Problem::ChoiceNotFinite { .. } => 8,
        Problem::DuplicateChoice { .. } => 9,
        Problem::OrderedNonNumeric { .. } => 10,
        Problem::FixedNotFinite { .. } => 11,
        Problem::FixedDefaultDiffers { .. } => 12,
        Problem::DefaultWrongType { .. } => 13,
        Problem::DefaultNotAValue { .. } => 14,
        Problem::DuplicateName { .. } => 15,
        Problem::ParentIsSelf { .. } => 16,
        Problem::ConditionEmpty { .. } => 17,
        Problem::ParentDeclaredAfter { .. } => 18,
        Problem::UnknownParent { .. } => 19,
        Problem::ParentNotFinite { .. } => 20,
        Problem::ConditionValueWrongType { .. } => 21,
        Problem::ConditionValueNever { .. } => 22,
        Problem::IntStepNotWhole { .. } => 23,
        Problem::NotApplicable { .. } => 24,
        Problem::NeverLive { .. } => 25,
    }
}
const KINDS: usize = 26;

fn s(v: &str) -> String {
    v.to_owned()
}

/// A body for each kind the macro's syntax can express, and the problem it must report.
fn reachable() -> Vec<(&'static str, Problem)> {
    let n = || s("n");
    vec![
        (
            "let a = hp_bool!(a); if a { hp_bool!(b); } \
             if !a && f(a) { hp_int!(c, 1..=3, parent_name = b, parent_values = [true]); } 1",
            Problem::NeverLive {
                name: s("c"),
                condition: 1,
                parent: s("b"),
                ancestor: s("a"),
                first: vec![Value::Bool(false)],
                second: vec![Value::Bool(true)],
            },
        ),
        (
            "hp_float!(n, 0.0..=1e400) as i64",
            Problem::NotFinite {
                name: n(),
                field: Field::Max,
                value: f64::INFINITY,
            },
        ),
        (
            "hp_int!(n, 5..=1)",
            Problem::MinAboveMax {
                name: n(),
                min: 5.0,
                max: 1.0,
            },
        ),
        (
            "hp_int!(n, 1..=9, step = 0)",
            Problem::StepNotPositive {
                name: n(),
                step: 0.0,
            },
        ),
        (
            "hp_int!(n, 0..=9, log)",
            Problem::LogNeedsPositiveMin {
                name: n(),
                sampling: Sampling::Log,
                min: 0.0,
            },
        ),
        (
            "hp_int!(n, 1..=9, step = 1, reverse_log)",
            Problem::LogStepNotAboveOne {
                name: n(),
                sampling: Sampling::ReverseLog,
                step: 1.0,
            },
        ),
        ("hp_choice!(n, [])", Problem::EmptyChoice { name: n() }),
        (
            "hp_choice!(n, [1, \"two\"])",
            Problem::MixedTypes {
                name: n(),
                types: vec![ValueType::Int, ValueType::Str],
                values: vec![Value::Int(1), Value::Str(s("two"))],
                first_other: 1,
            },
        ),
        (
            "hp_choice!(n, [1.0, 1e400]) as i64",
            Problem::ChoiceNotFinite {
                name: n(),
                index: 1,
                value: Value::Float(f64::INFINITY),
            },
        ),
        (
            "hp_choice!(n, [0.1, 0.1000000000001]) as i64",
            Problem::DuplicateChoice {
                name: n(),
                index: 1,
                value: Value::Float(0.1000000000001),
            },
        ),
        (
            "hp_choice!(n, [\"a\", \"b\"], ordered = true); 1",
            Problem::OrderedNonNumeric {
                name: n(),
                found: ValueType::Str,
            },
        ),
        (
            "hp_fixed!(n, 1e400) as i64",
            Problem::FixedNotFinite {
                name: n(),
                value: f64::INFINITY,
            },
        ),
        (
            "hp_bool!(n, default = 1); 1",
            Problem::DefaultWrongType {
                name: n(),
                default: Value::Int(1),
                expected: ValueType::Bool,
            },
        ),
        (
            "hp_int!(n, 1..=9, step = 2, default = 4)",
            Problem::DefaultNotAValue {
                name: n(),
                default: Value::Int(4),
                reason: s("not on the step grid 1 + k * 2 (1, 3, 5, 7, ...)"),
            },
        ),
        (
            "for i in 0..hp_int!(d, 1..=2) { hp_int!(u[i], 1..=3); } hp_int!(u_1, 1..=3)",
            Problem::DuplicateName {
                name: s("u_1"),
                first: 2,
                second: 3,
            },
        ),
        (
            "hp_int!(n, 1..=3, parent_name = n, parent_values = [1])",
            Problem::ParentIsSelf {
                name: n(),
                condition: 0,
            },
        ),
        (
            "hp_bool!(b); hp_int!(n, 1..=3, parent_name = b, parent_values = [])",
            Problem::ConditionEmpty {
                name: n(),
                condition: 0,
                parent: s("b"),
            },
        ),
        (
            "hp_bool!(flag); hp_int!(n, 1..=3, parent_name = flga, parent_values = [true])",
            Problem::UnknownParent {
                name: n(),
                condition: 0,
                parent: s("flga"),
            },
        ),
        (
            "hp_float!(lr, 0.0..=1.0); hp_int!(n, 1..=3, parent_name = lr, parent_values = [0.5])",
            Problem::ParentNotFinite {
                name: n(),
                condition: 0,
                parent: s("lr"),
            },
        ),
        (
            "hp_choice!(o, [\"a\", \"b\"]); hp_int!(n, 1..=3, parent_name = o, parent_values = [1])",
            Problem::ConditionValueWrongType {
                name: n(),
                condition: 0,
                index: 0,
                value: Value::Int(1),
                parent: s("o"),
                parent_type: ValueType::Str,
            },
        ),
        (
            "hp_choice!(o, [\"a\", \"b\"]); hp_int!(n, 1..=3, parent_name = o, parent_values = [\"c\"])",
            Problem::ConditionValueNever {
                name: n(),
                condition: 0,
                index: 0,
                value: Value::Str(s("c")),
                parent: s("o"),
                reason: s("not one of the choices [\"a\", \"b\"]"),
            },
        ),
    ]
}

/// The kinds the macro's syntax cannot express: an attempt, and the syntax error it gets.
fn unreachable() -> Vec<(usize, &'static str, &'static str)> {
    vec![
        // Names are identifiers.
        (
            0,
            "hp_int!(\"\", 1..=3)",
            "expected the hyperparameter's name",
        ),
        // `hp_fixed!` takes no default: its default is its value.
        (
            12,
            "hp_fixed!(n, 1, default = 2)",
            "unknown option `default`",
        ),
        // The macro orders parents before children; a cycle is the one order it cannot make.
        (
            18,
            "hp_int!(a, 1..=3, parent_name = b, parent_values = [1]); \
             hp_int!(b, 1..=3, parent_name = a, parent_values = [1])",
            "is its own ancestor",
        ),
        // `hp_int!` steps are integer literals, like its bounds (`ParamBuilder` takes `2.0`).
        (
            23,
            "hp_int!(n, 1..=9, step = 1.5)",
            "must be an integer, found 1.5",
        ),
        // Each macro takes only the options of its kind.
        (
            24,
            "hp_choice!(n, [1, 2], step = 1)",
            "unknown option `step`",
        ),
    ]
}

#[test]
fn every_problem_the_run_time_finds_is_a_compile_error() {
    let mut covered = [false; KINDS];
    for (body, problem) in reachable() {
        let errors = errors(body);
        assert!(
            errors.iter().any(|e| e.starts_with(&problem.to_string())),
            "{body}: expected `{problem}`, got {errors:#?}"
        );
        covered[kind(&problem)] = true;
    }
    for (k, body, needle) in unreachable() {
        let errors = errors(body);
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "{body}: expected `{needle}`, got {errors:#?}"
        );
        covered[k] = true;
    }
    let missing: Vec<usize> = (0..KINDS).filter(|&k| !covered[k]).collect();
    assert!(
        missing.is_empty(),
        "problem kinds without a case: {missing:?}"
    );
}

#[test]
fn fixes_are_in_the_users_syntax() {
    let e = errors("hp_int!(n, 1..=9, step = 2, default = 4)");
    assert!(e[0].ends_with(": e.g. `default = 3`"), "{e:?}");
    let e = errors("hp_int!(n, 5..=1)");
    assert!(
        e[0].ends_with("swap the bounds: write the range as `1..=5`"),
        "{e:?}"
    );
    let e = errors("hp_float!(n, 0.0..=1.0, log) as i64");
    assert!(
        e[0].ends_with("use linear sampling: start the range above zero, e.g. `1e-4..=`"),
        "{e:?}"
    );
    let e = errors("hp_bool!(n, default = 1); 1");
    assert!(e[0].ends_with(": e.g. `default = false`"), "{e:?}");
    let e = errors("hp_choice!(n, [1.5, 2]) as i64");
    assert!(e[0].ends_with(": write `2.0`"), "{e:?}");
    let e = errors("hp_bool!(flag); hp_int!(n, 1..=3, parent_name = flga, parent_values = [true])");
    assert!(e[0].ends_with("(did you mean `flag`?)"), "{e:?}");
}

#[test]
fn a_valid_space_expands() {
    let body =
        "let d = hp_int!(d, 1..=3); let mut t = 0; for i in 0..d { t += hp_int!(u[i], 1..=9, \
                step = 2, default = 5); } if hp_bool!(b) { t += hp_choice!(c, [1, 2]); } t";
    assert_eq!(errors(body), Vec::<String>::new());
}

#[test]
fn an_unanalysable_guard_is_one_error_however_many_calls_it_guards() {
    let e =
        errors("let d = hp_int!(d, 1..=3); if f(d) { hp_int!(a, 1..=2); hp_int!(b, 1..=2); } 1");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("`a` is read under `f(d)`"), "{e:?}");
}

#[test]
fn guards_on_plain_data_restrict_nothing_and_explicit_parents_state_opaque_ones() {
    assert_eq!(
        errors("if cfg!(test) || 1 > 0 { hp_int!(a, 1..=2) } else { 0 }"),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(
            "let k = hp_choice!(k, [\"a\", \"b\"]); \
             if g(k) { hp_int!(x, 1..=2, parent_name = k, parent_values = [\"a\"]) } else { 0 }"
        ),
        Vec::<String>::new()
    );
    // A stepped float has values to list; a continuous one has not.
    assert_eq!(
        errors(
            "let lr = hp_float!(lr, 0.0..=1.0, step = 0.5); if lr > 0.2 { hp_int!(a, 1..=2); } 1"
        ),
        Vec::<String>::new()
    );
    let e = errors("let lr = hp_float!(lr, 0.0..=1.0); if lr > 0.2 { hp_int!(a, 1..=2); } 1");
    assert!(e[0].contains("`lr` is a continuous float"), "{e:?}");
}

#[test]
fn a_comparison_with_a_value_the_parameter_never_takes_is_named() {
    let e = errors("let k = hp_choice!(k, [\"a\", \"b\"]); if k == \"c\" { hp_int!(x, 1..=2); } 1");
    assert!(
        e[0].starts_with("\"c\" is not one of the values of `k` (\"a\", \"b\")"),
        "{e:?}"
    );
}
