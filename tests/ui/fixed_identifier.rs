use tuner::prelude::*;

#[derive(Debug, Clone, Copy)]
pub enum Act {
    Relu,
}

#[hypermodel]
fn model() -> Act {
    hp_fixed!(act, Act::Relu)
}

fn main() {}
