//! Parameter importance by PED-ANOVA (Watanabe et al., 2023, "PED-ANOVA: Efficiently
//! Quantifying Hyperparameter Importance in Arbitrary Subspaces"), the method optuna-dashboard
//! uses.
//!
//! The question it answers: which parameters must be set right to reach the top
//! `baseline_quantile` (10%, and at least 5 trials) of scores seen? For each parameter, the completed trials' values
//! are binned (on the parameter's own scale: log ranges in log space, one bin per choice) and
//! two smoothed densities are fitted: one of the top trials' values and one of all trials'
//! values. A parameter whose top values look like all its values does not matter; one whose
//! top values concentrate somewhere does. The importance is the Pearson divergence between the
//! two, `sum_k p_all(k) (p_top(k) / p_all(k) - 1)^2`, normalised over the parameters to sum
//! to 1. Densities are Parzen mixtures: a discretised normal kernel per observed bin (width by
//! Scott's rule, at least 0.3 bins), or a smoothed one-hot per observed choice, plus a broad
//! prior kernel of weight 1 that keeps a handful of trials from looking decisive.
//!
//! A conditional parameter's values get one more bin, "inactive", for the trials in which its
//! condition did not hold: it matters if the top trials are live (or inactive) more often
//! than the others, or live at other values. Fixed parameters and parameters with a single
//! value get 0. With no more completed trials than the top needs (5), every parameter gets the
//! same share.

use super::StudyView;
use crate::space::{Param, ParamKind, Value};
use crate::trial::TrialState;

/// PED-ANOVA settings: Optuna's, but with at least 5 top trials (Optuna takes 2 and advises
/// 5: with fewer, one lucky trial's narrow kernel reads as a strong preference).
#[derive(Debug, Clone, PartialEq)]
pub struct PedAnova {
    baseline_quantile: f64,
    n_steps: usize,
    prior_weight: f64,
    min_top_trials: usize,
}

impl Default for PedAnova {
    fn default() -> Self {
        Self {
            baseline_quantile: 0.1,
            n_steps: 50,
            prior_weight: 1.0,
            min_top_trials: 5,
        }
    }
}

/// How a parameter's values fall into bins.
enum Bins {
    /// Ordered bins (numbers): neighbouring bins are close.
    Ordinal(usize),
    /// Unordered choices.
    Categorical(usize),
}

impl PedAnova {
    /// Top 10% (at least 5 trials), 50 bins for continuous ranges, prior weight 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// The fewest trials counted as top, whatever the quantile (default 5, at least 1).
    pub fn min_top_trials(mut self, n: usize) -> Self {
        self.min_top_trials = n.max(1);
        self
    }

    /// The share of best trials whose parameters are examined (0 < q <= 1; default 0.1).
    pub fn baseline_quantile(mut self, q: f64) -> Self {
        self.baseline_quantile = q.clamp(f64::MIN_POSITIVE, 1.0);
        self
    }

