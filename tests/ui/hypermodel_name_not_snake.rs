use tuner::prelude::*;

// `Mlp` would also be the type of a `fn mlp`.
#[allow(non_snake_case)]
#[hypermodel]
fn Mlp() -> i64 {
    hp_int!(depth, 1..=3)
}

fn main() {}
