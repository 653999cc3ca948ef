//! Every guard form the macro turns into an exact condition, each asserted on the space:
//! comparisons on int and stepped float parameters, `contains`, `matches!`, `match` with `|`,
//! ranges and guards, `if let`, `||` on one parameter, a condition bound to a local, guard
//! clauses (the rest of the block gets the complement), lazy `&&`, `.then(|| ..)`, loops that
//! may not run, choice-valued and cast loop bounds, explicit parents ANDed with where they are
//! read, and suffixed literals.

// The guards are written the way users write them, not the way clippy would.
#![allow(clippy::nonminimal_bool, clippy::single_match)]

use tuner::prelude::*;
use tuner::space::{Condition, ParamKind, SpaceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Relu,
    Tanh,
    Gelu,
}

fn uses_kind(kind: &str) -> bool {
    kind != "rnn"
}

#[hypermodel]
fn compare() -> Vec<String> {
    let mut out = Vec::new();
    let depth = hp_int!(depth, 1..=5);
    if depth > 1 {
        out.push(format!("gt {}", hp_int!(gt, 1..=2)));
    } else {
        out.push(format!("not gt {}", hp_int!(not_gt, 1..=2)));
    }
    if 3 <= depth {
        out.push(format!("ge {}", hp_int!(ge, 1..=2)));
    }
    if depth < 2 || depth == 5 {
        out.push(format!("lt or eq {}", hp_int!(lt_or_eq, 1..=2)));
    }
    if depth != 4 && !(depth <= 1) {
        out.push(format!("ne {}", hp_int!(ne, 1..=2)));
    }
    if (2..=3).contains(&depth) {
        out.push(format!("range {}", hp_int!(in_range, 1..=2)));
    }
    if [1, 5].contains(&depth) {
        out.push(format!("list {}", hp_int!(in_list, 1..=2)));
    }
    if matches!(depth, 4..) {
        out.push(format!("matches {}", hp_int!(deep, 1..=2)));
    }
    if let 1 | 2 = depth {
        out.push(format!("if let {}", hp_int!(shallow, 1..=2)));
    }
    let dropout = hp_float!(dropout, 0.0..=0.4, step = 0.1);
    if dropout > 0.1 {
        out.push(format!("heavy {}", hp_bool!(heavy)));
    }
    let offset = hp_int!(offset, -2..=2);
    match offset {
        -1 => out.push(format!("minus one {}", hp_int!(at_minus_one, 1..=2))),
        -2..=-1 => out.push("unreachable for -1".to_owned()),
        _ => {}
    }
    if dropout as f32 == 0.0 {
        out.push("no dropout".to_owned());
    }
    // Compared as the code runs: exactly, and with numbers that need not be values.
    if dropout >= 0.3 {
        out.push(format!("exact {}", hp_bool!(at_least_0_3)));
    }
    let heads = hp_choice!(heads, [1, 2, 4, 8]);
    if heads > 3 {
        out.push(format!("many {}", hp_bool!(many_heads)));
    }
    out
}

#[hypermodel]
fn branches() -> Vec<String> {
    let mut out = Vec::new();
    let act = hp_choice!(act, [Act::Relu, Act::Tanh, Act::Gelu]);
    let kind = hp_choice!(kind, ["mlp", "cnn", "rnn"]);
    let is_rnn = kind == "rnn";
    if is_rnn {
        out.push(format!("cell {}", hp_choice!(cell, ["lstm", "gru"])));
    }
    if matches!(kind, "cnn" | "rnn") && act != Act::Gelu {
        out.push(format!("seq {}", hp_int!(seq, 1..=2)));
    }
    if let Act::Tanh = act {
        out.push(format!("tanh {}", hp_float!(tanh_scale, 0.5..=2.0)));
    }
    let width = hp_int!(width, 1..=6);
    match width {
        1 => out.push("one".to_owned()),
        2 | 3 => out.push(format!("few {}", hp_int!(few, 1..=2))),
        w if w >= 5 => out.push(format!("wide {}", hp_int!(wide, 1..=2))),
        4..=6 => out.push(format!("rest {}", hp_int!(rest, 1..=2))),
        _ => unreachable!(),
    }
    // `&&` reads its right side only when the left holds.
    if kind == "mlp" && hp_bool!(residual) {
        out.push("residual".to_owned());
    }
    let bn = hp_bool!(bn)
        .then(|| hp_float!(momentum, 0.5..=0.9))
        .unwrap_or(0.0);
    out.push(format!("bn {bn}"));
    // A guard the macro cannot see through: the explicit parent states it, ANDed with `if`.
    if width > 2 && uses_kind(kind) {
        out.push(format!(
            "explicit {}",
            hp_int!(
                explicit,
                1..=2,
                parent_name = kind,
                parent_values = ["mlp", "cnn"]
            )
        ));
    }
    out
}

