use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let depth = hp_int!(depth, 1..=4);
    let layers = depth * 2;
    if layers > 4 {
        return hp_int!(skip, 1..=3);
    }
    layers
}

fn main() {}
