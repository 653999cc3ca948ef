//! How NSGA-II makes a child from two parents: crossover (uniform, Optuna's default, or
//! simulated binary) and mutation (a fresh uniform draw, Optuna's, or polynomial), on each
//! parameter's unit scale (its sampling: a log parameter is crossed in log space).

use crate::space::{HyperParameters, Param, ParamKind, SearchSpace, Value};
use rand::rngs::ChaCha8Rng;
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// How two parents' values mix.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Crossover {
    /// Each parameter from the second parent with probability `swapping_prob` (Optuna's
    /// `UniformCrossover`, its default).
    Uniform {
        /// The chance of taking the second parent's value.
        swapping_prob: f64,
    },
    /// Simulated binary crossover (Deb & Agrawal 1995) with distribution index `eta` on
    /// numeric parameters, per parameter with probability 1/2; other parameters as uniform.
    Sbx {
        /// Larger keeps children nearer their parents.
        eta: f64,
    },
}

/// How a child's values are perturbed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mutation {
    /// The parameter is drawn afresh from its sampling (Optuna's: left to the independent
    /// sampler).
    Uniform,
    /// Deb's polynomial mutation with distribution index `eta` on numeric parameters (others
    /// drawn afresh).
    Polynomial {
        /// Larger keeps the mutated value nearer the original.
        eta: f64,
    },
}

/// Whether crossover and mutation may move the parameter along its unit scale.
fn numeric(param: &Param) -> bool {
    matches!(param.kind, ParamKind::Int { .. } | ParamKind::Float { .. })
}

/// Bounded SBX of two unit values: one of the two children, picked at random.
fn sbx(x1: f64, x2: f64, eta: f64, rng: &mut ChaCha8Rng) -> f64 {
    if (x1 - x2).abs() < 1e-14 {
        return x1;
    }
    let (lo, hi) = (x1.min(x2), x1.max(x2));
    let u: f64 = rng.random();
    let spread = |beta: f64| {
        let alpha = 2.0 - beta.powf(-(eta + 1.0));
        if u <= 1.0 / alpha {
            (u * alpha).powf(1.0 / (eta + 1.0))
        } else {
            (1.0 / (2.0 - u * alpha)).powf(1.0 / (eta + 1.0))
        }
    };
    let c1 = 0.5 * ((lo + hi) - spread(1.0 + 2.0 * lo / (hi - lo)) * (hi - lo));
    let c2 = 0.5 * ((lo + hi) + spread(1.0 + 2.0 * (1.0 - hi) / (hi - lo)) * (hi - lo));
    let child = if rng.random::<bool>() { c1 } else { c2 };
    child.clamp(0.0, 1.0)
}

/// Deb's polynomial mutation of a unit value.
fn polynomial(y: f64, eta: f64, rng: &mut ChaCha8Rng) -> f64 {
    let r: f64 = rng.random();
    let power = 1.0 / (eta + 1.0);
    let delta = if r < 0.5 {
        let v = 2.0 * r + (1.0 - 2.0 * r) * (1.0 - y).powf(eta + 1.0);
        v.powf(power) - 1.0
    } else {
        let v = 2.0 * (1.0 - r) + 2.0 * (r - 0.5) * y.powf(eta + 1.0);
        1.0 - v.powf(power)
    };
    (y + delta).clamp(0.0, 1.0)
}

/// A parameter's value on its unit scale (the inverse of `prob_to_value`).
fn unit(param: &Param, value: &Value) -> f64 {
    param.value_to_prob(value).clamp(0.0, 1.0)
}

/// The operators and their rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Operators {
    pub crossover: Crossover,
    pub crossover_prob: f64,
    pub mutation: Mutation,
    /// `None`: 1 / the number of live parameters (Optuna's default).
    pub mutation_prob: Option<f64>,
}

