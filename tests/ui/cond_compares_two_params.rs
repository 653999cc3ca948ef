use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let a = hp_int!(a, 1..=3);
    let b = hp_int!(b, 1..=3);
    if a > b {
        return hp_int!(gap, 1..=3);
    }
    0
}

fn main() {}