#[hypermodel]
fn guarded() -> String {
    let kind = hp_choice!(kind, ["mlp", "cnn", "rnn"]);
    let units = hp_int!(units, 8..=64, step = 8);
    if kind == "mlp" {
        return format!("mlp {units}");
    }
    // Only cnn and rnn reach here.
    let filters = hp_int!(filters, 8..=32, step = 8);
    match kind {
        "cnn" => return format!("cnn {filters} {}", hp_int!(kernel, 3..=5, step = 2)),
        _ => {}
    }
    // Only rnn reaches here.
    format!("rnn {filters} {}", hp_int!(hidden, 16..=64, step = 16))
}

#[hypermodel]
fn exits() -> i64 {
    let kind = hp_choice!(kind, ["a", "b", "c"]);
    let base = match kind {
        "c" => return 0,
        _ => 1,
    };
    let mut total = base + hp_int!(ab, 1..=2);
    let depth = hp_int!(depth, 0..=3);
    for _ in 0..depth {
        if kind == "a" {
            continue;
        }
        total += hp_int!(only_b, 1..=2);
    }
    // A `return` inside a closure leaves the closure, not the body.
    let bump = |v: i64| {
        if v > 100 {
            return v;
        }
        v + 1
    };
    total += bump(hp_int!(after_closure, 1..=2));
    if depth == 3 {
        return total;
    }
    total + hp_int!(shallow, 1..=2)
}

