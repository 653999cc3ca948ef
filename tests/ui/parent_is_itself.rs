use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    hp_float!(dropout, 0.0..=0.5, parent_name = dropout, parent_values = [true])
}

fn main() {}
