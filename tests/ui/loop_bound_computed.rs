use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let depth = hp_int!(depth, 0..=3);
    let mut total = 0;
    for _ in 0..depth * 2 {
        total += hp_int!(units, 8..=64);
    }
    total
}

fn main() {}
