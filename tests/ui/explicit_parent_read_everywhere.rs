use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let kind = hp_choice!(kind, ["mlp", "cnn"]);
    let filters = hp_int!(filters, 8..=64, parent_name = kind, parent_values = ["cnn"]);
    if kind == "cnn" {
        return filters;
    }
    0
}

fn main() {}
