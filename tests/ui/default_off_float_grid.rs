// Rejected at compile time, as at run time: a float default between two grid points (0.0, 0.1, ...).

use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    hp_float!(dropout, 0.0..=0.5, step = 0.1, default = 0.25)
}

fn main() {}
