// Rejected at compile time, as at run time: an int default between two grid points (8, 16, ...): the run time's rule, checked at expansion.

use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(units, 8..=64, step = 8, default = 20)
}

fn main() {}
