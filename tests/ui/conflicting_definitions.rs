use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(units, 32..=512) + hp_int!(units, 32..=256)
}

fn main() {}
