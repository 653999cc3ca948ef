use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    hp_float!(learning_rate, 1e-4..=1e-2, log, default = true)
}

fn main() {}
