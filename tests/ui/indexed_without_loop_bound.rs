use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let mut total = 0;
    for i in 0..3 {
        total += hp_int!(units[i], 32..=512, step = 32);
    }
    total
}

fn main() {}
