use tuner::prelude::*;

#[hyperblock]
fn dense(x: i64) -> i64 {
    x * hp_int!(units, 1..=4)
}

#[hypermodel]
fn model() -> i64 {
    let units = hp_int!(units, 1..=3);
    hp_block!(units, dense(units))
}

fn main() {}
