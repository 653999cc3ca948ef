//! Maximising the acquisition over the space: many quasi-random and local candidates scored
//! in batches, the best few refined (L-BFGS-B on the continuous coordinates, then a sweep over
//! each discrete parameter's values), and the best *untried* configuration returned.

use super::acquisition::Acquisition;
use super::constraints::Constraints;
use super::encode::{Encoder, Slot};
use super::feasibility::Feasibility;
use super::gp::Gp;
use super::minimise::BoundedMinimiser;
use crate::space::{HyperParameters, SearchSpace};
use rand::{Rng, RngExt};
use std::collections::HashSet;

/// What the acquisition is maximised over.
pub(crate) struct Problem<'a> {
    pub space: &'a SearchSpace,
    pub encoder: &'a Encoder,
    pub gp: &'a Gp,
    pub acquisition: Acquisition,
    /// The incumbent (smallest posterior mean at an observation).
    pub best: f64,
    /// Where trials failed, when some did: `ln P(feasible)` is added to the acquisition and
    /// points next to a failure are never proposed.
    pub feasibility: Option<&'a Feasibility>,
    /// The constraints' models, when trials report constraints: `ln P(all hold)` is added.
    pub constraints: Option<&'a Constraints>,
    /// Whether the objective's acquisition counts; false while no trial is feasible, when only
    /// the probability of feasibility is maximised.
    pub objective: bool,
}

/// How hard to search.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Effort {
    /// Candidates scored before refinement.
    pub candidates: usize,
    /// How many of the best are refined.
    pub refine: usize,
    /// Quasi-Newton iterations per refinement.
    pub iterations: usize,
}

/// Discrete parameters with at most this many values are swept over all of them.
const SWEEP_ALL: u64 = 16;
/// Primes for the Halton sequence; higher dimensions fall back to uniform draws.
const PRIMES: [u32; 40] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173,
];

