//! Random draws: one parameter from its sampling, a whole space parents first.

use super::{HyperParameters, Param, SearchSpace, Value};
use rand::{Rng, RngExt};

impl Param {
    /// A random value: `prob_to_value` of a uniform draw in `[0, 1)`, so log sampling is
    /// uniform in log scale and stepped parameters pick each grid point equally often.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Value {
        self.prob_to_value(rng.random::<f64>())
    }
}

impl SearchSpace {
    /// A random draw of every live parameter, in declaration order so that parents are
    /// decided before their children (inactive parameters are absent and draw nothing).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> HyperParameters {
        // The planned draw is `p.sample(rng)` without recomputing the grid each time.
        self.assign(|i, p| self.plan[i].value(p, rng.random::<f64>()))
    }
}
