use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(units, 1..=300u8)
}

fn main() {}