#[hypermodel]
fn loops() -> Vec<i64> {
    let mut out = Vec::new();
    for i in 0..hp_choice!(blocks, [1, 2, 3]) {
        out.push(hp_int!(filters[i], 8..=16, step = 8));
    }
    let extra = hp_int!(extra, 0..=2);
    for _ in 0..extra as usize {
        // Shared by every iteration: live when the loop runs at all.
        out.push(hp_int!(extra_units, 1..=4));
    }
    for _ in 2..=extra {
        out.push(hp_int!(late, 1..=4));
    }
    let mult: Vec<i64> = (0..extra)
        .map(|i| hp_int!(mult[i], 1..=3) * hp_int!(scale, 1i64..=2i64))
        .collect();
    out.extend(mult);
    out.push(hp_float!(lr, 1f64..=2f64) as i64);
    out
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

fn conditions_of<M: HyperModel>(name: &str) -> Vec<Condition> {
    M::space()
        .get(name)
        .unwrap_or_else(|| panic!("no parameter {name}"))
        .conditions
        .clone()
}

#[test]
fn comparisons_on_int_and_stepped_float_parameters() {
    let depth = |vs: &[i64]| vec![cond("depth", ints(vs))];
    assert_eq!(conditions_of::<Compare>("gt"), depth(&[2, 3, 4, 5]));
    assert_eq!(conditions_of::<Compare>("not_gt"), depth(&[1]));
    assert_eq!(conditions_of::<Compare>("ge"), depth(&[3, 4, 5]));
    assert_eq!(conditions_of::<Compare>("lt_or_eq"), depth(&[1, 5]));
    assert_eq!(conditions_of::<Compare>("ne"), depth(&[2, 3, 5]));
    assert_eq!(conditions_of::<Compare>("in_range"), depth(&[2, 3]));
    assert_eq!(conditions_of::<Compare>("in_list"), depth(&[1, 5]));
    assert_eq!(conditions_of::<Compare>("deep"), depth(&[4, 5]));
    assert_eq!(conditions_of::<Compare>("shallow"), depth(&[1, 2]));
    let heavy = conditions_of::<Compare>("heavy");
    assert_eq!(heavy.len(), 1);
    assert_eq!(heavy[0].parent, "dropout");
    let values: Vec<f64> = heavy[0]
        .values
        .iter()
        .map(|v| v.as_float().unwrap())
        .collect();
    assert_eq!(values.len(), 3, "{values:?}");
    assert!((values[0] - 0.2).abs() < 1e-9 && (values[2] - 0.4).abs() < 1e-9);
    assert_eq!(
        conditions_of::<Compare>("at_least_0_3"),
        vec![cond("dropout", vec![Value::Float(0.3), Value::Float(0.4)])]
    );
    assert_eq!(
        conditions_of::<Compare>("at_minus_one"),
        vec![cond("offset", ints(&[-1]))]
    );
    assert_eq!(
        conditions_of::<Compare>("many_heads"),
        vec![cond("heads", ints(&[4, 8]))]
    );
}

#[test]
fn branches_on_choices_matches_match_arms_and_lazy_and() {
    assert_eq!(
        conditions_of::<Branches>("cell"),
        vec![cond("kind", strs(&["rnn"]))]
    );
    assert_eq!(
        conditions_of::<Branches>("seq"),
        vec![
            cond("kind", strs(&["cnn", "rnn"])),
            cond("act", strs(&["Relu", "Tanh"]))
        ]
    );
    assert_eq!(
        conditions_of::<Branches>("tanh_scale"),
        vec![cond("act", strs(&["Tanh"]))]
    );
    let width = |vs: &[i64]| vec![cond("width", ints(vs))];
    assert_eq!(conditions_of::<Branches>("few"), width(&[2, 3]));
    // The guard narrows its own arm; the next arm still sees every value it matches.
    assert_eq!(conditions_of::<Branches>("wide"), width(&[5, 6]));
    assert_eq!(conditions_of::<Branches>("rest"), width(&[4, 5, 6]));
    assert_eq!(
        conditions_of::<Branches>("residual"),
        vec![cond("kind", strs(&["mlp"]))]
    );
    assert_eq!(
        conditions_of::<Branches>("momentum"),
        vec![cond("bn", vec![Value::Bool(true)])]
    );
    assert_eq!(
        conditions_of::<Branches>("explicit"),
        vec![
            cond("width", ints(&[3, 4, 5, 6])),
            cond("kind", strs(&["mlp", "cnn"]))
        ]
    );
}

#[test]
fn guard_clauses_give_the_rest_of_the_block_the_complement() {
    assert_eq!(conditions_of::<Guarded>("units"), vec![]);
    assert_eq!(
        conditions_of::<Guarded>("filters"),
        vec![cond("kind", strs(&["cnn", "rnn"]))]
    );
    assert_eq!(
        conditions_of::<Guarded>("kernel"),
        vec![cond("kind", strs(&["cnn"]))]
    );
    assert_eq!(
        conditions_of::<Guarded>("hidden"),
        vec![cond("kind", strs(&["rnn"]))]
    );
    // Every sampled trial builds: no read of an inactive parameter.
    use rand::SeedableRng;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(5);
    for _ in 0..100 {
        let p = Guarded::params_from(&Guarded::space().sample(&mut rng)).unwrap();
        let out = Guarded::build(&p);
        assert!(out.starts_with(p.kind.as_str()), "{out} for {p:?}");
    }
}

#[test]
fn exits_by_match_arm_continue_and_return() {
    let kind = |vs: &[&str]| cond("kind", strs(vs));
    assert_eq!(conditions_of::<Exits>("ab"), vec![kind(&["a", "b"])]);
    assert_eq!(
        conditions_of::<Exits>("only_b"),
        vec![kind(&["b"]), cond("depth", ints(&[1, 2, 3]))]
    );
    assert_eq!(
        conditions_of::<Exits>("after_closure"),
        vec![kind(&["a", "b"])]
    );
    assert_eq!(
        conditions_of::<Exits>("shallow"),
        vec![kind(&["a", "b"]), cond("depth", ints(&[0, 1, 2]))]
    );
    use rand::SeedableRng;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(11);
    for _ in 0..100 {
        let p = Exits::params_from(&Exits::space().sample(&mut rng)).unwrap();
        Exits::build(&p);
    }
}

#[test]
fn loop_bounds_from_choices_and_casts_and_loops_that_may_not_run() {
    let space = Loops::space();
    assert_eq!(
        space.get("blocks").unwrap().kind,
        ParamKind::Choice {
            values: ints(&[1, 2, 3]),
            ordered: true
        }
    );
    assert_eq!(
        conditions_of::<Loops>("filters_2"),
        vec![cond("blocks", ints(&[3]))]
    );
    assert_eq!(
        conditions_of::<Loops>("extra_units"),
        vec![cond("extra", ints(&[1, 2]))]
    );
    assert_eq!(
        conditions_of::<Loops>("late"),
        vec![cond("extra", ints(&[2]))]
    );
    assert_eq!(
        conditions_of::<Loops>("mult_1"),
        vec![cond("extra", ints(&[2]))]
    );
    assert_eq!(
        conditions_of::<Loops>("scale"),
        vec![cond("extra", ints(&[1, 2]))]
    );
    // Suffixes that name the hyperparameter's own type are kept: `1f64` is a float bound.
    assert!(matches!(
        space.get("lr").unwrap().kind,
        ParamKind::Float { min, max, .. } if min == 1.0 && max == 2.0
    ));
    use rand::SeedableRng;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(9);
    for _ in 0..100 {
        let values = space.sample(&mut rng);
        let p = Loops::params_from(&values).unwrap();
        assert_eq!(p.filters.len() as i64, p.blocks);
        assert_eq!(p.extra_units.is_some(), p.extra > 0);
        Loops::build(&p);
    }
}

#[test]
fn sampled_trials_of_every_form_build() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
    for _ in 0..200 {
        let p = Compare::params_from(&Compare::space().sample(&mut rng)).unwrap();
        assert_eq!(p.gt.is_some(), p.depth > 1);
        Compare::build(&p);
        let p = Branches::params_from(&Branches::space().sample(&mut rng)).unwrap();
        assert_eq!(p.residual.is_some(), p.kind == "mlp");
        Branches::build(&p);
    }
    let mut values = Compare::space().defaults();
    values.insert("gt", Value::Int(1));
    assert!(matches!(
        Compare::params_from(&values),
        Err(SpaceError::Inactive(name)) if name == "gt"
    ));
}

