use tuner::prelude::*;

#[derive(Debug, Clone, Copy)]
pub enum Act {
    Relu,
    Tanh,
}

#[hypermodel]
fn mlp() -> (Act, Act) {
    (
        hp_choice!(act_fn, [Act::Relu, Act::Tanh]),
        hp_choice!(act__fn, [Act::Relu, Act::Tanh]),
    )
}

fn main() {}
