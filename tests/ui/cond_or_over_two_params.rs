use tuner::prelude::*;

#[hypermodel]
fn model() -> i64 {
    let wide = hp_bool!(wide);
    let deep = hp_bool!(deep);
    if wide || deep {
        return hp_int!(units, 32..=512, step = 32);
    }
    0
}

fn main() {}
