use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    let lr = hp_float!(lr, 1e-4..=1e-1, log);
    if lr > 0.01 {
        return lr * hp_float!(warmup, 0.0..=1.0);
    }
    lr
}

fn main() {}
