use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let kind = hp_choice!(kind, ["mlp", "cnn"]);
    if hp_bool!(pretrained) {
        if kind == "cnn" {
            return 0;
        }
    }
    // Runs when not pretrained, or when the kind is mlp: an OR over two parameters.
    hp_int!(units, 8..=64)
}

fn main() {}
