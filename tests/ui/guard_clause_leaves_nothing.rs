use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let kind = hp_choice!(kind, ["mlp", "cnn"]);
    if kind == "mlp" {
        return 0;
    }
    // Only "cnn" reaches here.
    if kind == "mlp" {
        return hp_int!(units, 8..=64);
    }
    1
}

fn main() {}
