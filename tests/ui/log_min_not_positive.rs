use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    hp_float!(learning_rate, 0.0..=0.1, log)
}

fn main() {}
