use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(depth, 1..=3, default = 5)
}

fn main() {}
