//! The Tree-structured Parzen Estimator in the style of Optuna's `TPESampler` (Bergstra et al.
//! 2011; Watanabe 2023): after `n_startup_trials` random trials, the finished trials are split
//! into a good set (the best `min(ceil(0.1 n), 25)`) and a bad set, a Parzen estimator is
//! fitted to each, `n_ei_candidates` points are drawn from the good one, and the point with the
//! largest `log l(x) - log g(x)` is tried.
//!
//! Defaults follow Optuna 5: prior weight 1, magic clip on, endpoints off, Optuna's weights
//! (older observations ramp down past 25), constant liar on (running trials count as bad),
//! multivariate on (Optuna turns it off for several objectives; here it stays as set).
//!
//! Several objectives are split as Optuna's multi-objective TPE (MOTPE): the good set is
//! `ceil(0.1 n)` (uncapped) trials taken front by front, the last front cut by greedy
//! hypervolume subset selection, each good trial weighted by its hypervolume contribution
//! ([`MultiObjectiveSplit`]; or uniformly, as Optuna 5, or by the summed losses). Trials
//! whose constraints are violated (see `objective::violation`) are never good while enough
//! feasible ones exist: they join the good set last, least violated first, as in Optuna.
//!
//! Failed trials (errors, NaN or infinite objectives) join the bad set and
//! count as observations (startup trials, the good set's size), so a
//! failing region is avoided like a poor one (Optuna leaves them out and keeps sampling
//! there). Conditional spaces are decomposed into groups (Optuna's `group=True`),
//! each sampled jointly from the trials that hold all of it; a parameter no finished trial has
//! held yet is drawn from the prior. Unlike Optuna, a configuration already tried is never
//! suggested again: the next-best candidates are taken, and when those run out a random
//! untried configuration (so a finite space is exhausted exactly, then the search is done).
//!
//! Per-trial encodings are cached in the oracle (behind a mutex) by trial number and checked
//! against a fingerprint of the values, so the cache saves time and never changes a result.

mod group;
mod history;
mod parzen;
mod split;
mod truncnorm;

pub use split::MultiObjectiveSplit;
pub(crate) use split::SplitRule;

use super::{Oracle, OracleContext, RandomSearch, Suggestion};
use crate::space::HyperParameters;
use crate::trial::{Trial, TrialPlan, TrialState};
use history::Cache;
use parzen::{centre, Dim, Parzen};
use std::sync::Mutex;

/// Fresh batches of candidates drawn before falling back to random search.
const BATCHES: usize = 4;

/// Optuna-style TPE (see the module documentation).
#[derive(Debug)]
pub struct Tpe {
    n_startup_trials: usize,
    n_ei_candidates: usize,
    multivariate: bool,
    group: bool,
    prior_weight: f64,
    constant_liar: bool,
    multi_objective: MultiObjectiveSplit,
    split_rule: split::SplitRule,
    cache: Mutex<Cache>,
}

