use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    hp_choice!(scale, [1.0, f64::INFINITY])
}

fn main() {}
