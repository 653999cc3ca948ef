//! The TPE's good ("below") and bad ("above") trials, as Optuna's `_split_trials`: feasible
//! completed trials first (by score, or with several objectives by non-domination rank with a
//! hypervolume tie-break: Optuna's MOTPE, Ozaki et al. 2020 and 2022), then pruned trials by
//! how far they got, then infeasible trials by how far they are from feasible; everything not
//! good is bad, with every failed and running trial. With several objectives each good trial
//! carries a weight for the good estimator (its share of the good trials' hypervolume, as
//! Optuna 3 and 4's `_calculate_weights_below_for_multi_objective`, or 1 as Optuna 5).
//! BOHB sizes both sets by its own rule instead ([`SplitRule::Bohb`]).

use crate::objective::{contributions, fronts, greedy_subset, violation, volume, Objectives};
use crate::trial::{Trial, TrialState};
use serde::{Deserialize, Serialize};

/// How the TPE tells good trials from bad when a study has several objectives (a study with
/// one objective is split by its score whatever this says).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiObjectiveSplit {
    /// Optuna's multi-objective TPE: the good trials are the first non-dominated fronts, the
    /// last one cut by greedy hypervolume subset selection; each good trial is weighted by
    /// its hypervolume contribution among them (the largest 1), as Optuna 3 and 4.
    #[default]
    HypervolumeWeights,
    /// The same split, every good trial weighted 1, as Optuna 5.
    UniformWeights,
    /// KerasTuner's `MultiObjective`: the sum of the objectives' losses, split as one
    /// objective.
    Sum,
}

/// Optuna's smallest weight and reference coordinate (`EPS`).
const EPS: f64 = 1e-12;

/// A split of the history.
#[derive(Debug)]
pub(crate) struct Split<'a> {
    /// The good trials, in trial order.
    pub below: Vec<&'a Trial>,
    /// The bad trials, in trial order.
    pub above: Vec<&'a Trial>,
    /// With several objectives, each good trial's weight (aligned with `below`); `None` for
    /// Optuna's default weights by position.
    pub below_weights: Option<Vec<f64>>,
}

/// Whether the objectives are split by Pareto ranks rather than by one score.
fn by_pareto(objectives: &Objectives, mode: MultiObjectiveSplit) -> bool {
    objectives.is_multi() && mode != MultiObjectiveSplit::Sum
}

/// Optuna's default `gamma`: how many of `n` finished trials are good (at most 25 with one
/// score; uncapped with several objectives, Optuna's `default_gamma_multiobjective`).
pub(crate) fn n_below(n: usize, objectives: &Objectives, mode: MultiObjectiveSplit) -> usize {
    let tenth = (0.1 * n as f64).ceil() as usize;
    if by_pareto(objectives, mode) {
        tenth
    } else {
        tenth.min(25)
    }
}

/// How large the good and bad sets are: Optuna's (`gamma`, [`n_below`], and a partition) or
/// BOHB's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum SplitRule {
    /// Optuna's default `gamma`; every trial not good is bad.
    #[default]
    Optuna,
    /// BOHB's (Falkner et al. 2018, eqs. 2 and 3, `N_min = d + 1`, `q = 0.15`): the best
    /// `max(d + 1, floor(0.15 n))` are good (`d` the modelled parameters; at least one trial
    /// stays out), and the bad set holds at least `d + 1` scored trials, the worst good ones
    /// added when the rest are fewer. With few observations at a budget the two sets overlap,
    /// so the density ratio favours the best trials and shuns the worst.
    Bohb,
}

/// The good trials among `n` finished ones under `rule`, `modelled` parameters.
pub(crate) fn good_count(
    rule: SplitRule,
    n: usize,
    modelled: usize,
    objectives: &Objectives,
    mode: MultiObjectiveSplit,
) -> usize {
    match rule {
        SplitRule::Optuna => n_below(n, objectives, mode),
        SplitRule::Bohb => (modelled + 1).max(15 * n / 100).min(n.saturating_sub(1)),
    }
}