    /// Each parameter's importance, most important first; the values sum to 1 (unless no
    /// parameter can vary). Ties keep the space's order.
    pub fn evaluate(&self, study: &StudyView<'_>) -> Vec<(String, f64)> {
        let objective = study.objectives.scalar();
        let done: Vec<(&crate::space::HyperParameters, f64)> = study
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Completed)
            .filter_map(|t| {
                let s = t.score.filter(|s| s.is_finite())?;
                Some((t.values(), objective.loss(s)))
            })
            .collect();
        let params: Vec<(&Param, Option<Bins>)> = study
            .space
            .params()
            .iter()
            .map(|p| (p, self.bins(p)))
            .collect();
        let varying = params.iter().filter(|(_, b)| b.is_some()).count();
        let mut out: Vec<(String, f64)> = Vec::with_capacity(params.len());
        if done.len() <= self.min_top_trials {
            for (p, bins) in &params {
                let share = if bins.is_some() {
                    1.0 / varying as f64
                } else {
                    0.0
                };
                out.push((p.name.clone(), share));
            }
            return sorted(out);
        }
        let cutoff = self.cutoff(done.iter().map(|(_, l)| *l).collect());
        let top: Vec<bool> = done.iter().map(|(_, l)| *l <= cutoff).collect();
        for (param, bins) in &params {
            let Some(bins) = bins else {
                out.push((param.name.clone(), 0.0));
                continue;
            };
            let k = match bins {
                Bins::Ordinal(k) | Bins::Categorical(k) => *k,
            };
            // A conditional parameter has one more bin: "inactive".
            let conditional = !param.conditions.is_empty();
            let slots = k + usize::from(conditional);
            let mut all = vec![0.0; slots];
            let mut best = vec![0.0; slots];
            for ((values, _), is_top) in done.iter().zip(&top) {
                let bin = match values.get(&param.name) {
                    Some(v) => bin_of(param, v, bins),
                    None if conditional => Some(k),
                    None => None,
                };
                let Some(bin) = bin else {
                    continue;
                };
                all[bin] += 1.0;
                if *is_top {
                    best[bin] += 1.0;
                }
            }
            let importance = if all[..k].iter().sum::<f64>() == 0.0 {
                0.0
            } else {
                let p_all = self.density(&all, bins, conditional);
                let p_top = self.density(&best, bins, conditional);
                pearson_divergence(&p_top, &p_all)
            };
            out.push((param.name.clone(), importance));
        }
        let total: f64 = out.iter().map(|(_, v)| v).sum();
        if total > 0.0 {
            for (_, v) in &mut out {
                *v /= total;
            }
        } else {
            for ((_, v), (_, bins)) in out.iter_mut().zip(&params) {
                *v = if bins.is_some() {
                    1.0 / varying as f64
                } else {
                    0.0
                };
            }
        }
        sorted(out)
    }

    /// The loss at or below which a trial is among the top: the `baseline_quantile` (inverted
    /// CDF), but never fewer than `min_top_trials` trials.
    fn cutoff(&self, mut losses: Vec<f64>) -> f64 {
        losses.sort_by(f64::total_cmp);
        let n = losses.len();
        let q = ((self.baseline_quantile * n as f64).ceil() as usize).clamp(1, n) - 1;
        let m = self.min_top_trials.clamp(1, n) - 1;
        losses[q].max(losses[m])
    }

    /// The bins of a parameter; `None` when it cannot vary.
    fn bins(&self, param: &Param) -> Option<Bins> {
        let bins = match &param.kind {
            ParamKind::Fixed { .. } => return None,
            ParamKind::Boolean => Bins::Categorical(2),
            ParamKind::Choice { values, .. } => Bins::Categorical(values.len()),
            ParamKind::Int { .. } | ParamKind::Float { .. } => {
                let n = param.cardinality().map_or(self.n_steps as u64, |c| c);
                Bins::Ordinal(n.min(self.n_steps as u64) as usize)
            }
        };
        match bins {
            Bins::Ordinal(k) | Bins::Categorical(k) if k < 2 => None,
            b => Some(b),
        }
    }

    /// A Parzen density over the bins from per-bin counts; with `inactive`, the last count
    /// is of trials in which the parameter was inactive, a bin of its own.
    fn density(&self, counts: &[f64], bins: &Bins, inactive: bool) -> Vec<f64> {
        let n: f64 = counts.iter().sum();
        let total = n + self.prior_weight;
        match bins {
            Bins::Ordinal(_) => {
                let (live, off) = if inactive {
                    (&counts[..counts.len() - 1], counts[counts.len() - 1])
                } else {
                    (counts, 0.0)
                };
                let k = live.len();
                let mut p = vec![0.0; k];
                let sigma = scott_sigma(live);
                for (mu, &c) in live.iter().enumerate().filter(|(_, c)| **c > 0.0) {
                    add_kernel(&mut p, mu as f64, sigma, c / total);
                }
                // The prior: one broad kernel over the range, and its share of "inactive".
                let slots = (k + usize::from(inactive)) as f64;
                let prior = self.prior_weight / total;
                add_kernel(
                    &mut p,
                    0.5 * (k - 1) as f64,
                    k as f64,
                    prior * k as f64 / slots,
                );
                if inactive {
                    p.push(off / total + prior / slots);
                }
                p
            }
            // "Inactive" is one more choice.
            Bins::Categorical(_) => {
                let k = counts.len();
                let mut p = vec![0.0; k];
                let observed = counts.iter().filter(|c| **c > 0.0).count();
                let smooth = self.prior_weight / (observed + 1) as f64;
                let norm = 1.0 + smooth * k as f64;
                for (j, &c) in counts.iter().enumerate().filter(|(_, c)| **c > 0.0) {
                    for (i, slot) in p.iter_mut().enumerate() {
                        let one = if i == j { 1.0 } else { 0.0 };
                        *slot += c / total * (one + smooth) / norm;
                    }
                }
                for slot in &mut p {
                    *slot += self.prior_weight / total / k as f64;
                }
                p
            }
        }
    }
}

/// Each parameter's PED-ANOVA importance with the default settings, most important first.
pub fn param_importances(study: &StudyView<'_>) -> Vec<(String, f64)> {
    PedAnova::new().evaluate(study)
}