#[test]
fn the_run_time_rejects_conditions_that_can_never_hold_together() {
    use tuner::space::{Param, SearchSpace};
    let when = |parent: &str, v: bool| cond(parent, vec![Value::Bool(v)]);
    let mut b = Param::boolean("b").build().unwrap();
    b.conditions = vec![when("a", true)];
    let mut c = Param::int("c", 1, 3).build().unwrap();
    c.conditions = vec![when("a", false), when("b", true)];
    let err = SearchSpace::from_params(vec![Param::boolean("a").build().unwrap(), b, c])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`c`: its conditions can never all hold: through `b` it needs `a` to be false and also true"),
        "{err}"
    );
}

#[hypermodel]
fn nested_exits() -> i64 {
    let kind = hp_choice!(kind, ["a", "b", "c"]);
    let mut total = 0;
    if kind != "c" {
        if kind == "a" {
            return 1;
        }
        total += hp_int!(b_only, 1..=2);
    }
    // Runs when `kind` is "b" or "c": "a" returned above.
    total += hp_int!(not_a, 1..=2);
    {
        if kind == "b" {
            return total;
        }
    }
    // Runs when `kind` is "c".
    total + hp_int!(c_only, 1..=2)
}

#[test]
fn exits_nested_in_branches_and_blocks_shape_the_code_after_them() {
    let kind = |vs: &[&str]| vec![cond("kind", strs(vs))];
    assert_eq!(conditions_of::<NestedExits>("b_only"), kind(&["b"]));
    assert_eq!(conditions_of::<NestedExits>("not_a"), kind(&["b", "c"]));
    assert_eq!(conditions_of::<NestedExits>("c_only"), kind(&["c"]));
}

/// A value read before a `move` closure is moved into it: the closure outlives the build.
#[hypermodel]
fn boxed() -> Box<dyn Fn(i64) -> i64> {
    let scale = hp_int!(scale, 1..=3);
    Box::new(move |x| x * scale)
}

#[test]
fn a_value_read_before_a_move_closure_outlives_the_build() {
    let f = Boxed::build(&BoxedParams { scale: 2 });
    assert_eq!(f(3), 6);
}
