use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    let optimizer = hp_choice!(optimizer, ["adam", "sgd"]);
    let momentum = hp_float!(momentum, 0.0..=0.9, parent_name = optimiser, parent_values = ["sgd"]);
    if optimizer == "sgd" { momentum } else { 0.0 }
}

fn main() {}
