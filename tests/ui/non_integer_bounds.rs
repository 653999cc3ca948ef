use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(units, 1.5..=3)
}

fn main() {}
