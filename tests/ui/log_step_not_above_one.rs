use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(units, 2..=32, step = 1, sampling = log)
}

fn main() {}
