use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let mut total = 0;
    for i in 0..hp_int!(depth, 1..=100) {
        total += hp_int!(units[i], 1..=8);
    }
    total
}

fn main() {}
