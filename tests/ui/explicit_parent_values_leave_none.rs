use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let kind = hp_choice!(kind, ["mlp", "cnn"]);
    if kind == "mlp" {
        return hp_int!(units, 8..=64, parent_name = kind, parent_values = ["cnn"]);
    }
    0
}

fn main() {}
