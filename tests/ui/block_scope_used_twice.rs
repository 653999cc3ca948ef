use tuner::prelude::*;

#[hyperblock]
fn dense(x: i64) -> i64 {
    x * hp_int!(units, 1..=4)
}

#[hyperblock]
fn wide(x: i64) -> i64 {
    x + hp_int!(width, 1..=4)
}

#[hypermodel]
fn model() -> i64 {
    let x = hp_block!(encoder, dense(1));
    hp_block!(encoder, wide(x))
}

fn main() {}
