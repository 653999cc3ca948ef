use tuner::prelude::*;

#[hyperblock]
fn dense(x: i64) -> i64 {
    x * hp_int!(units, 32..=512, step = 32, default = 40)
}

fn main() {}
