use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    hp_choice!(units, [16, 32.0, 64])
}

fn main() {}
