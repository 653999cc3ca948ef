use tuner::prelude::*;

const DEEP: i64 = 3;

#[hypermodel]
fn model() -> i64 {
    match hp_int!(depth, 1..=3) {
        DEEP => hp_int!(skip, 1..=2),
        _ => 0,
    }
}

fn main() {}
