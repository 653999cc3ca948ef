// Rejected at compile time, as at run time: a default off a log grid (2, 4, 8, ...).

use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(units, 2..=64, step = 2, log, default = 6)
}

fn main() {}
