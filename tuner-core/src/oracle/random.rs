//! Random search that never repeats a configuration and knows when a finite space is used up.

use super::{Oracle, OracleContext, Suggestion};
use crate::space::HyperParameters;
use crate::trial::TrialPlan;
use rand::RngExt;

/// Draws each trial uniformly (in each parameter's sampling) from the untried configurations.
///
/// ```
/// use tuner_core::objective::Objective;
/// use tuner_core::oracle::{Oracle, OracleContext, RandomSearch, Suggestion};
/// use tuner_core::space::{Param, SearchSpace};
///
/// let space = SearchSpace::builder().param(Param::float("lr", 1e-4, 1e-1).log()).build()?;
/// let objectives = Objective::minimize("loss").into();
/// let ctx = OracleContext { space: &space, objectives: &objectives, trials: &[], seed: 3 };
/// let Suggestion::Try(plan) = RandomSearch::new().suggest(&ctx) else { unreachable!() };
/// let lr: f64 = plan.values.get_as("lr")?;
/// assert!((1e-4..=1e-1).contains(&lr));
/// // The same seed and history draw the same values (a resumed search repeats itself).
/// assert_eq!(RandomSearch::new().suggest(&ctx), Suggestion::Try(plan));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct RandomSearch {
    _private: (),
}

/// Draws before falling back to enumerating what is left of a finite space.
const DRAWS: usize = 64;
/// Spaces at most this large are enumerated once random draws keep colliding.
const ENUMERABLE: u64 = 1_000_000;

impl RandomSearch {
    /// A random search.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Oracle for RandomSearch {
    fn name(&self) -> &'static str {
        "random"
    }

    fn config(&self) -> crate::oracle::OracleConfig {
        crate::oracle::OracleConfig::Random
    }

    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion {
        let tried = ctx.tried();
        let size = ctx.space.cardinality();
        if let Some(n) = size {
            if tried.len() as u64 >= n {
                return Suggestion::Done(format!(
                    "all {n} configurations of the search space have been tried"
                ));
            }
        }
        let mut rng = ctx.rng();
        for _ in 0..DRAWS {
            let values = ctx.space.sample(&mut rng);
            if !tried.contains(&values.key()) {
                return Suggestion::Try(plan(values));
            }
        }
        // Draws keep colliding: a small space is nearly used up, so pick among what is left.
        match size {
            Some(n) if n <= ENUMERABLE => {
                let left: Vec<HyperParameters> = match ctx.space.grid() {
                    Ok(grid) => grid.filter(|v| !tried.contains(&v.key())).collect(),
                    Err(e) => return Suggestion::Done(e.to_string()),
                };
                if left.is_empty() {
                    return Suggestion::Done(format!(
                        "all {n} configurations of the search space have been tried"
                    ));
                }
                let pick = rng.random_range(0..left.len());
                Suggestion::Try(plan(left[pick].clone()))
            }
            _ => Suggestion::Done(format!(
                "{DRAWS} random draws in a row were configurations already tried: \
                 the space looks used up; widen it or use a grid"
            )),
        }
    }
}

fn plan(values: HyperParameters) -> TrialPlan {
    TrialPlan {
        values,
        ..TrialPlan::default()
    }
}
