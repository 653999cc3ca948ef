// Rejected at compile time, as at run time: float choice values closer than the run time's tolerance (1e-9 relative) are one value.

use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    hp_choice!(rate, [0.1, 0.2, 0.1000000000001])
}

fn main() {}
