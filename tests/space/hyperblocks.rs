//! `#[hyperblock]`: one block shared by two hypermodels, its parameters name-scoped in both
//! spaces; blocks in loops (one scope per iteration), under conditions, nested; typed params
//! read back and written out.

use tuner::prelude::*;
use tuner::space::{Condition, ParamKind};

/// A dense layer: its width and whether it has dropout (then its rate).
#[hyperblock]
fn dense_block(mut layers: Vec<String>, tag: &str) -> Vec<String> {
    layers.push(format!(
        "{tag} dense {}",
        hp_int!(units, 32..=128, step = 32)
    ));
    if hp_bool!(dropout) {
        layers.push(format!(
            "{tag} dropout {}",
            hp_float!(rate, 0.1..=0.5, step = 0.1)
        ));
    }
    layers
}

/// Two dense blocks, nested: `residual/inner/units`.
#[hyperblock]
fn residual(layers: Vec<String>) -> Vec<String> {
    let layers = hp_block!(inner, dense_block(layers, "inner"));
    if hp_bool!(skip) {
        hp_block!(skip_path, dense_block(layers, "skip"))
    } else {
        layers
    }
}

#[hypermodel]
fn encoder_decoder() -> Vec<String> {
    let layers = hp_block!(encoder, dense_block(Vec::new(), "enc"));
    hp_block!(decoder, dense_block(layers, "dec"))
}

#[hypermodel]
fn stack() -> Vec<String> {
    let depth = hp_int!(depth, 1..=3);
    let mut layers = Vec::new();
    for i in 0..depth {
        layers = hp_block!(layer[i], dense_block(layers, &format!("l{i}")));
    }
    if hp_choice!(head, ["plain", "residual"]) == "residual" {
        layers = hp_block!(head_block, residual(layers));
    }
    layers
}

fn names(space: &SearchSpace) -> Vec<&str> {
    space.params().iter().map(|p| p.name.as_str()).collect()
}

fn conditions(space: &SearchSpace, name: &str) -> Vec<Condition> {
    space.get(name).unwrap().conditions.clone()
}

fn cond(parent: &str, values: impl IntoIterator<Item = Value>) -> Condition {
    Condition {
        parent: parent.to_owned(),
        values: values.into_iter().collect(),
    }
}

#[test]
fn one_block_joins_two_spaces_under_its_scopes() {
    let space = EncoderDecoder::space();
    assert_eq!(
        names(space),
        [
            "encoder/units",
            "encoder/dropout",
            "encoder/rate",
            "decoder/units",
            "decoder/dropout",
            "decoder/rate",
        ]
    );
    // The block's own condition, its parent scoped alike.
    assert_eq!(
        conditions(space, "decoder/rate"),
        [cond("decoder/dropout", [Value::Bool(true)])]
    );
    assert!(conditions(space, "decoder/units").is_empty());
    let block = space.get("encoder/units").unwrap();
    assert_eq!(
        block.kind,
        ParamKind::Int {
            min: 32,
            max: 128,
            step: Some(32),
            sampling: tuner::space::Sampling::Linear
        }
    );
    // The second hypermodel has the same block under its own scopes.
    let stack = Stack::space();
    assert!(names(stack).contains(&"layer_0/units"));
    assert_eq!(stack.get("layer_2/units").unwrap().kind, block.kind);
}

#[test]
fn a_block_in_a_loop_is_one_scope_per_iteration_live_with_it() {
    let space = Stack::space();
    assert_eq!(
        conditions(space, "layer_1/units"),
        [cond("depth", [Value::Int(2), Value::Int(3)])]
    );
    assert_eq!(
        conditions(space, "layer_2/rate"),
        [
            cond("depth", [Value::Int(3)]),
            cond("layer_2/dropout", [Value::Bool(true)])
        ]
    );
}

#[test]
fn a_block_under_a_condition_and_nested_blocks() {
    let space = Stack::space();
    let residual = [Value::from("residual")];
    assert_eq!(
        conditions(space, "head_block/skip"),
        [cond("head", residual.clone())]
    );
    assert_eq!(
        conditions(space, "head_block/inner/units"),
        [cond("head", residual.clone())]
    );
    assert_eq!(
        conditions(space, "head_block/skip_path/rate"),
        [
            cond("head", residual.clone()),
            cond("head_block/skip", [Value::Bool(true)]),
            cond("head_block/skip_path/dropout", [Value::Bool(true)]),
        ]
    );
}

#[test]
fn typed_params_of_blocks_read_back_and_build() {
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
    use rand::SeedableRng;
    let mut seen_residual = false;
    for _ in 0..200 {
        let values = Stack::space().sample(&mut rng);
        let p = Stack::params_from(&values).unwrap();
        assert_eq!(Stack::params_to(&p), values);
        assert_eq!(p.layer.len() as i64, p.depth);
        assert_eq!(p.head_block.is_some(), p.head == "residual");
        let built = Stack::build(&p);
        assert_eq!(built[0], format!("l0 dense {}", p.layer[0].units));
        if let Some(h) = &p.head_block {
            seen_residual = true;
            assert_eq!(h.skip_path.is_some(), h.skip);
            assert!(built.contains(&format!("inner dense {}", h.inner.units)));
        }
    }
    assert!(seen_residual);
    let p = EncoderDecoderParams {
        encoder: DenseBlockParams {
            units: 64,
            dropout: true,
            rate: Some(0.2),
        },
        decoder: DenseBlockParams {
            units: 32,
            dropout: false,
            rate: None,
        },
    };
    assert_eq!(
        EncoderDecoder::build(&p),
        ["enc dense 64", "enc dropout 0.2", "dec dense 32"]
    );
    let values = EncoderDecoder::params_to(&p);
    assert_eq!(values.get("encoder/rate"), Some(&Value::Float(0.2)));
    assert_eq!(EncoderDecoder::params_from(&values).unwrap(), p);
}

/// One scope called in both branches: its parameters follow the branches' union.
#[hypermodel]
fn either_way() -> Vec<String> {
    let kind = hp_choice!(kind, ["a", "b", "c"]);
    if kind == "a" {
        hp_block!(body, dense_block(Vec::new(), "a"))
    } else if kind == "b" {
        hp_block!(body, dense_block(vec!["b".to_owned()], "b"))
    } else if hp_bool!(wide) {
        hp_block!(wide_body, dense_block(Vec::new(), "c"))
    } else {
        hp_block!(wide_body, dense_block(Vec::new(), "narrow"))
    }
}

#[test]
fn a_scope_called_in_several_branches_is_live_in_their_union() {
    let space = EitherWay::space();
    assert_eq!(
        conditions(space, "body/units"),
        [cond("kind", [Value::from("a"), Value::from("b")])]
    );
    // Both values of `wide`: only `kind` conditions it.
    assert_eq!(
        conditions(space, "wide_body/units"),
        [cond("kind", [Value::from("c")])]
    );
    let p = EitherWay::params_from(&space.defaults()).unwrap();
    assert_eq!(p.kind, "a");
    assert!(p.body.is_some() && p.wide_body.is_none());
}
