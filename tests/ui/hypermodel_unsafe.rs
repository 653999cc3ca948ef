use tuner::prelude::*;

#[hypermodel]
unsafe fn model() -> i64 {
    hp_int!(depth, 1..=3)
}

fn main() {}
