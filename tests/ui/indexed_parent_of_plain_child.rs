use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    let depth = hp_int!(depth, 1..=3);
    let mut total = 0.0;
    for i in 0..depth {
        if hp_bool!(use_bn[i]) {
            total += hp_float!(momentum, 0.9..=0.99);
        }
    }
    total
}

fn main() {}
