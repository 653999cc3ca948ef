use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let x = hp_int!(x, 1..=3);
    hp_block!(encoder, x)
}

fn main() {}
