use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(type, 1..=3)
}

fn main() {}
