use tuner::prelude::*;

#[hypermodel]
fn mlp() -> i64 {
    hp_int!(depth, 1..=3)
}

// `MlpParams` is already the params struct of `mlp`.
#[hypermodel]
fn mlp_params() -> i64 {
    hp_int!(width, 1..=3)
}

fn main() {}