impl Problem<'_> {
    /// Canonicalises each unit vector in place and returns its acquisition value.
    pub fn score(&self, units: &mut [Vec<f64>]) -> Vec<f64> {
        let nf = self.encoder.features();
        let mut feats = vec![0.0; units.len() * nf];
        for (i, u) in units.iter_mut().enumerate() {
            let active = self.encoder.canonicalise(self.space, u);
            self.encoder
                .features_of_unit(u, &active, &mut feats[i * nf..(i + 1) * nf]);
        }
        let mut scores: Vec<f64> = if self.objective {
            self.gp
                .predict(&feats)
                .into_iter()
                .map(|(m, v)| self.acquisition.value(m, v, self.best))
                .collect()
        } else {
            vec![0.0; units.len()]
        };
        self.add_log_probs(&feats, &mut scores);
        scores
    }

    /// Adds `ln P(no failure)` and `ln P(constraints hold)`, where modelled, to `scores`.
    fn add_log_probs(&self, feats: &[f64], scores: &mut [f64]) {
        if let Some(feasibility) = self.feasibility {
            for (s, lp) in scores.iter_mut().zip(feasibility.terms(feats)) {
                *s += lp;
            }
        }
        if let Some(constraints) = self.constraints {
            for (s, lp) in scores.iter_mut().zip(constraints.terms(feats)) {
                *s += lp;
            }
        }
    }

    /// Whether the configuration at canonical unit vector `u` lies next to a failed trial.
    fn excluded(&self, u: &[f64]) -> bool {
        let Some(feasibility) = self.feasibility else {
            return false;
        };
        let mut u = u.to_vec();
        let active = self.encoder.canonicalise(self.space, &mut u);
        let mut feats = vec![0.0; self.encoder.features()];
        self.encoder.features_of_unit(&u, &active, &mut feats);
        feasibility.too_close(&feats)
    }

    /// Gradient ascent on the live continuous coordinates of `u`; returns the improved point.
    fn refine_continuous(
        &self,
        u: &[f64],
        minimiser: &dyn BoundedMinimiser,
        iterations: usize,
    ) -> Vec<f64> {
        let mut base = u.to_vec();
        let active = self.encoder.canonicalise(self.space, &mut base);
        let coords: Vec<usize> = (0..base.len())
            .filter(|&p| active[p] && self.encoder.slots()[p] == Slot::Continuous)
            .collect();
        if coords.is_empty() {
            return base;
        }
        let vars: Vec<usize> = coords
            .iter()
            .filter_map(|&p| self.encoder.feature_of(p))
            .collect();
        let nf = self.encoder.features();
        let mut feats = vec![0.0; nf];
        self.encoder.features_of_unit(&base, &active, &mut feats);
        let x0: Vec<f64> = vars.iter().map(|&f| feats[f]).collect();
        let mut f = |x: &[f64]| {
            let mut z = feats.clone();
            for (slot, &f) in vars.iter().enumerate() {
                z[f] = x[slot];
            }
            let (mut a, mut grad) = if self.objective {
                let (m, v, dm, dv) = self.gp.predict_grad(&z, &vars);
                let (a, da_dm, da_dv) = self.acquisition.value_grad(m, v, self.best);
                let grad: Vec<f64> = dm
                    .iter()
                    .zip(&dv)
                    .map(|(gm, gv)| -(da_dm * gm + da_dv * gv))
                    .collect();
                (a, grad)
            } else {
                (0.0, vec![0.0; vars.len()])
            };
            if let Some(feasibility) = self.feasibility {
                let (lp, dlp) = feasibility.term_grad(&z, &vars);
                a += lp;
                grad.iter_mut().zip(dlp).for_each(|(g, d)| *g -= d);
            }
            if let Some(constraints) = self.constraints {
                let (lp, dlp) = constraints.term_grad(&z, &vars);
                a += lp;
                grad.iter_mut().zip(dlp).for_each(|(g, d)| *g -= d);
            }
            (-a, grad)
        };
        let lower = vec![0.0; vars.len()];
        let upper = vec![1.0; vars.len()];
        let (x, _) = minimiser.minimise(&mut f, &x0, &lower, &upper, iterations);
        for (slot, &p) in coords.iter().enumerate() {
            base[p] = x[slot];
        }
        base
    }

    /// One pass over the live discrete parameters, each moved to its best value.
    fn sweep_discrete<R: Rng + ?Sized>(
        &self,
        u: Vec<f64>,
        score: f64,
        rng: &mut R,
    ) -> (Vec<f64>, f64) {
        let mut best = (u, score);
        for p in 0..best.0.len() {
            let n = match self.encoder.slots()[p] {
                Slot::Ordinal(n) => n,
                Slot::Categorical(n) => n as u64,
                _ => continue,
            };
            let mut probe = best.0.clone();
            let active = self.encoder.canonicalise(self.space, &mut probe);
            if !active[p] {
                continue;
            }
            let here = super::encode::bucket(probe[p], n) as i64;
            let mut buckets: Vec<i64> = if n <= SWEEP_ALL {
                (0..n as i64).collect()
            } else {
                let mut b: Vec<i64> = [1, 2, 4, 8, 16]
                    .iter()
                    .flat_map(|d| [here - d, here + d])
                    .collect();
                b.extend((0..4).map(|_| rng.random_range(0..n) as i64));
                b
            };
            buckets.retain(|b| *b != here && *b >= 0 && (*b as u64) < n);
            if buckets.is_empty() {
                continue;
            }
            let mut trials: Vec<Vec<f64>> = buckets
                .iter()
                .map(|b| {
                    let mut v = best.0.clone();
                    v[p] = (*b as f64 + 0.5) / n as f64;
                    v
                })
                .collect();
            let scores = self.score(&mut trials);
            if let Some((i, s)) = argmax(&scores) {
                if s > best.1 {
                    best = (trials.swap_remove(i), s);
                }
            }
        }
        best
    }
}

