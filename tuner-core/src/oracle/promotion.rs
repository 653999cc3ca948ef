//! Which trials of a rung go on to the next one: the rule shared by Hyperband, BOHB and ASHA,
//! for one objective and for several.
//!
//! One objective: best score first (ties by trial number), as KerasTuner's Hyperband.
//!
//! Several objectives (pruning in multi-objective studies, Optuna#3450): Pareto-rank based
//! successive halving. The completed trials of the rung are sorted into NSGA-II's fronts by
//! constrained domination (a feasible trial beats an infeasible one, of two infeasible ones
//! the smaller violation wins) on each objective's value at the trial's last reported epoch,
//! which is the rung's budget; front 0 first, and within a front the most spread-out first
//! (largest crowding distance, so the extremes of the front go on before its middle), ties
//! by trial number. Keeping the top `1 / factor` of that order keeps whole fronts while they
//! fit, exactly NSGA-II's elitist selection. A trial missing one of the objectives goes last.

use super::nsga2::sort::{select, Point};
use crate::objective::{violation, Objectives};
use crate::trial::{sort_best_first, Trial, TrialState};

/// The completed, scored trials of `rung`, in the order they are promoted (best first).
pub(crate) fn ranked<'a>(rung: &[&'a Trial], objectives: &Objectives) -> Vec<&'a Trial> {
    let mut done: Vec<&Trial> = rung
        .iter()
        .copied()
        .filter(|t| t.state == TrialState::Completed && t.score.is_some())
        .collect();
    if !objectives.is_multi() {
        sort_best_first(&mut done, objectives.direction());
        return done;
    }
    done.sort_by_key(|t| t.number);
    let (points, unranked): (Vec<_>, Vec<_>) = done
        .iter()
        .enumerate()
        .map(|(index, t)| {
            let losses = t
                .history
                .iter()
                .last()
                .and_then(|(_, m)| objectives.losses(m));
            (index, losses, t)
        })
        .partition(|(_, losses, _)| losses.is_some());
    let points: Vec<Point> = points
        .into_iter()
        .filter_map(|(index, losses, t)| {
            Some(Point {
                index,
                losses: losses?,
                violation: violation(t),
            })
        })
        .collect();
    // `select` sorts a front by crowding only when it must cut it; the caller cuts this order
    // at the rung's quota, so every front is ordered here: extremes (infinite crowding) first.
    let mut ranked = select(&points, points.len());
    ranked.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then(b.crowding.total_cmp(&a.crowding))
            .then(a.point.cmp(&b.point))
    });
    let mut order: Vec<&Trial> = ranked
        .into_iter()
        .map(|r| done[points[r.point].index])
        .collect();
    order.extend(unranked.into_iter().map(|(_, _, t)| *t));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Objective;
    use crate::trial::{Metrics, TrialPlan};

    fn trial(number: u64, acc: f64, ms: f64) -> Trial {
        let mut t = Trial::new(number, TrialPlan::default());
        let m: Metrics = [("acc".to_owned(), acc), ("ms".to_owned(), ms)].into();
        t.history.insert(0, m);
        t.state = TrialState::Completed;
        t.score = Some(0.0);
        t
    }

    #[test]
    fn several_objectives_promote_by_pareto_front_then_spread() {
        let objectives =
            Objectives::new(vec![Objective::maximize("acc"), Objective::minimize("ms")]).unwrap();
        // Front 0: 1 (best acc), 3 (fastest), 0 (between them); front 1: 2 (dominated by 0).
        let trials = [
            trial(0, 0.8, 5.0),
            trial(1, 0.9, 9.0),
            trial(2, 0.7, 6.0),
            trial(3, 0.6, 1.0),
        ];
        let refs: Vec<&Trial> = trials.iter().collect();
        let order: Vec<u64> = ranked(&refs, &objectives)
            .iter()
            .map(|t| t.number)
            .collect();
        // The extremes of the front (infinite crowding) first, then its middle, then front 1.
        assert_eq!(order, [1, 3, 0, 2]);
    }

    #[test]
    fn one_objective_promotes_by_score() {
        let objectives: Objectives = Objective::maximize("acc").into();
        let mut trials = [trial(0, 0.1, 0.0), trial(1, 0.9, 0.0), trial(2, 0.5, 0.0)];
        for t in &mut trials {
            t.rescore(&objectives);
        }
        trials[2].state = TrialState::Running;
        let refs: Vec<&Trial> = trials.iter().collect();
        let order: Vec<u64> = ranked(&refs, &objectives)
            .iter()
            .map(|t| t.number)
            .collect();
        assert_eq!(order, [1, 0]);
    }
}
