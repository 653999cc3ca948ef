//! Hypermodels with arguments and const generics: values that configure the model (input
//! shape, number of classes) without being searched. The space is the type's; the value
//! carries the arguments to every build.

use tuner::prelude::*;

/// Arguments reach the body as written; only `width` is searched.
#[hypermodel]
fn classifier(classes: usize, input: [usize; 2], label: String) -> (usize, usize, String) {
    let width = hp_int!(width, 8..=64, step = 8) as usize;
    (input[0] * input[1] * width, classes, label)
}

/// Const generics are the type's own.
#[hypermodel]
fn shaped<const IN: usize, const OUT: usize>() -> [usize; 3] {
    [IN, hp_int!(hidden, 1..=4) as usize, OUT]
}

/// Both at once.
#[hypermodel(name = Both)]
fn both_kinds<const N: usize>(scale: f64) -> Vec<f64> {
    vec![scale * hp_float!(x, 0.0..=1.0, step = 0.5); N]
}

#[test]
fn arguments_configure_the_build_but_not_the_space() {
    let model = Classifier::new(10, [28, 28], "fashion".to_owned());
    assert_eq!((model.classes, model.input), (10, [28, 28]));
    let names: Vec<&str> = Classifier::space()
        .params()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["width"]);
    let p = ClassifierParams { width: 16 };
    assert_eq!(model.build(&p), (28 * 28 * 16, 10, "fashion".to_owned()));
    let other = Classifier {
        classes: 3,
        input: [2, 2],
        label: "toy".to_owned(),
    };
    assert_eq!(other.build(&p), (64, 3, "toy".to_owned()));
    // The function keeps its arguments, with the params last.
    assert_eq!(classifier(1, [1, 1], String::new(), &p).0, 16);
}

#[test]
fn const_generics_are_the_model_types() {
    type Small = Shaped<784, 10>;
    assert_eq!(Small::name(), "shaped");
    assert_eq!(Shaped::<1, 2>::space(), Small::space());
    let p = ShapedParams { hidden: 3 };
    // Without arguments the type builds without a value, as before.
    assert_eq!(Small::build(&p), [784, 3, 10]);
    assert_eq!(HyperModel::build(&Shaped::<5, 6>, &p), [5, 3, 6]);
    assert_eq!(shaped::<7, 8>(&p), [7, 3, 8]);
}

#[test]
fn arguments_and_const_generics_together() {
    let m = Both::<3>::new(2.0);
    let p = Both::<3>::params_from(&Both::<3>::space().defaults()).unwrap();
    assert_eq!(m.build(&p), vec![0.0; 3]);
    assert_eq!(m.build(&BothParams { x: 0.5 }), vec![1.0; 3]);
}

/// A keyword written raw is a field `r#type` and the space name `type`; a block serves a
/// model with arguments, whose argument reaches the block call.
#[hyperblock(name = Head)]
fn head_block(width: usize) -> usize {
    width * hp_int!(r#type, 1..=3) as usize
}

#[hypermodel]
fn raw_names(classes: usize) -> usize {
    hp_block!(r#in, head_block(classes))
}

#[test]
fn raw_keywords_and_blocks_in_models_with_arguments() {
    let names: Vec<&str> = RawNames::space()
        .params()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["in/type"]);
    let p = RawNamesParams {
        r#in: HeadParams { r#type: 2 },
    };
    assert_eq!(RawNames::new(5).build(&p), 10);
    let values = RawNames::params_to(&p);
    assert_eq!(values.get("in/type"), Some(&Value::Int(2)));
    assert_eq!(RawNames::params_from(&values).unwrap(), p);
    assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"in":{"type":2}}"#);
}
