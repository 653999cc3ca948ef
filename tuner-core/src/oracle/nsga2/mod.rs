//! NSGA-II (Deb et al. 2002) with Optuna's semantics (`NSGAIISampler`): the history is cut
//! into generations of `population_size` trials by trial number; the first generation is
//! random; each later trial is a child of two parents drawn by binary tournament from the
//! elite population, which is selected generation by generation from the previous elite and
//! the generation's finished trials (non-dominated fronts, then crowding distance), with
//! Deb's constrained domination when trials report constraints.
//!
//! Optuna's tournament compares by domination alone; this one compares by front then
//! crowding distance (Deb's crowded comparison), which is what the front ranks already hold.
//! Failed trials are not members; trials of a generation still running when the next starts
//! are left out of its selection, as in Optuna.

mod operators;
pub(super) mod sort;

pub use operators::{Crossover, Mutation};

use super::{Oracle, OracleConfig, OracleContext, RandomSearch, Suggestion};
use crate::objective::violation;
use crate::trial::{Trial, TrialPlan, TrialState};
use operators::Operators;
use rand::rngs::ChaCha8Rng;
use rand::RngExt;
use sort::{Point, Ranked};

/// The NSGA-II oracle.
///
/// ```
/// use tuner_core::oracle::{Crossover, Mutation, Nsga2};
///
/// // Optuna's defaults: 50 per generation, uniform crossover at 0.9, uniform mutation.
/// let optuna = Nsga2::new();
/// // The textbook operators: simulated binary crossover and polynomial mutation.
/// let textbook = Nsga2::new()
///     .population_size(40)
///     .crossover(Crossover::Sbx { eta: 15.0 })
///     .mutation(Mutation::Polynomial { eta: 20.0 });
/// assert_ne!(format!("{optuna:?}"), format!("{textbook:?}"));
/// ```
#[derive(Debug, Clone)]
pub struct Nsga2 {
    population_size: usize,
    ops: Operators,
}

impl Default for Nsga2 {
    fn default() -> Self {
        Self::new()
    }
}

/// Draws of a child before a repeated configuration gives way to a random one.
const CHILD_DRAWS: usize = 16;

impl Nsga2 {
    /// Optuna's defaults: population 50, uniform crossover (swapping probability 0.5) with
    /// probability 0.9, uniform mutation at 1 / the number of parameters.
    pub fn new() -> Self {
        Self {
            population_size: 50,
            ops: Operators {
                crossover: Crossover::Uniform { swapping_prob: 0.5 },
                crossover_prob: 0.9,
                mutation: Mutation::Uniform,
                mutation_prob: None,
            },
        }
    }

    /// Trials per generation (at least 2).
    pub fn population_size(mut self, n: usize) -> Self {
        self.population_size = n.max(2);
        self
    }

    /// The crossover operator.
    pub fn crossover(mut self, crossover: Crossover) -> Self {
        self.ops.crossover = crossover;
        self
    }

    /// The chance a child is a crossover of its parents rather than a copy of the first.
    pub fn crossover_prob(mut self, p: f64) -> Self {
        self.ops.crossover_prob = p.clamp(0.0, 1.0);
        self
    }

    /// The mutation operator.
    pub fn mutation(mut self, mutation: Mutation) -> Self {
        self.ops.mutation = mutation;
        self
    }

    /// The chance each parameter is mutated; `None` for 1 / the number of live parameters.
    pub fn mutation_prob(mut self, p: Option<f64>) -> Self {
        self.ops.mutation_prob = p.map(|p| p.clamp(0.0, 1.0));
        self
    }

    /// The elite population for the generation the next trial belongs to, or `None` in the
    /// first generation.
    fn elite(&self, ctx: &OracleContext<'_>) -> Option<(Vec<Point>, Vec<Ranked>)> {
        let p = self.population_size;
        let generation = ctx.trials.len() / p;
        if generation == 0 {
            return None;
        }
        let mut elite: Vec<Point> = Vec::new();
        let mut ranked = Vec::new();
        for g in 0..generation {
            let mut pool = std::mem::take(&mut elite);
            pool.extend(
                ctx.trials[g * p..(g + 1) * p]
                    .iter()
                    .enumerate()
                    .filter_map(|(i, t)| point(ctx, g * p + i, t)),
            );
            ranked = sort::select(&pool, p);
            elite = ranked.iter().map(|r| pool[r.point].clone()).collect();
            for (k, r) in ranked.iter_mut().enumerate() {
                r.point = k;
            }
        }
        (!elite.is_empty()).then_some((elite, ranked))
    }
}

/// A finished trial as a member: completed with every objective, or failed constraints.
fn point(ctx: &OracleContext<'_>, index: usize, trial: &Trial) -> Option<Point> {
    if trial.state != TrialState::Completed {
        return None;
    }
    let losses = ctx.objectives.losses(trial.best_metrics()?)?;
    Some(Point {
        index,
        losses,
        violation: violation(trial),
    })
}

