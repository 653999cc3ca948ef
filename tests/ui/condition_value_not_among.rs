use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    let optimizer = hp_choice!(optimizer, ["adam", "sgd"]);
    if optimizer == "adamw" {
        hp_float!(weight_decay, 0.0..=0.1)
    } else {
        0.0
    }
}

fn main() {}
