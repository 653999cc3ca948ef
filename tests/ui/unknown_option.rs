use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(units, 32..=512, stpe = 32)
}

fn main() {}
