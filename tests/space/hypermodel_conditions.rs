//! Condition inference: `match` on an identifier choice, `!=` and else-if chains, nested
//! conditions ANDed, per-iteration conditions (`use_bn[i]`), a conditional loop bound, a
//! parameter read in both branches, closures and `format!`/`vec!` arguments.

use tuner::prelude::*;
use tuner::space::{Condition, ParamKind, Sampling, SpaceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Plain,
    Residual,
    Dense,
}

#[hypermodel(name = Cnn)]
fn conv_net() -> Vec<String> {
    let mut out = Vec::new();
    let block = hp_choice!(block, [Block::Plain, Block::Residual, Block::Dense]);
    match block {
        Block::Plain | Block::Residual => {
            out.push(format!("kernel {}", hp_int!(kernel, 3..=7, step = 2)))
        }
        Block::Dense => out.push(format!("growth {}", hp_int!(growth, 8..=32, step = 8))),
    }
    let n = hp_int!(layers, 0..=3);
    for i in 0..n as usize {
        let filters = hp_choice!(filters[i], [16, 32, 64], default = 32);
        if hp_bool!(use_bn[i]) {
            out.push(format!("bn{i} {}", hp_float!(bn_momentum[i], 0.9..=0.999)));
        }
        out.push(format!("conv {filters}"));
    }
    let head = hp_choice!(head, ["pool", "flatten", "attention"]);
    if head != "pool" {
        out.push(format!("dense {}", hp_int!(head_units, 16..=128, log)));
        if head == "attention" {
            out.push(format!("heads {}", hp_int!(heads, 1..=8)));
        }
    } else if hp_bool!(global, default = true) {
        out.push("global".to_owned());
    }
    // Read in both branches: live whatever `wide` is.
    if hp_bool!(wide) {
        out.push(format!("wide {}", hp_float!(scale, 0.5..=2.0)));
    } else {
        out.push(format!("narrow {}", hp_float!(scale, 0.5..=2.0)));
    }
    let extra = hp_bool!(extra);
    if !extra {
        out.push("no extra".to_owned());
    } else {
        let m = hp_int!(extra_depth, 1..=2);
        for j in 0..m {
            out.push(format!("x{}", hp_int!(extra_units[j], 1..=4)));
        }
    }
    let scaled = |k: i64| k * hp_int!(mult, 1..=3);
    out.push(vec![scaled(2); 1][0].to_string());
    out
}

/// A model without hyperparameters is a space of none.
#[hypermodel]
fn constant() -> u8 {
    7
}

fn cond(parent: &str, values: Vec<Value>) -> Condition {
    Condition {
        parent: parent.to_owned(),
        values,
    }
}

fn ints(vs: &[i64]) -> Vec<Value> {
    vs.iter().map(|&v| Value::Int(v)).collect()
}

fn strs(vs: &[&str]) -> Vec<Value> {
    vs.iter().map(|&v| Value::Str(v.to_owned())).collect()
}

/// Name and conditions of every space parameter, in order.
fn conditions() -> Vec<(String, Vec<Condition>)> {
    Cnn::space()
        .params()
        .iter()
        .map(|p| (p.name.clone(), p.conditions.clone()))
        .collect()
}

#[test]
fn conditions_are_inferred_from_the_body() {
    let layers = |k: i64| cond("layers", ints(&(k + 1..=3).collect::<Vec<_>>()));
    let yes = |p: &str| cond(p, vec![Value::Bool(true)]);
    let mut expected = vec![
        ("block".to_owned(), vec![]),
        (
            "kernel".to_owned(),
            vec![cond("block", strs(&["Plain", "Residual"]))],
        ),
        ("growth".to_owned(), vec![cond("block", strs(&["Dense"]))]),
        ("layers".to_owned(), vec![]),
    ];
    for k in 0..3 {
        expected.push((format!("filters_{k}"), vec![layers(k)]));
    }
    for k in 0..3 {
        expected.push((format!("use_bn_{k}"), vec![layers(k)]));
    }
    for k in 0..3 {
        expected.push((
            format!("bn_momentum_{k}"),
            vec![layers(k), yes(&format!("use_bn_{k}"))],
        ));
    }
    expected.extend([
        ("head".to_owned(), vec![]),
        (
            "head_units".to_owned(),
            vec![cond("head", strs(&["flatten", "attention"]))],
        ),
        // Nested: `head != "pool"` AND `head == "attention"`.
        ("heads".to_owned(), vec![cond("head", strs(&["attention"]))]),
        // The else branch of `head != "pool"`.
        ("global".to_owned(), vec![cond("head", strs(&["pool"]))]),
        ("wide".to_owned(), vec![]),
        ("scale".to_owned(), vec![]),
        ("extra".to_owned(), vec![]),
        ("extra_depth".to_owned(), vec![yes("extra")]),
        (
            "extra_units_0".to_owned(),
            vec![yes("extra"), cond("extra_depth", ints(&[1, 2]))],
        ),
        (
            "extra_units_1".to_owned(),
            vec![yes("extra"), cond("extra_depth", ints(&[2]))],
        ),
        ("mult".to_owned(), vec![]),
    ]);
    assert_eq!(conditions(), expected);
}

