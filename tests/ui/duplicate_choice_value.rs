use tuner::prelude::*;

#[hypermodel]
fn model() -> &'static str {
    hp_choice!(activation, ["relu", "tanh", "relu"])
}

fn main() {}
