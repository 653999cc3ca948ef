// Rejected at compile time, as at run time: a default off a reverse_log grid (9, 8, 6, 2).

use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    hp_float!(beta, 1.0..=9.0, step = 2.0, reverse_log, default = 5.0)
}

fn main() {}
