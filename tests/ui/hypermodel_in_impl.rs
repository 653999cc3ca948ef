use tuner::prelude::*;

struct Models;

impl Models {
    #[hypermodel]
    fn mlp() -> i64 {
        hp_int!(depth, 1..=3)
    }
}

fn main() {}
