use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let mut depth = hp_int!(depth, 1..=3);
    depth += 1;
    if depth > 2 {
        return hp_int!(skip, 1..=2);
    }
    depth
}

fn main() {}
