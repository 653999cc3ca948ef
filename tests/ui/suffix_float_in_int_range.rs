use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(units, 32f64..=512f64)
}

fn main() {}
