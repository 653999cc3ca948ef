//! Hyperband (Li et al. 2018) with KerasTuner's exact bracket arithmetic, decided afresh from the
//! history each time so brackets survive restarts and are shared between workers.

use super::{promotion, Oracle, OracleContext, Suggestion};
use crate::space::{HyperParameters, Value};
use crate::trial::{Trial, TrialPlan, TrialState};
use std::collections::{BTreeMap, HashSet};

/// KerasTuner's bracket and round sizes for a maximum epoch budget and reduction factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HyperbandSchedule {
    /// Epochs of the longest-trained models.
    pub max_epochs: u32,
    /// How much each round cuts the population and multiplies the epochs.
    pub factor: u32,
}

impl HyperbandSchedule {
    /// The number of brackets: how often `max_epochs` divides by `factor` staying at least 1.
    pub fn brackets(&self) -> u32 {
        let mut epochs = self.max_epochs as f64;
        let mut brackets = 0;
        while epochs >= 1.0 {
            epochs /= self.factor as f64;
            brackets += 1;
        }
        brackets
    }

    /// How many trials round `round` of bracket `bracket` trains.
    pub fn size(&self, bracket: u32, round: u32) -> u32 {
        let f = self.factor as f64;
        let bracket0_end = (1.0 + (self.max_epochs as f64).ln() / f.ln()).ceil();
        let end = bracket0_end / (bracket as f64 + 1.0);
        (end * f.powi((bracket - round) as i32)).ceil() as u32
    }

    /// Up to which epoch round `round` of bracket `bracket` trains.
    pub fn epochs(&self, bracket: u32, round: u32) -> u32 {
        let f = self.factor as f64;
        (self.max_epochs as f64 / f.powi((bracket - round) as i32)).ceil() as u32
    }

    /// Every bracket as its rounds' `(size, epochs)`, first bracket first.
    pub fn table(&self) -> Vec<Vec<(u32, u32)>> {
        (0..self.brackets())
            .rev()
            .map(|s| {
                (0..=s)
                    .map(|r| (self.size(s, r), self.epochs(s, r)))
                    .collect()
            })
            .collect()
    }
}