#[test]
fn kinds_and_defaults_follow_the_calls() {
    let space = Cnn::space();
    let filters = space.get("filters_2").unwrap();
    assert_eq!(
        filters.kind,
        ParamKind::Choice {
            values: ints(&[16, 32, 64]),
            ordered: true
        }
    );
    assert_eq!(filters.default, Value::Int(32));
    assert_eq!(
        space.get("head_units").unwrap().kind,
        ParamKind::Int {
            min: 16,
            max: 128,
            step: None,
            sampling: Sampling::Log
        }
    );
    assert_eq!(space.get("global").unwrap().default, Value::Bool(true));
    assert_eq!(Cnn::name(), "conv_net");
}

fn params() -> CnnParams {
    CnnParams {
        block: CnnBlock::Residual,
        kernel: Some(5),
        growth: None,
        layers: 2,
        filters: vec![16, 64],
        use_bn: vec![false, true],
        bn_momentum: vec![None, Some(0.95)],
        head: "attention".to_owned(),
        head_units: Some(32),
        heads: Some(4),
        global: None,
        wide: false,
        scale: 1.5,
        extra: true,
        extra_depth: Some(2),
        extra_units: Some(vec![3, 1]),
        mult: 3,
    }
}

#[test]
fn build_runs_the_body_on_typed_values() {
    assert_eq!(
        Cnn::build(&params()),
        [
            "kernel 5",
            "conv 16",
            "bn1 0.95",
            "conv 64",
            "dense 32",
            "heads 4",
            "narrow 1.5",
            "x3",
            "x1",
            "6"
        ]
    );
    assert_eq!(Constant::build(&ConstantParams {}), 7);
    assert!(Constant::space().is_empty());
}

#[test]
fn per_iteration_conditions_round_trip() {
    let p = params();
    let values = Cnn::params_to(&p);
    assert!(!values.contains("bn_momentum_0"));
    assert_eq!(values.get("bn_momentum_1"), Some(&Value::Float(0.95)));
    assert_eq!(values.get("extra_units_1"), Some(&Value::Int(1)));
    Cnn::space().check(&values).unwrap();
    assert_eq!(Cnn::params_from(&values).unwrap(), p);
    let json = serde_json::to_string(&p).unwrap();
    assert!(json.contains(r#""bn_momentum":[null,0.95]"#), "{json}");
    assert_eq!(serde_json::from_str::<CnnParams>(&json).unwrap(), p);
}

#[test]
fn conditional_loop_bound_gives_none_when_inactive() {
    let mut p = params();
    p.extra = false;
    p.extra_depth = None;
    p.extra_units = None;
    let values = Cnn::params_to(&p);
    assert!(!values.contains("extra_units_0"));
    assert_eq!(Cnn::params_from(&values).unwrap(), p);
    assert_eq!(Cnn::build(&p)[7], "no extra");
}

#[test]
fn unknown_fields_are_rejected_when_reading_json() {
    let mut json = serde_json::to_value(params()).unwrap();
    json["kernal"] = serde_json::json!(3);
    assert!(serde_json::from_value::<CnnParams>(json).is_err());
}

#[test]
fn a_zero_bound_gives_an_empty_vec() {
    let mut p = params();
    p.layers = 0;
    p.filters.clear();
    p.use_bn.clear();
    p.bn_momentum.clear();
    let values = Cnn::params_to(&p);
    assert_eq!(Cnn::params_from(&values).unwrap(), p);
    assert_eq!(Cnn::build(&p)[1], "dense 32");
}

#[test]
fn a_wrongly_typed_value_is_reported() {
    let mut values = Cnn::params_to(&params());
    values.insert("mult", 2.5);
    assert!(matches!(
        Cnn::params_from(&values),
        Err(SpaceError::WrongType { name, .. }) if name == "mult"
    ));
}

#[test]
#[should_panic(expected = "hyperparameter `kernel` was read while inactive")]
fn reading_an_inactive_param_panics_with_its_condition() {
    let mut p = params();
    p.kernel = None;
    Cnn::build(&p);
}

#[test]
fn every_sample_reads_back_and_builds() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(11);
    for _ in 0..500 {
        let values = Cnn::space().sample(&mut rng);
        let p = Cnn::params_from(&values).unwrap();
        assert_eq!(p.filters.len() as i64, p.layers);
        assert_eq!(p.bn_momentum.len() as i64, p.layers);
        for (bn, m) in p.use_bn.iter().zip(&p.bn_momentum) {
            assert_eq!(*bn, m.is_some());
        }
        assert_eq!(p.kernel.is_some(), p.block != CnnBlock::Dense);
        assert_eq!(p.heads.is_some(), p.head == "attention");
        assert_eq!(p.global.is_some(), p.head == "pool");
        match (&p.extra_depth, &p.extra_units) {
            (Some(d), Some(u)) => assert_eq!(u.len() as i64, *d),
            (None, None) => assert!(!p.extra),
            other => panic!("extra_depth and extra_units disagree: {other:?}"),
        }
        assert_eq!(Cnn::params_to(&p), values);
        Cnn::build(&p);
    }
}
