use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let kind = hp_choice!(kind, ["mlp", "cnn"]);
    if kind == "mlp" && kind == "cnn" {
        return hp_int!(units, 8..=64);
    }
    0
}

fn main() {}
