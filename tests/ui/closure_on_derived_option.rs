use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let kind = hp_choice!(kind, ["mlp", "cnn"]);
    let width = (kind == "cnn").then_some(3);
    width.map(|w| w * hp_int!(filters, 8..=64)).unwrap_or(0)
}

fn main() {}
