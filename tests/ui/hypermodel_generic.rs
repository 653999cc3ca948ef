use tuner::prelude::*;

#[hypermodel]
fn model<T: Default>() -> T {
    T::default()
}

fn main() {}