/// Where a bracket's new configurations come from: the history, the configurations already in
/// the round being filled, and that round's budget; `None` when no untried one is found.
pub(crate) type Fresh<'f> =
    dyn Fn(&OracleContext<'_>, &HashSet<String>, u32) -> Option<HyperParameters> + 'f;

/// A random configuration not in `seen` (64 draws), Hyperband's own choice.
pub(crate) fn random_fresh(
    ctx: &OracleContext<'_>,
    seen: &HashSet<String>,
    _budget: u32,
) -> Option<HyperParameters> {
    let mut rng = ctx.rng();
    (0..64)
        .map(|_| ctx.space.sample(&mut rng))
        .find(|values| !seen.contains(&values.key()))
}

/// The Hyperband oracle. Promotions follow [`promotion`]'s rule (by score, or by Pareto
/// front with several objectives).
///
/// ```
/// use tuner_core::oracle::Hyperband;
///
/// // KerasTuner's arithmetic for max_epochs 9, factor 3: three brackets; the first starts
/// // 9 models for 1 epoch, keeps 3 for 3 epochs and 1 for all 9.
/// let schedule = Hyperband::new(9).factor(3).schedule();
/// assert_eq!(schedule.brackets(), 3);
/// assert_eq!(schedule.table()[0], vec![(9, 1), (3, 3), (1, 9)]);
/// ```
#[derive(Debug, Clone)]
pub struct Hyperband {
    schedule: HyperbandSchedule,
    iterations: u32,
}

const ITERATION: &str = "hyperband/iteration";
const BRACKET: &str = "hyperband/bracket";
const ROUND: &str = "hyperband/round";

impl Hyperband {
    /// Hyperband training models for at most `max_epochs` epochs, with factor 3.
    pub fn new(max_epochs: u32) -> Self {
        Self {
            schedule: HyperbandSchedule {
                max_epochs: max_epochs.max(1),
                factor: 3,
            },
            iterations: 1,
        }
    }

    /// The reduction factor (at least 2).
    pub fn factor(mut self, factor: u32) -> Self {
        self.schedule.factor = factor.max(2);
        self
    }

    /// How many times to run the whole set of brackets (KerasTuner's `hyperband_iterations`).
    pub fn iterations(mut self, iterations: u32) -> Self {
        self.iterations = iterations.max(1);
        self
    }

    /// The bracket arithmetic in use.
    pub fn schedule(&self) -> HyperbandSchedule {
        self.schedule
    }

    /// How many times the whole set of brackets runs.
    pub fn hyperband_iterations(&self) -> u32 {
        self.iterations
    }

    /// The brackets in the order they are started: each iteration, largest bracket first.
    fn bracket_order(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let b = self.schedule.brackets();
        (0..self.iterations).flat_map(move |it| (0..b).rev().map(move |s| (it, s)))
    }

    /// What bracket `(it, s)` wants next, or `None` if it cannot use a trial right now.
    fn advance(
        &self,
        ctx: &OracleContext<'_>,
        members: &[&Trial],
        (it, s): (u32, u32),
        fresh: &Fresh<'_>,
    ) -> Step {
        let rounds: Vec<Vec<&Trial>> = (0..=s)
            .map(|r| {
                members
                    .iter()
                    .copied()
                    .filter(|t| attr(t, ROUND) == Some(r as i64))
                    .collect()
            })
            .collect();
        let tag = |r: u32| {
            BTreeMap::from([
                (ITERATION.to_owned(), Value::Int(it as i64)),
                (BRACKET.to_owned(), Value::Int(s as i64)),
                (ROUND.to_owned(), Value::Int(r as i64)),
            ])
        };
        if (rounds[0].len() as u32) < self.schedule.size(s, 0) {
            let seen: HashSet<String> = rounds[0].iter().map(|t| t.values().key()).collect();
            let budget = self.schedule.epochs(s, 0);
            if let Some(values) = fresh(ctx, &seen, budget) {
                return Step::Run(TrialPlan {
                    values,
                    epochs: Some(budget),
                    initial_epoch: 0,
                    parent: None,
                    attrs: tag(0),
                });
            }
            // The space holds fewer configurations than round 0 wants: the round is as full as
            // it can be.
        }
        let mut busy = rounds[0].iter().any(|t| t.state == TrialState::Running);
        for r in 1..=s {
            let past = &rounds[r as usize - 1];
            if past.iter().any(|t| t.state == TrialState::Running) {
                return Step::Busy;
            }
            let mut ranked = promotion::ranked(past, ctx.objectives);
            ranked.truncate(self.schedule.size(s, r) as usize);
            let promoted: HashSet<u64> = rounds[r as usize]
                .iter()
                .filter_map(|t| t.plan.parent)
                .collect();
            if let Some(parent) = ranked.iter().find(|t| !promoted.contains(&t.number)) {
                return Step::Run(TrialPlan {
                    values: parent.values().clone(),
                    epochs: Some(self.schedule.epochs(s, r)),
                    initial_epoch: self.schedule.epochs(s, r - 1),
                    parent: Some(parent.number),
                    attrs: tag(r),
                });
            }
            busy |= rounds[r as usize]
                .iter()
                .any(|t| t.state == TrialState::Running);
        }
        if busy {
            Step::Busy
        } else {
            Step::Complete
        }
    }
}

/// Where one bracket stands.
enum Step {
    Run(TrialPlan),
    Busy,
    Complete,
}

fn attr(trial: &Trial, key: &str) -> Option<i64> {
    trial.plan.attrs.get(key).and_then(Value::as_int)
}

impl Oracle for Hyperband {
    fn name(&self) -> &'static str {
        "hyperband"
    }

    fn config(&self) -> crate::oracle::OracleConfig {
        crate::oracle::OracleConfig::Hyperband {
            max_epochs: self.schedule.max_epochs,
            factor: self.schedule.factor,
            hyperband_iterations: self.iterations,
        }
    }

    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion {
        self.suggest_with(ctx, &random_fresh)
    }
}

impl Hyperband {
    /// Hyperband's decision with new configurations drawn by `fresh` (random for Hyperband,
    /// a model for BOHB).
    pub(crate) fn suggest_with(&self, ctx: &OracleContext<'_>, fresh: &Fresh<'_>) -> Suggestion {
        let mut waiting = false;
        for (it, s) in self.bracket_order() {
            let members: Vec<&Trial> = ctx
                .trials
                .iter()
                .filter(|t| {
                    attr(t, ITERATION) == Some(it as i64) && attr(t, BRACKET) == Some(s as i64)
                })
                .collect();
            let started = !members.is_empty();
            match self.advance(ctx, &members, (it, s), fresh) {
                Step::Run(plan) => return Suggestion::Try(plan),
                Step::Busy => waiting = true,
                Step::Complete if started => {}
                // An unstarted bracket that cannot run anything has an empty space.
                Step::Complete => break,
            }
        }
        if waiting {
            Suggestion::Wait
        } else {
            Suggestion::Done(format!(
                "all {} Hyperband iteration(s) of {} brackets are complete",
                self.iterations,
                self.schedule.brackets()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(max_epochs: u32, factor: u32) -> String {
        HyperbandSchedule { max_epochs, factor }
            .table()
            .iter()
            .map(|b| {
                b.iter()
                    .map(|(n, e)| format!("{n}x{e}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect::<Vec<_>>()
            .join(" / ")
    }

    #[test]
    fn keras_tuner_schedule_100_epochs_factor_3() {
        assert_eq!(
            render(100, 3),
            "98x2, 33x4, 11x12, 4x34, 2x100 / 41x4, 14x12, 5x34, 2x100 / \
             18x12, 6x34, 2x100 / 9x34, 3x100 / 6x100"
        );
    }

    #[test]
    fn keras_tuner_schedule_10_epochs_factor_3() {
        assert_eq!(render(10, 3), "12x2, 4x4, 2x10 / 6x4, 2x10 / 4x10");
    }
}
