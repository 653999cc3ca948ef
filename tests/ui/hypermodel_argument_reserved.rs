use tuner::prelude::*;

#[hypermodel]
fn model(__width: usize) -> usize {
    __width * hp_int!(depth, 1..=3) as usize
}

fn main() {}