/// Good and bad trials under `rule`: `finished` of `trials` are finished and `modelled`
/// parameters are modelled (both sets sized by the rule, the bad one padded for BOHB).
pub(crate) fn split_by<'a>(
    rule: SplitRule,
    trials: &'a [Trial],
    finished: usize,
    modelled: usize,
    objectives: &Objectives,
    mode: MultiObjectiveSplit,
) -> Split<'a> {
    let n_below = good_count(rule, finished, modelled, objectives, mode);
    let mut parts = split(trials, objectives, n_below, mode);
    if rule == SplitRule::Bohb {
        pad_above(&mut parts, modelled + 1, objectives);
    }
    parts
}

/// BOHB's bad set (see [`SplitRule::Bohb`]): while it holds fewer than `least` completed,
/// scored trials, the worst good trial not yet in it joins it. Only for a split by one score
/// (good trials carry no weights of their own).
pub(crate) fn pad_above(split: &mut Split<'_>, least: usize, objectives: &Objectives) {
    let scored =
        |t: &Trial| t.state == TrialState::Completed && t.score.is_some_and(|s| !s.is_nan());
    let have = split.above.iter().filter(|&&t| scored(t)).count();
    if have >= least || split.below_weights.is_some() {
        return;
    }
    let direction = objectives.direction();
    let mut worst: Vec<&Trial> = split.below.iter().copied().filter(|&t| scored(t)).collect();
    let loss = |t: &Trial| direction.loss(t.score.unwrap_or(f64::NAN));
    worst.sort_by(|a, b| loss(b).total_cmp(&loss(a)).then(b.number.cmp(&a.number)));
    split.above.extend(worst.into_iter().take(least - have));
    split.above.sort_by_key(|t| t.number);
}

/// Splits `trials` into `n_below` good ones and the bad rest (see the module documentation).
/// A pruned trial ranks by its last epoch and its last score (the summed losses with several
/// objectives); Invalid trials (about to be retried) are left out.
pub(crate) fn split<'a>(
    trials: &'a [Trial],
    objectives: &Objectives,
    n_below: usize,
    mode: MultiObjectiveSplit,
) -> Split<'a> {
    let pareto = by_pareto(objectives, mode);
    let direction = objectives.direction();
    // Feasible completed trials with what ranks them: one loss, or each objective's.
    let mut complete: Vec<(&Trial, Vec<f64>)> = Vec::new();
    let mut pruned: Vec<(&Trial, (i64, f64))> = Vec::new();
    let mut infeasible: Vec<(&Trial, f64)> = Vec::new();
    let mut above: Vec<&Trial> = Vec::new();
    for t in trials {
        match t.state {
            // A failed trial (an error, NaN or an infinite objective) tells where not to go.
            TrialState::Running | TrialState::Failed => above.push(t),
            TrialState::Invalid => {}
            TrialState::Completed => {
                let ranked = if pareto {
                    t.best_metrics().and_then(|m| objectives.losses(m))
                } else {
                    t.score
                        .filter(|s| !s.is_nan())
                        .map(|s| vec![direction.loss(s)])
                };
                match (ranked, violation(t)) {
                    (None, _) => above.push(t),
                    (Some(_), v) if v > 0.0 => infeasible.push((t, v)),
                    (Some(losses), _) => complete.push((t, losses)),
                }
            }
            TrialState::Stopped => {
                let v = violation(t);
                if v > 0.0 {
                    infeasible.push((t, v));
                    continue;
                }
                let last = t.history.last().map(|(epoch, m)| {
                    let v = objectives.score(m).map_or(f64::INFINITY, |v| {
                        if v.is_nan() {
                            f64::INFINITY
                        } else {
                            direction.loss(v)
                        }
                    });
                    (-i64::from(*epoch), v)
                });
                pruned.push((t, last.unwrap_or((1, 0.0))));
            }
        }
    }
    let good_complete: Vec<usize> = if pareto {
        let losses: Vec<&[f64]> = complete.iter().map(|c| c.1.as_slice()).collect();
        pareto_below(&losses, n_below)
    } else {
        let mut order: Vec<usize> = (0..complete.len()).collect();
        order.sort_by(|a, b| {
            complete[*a].1[0]
                .total_cmp(&complete[*b].1[0])
                .then(complete[*a].0.number.cmp(&complete[*b].0.number))
        });
        order.truncate(n_below);
        order
    };
    let mut is_good = vec![false; complete.len()];
    for i in &good_complete {
        is_good[*i] = true;
    }
    // (trial, weight); the completed ones' weights are set below.
    let mut below: Vec<(&Trial, f64)> = Vec::new();
    let good_losses: Vec<&[f64]> = good_complete
        .iter()
        .map(|i| complete[*i].1.as_slice())
        .collect();
    let weights = match mode {
        MultiObjectiveSplit::HypervolumeWeights => contribution_weights(&good_losses),
        _ => vec![1.0; good_losses.len()],
    };
    below.extend(
        good_complete
            .iter()
            .zip(weights)
            .map(|(i, w)| (complete[*i].0, w)),
    );
    above.extend(
        complete
            .iter()
            .zip(&is_good)
            .filter(|(_, good)| !**good)
            .map(|(c, _)| c.0),
    );
    pruned.sort_by(|a, b| {
        a.1 .0
            .cmp(&b.1 .0)
            .then(a.1 .1.total_cmp(&b.1 .1))
            .then(a.0.number.cmp(&b.0.number))
    });
    infeasible.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.number.cmp(&b.0.number)));
    // Good trials that are not feasible completed ones weigh next to nothing, as Optuna
    // weighs infeasible good trials (with uniform weights, 1).
    let other = if mode == MultiObjectiveSplit::HypervolumeWeights {
        EPS
    } else {
        1.0
    };
    let rest = pruned
        .into_iter()
        .map(|p| p.0)
        .chain(infeasible.into_iter().map(|i| i.0));
    for t in rest {
        if below.len() < n_below {
            below.push((t, other));
        } else {
            above.push(t);
        }
    }
    below.sort_by_key(|b| b.0.number);
    above.sort_by_key(|t| t.number);
    Split {
        below_weights: pareto.then(|| below.iter().map(|b| b.1).collect()),
        below: below.into_iter().map(|b| b.0).collect(),
        above,
    }
}

