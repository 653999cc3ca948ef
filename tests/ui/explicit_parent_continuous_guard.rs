use tuner::prelude::*;

#[hypermodel]
fn model() -> f64 {
    let dropout = hp_float!(dropout, 0.0..=0.5);
    if dropout > 0.0 {
        return dropout * hp_float!(rescale, 1.0..=2.0, parent_name = dropout, parent_values = [0.1]);
    }
    0.0
}

fn main() {}
