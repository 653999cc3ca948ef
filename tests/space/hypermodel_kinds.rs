//! A hypermodel using every kind of hyperparameter, an if/else condition, a match on a
//! string choice, an indexed parameter in a loop, and the explicit parent form.

use tuner::prelude::*;
use tuner::space::{Condition, ParamKind, Sampling};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Relu,
    Tanh,
    Gelu,
}
use Activation::*;

#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    Input(usize),
    Dense(usize, Activation),
    Dropout(f64),
    Norm(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Net {
    pub layers: Vec<Layer>,
    pub optimizer: String,
    pub momentum: Option<f64>,
    pub beta1: Option<f64>,
    pub learning_rate: f64,
    pub epochs: i64,
}

fn uses_beta1(optimizer: &str) -> bool {
    optimizer == "adam"
}

/// An MLP family (doc comments on the function stay on it).
#[hypermodel]
pub fn mlp() -> Net {
    let depth = hp_int!(depth, 1..=3);
    let mut layers = vec![Layer::Input(784)];
    for i in 0..depth {
        layers.push(Layer::Dense(
            hp_int!(units[i], 32..=512, step = 32) as usize,
            hp_choice!(activation, [Relu, Tanh, Gelu]),
        ));
    }
    let use_dropout = hp_bool!(use_dropout);
    if use_dropout {
        layers.push(Layer::Dropout(hp_float!(dropout, 0.0..=0.5, step = 0.1)));
    } else {
        layers.push(Layer::Norm(hp_float!(norm_eps, 1e-6..=1e-3, log)));
    }
    let optimizer = hp_choice!(optimizer, ["adam", "sgd", "rmsprop"]);
    let momentum = match optimizer {
        "sgd" => Some(hp_float!(momentum, 0.0..=0.99)),
        _ => None,
    };
    // A guard the macro cannot see through: the explicit parent form states the condition.
    let beta1 = uses_beta1(optimizer).then(|| {
        hp_float!(
            beta1,
            0.8..=0.99,
            parent_name = optimizer,
            parent_values = ["adam"]
        )
    });
    Net {
        layers,
        optimizer: optimizer.to_owned(),
        momentum,
        beta1,
        learning_rate: hp_float!(learning_rate, 1e-4..=1e-2, log, default = 1e-3),
        epochs: hp_fixed!(epochs, 10),
    }
}

fn int(min: i64, max: i64, step: Option<i64>) -> ParamKind {
    ParamKind::Int {
        min,
        max,
        step,
        sampling: Sampling::Linear,
    }
}

fn float(min: f64, max: f64, step: Option<f64>, sampling: Sampling) -> ParamKind {
    ParamKind::Float {
        min,
        max,
        step,
        sampling,
    }
}

fn cond(parent: &str, values: Vec<Value>) -> Condition {
    Condition {
        parent: parent.to_owned(),
        values,
    }
}

fn param(name: &str, kind: ParamKind, default: Value, conditions: Vec<Condition>) -> Param {
    Param {
        name: name.to_owned(),
        kind,
        default,
        conditions,
    }
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

#[test]
fn space_lists_every_param_with_kind_default_and_condition() {
    let depth = |vs: &[i64]| cond("depth", vs.iter().map(|&v| Value::Int(v)).collect());
    let expected = vec![
        param("depth", int(1, 3, None), Value::Int(1), vec![]),
        param(
            "units_0",
            int(32, 512, Some(32)),
            Value::Int(32),
            vec![depth(&[1, 2, 3])],
        ),
        param(
            "units_1",
            int(32, 512, Some(32)),
            Value::Int(32),
            vec![depth(&[2, 3])],
        ),
        param(
            "units_2",
            int(32, 512, Some(32)),
            Value::Int(32),
            vec![depth(&[3])],
        ),
        param(
            "activation",
            ParamKind::Choice {
                values: vec![s("Relu"), s("Tanh"), s("Gelu")],
                ordered: false,
            },
            s("Relu"),
            vec![],
        ),
        param(
            "use_dropout",
            ParamKind::Boolean,
            Value::Bool(false),
            vec![],
        ),
        param(
            "dropout",
            float(0.0, 0.5, Some(0.1), Sampling::Linear),
            Value::Float(0.0),
            vec![cond("use_dropout", vec![Value::Bool(true)])],
        ),
        param(
            "norm_eps",
            float(1e-6, 1e-3, None, Sampling::Log),
            Value::Float(1e-6),
            vec![cond("use_dropout", vec![Value::Bool(false)])],
        ),
        param(
            "optimizer",
            ParamKind::Choice {
                values: vec![s("adam"), s("sgd"), s("rmsprop")],
                ordered: false,
            },
            s("adam"),
            vec![],
        ),
        param(
            "momentum",
            float(0.0, 0.99, None, Sampling::Linear),
            Value::Float(0.0),
            vec![cond("optimizer", vec![s("sgd")])],
        ),
        param(
            "beta1",
            float(0.8, 0.99, None, Sampling::Linear),
            Value::Float(0.8),
            vec![cond("optimizer", vec![s("adam")])],
        ),
        param(
            "learning_rate",
            float(1e-4, 1e-2, None, Sampling::Log),
            Value::Float(1e-3),
            vec![],
        ),
        param(
            "epochs",
            ParamKind::Fixed {
                value: Value::Int(10),
            },
            Value::Int(10),
            vec![],
        ),
    ];
    assert_eq!(Mlp::space().params(), expected.as_slice());
    assert_eq!(Mlp::name(), "mlp");
}

fn sample_params() -> MlpParams {
    MlpParams {
        depth: 2,
        units: vec![64, 128],
        activation: MlpActivation::Gelu,
        use_dropout: true,
        dropout: Some(0.2),
        norm_eps: None,
        optimizer: "sgd".to_owned(),
        momentum: Some(0.9),
        beta1: None,
        learning_rate: 3e-3,
        epochs: 10,
    }
}

#[test]
fn build_equals_the_body_run_on_plain_values() {
    let built = Mlp::build(&sample_params());
    assert_eq!(
        built,
        Net {
            layers: vec![
                Layer::Input(784),
                Layer::Dense(64, Gelu),
                Layer::Dense(128, Gelu),
                Layer::Dropout(0.2),
            ],
            optimizer: "sgd".to_owned(),
            momentum: Some(0.9),
            beta1: None,
            learning_rate: 3e-3,
            epochs: 10,
        }
    );
}

#[test]
fn params_round_trip_through_values_and_json() {
    let p = sample_params();
    let values = Mlp::params_to(&p);
    // Live params only, under their space names.
    let names: Vec<&str> = values.iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "activation",
            "depth",
            "dropout",
            "epochs",
            "learning_rate",
            "momentum",
            "optimizer",
            "units_0",
            "units_1",
            "use_dropout"
        ]
    );
    assert_eq!(values.get("activation"), Some(&s("Gelu")));
    assert_eq!(values.get("units_1"), Some(&Value::Int(128)));
    assert_eq!(Mlp::params_from(&values).unwrap(), p);
    Mlp::space()
        .check(&values)
        .expect("params_to writes a valid assignment");

    let json = serde_json::to_string(&p).unwrap();
    assert!(json.contains(r#""activation":"Gelu""#), "{json}");
    assert!(json.contains(r#""units":[64,128]"#), "{json}");
    let back: MlpParams = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
}

#[test]
fn params_from_rejects_missing_and_inactive_values() {
    let mut values = Mlp::params_to(&sample_params());
    values.insert("beta1", 0.9);
    assert_eq!(
        Mlp::params_from(&values),
        Err(tuner::space::SpaceError::Inactive("beta1".to_owned()))
    );
    let mut values = Mlp::params_to(&sample_params());
    values.remove("units_1");
    assert_eq!(
        Mlp::params_from(&values),
        Err(tuner::space::SpaceError::Missing("units_1".to_owned()))
    );
    let mut values = Mlp::params_to(&sample_params());
    values.insert("activation", "Swish");
    assert!(matches!(
        Mlp::params_from(&values),
        Err(tuner::space::SpaceError::OutOfRange { .. })
    ));
}

#[test]
fn defaults_read_as_typed_params() {
    let p = Mlp::params_from(&Mlp::space().defaults()).unwrap();
    assert_eq!(p.depth, 1);
    assert_eq!(p.units, vec![32]);
    assert_eq!(p.activation, MlpActivation::Relu);
    assert!(!p.use_dropout);
    assert_eq!((p.dropout, p.norm_eps), (None, Some(1e-6)));
    assert_eq!(p.optimizer, "adam");
    assert_eq!((p.momentum, p.beta1), (None, Some(0.8)));
    assert_eq!(p.learning_rate, 1e-3);
}

#[test]
fn sampled_params_respect_conditions_and_loop_bounds() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
    let mut seen_sgd = false;
    let mut seen_depths = [false; 4];
    for _ in 0..300 {
        let values = Mlp::space().sample(&mut rng);
        let p = Mlp::params_from(&values).unwrap();
        assert_eq!(p.units.len() as i64, p.depth);
        assert!(p
            .units
            .iter()
            .all(|u| (32..=512).contains(u) && u % 32 == 0));
        assert_eq!(p.dropout.is_some(), p.use_dropout);
        assert_eq!(p.norm_eps.is_some(), !p.use_dropout);
        assert_eq!(p.momentum.is_some(), p.optimizer == "sgd");
        assert_eq!(p.beta1.is_some(), p.optimizer == "adam");
        seen_sgd |= p.optimizer == "sgd";
        seen_depths[p.depth as usize] = true;
        assert_eq!(Mlp::params_to(&p), values);
        let net = Mlp::build(&p);
        assert_eq!(net.layers.len() as i64, 2 + p.depth);
    }
    assert!(seen_sgd);
    assert_eq!(seen_depths, [false, true, true, true]);
}

#[test]
fn identifier_choice_enum_names_its_variants() {
    assert_eq!(
        MlpActivation::ALL,
        [
            MlpActivation::Relu,
            MlpActivation::Tanh,
            MlpActivation::Gelu
        ]
    );
    assert_eq!(MlpActivation::Tanh.name(), "Tanh");
    assert_eq!(
        serde_json::to_string(&MlpActivation::Tanh).unwrap(),
        r#""Tanh""#
    );
}
