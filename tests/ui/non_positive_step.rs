use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(units, 32..=512, step = 0)
}

fn main() {}
