use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(self, 1..=3)
}

fn main() {}