fn sorted(mut out: Vec<(String, f64)>) -> Vec<(String, f64)> {
    // A stable sort keeps the space's order among equal importances.
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// The bin of a value: its choice index, or its position on the parameter's own scale.
fn bin_of(param: &Param, value: &Value, bins: &Bins) -> Option<usize> {
    match (bins, &param.kind) {
        (Bins::Categorical(_), ParamKind::Boolean) => Some(usize::from(value.as_bool()?)),
        (Bins::Categorical(_), ParamKind::Choice { values, .. }) => {
            values.iter().position(|c| c.same_as(value))
        }
        (Bins::Ordinal(k), _) => {
            let u = param.value_to_prob(value);
            u.is_finite()
                .then(|| ((u * *k as f64).floor().max(0.0) as usize).min(k - 1))
        }
        _ => None,
    }
}

/// Scott's rule on binned data, as PED-ANOVA's reference code: `1.059 min(IQR/1.34, sd)
/// n^-0.2`, at least 0.5/1.64 bins so that a kernel keeps 90% of its mass within its bin.
fn scott_sigma(counts: &[f64]) -> f64 {
    let n: f64 = counts.iter().sum();
    let floor = 0.5 / 1.64;
    if n == 0.0 {
        return floor;
    }
    let observed: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0.0)
        .map(|(i, c)| (i as f64, *c))
        .collect();
    let mean = observed.iter().map(|(mu, c)| mu * c).sum::<f64>() / n;
    let var = observed
        .iter()
        .map(|(mu, c)| (mu - mean).powi(2) * c)
        .sum::<f64>()
        / (n - 1.0).max(1.0);
    // Quartiles of the binned data: the first bin whose cumulative count reaches n/4, and the
    // first whose count passes 3n/4.
    let (q1_target, q3_target) = ((n as u64 / 4) as f64, (n as u64 * 3 / 4) as f64);
    let mut cum = 0.0;
    let (mut q1, mut q3) = (None, None);
    for (mu, c) in &observed {
        cum += c;
        if q1.is_none() && cum >= q1_target {
            q1 = Some(*mu);
        }
        if q3.is_none() && cum > q3_target {
            q3 = Some(*mu);
        }
    }
    let last = observed.last().map_or(0.0, |o| o.0);
    let iqr = q3.unwrap_or(last) - q1.unwrap_or(0.0);
    let sigma = 1.059 * (iqr / 1.34).min(var.sqrt()) * n.powf(-0.2);
    sigma.max(floor)
}

fn normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
}

/// Adds `weight` times a normal kernel discretised on the bins and truncated to them.
fn add_kernel(p: &mut [f64], mu: f64, sigma: f64, weight: f64) {
    let mass = |i: usize| {
        normal_cdf((i as f64 + 0.5 - mu) / sigma) - normal_cdf((i as f64 - 0.5 - mu) / sigma)
    };
    let masses: Vec<f64> = (0..p.len()).map(mass).collect();
    let total: f64 = masses.iter().sum();
    if total <= 0.0 {
        return;
    }
    for (slot, m) in p.iter_mut().zip(masses) {
        *slot += weight * m / total;
    }
}

