use tuner::prelude::*;

#[hypermodel]
fn model() -> impl Copy {
    hp_int!(depth, 1..=3)
}

fn main() {}
