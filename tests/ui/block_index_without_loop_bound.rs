use tuner::prelude::*;

#[hyperblock]
fn dense(x: i64) -> i64 {
    x * hp_int!(units, 1..=4)
}

#[hypermodel]
fn model() -> i64 {
    let mut x = 1;
    for i in 0..3 {
        x = hp_block!(layer[i], dense(x));
    }
    x
}

fn main() {}
