use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let depth = hp_int!(depth, 1..=3);
    let mut total = 0;
    for i in 0..depth {
        let j = i + 1;
        total += hp_int!(units[j], 32..=512, step = 32);
    }
    total
}

fn main() {}
