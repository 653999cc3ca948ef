use tuner::prelude::*;

#[hypermodel]
fn mlp() -> i64 {
    hp_int!(depth, 1..=3)
}

#[hypermodel]
fn mlp_() -> i64 {
    hp_int!(width, 1..=3)
}

fn main() {}
