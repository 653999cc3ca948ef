use tuner::prelude::*;

#[hypermodel]
fn model() -> Box<dyn Fn(i64) -> i64> {
    Box::new(move |x| x * hp_int!(scale, 1..=3))
}

fn main() {}
