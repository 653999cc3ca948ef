//! Search spaces: parameter kinds, sampling, unit-interval encoding, conditions and grids
//! (DESIGN.md section 3). They live in the `tuner-space` crate so that the `#[hypermodel]`
//! macro runs the very same rules at expansion; this module is that crate.

pub use tuner_space::*;
