use tuner::prelude::*;

#[hypermodel]
fn model() -> bool {
    hp_bool!(self)
}

fn main() {}
