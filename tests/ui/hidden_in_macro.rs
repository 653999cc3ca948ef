use tuner::prelude::*;

#[allow(unused_macros)]
macro_rules! keyed {
    ($key:ident => $value:expr) => {
        $value
    };
}

#[hypermodel]
fn model() -> i64 {
    keyed!(units => hp_int!(units, 1..=8))
}

fn main() {}
