use tuner::prelude::*;

#[hyperblock]
fn dense(x: i64) -> i64 {
    x * hp_int!(units, 1..=4)
}

#[hypermodel]
fn model() -> i64 {
    hp_block!(match, dense(1))
}

fn main() {}
