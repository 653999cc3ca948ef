use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    if hp_bool!(dropout) {
        hp_float!(dropout, 0.0..=0.5)
    } else {
        0.0
    }
}

fn main() {}
