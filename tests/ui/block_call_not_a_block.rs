use tuner::prelude::*;

fn dense(x: i64) -> i64 {
    x * 2
}

#[hypermodel]
fn model() -> i64 {
    hp_block!(encoder, dense(hp_int!(x, 1..=3)))
}

fn main() {}
