use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(units, 512..=32)
}

fn main() {}
