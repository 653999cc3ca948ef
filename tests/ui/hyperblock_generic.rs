use tuner::prelude::*;

#[hyperblock]
fn dense<const N: usize>(x: i64) -> i64 {
    x * N as i64 * hp_int!(units, 1..=4)
}

fn main() {}
