use tuner::prelude::*;

fn too_big(units: i64) -> bool {
    units > 256
}

#[hypermodel]
fn model() -> i64 {
    let units = hp_int!(units, 8..=512, step = 8);
    if too_big(units) {
        return units;
    }
    units * hp_int!(factor, 1..=4)
}

fn main() {}
