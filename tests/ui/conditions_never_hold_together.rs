use tuner::prelude::*;

fn warm(_: bool) -> bool {
    true
}

#[hypermodel]
fn model() -> i64 {
    let pretrained = hp_bool!(pretrained);
    if pretrained {
        hp_bool!(freeze);
    }
    if !pretrained && warm(pretrained) {
        // `freeze` only exists when `pretrained` holds: this can never be live.
        return hp_int!(unfrozen, 1..=3, parent_name = freeze, parent_values = [true]);
    }
    0
}

fn main() {}
