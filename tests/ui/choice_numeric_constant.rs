use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_choice!(limit, [1, i64::MAX])
}

fn main() {}