/// `sum_k q(k) (p(k)/q(k) - 1)^2`, with a tiny floor so that empty bins stay finite.
fn pearson_divergence(p: &[f64], q: &[f64]) -> f64 {
    p.iter()
        .zip(q)
        .map(|(p, q)| {
            let (p, q) = (p + 1e-12, q + 1e-12);
            q * (p / q - 1.0).powi(2)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{Objective, Objectives};
    use crate::space::{HyperParameters, SearchSpace};
    use crate::trial::{Metrics, Trial, TrialPlan};
    use rand::rngs::ChaCha8Rng;
    use rand::SeedableRng;

    /// `n` random trials of `space`, scored by `f`, all completed.
    fn study_of(
        space: &SearchSpace,
        objectives: &Objectives,
        n: u64,
        f: impl Fn(&HyperParameters) -> f64,
    ) -> Vec<Trial> {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        (0..n)
            .map(|i| {
                let values = space.sample(&mut rng);
                let score = f(&values);
                let mut t = Trial::new(
                    i,
                    TrialPlan {
                        values,
                        ..TrialPlan::default()
                    },
                );
                t.history = vec![(0, Metrics::from([("loss".to_owned(), score)]))].into();
                t.rescore(objectives);
                t.state = TrialState::Completed;
                t
            })
            .collect()
    }

    #[test]
    fn the_parameter_that_sets_the_score_dominates() {
        let space = SearchSpace::builder()
            .param(Param::float("x", 0.0, 1.0))
            .param(Param::float("noise", 1e-3, 1.0).log())
            .param(Param::choice("c", ["a", "b", "c"]))
            .param(Param::fixed("k", 3))
            .build()
            .unwrap();
        let objectives: Objectives = Objective::minimize("loss").into();
        let trials = study_of(&space, &objectives, 200, |v| {
            let x: f64 = v.get_as("x").unwrap();
            let noise: f64 = v.get_as("noise").unwrap();
            (x - 0.3).powi(2) + 1e-4 * noise
        });
        let view = StudyView::new("t", &space, &objectives, &trials);
        let imp = param_importances(&view);
        assert_eq!(imp[0].0, "x", "{imp:?}");
        assert!(imp[0].1 > 0.6, "{imp:?}");
        assert_eq!(imp.iter().find(|(k, _)| k == "k").unwrap().1, 0.0);
        assert!((imp.iter().map(|(_, v)| v).sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_decisive_choice_is_found_and_direction_is_respected() {
        let space = SearchSpace::builder()
            .param(Param::float("x", 0.0, 1.0))
            .param(Param::choice("c", ["a", "b", "c", "d"]))
            .build()
            .unwrap();
        // Maximised: only choice "b" scores well (a quarter of the trials), x adds a little.
        // Asked what it takes to reach the top quarter, the answer is `c`, not `x`.
        let objectives: Objectives = Objective::maximize("loss").into();
        let trials = study_of(&space, &objectives, 120, |v| {
            let c = v.get_as::<String>("c").unwrap();
            let x: f64 = v.get_as("x").unwrap();
            let hit = if c == "b" { 1.0 } else { 0.0 };
            hit + 0.01 * x
        });
        let view = StudyView::new("t", &space, &objectives, &trials);
        let imp = PedAnova::new().baseline_quantile(0.2).evaluate(&view);
        assert_eq!(imp[0].0, "c", "{imp:?}");
        assert!(imp[0].1 > 0.5, "{imp:?}");
    }

    #[test]
    fn an_irrelevant_conditional_parameter_stays_unimportant() {
        let space = SearchSpace::builder()
            .param(Param::float("x", 0.0, 1.0))
            .param(Param::choice("c", ["a", "b"]))
            .scope("c", ["b"], |s| s.param(Param::float("y", 0.0, 1.0)))
            .build()
            .unwrap();
        let objectives: Objectives = Objective::minimize("loss").into();
        let trials = study_of(&space, &objectives, 200, |v| v.get_as::<f64>("x").unwrap());
        let imp = param_importances(&StudyView::new("t", &space, &objectives, &trials));
        assert_eq!(imp[0].0, "x", "{imp:?}");
        assert!(imp[0].1 > 0.6, "{imp:?}");
    }

    #[test]
    fn too_few_trials_share_equally() {
        let space = SearchSpace::builder()
            .param(Param::float("x", 0.0, 1.0))
            .param(Param::boolean("b"))
            .build()
            .unwrap();
        let objectives: Objectives = Objective::minimize("loss").into();
        let trials = study_of(&space, &objectives, 2, |_| 1.0);
        let imp = param_importances(&StudyView::new("t", &space, &objectives, &trials));
        assert_eq!(imp, vec![("x".to_owned(), 0.5), ("b".to_owned(), 0.5)]);
    }

    #[test]
    fn densities_sum_to_one() {
        let pa = PedAnova::new();
        for bins in [Bins::Ordinal(7), Bins::Categorical(7)] {
            let p = pa.density(&[0.0, 3.0, 1.0, 0.0, 0.0, 2.0, 0.0], &bins, false);
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{p:?}");
            // The observed bins carry more mass than the unobserved ones.
            assert!(p[1] > p[3] && p[5] > p[6], "{p:?}");
            // With an "inactive" bin (last), mostly inactive trials put most mass there.
            let p = pa.density(&[0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0], &bins, true);
            assert_eq!(p.len(), 8);
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{p:?}");
            assert!(p[..7].iter().all(|q| p[7] > 2.0 * q), "{p:?}");
        }
    }

    #[test]
    fn identical_densities_diverge_by_nothing() {
        let p = [0.2, 0.3, 0.5];
        assert!(pearson_divergence(&p, &p).abs() < 1e-9);
        assert!(pearson_divergence(&[0.9, 0.05, 0.05], &p) > 0.5);
    }

    #[test]
    fn cutoff_keeps_the_quantile_but_at_least_five_trials() {
        let pa = PedAnova::new();
        let losses: Vec<f64> = (0..30).map(f64::from).collect();
        assert_eq!(pa.cutoff(losses.clone()), 4.0); // 10% of 30 = 3 trials < 5
        assert_eq!(pa.clone().min_top_trials(2).cutoff(losses.clone()), 2.0);
        let many: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(pa.cutoff(many), 9.0); // 10% of 100 = 10 trials
    }

    #[test]
    fn scott_width_shrinks_with_concentrated_data() {
        let spread = scott_sigma(&[5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]);
        let tight = scott_sigma(&[0.0, 0.0, 0.0, 0.0, 50.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert!(spread > 1.0, "{spread}");
        assert_eq!(tight, 0.5 / 1.64);
    }
}
