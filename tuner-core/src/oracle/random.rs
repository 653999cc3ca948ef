//! Random search that never repeats a configuration and knows when a finite space is used up.

use super::{Oracle, OracleContext, Suggestion};
use crate::space::HyperParameters;
use crate::trial::{Trial, TrialPlan};
use rand::RngExt;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard};

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
#[derive(Default)]
pub struct RandomSearch {
    /// The configurations tried so far, kept between calls so a suggestion costs the same
    /// at trial 10 as at trial 10,000.
    seen: Mutex<Seen>,
}

impl std::fmt::Debug for RandomSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RandomSearch").finish_non_exhaustive()
    }
}

impl Clone for RandomSearch {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// The keys of the first trials of the history last seen, extended by the trials added since.
///
/// A trial's values never change once it is handed out and trials are only ever appended, so
/// a history that starts with the trials seen before needs only its new trials looked at. A
/// different history (another study, or this one deleted and re-created) is told by a shorter
/// length or by a fingerprint mismatch at the first, the last seen, or a rotating position;
/// the set is then rebuilt.
#[derive(Debug, Default)]
struct Seen {
    keys: HashSet<String>,
    /// A hash of each seen trial's key, by position.
    prints: Vec<u64>,
    /// Which position the next check looks at besides the ends.
    probe: usize,
}

fn print(trial: &Trial) -> (String, u64) {
    let key = trial.values().key();
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    (key, h.finish())
}

impl Seen {
    /// Brings the set up to `trials`, from scratch when they are not the history seen before.
    fn update(&mut self, trials: &[Trial]) {
        let n = self.prints.len();
        let same = n <= trials.len()
            && (n == 0 || {
                self.probe = (self.probe + 7919) % n;
                [0, n - 1, self.probe]
                    .into_iter()
                    .all(|i| print(&trials[i]).1 == self.prints[i])
            });
        if !same {
            *self = Seen::default();
        }
        for trial in &trials[self.prints.len()..] {
            let (key, hash) = print(trial);
            self.keys.insert(key);
            self.prints.push(hash);
        }
    }
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

    /// The set of tried configurations; one left half-updated by a panic is rebuilt.
    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|poisoned| {
            self.seen.clear_poison();
            let mut seen = poisoned.into_inner();
            *seen = Seen::default();
            seen
        })
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
        let mut seen = self.seen();
        seen.update(ctx.trials);
        let tried = &seen.keys;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{Objective, Objectives};
    use crate::space::{Param, SearchSpace};

    fn space() -> SearchSpace {
        SearchSpace::builder()
            .param(Param::int("n", 0, 29))
            .param(Param::boolean("b"))
            .build()
            .unwrap()
    }

    fn suggest(oracle: &RandomSearch, space: &SearchSpace, trials: &[Trial]) -> Suggestion {
        let objectives: Objectives = Objective::minimize("loss").into();
        oracle.suggest(&OracleContext {
            space,
            objectives: &objectives,
            trials,
            seed: 5,
        })
    }

    #[test]
    fn kept_state_suggests_what_a_fresh_oracle_does_on_any_history() {
        let space = space();
        let kept = RandomSearch::new();
        let mut trials: Vec<Trial> = Vec::new();
        // Through the whole finite space (60 configurations), collisions and the final
        // enumeration included, then past its end.
        for _ in 0..62 {
            let fresh = suggest(&RandomSearch::new(), &space, &trials);
            assert_eq!(suggest(&kept, &space, &trials), fresh);
            let Suggestion::Try(plan) = fresh else {
                assert_eq!(trials.len(), 60);
                break;
            };
            trials.push(Trial::new(trials.len() as u64, plan));
        }
        let Suggestion::Done(reason) = suggest(&kept, &space, &trials) else {
            panic!("the space is used up");
        };
        assert!(reason.contains("all 60"), "{reason}");
        // Shorter histories, one that grows again from a prefix seen, and one as long as
        // the last seen but with other trials first (a study re-created elsewhere): each is
        // decided as a fresh oracle decides it.
        for t in [&trials[..45], &trials[..10], &trials[..30]] {
            assert_eq!(
                suggest(&kept, &space, t),
                suggest(&RandomSearch::new(), &space, t)
            );
        }
        let swapped: Vec<Trial> = trials[30..60]
            .iter()
            .chain(&trials[..10])
            .cloned()
            .collect();
        let stale: Vec<Trial> = trials[..30].iter().chain(&trials[..10]).cloned().collect();
        let fresh = suggest(&RandomSearch::new(), &space, &swapped);
        assert_ne!(
            fresh,
            suggest(&RandomSearch::new(), &space, &stale),
            "the check below tells a stale set from a rebuilt one"
        );
        assert_eq!(suggest(&kept, &space, &swapped), fresh);
    }
}
