use tuner::prelude::*;

#[hypermodel]
fn model<const N: usize>() -> usize
where
    [(); N]: Sized,
{
    N * hp_int!(depth, 1..=3) as usize
}

fn main() {}
