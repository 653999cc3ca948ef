use tuner::prelude::*;

macro_rules! twice {
    ($e:expr) => {
        $e + $e
    };
}

#[hypermodel]
fn model() -> i64 {
    twice!(hp_int!(units, 8..=64))
}

fn main() {}
