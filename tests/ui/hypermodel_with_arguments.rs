use tuner::prelude::*;

#[hypermodel]
fn model((width, height): (usize, usize)) -> usize {
    width * height * hp_int!(depth, 1..=3) as usize
}

fn main() {}
