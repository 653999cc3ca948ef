use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    hp_float!(scale, 0.0..=1e999)
}

fn main() {}