impl Operators {
    /// A child of `a` and `b` in `space`: with `crossover_prob` their crossover, else `a`'s
    /// values; then each parameter mutated with the mutation rate. A parameter live in the
    /// child but set in neither parent is drawn from its sampling.
    pub(crate) fn child(
        &self,
        space: &SearchSpace,
        a: &HyperParameters,
        b: &HyperParameters,
        rng: &mut ChaCha8Rng,
    ) -> HyperParameters {
        let cross = rng.random::<f64>() < self.crossover_prob;
        let live = a.len().max(1) as f64;
        let rate = self.mutation_prob.unwrap_or(1.0 / live);
        let mut child = HyperParameters::new();
        // Declaration order puts parents before children, so liveness is decided on set values.
        for param in space.params() {
            if !space.is_active(param, &child) {
                continue;
            }
            let value = match (a.get(&param.name), b.get(&param.name)) {
                (Some(x), Some(y)) if cross => self.cross(param, x, y, rng),
                (Some(x), _) => x.clone(),
                (None, Some(y)) => y.clone(),
                (None, None) => param.sample(rng),
            };
            let value = if rng.random::<f64>() < rate {
                self.mutate(param, &value, rng)
            } else {
                value
            };
            child.insert(param.name.clone(), value);
        }
        child
    }

    fn cross(&self, param: &Param, x: &Value, y: &Value, rng: &mut ChaCha8Rng) -> Value {
        match self.crossover {
            Crossover::Sbx { eta } if numeric(param) => {
                if rng.random::<bool>() {
                    param.prob_to_value(sbx(unit(param, x), unit(param, y), eta, rng))
                } else {
                    x.clone()
                }
            }
            Crossover::Sbx { .. } => {
                if rng.random::<bool>() {
                    y.clone()
                } else {
                    x.clone()
                }
            }
            Crossover::Uniform { swapping_prob } => {
                if rng.random::<f64>() < swapping_prob {
                    y.clone()
                } else {
                    x.clone()
                }
            }
        }
    }

    fn mutate(&self, param: &Param, value: &Value, rng: &mut ChaCha8Rng) -> Value {
        match self.mutation {
            Mutation::Polynomial { eta } if numeric(param) => {
                param.prob_to_value(polynomial(unit(param, value), eta, rng))
            }
            _ => param.sample(rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn sbx_children_spread_around_their_parents_within_bounds() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let children: Vec<f64> = (0..4000).map(|_| sbx(0.3, 0.5, 15.0, &mut rng)).collect();
        assert!(children.iter().all(|c| (0.0..=1.0).contains(c)));
        let mean = children.iter().sum::<f64>() / children.len() as f64;
        assert!((mean - 0.4).abs() < 0.01, "{mean}");
        // Mostly near a parent, and sometimes outside the pair.
        let near = children
            .iter()
            .filter(|c| (*c - 0.3).abs() < 0.05 || (*c - 0.5).abs() < 0.05)
            .count();
        let outside = children.iter().filter(|c| **c < 0.3 || **c > 0.5).count();
        assert!(near > 2000 && outside > 200, "{near} {outside}");
    }

    #[test]
    fn polynomial_mutation_stays_in_bounds_and_near() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for y in [0.0, 0.5, 1.0] {
            let moved: Vec<f64> = (0..2000).map(|_| polynomial(y, 20.0, &mut rng)).collect();
            assert!(moved.iter().all(|m| (0.0..=1.0).contains(m)));
            let far = moved.iter().filter(|m| (*m - y).abs() > 0.2).count();
            assert!(far < 40, "{y}: {far}");
        }
    }

    #[test]
    fn children_are_valid_configurations_of_a_conditional_space() {
        let space = SearchSpace::builder()
            .param(Param::int("depth", 1, 3))
            .param(Param::float("lr", 1e-4, 1e-1).log())
            .param(Param::choice("act", ["relu", "tanh"]))
            .param(Param::int("extra", 0, 9).when("depth", [3]))
            .build()
            .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for crossover in [
            Crossover::Uniform { swapping_prob: 0.5 },
            Crossover::Sbx { eta: 2.0 },
        ] {
            let ops = Operators {
                crossover,
                crossover_prob: 1.0,
                mutation: Mutation::Polynomial { eta: 20.0 },
                mutation_prob: Some(0.3),
            };
            for _ in 0..200 {
                let (a, b) = (space.sample(&mut rng), space.sample(&mut rng));
                let child = ops.child(&space, &a, &b, &mut rng);
                space.check(&child).unwrap();
            }
        }
    }
}