/// The `n_below` good points of `losses` (indices): whole non-dominated fronts while they
/// fit, then the front that does not fit cut by greedy hypervolume subset selection against
/// that front's own reference point.
fn pareto_below(losses: &[&[f64]], n_below: usize) -> Vec<usize> {
    if n_below >= losses.len() {
        return (0..losses.len()).collect();
    }
    let mut below = Vec::with_capacity(n_below);
    for front in fronts(losses) {
        let room = n_below - below.len();
        if room == 0 {
            break;
        }
        if front.len() <= room {
            below.extend(front);
            continue;
        }
        let points: Vec<&[f64]> = front.iter().map(|i| losses[*i]).collect();
        let reference = reference_point(&points);
        if reference.iter().all(|r| r.is_finite()) {
            below.extend(
                greedy_subset(&points, room, &reference)
                    .into_iter()
                    .map(|k| front[k]),
            );
        } else {
            below.extend(&front[..room]);
        }
        break;
    }
    below.sort_unstable();
    below
}

/// Optuna's reference point for a set of losses: each coordinate's worst value pushed out by
/// a tenth (`max(1.1 w, 0.9 w)`), a zero made `EPS`.
pub(crate) fn reference_point(losses: &[&[f64]]) -> Vec<f64> {
    let m = losses.first().map_or(0, |p| p.len());
    (0..m)
        .map(|d| {
            let worst = losses
                .iter()
                .map(|p| p[d])
                .fold(f64::NEG_INFINITY, f64::max);
            let r = (1.1 * worst).max(0.9 * worst);
            if r == 0.0 {
                EPS
            } else {
                r
            }
        })
        .collect()
}

