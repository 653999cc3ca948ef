//! Generated `params_from` checks every value against the space: off the grid, out of
//! range, not a choice, of the wrong type, inactive but present, unknown, missing; each
//! error names the parameter. Values read from storage (names not shared with the space)
//! read the same as drawn ones.

use tuner::prelude::*;
use tuner::space::SpaceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Relu,
    Tanh,
}

#[hypermodel]
fn checked() -> (i64, f64, Act, Option<i64>, i64) {
    let units = hp_int!(units, 32..=128, step = 32);
    let lr = hp_float!(lr, 0.0..=0.5, step = 0.1);
    let act = hp_choice!(act, [Act::Relu, Act::Tanh]);
    let extra = if hp_bool!(wide) {
        Some(hp_int!(width, 1..=64, log))
    } else {
        None
    };
    (units, lr, act, extra, hp_choice!(kernel, [3, 5, 7]))
}

fn valid() -> HyperParameters {
    let mut v = HyperParameters::new();
    v.insert("units", 64);
    v.insert("lr", 0.2);
    v.insert("act", "Tanh");
    v.insert("wide", true);
    v.insert("width", 8);
    v.insert("kernel", 5);
    v
}

fn with(name: &str, value: impl Into<Value>) -> HyperParameters {
    let mut v = valid();
    v.insert(name, value.into());
    v
}

fn rejected(values: &HyperParameters) -> (String, String) {
    match Checked::params_from(values).unwrap_err() {
        SpaceError::OutOfRange { name, reason, .. } => (name, reason),
        other => panic!("expected OutOfRange, got {other:?}"),
    }
}

#[test]
fn values_from_storage_read_like_drawn_ones() {
    let p = Checked::params_from(&valid()).unwrap();
    assert_eq!(
        (p.units, p.lr, p.act, p.width, p.kernel),
        (64, 0.2, CheckedAct::Tanh, Some(8), 5)
    );
    let json = serde_json::to_string(&valid()).unwrap();
    let back: HyperParameters = serde_json::from_str(&json).unwrap();
    assert_eq!(Checked::params_from(&back).unwrap(), p);
}

#[test]
fn off_grid_and_out_of_range_values_are_refused_by_name() {
    let (name, reason) = rejected(&with("units", 48));
    assert_eq!(name, "units");
    assert!(reason.contains("step grid"), "{reason}");
    let (name, reason) = rejected(&with("units", 256));
    assert_eq!(name, "units");
    assert!(reason.contains("outside the range 32..=128"), "{reason}");
    let (name, reason) = rejected(&with("lr", 0.25));
    assert_eq!(name, "lr");
    assert!(reason.contains("step grid"), "{reason}");
    let (name, _) = rejected(&with("width", 100));
    assert_eq!(name, "width");
    let (name, _) = rejected(&with("lr", f64::NAN));
    assert_eq!(name, "lr");
}

#[test]
fn values_that_are_not_choices_are_refused_by_name() {
    assert_eq!(rejected(&with("kernel", 4)).0, "kernel");
    assert_eq!(rejected(&with("act", "Gelu")).0, "act");
    assert!(matches!(
        Checked::params_from(&with("kernel", "5")),
        Err(SpaceError::WrongType { name, .. }) if name == "kernel"
    ));
}

#[test]
fn inactive_unknown_and_missing_values_are_refused_by_name() {
    let mut v = with("wide", false);
    assert_eq!(
        Checked::params_from(&v),
        Err(SpaceError::Inactive("width".into()))
    );
    v.remove("width");
    assert!(Checked::params_from(&v).unwrap().width.is_none());
    assert_eq!(
        Checked::params_from(&with("depth", 2)),
        Err(SpaceError::Unknown("depth".into()))
    );
    let mut v = valid();
    v.remove("lr");
    assert_eq!(
        Checked::params_from(&v),
        Err(SpaceError::Missing("lr".into()))
    );
    let mut v = valid();
    v.remove("width");
    assert_eq!(
        Checked::params_from(&v),
        Err(SpaceError::Missing("width".into()))
    );
}

#[test]
fn every_drawn_point_reads_and_writes_back() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(3);
    for _ in 0..100 {
        let values = Checked::space().sample(&mut rng);
        let p = Checked::params_from(&values).unwrap();
        assert_eq!(Checked::params_to(&p), values);
    }
}
