use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    hp_int!(a, 1..=3, parent_name = b, parent_values = [1])
        + hp_int!(b, 1..=3, parent_name = a, parent_values = [1])
}

fn main() {}
