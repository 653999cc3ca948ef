use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let mut total = 0;
    if hp_bool!(wide) {
        total += hp_int!(units, 1..=8);
    }
    if hp_bool!(deep) {
        total += hp_int!(units, 1..=8);
    }
    total
}

fn main() {}
