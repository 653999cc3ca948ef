use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let kind = hp_choice!(kind, ["mlp", "cnn"]);
    let deep = hp_bool!(deep);
    match (kind, deep) {
        ("cnn", true) => hp_int!(filters, 8..=64),
        _ => 0,
    }
}

fn main() {}
