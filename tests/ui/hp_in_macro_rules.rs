use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    macro_rules! units {
        () => {
            hp_int!(units, 8..=64)
        };
    }
    units!()
}

fn main() {}
