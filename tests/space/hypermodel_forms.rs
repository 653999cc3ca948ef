//! Less common forms: `(0..bound).map(|i| ..)`, an indexed parameter re-read in nested loops,
//! `&&`, a `match` on an int choice with a guard and an `@` binding, a stepped loop bound,
//! a raw identifier name, a bool choice, `pub(crate)` visibility; and spaces on the edge of
//! the run time's rules (which the macro now runs at expansion), all of which build.

use tuner::prelude::*;
use tuner::space::{Condition, ParamKind, Sampling};

#[hypermodel]
pub(crate) fn forms() -> Vec<String> {
    let mut out = Vec::new();
    let depth: i64 = hp_int!(depth, 2..=6, step = 2);
    let widths: Vec<i64> = (0..depth)
        .map(|i| hp_int!(width[i], 8..=64, step = 8))
        .collect();
    out.push(format!("{widths:?}"));
    for i in 0..depth {
        for _repeat in 0..2 {
            out.push(format!("w{}", hp_int!(width[i], 8..=64, step = 8)));
        }
    }
    let a = hp_bool!(a);
    if a && hp_bool!(b) {
        out.push(format!("ab {}", hp_float!(both, 0.0..=1.0)));
    }
    let heads = hp_choice!(heads, [1, 2, 4, 8]);
    match heads {
        1 => out.push("single".to_owned()),
        n if n > 4 => out.push(format!("many {n} {}", hp_float!(many_scale, 0.1..=1.0))),
        n @ (2 | 4) => out.push(format!("few {n} {}", hp_choice!(few_mode, ["a", "b"]))),
        _ => out.push(format!("other {}", hp_bool!(other_flag))),
    }
    out.push(format!("{}", hp_float!(r#type, 0.1..=0.9, reverse_log)));
    let flag = hp_choice!(flag, [true, false], default = false);
    if !flag {
        out.push(format!("f {}", hp_int!(when_false, 0..=1)));
    }
    out
}

/// A call in tail position (a statement macro without semicolon).
#[hypermodel]
fn tail() -> i64 {
    hp_int!(x, 1..=3, default = 2)
}

#[test]
fn a_call_in_tail_position_is_read() {
    assert_eq!(Tail::build(&TailParams { x: 3 }), 3);
    let p = Tail::params_from(&Tail::space().defaults()).unwrap();
    assert_eq!(p, TailParams { x: 2 });
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

#[test]
fn conditions_of_the_less_common_forms() {
    let got: Vec<(String, Vec<Condition>)> = Forms::space()
        .params()
        .iter()
        .map(|p| (p.name.clone(), p.conditions.clone()))
        .collect();
    let width = |k: usize, vs: &[i64]| (format!("width_{k}"), vec![cond("depth", ints(vs))]);
    let t = vec![Value::Bool(true)];
    let expected = vec![
        ("depth".to_owned(), vec![]),
        width(0, &[2, 4, 6]),
        width(1, &[2, 4, 6]),
        width(2, &[4, 6]),
        width(3, &[4, 6]),
        width(4, &[6]),
        width(5, &[6]),
        ("a".to_owned(), vec![]),
        // Read only when `a` holds (`&&` evaluates its right side lazily).
        ("b".to_owned(), vec![cond("a", t.clone())]),
        ("both".to_owned(), vec![cond("a", t.clone()), cond("b", t)]),
        ("heads".to_owned(), vec![]),
        // The guard `n > 4` narrows its own arm; a guarded arm does not narrow the arms
        // after it.
        ("many_scale".to_owned(), vec![cond("heads", ints(&[8]))]),
        ("few_mode".to_owned(), vec![cond("heads", ints(&[2, 4]))]),
        ("other_flag".to_owned(), vec![cond("heads", ints(&[8]))]),
        ("type".to_owned(), vec![]),
        ("flag".to_owned(), vec![]),
        (
            "when_false".to_owned(),
            vec![cond("flag", vec![Value::Bool(false)])],
        ),
    ];
    assert_eq!(got, expected);
    let space = Forms::space();
    assert_eq!(
        space.get("type").unwrap().kind,
        ParamKind::Float {
            min: 0.1,
            max: 0.9,
            step: None,
            sampling: Sampling::ReverseLog
        }
    );
    assert_eq!(
        space.get("heads").unwrap().kind,
        ParamKind::Choice {
            values: ints(&[1, 2, 4, 8]),
            ordered: true
        }
    );
    assert_eq!(
        space.get("flag").unwrap().kind,
        ParamKind::Choice {
            values: vec![Value::Bool(true), Value::Bool(false)],
            ordered: false
        }
    );
    assert_eq!(space.get("flag").unwrap().default, Value::Bool(false));
}

#[test]
fn build_reads_through_closures_and_nested_loops() {
    let p = FormsParams {
        depth: 4,
        width: vec![8, 16, 24, 32],
        a: true,
        b: Some(true),
        both: Some(0.5),
        heads: 8,
        many_scale: Some(0.25),
        few_mode: None,
        // Live for heads = 8 (the guard may fail), though this build takes the guarded arm.
        other_flag: Some(false),
        r#type: 0.5,
        flag: false,
        when_false: Some(1),
    };
    assert_eq!(
        Forms::build(&p),
        [
            "[8, 16, 24, 32]",
            "w8",
            "w8",
            "w16",
            "w16",
            "w24",
            "w24",
            "w32",
            "w32",
            "ab 0.5",
            "many 8 0.25",
            "0.5",
            "f 1"
        ]
    );
    let values = Forms::params_to(&p);
    assert_eq!(values.get("type"), Some(&Value::Float(0.5)));
    assert_eq!(Forms::params_from(&values).unwrap(), p);
}

#[test]
fn sampled_params_build() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(3);
    for _ in 0..300 {
        let p = Forms::params_from(&Forms::space().sample(&mut rng)).unwrap();
        assert_eq!(p.width.len() as i64, p.depth);
        assert_eq!(p.b.is_some(), p.a);
        assert_eq!(p.both.is_some(), p.a && p.b == Some(true));
        assert_eq!(p.few_mode.is_some(), [2, 4].contains(&p.heads));
        let out = Forms::build(&p);
        assert_eq!(
            out.len() as i64,
            1 + 2 * p.depth + 2 + i64::from(p.a && p.b == Some(true)) + i64::from(!p.flag)
        );
    }
}

/// Spaces on the edge of the run time's rules, where the macro once judged otherwise:
/// defaults on stepped, log and reverse_log grids, a stepped reverse_log with its implicit
/// default (the grid's smallest point, not `min`), float choices just outside the duplicate
/// tolerance, and a stepped float as an explicit parent.
#[hypermodel]
fn grids() -> f64 {
    let a = hp_int!(a, 8..=64, step = 8, default = 16) as f64;
    let b = hp_float!(b, 0.0..=0.5, step = 0.1, default = 0.3);
    let c = hp_int!(c, 2..=64, step = 2, log, default = 8) as f64;
    let d = hp_float!(d, 1.0..=9.0, step = 2.0, reverse_log, default = 6.0);
    let e = hp_int!(e, 1..=10, step = 3, reverse_log) as f64;
    let f = hp_choice!(f, [0.1, 0.100001]);
    // Not an `if`: the explicit parent alone must carry the condition here.
    #[allow(clippy::obfuscated_if_else)]
    let g = (b == 0.1 || b == 0.3)
        .then(|| {
            hp_float!(
                g,
                0.0..=1.0,
                step = 0.5,
                parent_name = b,
                parent_values = [0.1, 0.3]
            )
        })
        .unwrap_or(0.0);
    a + b + c + d + e + f + g
}

#[test]
fn every_space_builds() {
    // `space()` panics (the "please report this as a bug" path) if the run time rejects a
    // space the macro accepted: the macro runs the run time's rules, so none does.
    assert_eq!(Forms::space().len(), 17);
    assert_eq!(Tail::space().len(), 1);
    let space = Grids::space();
    assert_eq!(space.len(), 7);
    let defaults = space.defaults();
    space.check(&defaults).unwrap();
    let p = Grids::params_from(&defaults).unwrap();
    assert_eq!((p.a, p.b, p.c, p.d, p.e, p.f), (16, 0.3, 8, 6.0, 2, 0.1));
    assert_eq!(p.g, Some(0.0));
    assert_eq!(Grids::build(&p), 16.0 + 0.3 + 8.0 + 6.0 + 2.0 + 0.1);
    assert_eq!(
        space.get("g").unwrap().conditions,
        vec![cond("b", vec![Value::Float(0.1), Value::Float(0.3)])]
    );
}

#[test]
fn a_stepped_float_parent_holds_up_to_grid_noise() {
    // 0.1 * 3 is 0.30000000000000004 in floats: the run time calls it 0.3, and so do the params.
    let mut values = Grids::space().defaults();
    values.insert("b", 0.1 * 3.0);
    let p = Grids::params_from(&values).unwrap();
    assert_eq!(p.g, Some(0.0));
    values.insert("b", 0.2);
    values.remove("g");
    assert_eq!(Grids::params_from(&values).unwrap().g, None);
}
