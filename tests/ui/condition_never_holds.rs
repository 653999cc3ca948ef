use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let kind = hp_choice!(kind, ["mlp", "cnn"]);
    if kind == "mlp" {
        if kind == "cnn" {
            return hp_int!(filters, 8..=64);
        }
    }
    0
}

fn main() {}
