use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    fn units() -> i64 {
        hp_int!(units, 8..=64)
    }
    units()
}

fn main() {}
