use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    hp_float!(dropout, 0.1f32..=0.5)
}

fn main() {}
