use tuner::prelude::*;

#[hypermodel]
fn model(width: usize) -> usize {
    width * hp_int!(depth, 1..=3) as usize
}

fn main() {}