/// Binary tournament by crowded comparison: lower front, then larger crowding distance.
fn tournament(ranked: &[Ranked], rng: &mut ChaCha8Rng, not: Option<usize>) -> usize {
    let n = ranked.len();
    let mut draw = || loop {
        let k = rng.random_range(0..n);
        if n == 1 || Some(k) != not {
            return k;
        }
    };
    let (a, b) = (draw(), draw());
    let (ra, rb) = (&ranked[a], &ranked[b]);
    if (ra.rank, -ra.crowding) <= (rb.rank, -rb.crowding) {
        a
    } else {
        b
    }
}

impl Oracle for Nsga2 {
    fn name(&self) -> &'static str {
        "nsga2"
    }

    fn config(&self) -> OracleConfig {
        OracleConfig::Nsga2 {
            population_size: self.population_size,
            crossover: self.ops.crossover,
            crossover_prob: self.ops.crossover_prob,
            mutation: self.ops.mutation,
            mutation_prob: self.ops.mutation_prob,
        }
    }

    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion {
        let Some((elite, ranked)) = self.elite(ctx) else {
            return RandomSearch::new().suggest(ctx);
        };
        let tried = ctx.tried();
        let mut rng = ctx.rng();
        for _ in 0..CHILD_DRAWS {
            let a = tournament(&ranked, &mut rng, None);
            let b = tournament(&ranked, &mut rng, Some(a));
            let (pa, pb) = (&ctx.trials[elite[a].index], &ctx.trials[elite[b].index]);
            let values = self
                .ops
                .child(ctx.space, pa.values(), pb.values(), &mut rng);
            if !tried.contains(&values.key()) {
                return Suggestion::Try(TrialPlan {
                    values,
                    ..TrialPlan::default()
                });
            }
        }
        // The elite has converged onto configurations already tried.
        RandomSearch::new().suggest(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{hypervolume, Objective, Objectives};
    use crate::space::{Param, SearchSpace};
    use crate::trial::Metrics;

    /// ZDT1 in `n` dimensions: both objectives minimised, the front f2 = 1 - sqrt(f1).
    fn zdt1(x: &[f64]) -> (f64, f64) {
        let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (x.len() - 1) as f64;
        let f1 = x[0];
        (f1, g * (1.0 - (f1 / g).sqrt()))
    }

    fn run(oracle: &dyn Oracle, trials: usize, seed: u64) -> f64 {
        let n = 6;
        let mut space = SearchSpace::builder();
        for i in 0..n {
            space = space.param(Param::float(format!("x{i}"), 0.0, 1.0));
        }
        let space = space.build().unwrap();
        let objectives =
            Objectives::new(vec![Objective::minimize("f1"), Objective::minimize("f2")]).unwrap();
        let mut history: Vec<Trial> = Vec::new();
        for number in 0..trials {
            let ctx = OracleContext {
                space: &space,
                objectives: &objectives,
                trials: &history,
                seed,
            };
            let Suggestion::Try(plan) = oracle.suggest(&ctx) else {
                panic!("a continuous space never runs out")
            };
            let x: Vec<f64> = (0..n)
                .map(|i| plan.values.get_as::<f64>(&format!("x{i}")).unwrap())
                .collect();
            let (f1, f2) = zdt1(&x);
            let mut t = Trial::new(number as u64, plan);
            t.history
                .insert(0, Metrics::from([("f1".into(), f1), ("f2".into(), f2)]));
            t.rescore(&objectives);
            t.state = TrialState::Completed;
            history.push(t);
        }
        let points: Vec<Vec<f64>> = history
            .iter()
            .map(|t| objectives.losses(t.best_metrics().unwrap()).unwrap())
            .collect();
        hypervolume(&points, &[1.1, 1.1])
    }

    #[test]
    fn nsga2_beats_random_search_on_zdt1() {
        let textbook = Nsga2::new()
            .population_size(20)
            .crossover(Crossover::Sbx { eta: 15.0 })
            .mutation(Mutation::Polynomial { eta: 20.0 });
        let optuna = Nsga2::new().population_size(20);
        for seed in 0..3 {
            let random = run(&RandomSearch::new(), 200, seed);
            let a = run(&textbook, 200, seed);
            let b = run(&optuna, 200, seed);
            assert!(
                a > random && b > random,
                "seed {seed}: {a} {b} vs random {random}"
            );
        }
    }

    #[test]
    fn a_resumed_nsga2_decides_as_the_first() {
        let a = run(&Nsga2::new().population_size(10), 40, 7);
        let b = run(&Nsga2::new().population_size(10), 40, 7);
        assert_eq!(a, b);
    }
}
