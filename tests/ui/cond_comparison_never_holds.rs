use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let depth = hp_int!(depth, 1..=3);
    if depth > 3 {
        return hp_int!(skip, 1..=3);
    }
    depth
}

fn main() {}
