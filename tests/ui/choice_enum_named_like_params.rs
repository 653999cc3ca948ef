use tuner::prelude::*;

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    Fast,
    Slow,
}

#[hypermodel]
fn mlp() -> Mode {
    hp_choice!(params, [Mode::Fast, Mode::Slow])
}

fn main() {}
