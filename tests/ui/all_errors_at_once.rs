use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let a = hp_int!(a, 5..=1);
    let b = hp_choice!(b, [1, "two"]);
    let c = hp_float!(c, 0.0..=1.0, step = -0.5);
    a + b + c as i64
}

fn main() {}
