use tuner::prelude::*;

#[hypermodel]
async fn model() -> i64 {
    hp_int!(depth, 1..=3)
}

fn main() {}
