//! Warm starts on a tuner: its [`Study`](crate::study::Study)'s enqueue and seeding, with
//! the tuner's typed params.

use super::{Searchable, Tuner, TunerError, Typed};
use crate::hypermodel::HyperModel;
use crate::space::HyperParameters;
use crate::study::Seeded;

impl<S: Searchable> Tuner<S> {
    /// Queues a configuration (all of it or some parameters) to be tried before the oracle's
    /// own choices; see [`Study::enqueue`](crate::study::Study::enqueue).
    pub fn enqueue(&self, values: HyperParameters) -> Result<(), TunerError> {
        Ok(self.study().enqueue(values)?)
    }

    /// Copies an earlier tuner's finished trials into this study as history, for a same or
    /// compatible space; see [`Study::seed_from`](crate::study::Study::seed_from).
    pub fn seed_from<T: Searchable>(&self, earlier: &Tuner<T>) -> Result<Seeded, TunerError> {
        Ok(self.study().seed_from(earlier.study())?)
    }
}

impl<M: HyperModel> Tuner<Typed<M>> {
    /// Queues a whole typed configuration to be tried before the oracle's own choices.
    pub fn enqueue_params(&self, params: &M::Params) -> Result<(), TunerError> {
        self.enqueue(M::params_to(params))
    }
}