/// The most promising untried configuration away from failed trials, or `None` if every
/// candidate was tried or lies next to a failure.
pub(crate) fn propose<R: Rng + ?Sized>(
    problem: &Problem<'_>,
    tried: &HashSet<String>,
    anchors: &[Vec<f64>],
    effort: Effort,
    minimiser: &dyn BoundedMinimiser,
    rng: &mut R,
) -> Option<HyperParameters> {
    let space = problem.space;
    // A small finite space is scored exhaustively: the exact answer, duplicates excluded.
    if let Some(n) = space.cardinality() {
        if n as usize <= effort.candidates {
            let left: Vec<HyperParameters> = space
                .grid()
                .ok()?
                .filter(|v| !tried.contains(&v.key()))
                .collect();
            let mut units: Vec<Vec<f64>> = left
                .iter()
                .map(|v| problem.encoder.unit_of_values(space, v))
                .collect();
            let mut scores = problem.score(&mut units);
            for (s, u) in scores.iter_mut().zip(&units) {
                if problem.excluded(u) {
                    *s = f64::NAN;
                }
            }
            return argmax(&scores).map(|(i, _)| left[i].clone());
        }
    }
    let dims = space.len();
    let mut units = halton(effort.candidates * 3 / 4, dims, rng);
    let local = effort.candidates - units.len();
    for k in 0..local {
        let Some(anchor) = anchors.get(k % anchors.len().max(1)) else {
            break;
        };
        units.push(perturb(anchor, problem.encoder, k, rng));
    }
    units.extend(anchors.iter().cloned());
    let scores = problem.score(&mut units);
    let mut pool: Vec<(f64, Vec<f64>)> = scores.into_iter().zip(units).collect();
    pool.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut starts: Vec<(f64, Vec<f64>)> = Vec::new();
    for (s, u) in &pool {
        if starts.len() >= effort.refine {
            break;
        }
        if !starts.iter().any(|(_, v)| v == u) {
            starts.push((*s, u.clone()));
        }
    }
    for (s, u) in starts {
        let refined = problem.refine_continuous(&u, minimiser, effort.iterations);
        let mut one = vec![refined];
        let score = problem.score(&mut one)[0];
        let (u2, s2) = if score >= s {
            (one.remove(0), score)
        } else {
            (u, s)
        };
        let (u3, s3) = problem.sweep_discrete(u2, s2, rng);
        pool.push((s3, u3));
    }
    pool.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut seen = HashSet::new();
    for (_, u) in pool {
        let values = space.from_unit(&u);
        let key = values.key();
        if !tried.contains(&key) && !problem.excluded(&u) && seen.insert(key) {
            return Some(values);
        }
    }
    // Every candidate was tried or lies next to a failure: the caller draws at random.
    None
}

fn argmax(v: &[f64]) -> Option<(usize, f64)> {
    v.iter()
        .copied()
        .enumerate()
        .filter(|(_, x)| !x.is_nan())
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// `count` points of a randomly shifted Halton sequence in `[0, 1)^dims`.
fn halton<R: Rng + ?Sized>(count: usize, dims: usize, rng: &mut R) -> Vec<Vec<f64>> {
    let shift: Vec<f64> = (0..dims).map(|_| rng.random::<f64>()).collect();
    let offset = rng.random_range(0..1024u64);
    (0..count as u64)
        .map(|i| {
            (0..dims)
                .map(|d| match PRIMES.get(d) {
                    Some(&b) => (radical_inverse(i + offset + 1, b) + shift[d]).fract(),
                    None => rng.random::<f64>(),
                })
                .collect()
        })
        .collect()
}

/// Point `index` of the Halton sequence shifted by `shift` (Cranley-Patterson rotation), in
/// `[0, 1)^shift.len()`; dimensions past the table of primes reuse it with another shift.
pub(crate) fn halton_point(index: u64, shift: &[f64]) -> Vec<f64> {
    shift
        .iter()
        .enumerate()
        .map(|(d, s)| (radical_inverse(index + 1, PRIMES[d % PRIMES.len()]) + s).fract())
        .collect()
}

fn radical_inverse(mut i: u64, base: u32) -> f64 {
    let b = u64::from(base);
    let mut f = 1.0 / base as f64;
    let mut r = 0.0;
    while i > 0 {
        r += f * (i % b) as f64;
        i /= b;
        f /= base as f64;
    }
    r
}

/// A point near `anchor`: continuous coordinates moved by a normal step of one of three
/// sizes, each discrete one redrawn with probability `1 / dims` (at least one moves).
fn perturb<R: Rng + ?Sized>(anchor: &[f64], encoder: &Encoder, k: usize, rng: &mut R) -> Vec<f64> {
    let scale = [0.01, 0.05, 0.2][k % 3];
    let dims = anchor.len().max(1);
    let mut u = anchor.to_vec();
    let forced = rng.random_range(0..dims);
    for (p, x) in u.iter_mut().enumerate() {
        match encoder.slots()[p] {
            Slot::Continuous => *x = (*x + scale * normal(rng)).clamp(0.0, 1.0),
            Slot::Ordinal(n) if n > SWEEP_ALL => *x = (*x + scale * normal(rng)).clamp(0.0, 1.0),
            Slot::Constant => {}
            _ => {
                if p == forced || rng.random::<f64>() < 1.0 / dims as f64 {
                    *x = rng.random::<f64>();
                }
            }
        }
    }
    u
}

/// A standard normal draw (Box-Muller).
pub(crate) fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}