impl Default for Tpe {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for Tpe {
    fn clone(&self) -> Self {
        Self {
            cache: Mutex::new(Cache::default()),
            ..*self
        }
    }
}

impl Tpe {
    /// Optuna's defaults: 10 startup trials, 24 candidates, multivariate with groups.
    pub fn new() -> Self {
        Self {
            n_startup_trials: 10,
            n_ei_candidates: 24,
            multivariate: true,
            group: true,
            prior_weight: 1.0,
            constant_liar: true,
            multi_objective: MultiObjectiveSplit::default(),
            split_rule: split::SplitRule::Optuna,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Random trials before the estimators take over (finished and failed trials counted;
    /// default 10).
    pub fn n_startup_trials(mut self, n: usize) -> Self {
        self.n_startup_trials = n;
        self
    }

    /// Candidates drawn from the good estimator per suggestion (default 24).
    pub fn n_ei_candidates(mut self, n: usize) -> Self {
        self.n_ei_candidates = n.max(1);
        self
    }

    /// Joint estimators over parameters (default true) or one per parameter (false).
    pub fn multivariate(mut self, on: bool) -> Self {
        self.multivariate = on;
        self
    }

    /// With `multivariate`, decompose a conditional space into groups (default true); false
    /// samples the parameters live in every trial jointly and the rest one by one.
    pub fn group(mut self, on: bool) -> Self {
        self.group = on;
        self
    }

    /// Weight of the prior kernel (default 1).
    pub fn prior_weight(mut self, w: f64) -> Self {
        self.prior_weight = w.max(0.0);
        self
    }

    /// Whether running trials count as bad observations (default true), steering parallel
    /// workers apart.
    pub fn constant_liar(mut self, on: bool) -> Self {
        self.constant_liar = on;
        self
    }

    /// How good trials are told from bad with several objectives (default: Optuna's MOTPE with
    /// hypervolume-contribution weights).
    pub fn multi_objective(mut self, split: MultiObjectiveSplit) -> Self {
        self.multi_objective = split;
        self
    }

    /// How large the good and bad sets are (Optuna's unless BOHB asks for its own).
    pub(crate) fn split_rule(mut self, rule: split::SplitRule) -> Self {
        self.split_rule = rule;
        self
    }

    /// The groups of parameters sampled jointly.
    fn groups(&self, live_sets: &[Vec<usize>], modelled: &[usize]) -> Vec<Vec<usize>> {
        if !self.multivariate {
            return modelled.iter().map(|p| vec![*p]).collect();
        }
        if self.group {
            return group::decompose(live_sets.iter().map(Vec::as_slice));
        }
        let common: Vec<usize> = modelled
            .iter()
            .copied()
            .filter(|p| live_sets.iter().all(|s| s.contains(p)))
            .collect();
        let mut groups = vec![common.clone()];
        groups.extend(
            modelled
                .iter()
                .filter(|p| !common.contains(p))
                .map(|p| vec![*p]),
        );
        groups.retain(|g| !g.is_empty());
        groups
    }
}

/// One group's candidates, best first (coordinates per group member).
struct Ranked {
    members: Vec<usize>,
    candidates: Vec<Vec<f64>>,
}

impl Oracle for Tpe {
    fn name(&self) -> &'static str {
        "tpe"
    }

    fn config(&self) -> crate::oracle::OracleConfig {
        crate::oracle::OracleConfig::Tpe {
            n_startup_trials: self.n_startup_trials,
            n_ei_candidates: self.n_ei_candidates,
            multivariate: self.multivariate,
            group: self.group,
            prior_weight: self.prior_weight,
            constant_liar: self.constant_liar,
            multi_objective: self.multi_objective,
        }
    }

    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion {
        let finished = ctx
            .trials
            .iter()
            .filter(|t| match t.state {
                TrialState::Completed => t.score.is_some_and(|s| !s.is_nan()),
                // Failures are observations too (of where not to go).
                TrialState::Stopped | TrialState::Failed => true,
                _ => false,
            })
            .count();
        if finished < self.n_startup_trials.max(1) {
            return RandomSearch::new().suggest(ctx);
        }
        let space = ctx.space;
        let dims = history::dims(space);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        for t in ctx.trials {
            cache.refresh(space, &dims, t);
        }
        let cache = &*cache;
        let encoded = |t: &Trial| cache.peek(t.number);
        // Tried configurations by fingerprint (the key confirms a match).
        let mut tried: Vec<(u64, &str)> = ctx
            .trials
            .iter()
            .map(|t| {
                let e = encoded(t);
                (e.fingerprint, e.key.as_str())
            })
            .collect();
        tried.sort_unstable();
        tried.dedup();
        if let Some(n) = space.cardinality() {
            if tried.len() as u64 >= n {
                return Suggestion::Done(format!(
                    "all {n} configurations of the search space have been tried"
                ));
            }
        }
        let was_tried = |values: &HyperParameters| {
            let fp = history::fingerprint(values);
            let from = tried.partition_point(|(f, _)| *f < fp);
            tried[from..]
                .iter()
                .take_while(|(f, _)| *f == fp)
                .any(|(_, k)| *k == values.key())
        };
        let split::Split {
            below,
            mut above,
            below_weights,
        } = split::split_by(
            self.split_rule,
            ctx.trials,
            finished,
            dims.iter().filter(|d| d.is_some()).count(),
            ctx.objectives,
            self.multi_objective,
        );
        if !self.constant_liar {
            above.retain(|t| t.state != TrialState::Running);
        }
        let modelled: Vec<usize> = (0..dims.len()).filter(|p| dims[*p].is_some()).collect();
        // Distinct live sets of the finished trials (splitting by a set twice changes nothing).
        let mut masks: Vec<&[u64]> = ctx
            .trials
            .iter()
            .filter(|t| matches!(t.state, TrialState::Completed | TrialState::Stopped))
            .map(|t| encoded(t).live.as_slice())
            .collect();
        masks.sort_unstable();
        masks.dedup();
        let live_sets: Vec<Vec<usize>> = masks
            .iter()
            .map(|m| {
                modelled
                    .iter()
                    .copied()
                    .filter(|p| m[p / 64] & (1 << (p % 64)) != 0)
                    .collect()
            })
            .collect();
        let mut groups = self.groups(&live_sets, &modelled);
        // Parameters no finished trial held form groups of their own (prior only).
        for p in &modelled {
            if !groups.iter().any(|g| g.contains(p)) {
                groups.push(vec![*p]);
            }
        }
        let mut rng = ctx.rng();
        for _ in 0..BATCHES {
            let ranked: Vec<Ranked> = groups
                .iter()
                .map(|g| {
                    let gdims: Vec<Dim> = g.iter().map(|p| dims[*p].expect("modelled")).collect();
                    // The group's columns over the trials that hold all of it, and their
                    // weights: given per trial, or Optuna's by position.
                    let columns = |set: &[&Trial], given: Option<&[f64]>| {
                        let mut cols = vec![Vec::with_capacity(set.len()); g.len()];
                        let mut weights = Vec::with_capacity(set.len());
                        for (k, t) in set.iter().enumerate() {
                            let c = &encoded(t).coords;
                            if g.iter().all(|p| !c[*p].is_nan()) {
                                for (col, p) in cols.iter_mut().zip(g) {
                                    col.push(c[*p]);
                                }
                                weights.push(given.map_or(1.0, |w| w[k]));
                            }
                        }
                        if given.is_none() {
                            weights = history::default_weights(weights.len());
                        }
                        (cols, weights)
                    };
                    let (good, good_weights) = columns(&below, below_weights.as_deref());
                    let (bad, bad_weights) = columns(&above, None);
                    let l = Parzen::new(&gdims, &good, &good_weights, self.prior_weight);
                    let b = Parzen::new(&gdims, &bad, &bad_weights, self.prior_weight);
                    let candidates = l.sample(&mut rng, self.n_ei_candidates);
                    let score: Vec<f64> = l
                        .log_pdf(&candidates)
                        .into_iter()
                        .zip(b.log_pdf(&candidates))
                        .map(|(x, y)| x - y)
                        .collect();
                    let mut order: Vec<usize> = (0..candidates.len()).collect();
                    order.sort_by(|i, j| score[*j].total_cmp(&score[*i]).then(i.cmp(j)));
                    Ranked {
                        members: g.clone(),
                        candidates: order.into_iter().map(|i| candidates[i].clone()).collect(),
                    }
                })
                .collect();
            for rank in 0..self.n_ei_candidates {
                let values = assemble(ctx, &dims, &ranked, rank);
                if !was_tried(&values) {
                    return Suggestion::Try(TrialPlan {
                        values,
                        ..TrialPlan::default()
                    });
                }
            }
        }
        RandomSearch::new().suggest(ctx)
    }
}

/// The configuration made of each group's `rank`-th candidate, parents first.
fn assemble(
    ctx: &OracleContext<'_>,
    dims: &[Option<Dim>],
    ranked: &[Ranked],
    rank: usize,
) -> HyperParameters {
    let mut coord = vec![0.5; dims.len()];
    for r in ranked {
        let c = &r.candidates[rank.min(r.candidates.len() - 1)];
        for (slot, p) in r.members.iter().enumerate() {
            coord[*p] = c[slot];
        }
    }
    let mut values = HyperParameters::new();
    for (p, param) in ctx.space.params().iter().enumerate() {
        if !ctx.space.is_active(param, &values) {
            continue;
        }
        let u = match dims[p] {
            Some(Dim::Categorical(n)) => (coord[p] + 0.5) / n as f64,
            Some(Dim::Discrete(n)) => centre(coord[p], n),
            _ => coord[p],
        };
        values.insert(param.name.clone(), param.prob_to_value(u));
    }
    values
}