/// Each good point's weight: its exclusive hypervolume contribution among the good points'
/// front (reference point from the good points), over the largest; points off that front get
/// `EPS`. With at most one point, or an infinite hypervolume, every weight is 1.
pub(crate) fn contribution_weights(losses: &[&[f64]]) -> Vec<f64> {
    let n = losses.len();
    if n <= 1 {
        return vec![1.0; n];
    }
    let reference = reference_point(losses);
    let front = fronts(losses).swap_remove(0);
    let points: Vec<&[f64]> = front.iter().map(|i| losses[*i]).collect();
    let hv = volume(points.iter().copied(), &reference);
    if !hv.is_finite() {
        return vec![1.0; n];
    }
    let mut contribution = vec![0.0; n];
    for (i, c) in front.iter().zip(contributions(&points, &reference)) {
        contribution[*i] = c;
    }
    let largest = contribution.iter().copied().fold(0.0, f64::max).max(EPS);
    contribution
        .into_iter()
        .map(|c| (c / largest).max(EPS))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{Objective, CONSTRAINTS};
    use crate::space::Value;
    use crate::trial::{Metrics, TrialPlan};

    fn trial(number: u64, state: TrialState, score: Option<f64>) -> Trial {
        let mut t = Trial::new(number, TrialPlan::default());
        t.state = state;
        t.score = score;
        t
    }

    fn numbers(v: &[&Trial]) -> Vec<u64> {
        v.iter().map(|t| t.number).collect()
    }

    /// A completed two-objective trial with losses `(a, b)` and constraint value `c`.
    fn two(number: u64, a: f64, b: f64, c: f64, objectives: &Objectives) -> Trial {
        let mut t = Trial::new(number, TrialPlan::default());
        t.history
            .insert(0, Metrics::from([("a".into(), a), ("b".into(), b)]));
        t.rescore(objectives);
        t.state = TrialState::Completed;
        t.plan
            .attrs
            .insert(CONSTRAINTS.into(), Value::Str(format!("[{c}]")));
        t
    }

    #[test]
    fn failed_trials_are_bad_and_invalid_ones_left_out() {
        let objectives: Objectives = Objective::minimize("loss").into();
        let trials = [
            trial(0, TrialState::Completed, Some(1.0)),
            trial(1, TrialState::Failed, None),
            trial(2, TrialState::Completed, Some(0.5)),
            trial(3, TrialState::Invalid, None),
            trial(4, TrialState::Running, None),
        ];
        let s = split(&trials, &objectives, 1, MultiObjectiveSplit::default());
        assert_eq!(numbers(&s.below), [2]);
        assert_eq!(numbers(&s.above), [0, 1, 4]);
        assert!(s.below_weights.is_none());
    }

    #[test]
    fn bohbs_bad_set_takes_the_worst_good_trials_when_the_rest_are_too_few() {
        let objectives: Objectives = Objective::minimize("loss").into();
        let mut trials: Vec<Trial> = [0.4, 0.1, 0.3, 0.9]
            .iter()
            .enumerate()
            .map(|(n, s)| trial(n as u64, TrialState::Completed, Some(*s)))
            .collect();
        trials.push(trial(4, TrialState::Running, None));
        // d = 2: three good of four, and the bad set needs three scored trials.
        let n = good_count(SplitRule::Bohb, 4, 2, &objectives, MultiObjectiveSplit::Sum);
        let mut s = split(&trials, &objectives, n, MultiObjectiveSplit::Sum);
        assert_eq!(numbers(&s.below), [0, 1, 2]);
        assert_eq!(numbers(&s.above), [3, 4]);
        pad_above(&mut s, 3, &objectives);
        // The worst two good ones (0.4, 0.3) join the worst trial; the running one stays.
        assert_eq!(numbers(&s.above), [0, 2, 3, 4]);
        assert_eq!(numbers(&s.below), [0, 1, 2]);
        // Enough bad trials already: nothing moves.
        let mut s = split(&trials, &objectives, 1, MultiObjectiveSplit::Sum);
        pad_above(&mut s, 3, &objectives);
        assert_eq!(numbers(&s.above), [0, 2, 3, 4]);
    }

    #[test]
    fn infeasible_trials_come_after_every_feasible_one_by_violation() {
        let objectives: Objectives = Objective::minimize("loss").into();
        let with = |mut t: Trial, c: f64| {
            t.plan
                .attrs
                .insert(CONSTRAINTS.into(), Value::Str(format!("[{c}, -1.0]")));
            t
        };
        let trials = [
            with(trial(0, TrialState::Completed, Some(0.1)), 2.0),
            with(trial(1, TrialState::Completed, Some(0.9)), -0.5),
            with(trial(2, TrialState::Completed, Some(0.0)), 0.5),
            with(trial(3, TrialState::Stopped, None), 0.0),
            with(trial(4, TrialState::Completed, Some(0.2)), 1.0),
        ];
        // The best scores are infeasible: the feasible completed trial, the pruned one, then
        // the least violated.
        let s = split(&trials, &objectives, 3, MultiObjectiveSplit::default());
        assert_eq!(numbers(&s.below), [1, 2, 3]);
        assert_eq!(numbers(&s.above), [0, 4]);
        let s = split(&trials, &objectives, 1, MultiObjectiveSplit::default());
        assert_eq!(numbers(&s.below), [1]);
    }

    #[test]
    fn several_objectives_split_by_fronts_then_hypervolume() {
        let objectives =
            Objectives::new(vec![Objective::minimize("a"), Objective::minimize("b")]).unwrap();
        let trials = [
            two(0, 0.0, 1.0, 0.0, &objectives), // front 0
            two(1, 1.0, 0.0, 0.0, &objectives), // front 0
            two(2, 0.5, 0.5, 0.0, &objectives), // front 0
            two(3, 0.6, 0.9, 0.0, &objectives), // front 1
            two(4, 0.9, 0.6, 0.0, &objectives), // front 1
            two(5, 0.8, 0.8, 0.0, &objectives), // front 1, the largest box under (0.99, 0.99)
            two(6, 1.0, 1.0, 0.0, &objectives), // front 2
            two(7, 0.0, 0.0, 1.0, &objectives), // dominates everything, but infeasible
        ];
        let s = split(
            &trials,
            &objectives,
            4,
            MultiObjectiveSplit::HypervolumeWeights,
        );
        assert_eq!(numbers(&s.below), [0, 1, 2, 5]);
        assert_eq!(numbers(&s.above), [3, 4, 6, 7]);
        // Under (1.1, 1.1) the front {0, 1, 2} covers 0.46; leaving out 0 or 1 loses 0.05,
        // leaving out 2 loses 0.25; trial 5 is off the good trials' front.
        let w = s.below_weights.unwrap();
        let want = [0.2, 0.2, 1.0, EPS];
        assert!(
            w.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-9),
            "{w:?}"
        );
        let s = split(&trials, &objectives, 4, MultiObjectiveSplit::UniformWeights);
        assert_eq!(numbers(&s.below), [0, 1, 2, 5]);
        assert_eq!(s.below_weights.unwrap(), vec![1.0; 4]);
        // Summed losses: the three smallest sums (1.0, 1.0, 1.0) and then 1.5 (trial 3, the
        // earlier of two).
        let s = split(&trials, &objectives, 4, MultiObjectiveSplit::Sum);
        assert_eq!(numbers(&s.below), [0, 1, 2, 3]);
        assert!(s.below_weights.is_none());
        // With more good trials than feasible ones, the infeasible one joins last.
        let s = split(&trials, &objectives, 8, MultiObjectiveSplit::default());
        assert_eq!(s.below.len(), 8);
        assert_eq!(s.below_weights.unwrap()[7], EPS);
    }

    #[test]
    fn gamma_and_the_reference_point_follow_optuna() {
        let one: Objectives = Objective::minimize("loss").into();
        let two =
            Objectives::new(vec![Objective::minimize("a"), Objective::minimize("b")]).unwrap();
        let mode = MultiObjectiveSplit::default();
        assert_eq!(n_below(10, &one, mode), 1);
        assert_eq!(n_below(11, &one, mode), 2);
        assert_eq!(n_below(1000, &one, mode), 25);
        assert_eq!(n_below(1000, &two, mode), 100);
        assert_eq!(n_below(1000, &two, MultiObjectiveSplit::Sum), 25);
        // BOHB: d + 1 = 3 of 4 with two parameters, a share of 15% once that is larger, and
        // never every trial.
        let bohb = |n, d| good_count(SplitRule::Bohb, n, d, &one, mode);
        assert_eq!(
            (bohb(4, 2), bohb(40, 2), bohb(3, 3), bohb(100, 2)),
            (3, 6, 2, 15)
        );
        assert_eq!(good_count(SplitRule::Optuna, 40, 2, &one, mode), 4);
        let r = reference_point(&[&[-2.0, 0.0, 1.0], &[-3.0, 0.0, 2.0]]);
        assert!((r[0] + 1.8).abs() < 1e-12 && r[1] == EPS && (r[2] - 2.2).abs() < 1e-12);
        assert_eq!(contribution_weights(&[&[1.0, 2.0]]), vec![1.0]);
    }
}
