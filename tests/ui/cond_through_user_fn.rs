use tuner::prelude::*;

fn is_deep(depth: i64) -> bool {
    depth > 2
}

#[hypermodel]
fn model() -> i64 {
    let depth = hp_int!(depth, 1..=4);
    if is_deep(depth) {
        return hp_int!(skip, 1..=3);
    }
    depth
}

fn main() {}
