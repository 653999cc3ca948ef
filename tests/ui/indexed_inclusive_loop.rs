use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let depth = hp_int!(depth, 1..=3);
    let mut total = 0;
    for i in 0..=depth {
        total += hp_int!(units[i], 8..=64);
    }
    total
}

fn main() {}
