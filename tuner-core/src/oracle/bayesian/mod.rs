//! Bayesian optimisation: a Gaussian process on the unit-cube encoding of the space, log-EI (or
//! UCB) maximised over untried configurations.
//!
//! Compared with KerasTuner's `BayesianOptimization` (a plain Matern GP with UCB, refitted
//! from scratch, blind to duplicates), this oracle:
//! - fits one length scale per feature (ARD) plus signal and noise variance by maximising the
//!   marginal likelihood under weak priors, from several starts (`fit.rs`);
//! - standardises the losses and Gaussianises them with a Yeo-Johnson power transform
//!   (`transform.rs`), so a few huge losses do not flatten the good region;
//! - treats unordered choices as categories (Hamming distance) and masks inactive conditional
//!   parameters instead of encoding them as defaults (`encode.rs`, `kernel.rs`);
//! - never suggests a configuration already tried: stepped and discrete parameters are
//!   rounded onto their grid, small finite spaces are scored exhaustively, and when the best
//!   point rounds onto a tried configuration the best untried candidate is taken;
//! - treats other workers' running trials with the kriging believer (their posterior mean is
//!   taken as if observed), so parallel workers spread out; pruned (Stopped) trials count
//!   with the best score they reported;
//! - learns where trials fail (errors, NaN or infinite objectives) with a second GP on the
//!   failure indicator, weighs the acquisition by the probability of success, and never
//!   proposes a point next to a failed one (`feasibility.rs`), so a failing region is left
//!   after a few failures instead of being proposed again and again;
//! - when trials report constraints (`Tuner::constraints`, each <= 0 feasible), models each
//!   with a GP of its own, weighs the acquisition by the probability that all hold, and takes
//!   EI's incumbent among feasible trials only (`constraints.rs`; Gardner et al. 2014).
//!
//! Cost: at most 500 observations condition the GP (the best third and an even spread of the
//! rest, a subset-of-data approximation), which bounds the cost of a suggestion however long
//! the history. The kernel hyperparameters are refitted at every suggestion while there are at
//! most 100 observations, then only when the observation count has grown by 10% since the last fit
//! (100, 110, 121, ...), on at most 150 of them (the best third and an even spread of the
//! rest). The fit is kept in the oracle (behind a mutex) keyed on the data it was fitted to,
//! and the previous fit is one of the starting points of the next one. An oracle without that
//! cache (a fresh process resuming a study) refits from the default starts only, so its
//! hyperparameters, and then its suggestions, can differ from a long-running oracle's where
//! the warm start found a better likelihood; everything else is a pure function of the
//! history and the seed.

mod acquisition;
mod constraints;
mod encode;
mod feasibility;
mod fit;
mod gp;
mod kernel;
mod linalg;
mod minimise;
mod optimise;
mod scalarise;
mod transform;

pub use acquisition::Acquisition;
pub use scalarise::Scalarisation;

use super::{Oracle, OracleContext, RandomSearch, Suggestion};
use crate::trial::{TrialPlan, TrialState};
use constraints::Constraints;
use encode::Encoder;
use feasibility::Feasibility;
use gp::Gp;
use kernel::KernelParams;
use minimise::LbfgsB;
use optimise::{Effort, Problem};
use rand::{RngExt, SeedableRng};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// Observations up to which the kernel is refitted at every suggestion.
const REFIT_ALWAYS: usize = 100;
/// Beyond that, refit when the observations have grown by this factor.
const REFIT_GROWTH: f64 = 1.1;
/// At most this many observations enter the likelihood fit.
const FIT_CAP: usize = 150;
/// At most this many observations condition the GP (the best third and an even spread of
/// the rest): bounds the `O(n^3)` factorisation and `O(n^2)` candidate scoring.
const GP_CAP: usize = 500;
/// Observed points whose neighbourhoods are searched locally.
const ANCHORS: usize = 5;

/// Gaussian-process Bayesian optimisation (see the module documentation).
///
/// ```
/// use tuner_core::oracle::{Acquisition, BayesianOptimization};
/// use tuner_core::space::{HyperParameters, Param, SearchSpace};
/// use tuner_core::tuner::TrialError;
/// use tuner_core::Tuner;
///
/// let space = SearchSpace::builder().param(Param::float("x", -2.0, 2.0)).build()?;
/// let oracle = BayesianOptimization::new()
///     .num_initial_points(3)
///     .acquisition(Acquisition::Ucb { beta: 2.6 });
/// let dir = std::env::temp_dir().join(format!("tuner-doc-bo-{}", std::process::id()));
/// let mut tuner = Tuner::for_space(space, oracle)
///     .objective("loss")
///     .max_trials(8)
///     .quiet(true)
///     .directory(&dir)
///     .build()?;
/// tuner.search_fn(|hp: &HyperParameters, _| {
///     let x: f64 = hp.get_as("x")?;
///     Ok::<_, TrialError>((x - 0.5).powi(2))
/// })?;
/// // After 3 random points the GP proposes the rest; 8 distinct trials in all.
/// assert_eq!(tuner.trials()?.len(), 8);
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct BayesianOptimization {
    num_initial_points: Option<usize>,
    acquisition: Acquisition,
    candidates: usize,
    warp: bool,
    multi_objective: Scalarisation,
    cache: Mutex<FitCache>,
}

/// The last kernel fit and the data it was fitted to.
#[derive(Debug, Default, Clone)]
struct FitCache {
    key: Option<u64>,
    params: Option<KernelParams>,
    /// Each constraint's last fit (warm starts for the next).
    constraints: Vec<KernelParams>,
}

impl Default for BayesianOptimization {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for BayesianOptimization {
    fn clone(&self) -> Self {
        Self {
            num_initial_points: self.num_initial_points,
            acquisition: self.acquisition,
            candidates: self.candidates,
            warp: self.warp,
            multi_objective: self.multi_objective,
            cache: Mutex::new(FitCache::default()),
        }
    }
}

impl BayesianOptimization {
    /// Log-EI, KerasTuner's `max(3 * dims, 3)` random initial trials, 2,048 candidates.
    pub fn new() -> Self {
        Self {
            num_initial_points: None,
            acquisition: Acquisition::LogEi,
            candidates: 2048,
            warp: true,
            multi_objective: Scalarisation::ParEgo,
            cache: Mutex::new(FitCache::default()),
        }
    }

    /// How many initial trials come first (default `max(3 * dims, 3)`, dims = non-fixed
    /// parameters), spread by a randomly shifted Halton sequence; at least 2 observations are
    /// always needed before the GP takes over.
    pub fn num_initial_points(mut self, n: usize) -> Self {
        self.num_initial_points = Some(n);
        self
    }

    /// The acquisition function (default log-EI).
    pub fn acquisition(mut self, acquisition: Acquisition) -> Self {
        self.acquisition = acquisition;
        self
    }

    /// Candidates scored per suggestion before local refinement (default 2,048; fewer are
    /// used automatically past 200 observations to bound the cost).
    pub fn candidates(mut self, n: usize) -> Self {
        self.candidates = n.max(16);
        self
    }

    /// Whether losses are Gaussianised by a Yeo-Johnson transform before the GP sees them
    /// (default true).
    pub fn output_warping(mut self, warp: bool) -> Self {
        self.warp = warp;
        self
    }

    /// How several objectives become the GP's one value (default ParEGO, which spreads the
    /// proposals along the Pareto front; `Sum` fits the study's scalar score).
    pub fn multi_objective(mut self, how: Scalarisation) -> Self {
        self.multi_objective = how;
        self
    }

    /// The number of the finished trial the GP predicts best: the smallest posterior mean
    /// at an observation, with the noise the kernel fit found. Under a noisy objective this
    /// is a better report than the best observation, which favours lucky draws; on a
    /// deterministic one the two agree. `None` before two trials have a finite score.
    pub fn best_by_posterior_mean(&self, ctx: &OracleContext<'_>) -> Option<u64> {
        let encoder = Encoder::new(ctx.space);
        let observed = scalarise::observations(ctx, Scalarisation::Sum);
        let nf = encoder.features();
        if observed.len() < 2 || nf == 0 {
            return observed.first().map(|o| o.0.number);
        }
        let mut x = Vec::with_capacity(observed.len() * nf);
        for (t, _) in &observed {
            x.extend(encoder.features_of_values(ctx.space, t.values()));
        }
        let losses: Vec<f64> = observed.iter().map(|o| o.1).collect();
        let params = self.kernel_params(&encoder, &x, &losses);
        let kept = subset(&losses, GP_CAP);
        let mut gx = Vec::with_capacity(kept.len() * nf);
        for &i in &kept {
            gx.extend_from_slice(&x[i * nf..(i + 1) * nf]);
        }
        let kept_losses: Vec<f64> = kept.iter().map(|&i| losses[i]).collect();
        let gy = transform::prepare(&kept_losses, self.warp);
        let gp = Gp::new(gx, nf, gy, encoder.categorical().to_vec(), params)?;
        let means = gp.means_at_data();
        let best = (0..means.len()).min_by(|a, b| means[*a].total_cmp(&means[*b]))?;
        Some(observed[kept[best]].0.number)
    }

    fn initial_points(&self, encoder: &Encoder) -> usize {
        self.num_initial_points
            .unwrap_or_else(|| (3 * encoder.features()).max(3))
    }

    fn effort(&self, n: usize) -> Effort {
        // Scoring a candidate costs O(n^2): keep the total near that of 2,048 at n = 200.
        let scale = if n <= 200 {
            1.0
        } else {
            (200.0 / n as f64).powi(2)
        };
        Effort {
            candidates: ((self.candidates as f64 * scale) as usize)
                .clamp(256.min(self.candidates), self.candidates),
            refine: if n <= 200 { 5 } else { 2 },
            iterations: if n <= 200 { 50 } else { 20 },
        }
    }

    /// The kernel hyperparameters for the observations `x`/`losses` (in trial order).
    fn kernel_params(&self, encoder: &Encoder, x: &[f64], losses: &[f64]) -> KernelParams {
        let nf = encoder.features();
        let rows = fit_rows(losses.len());
        let chosen = subset(&losses[..rows], FIT_CAP);
        let mut fx = Vec::with_capacity(chosen.len() * nf);
        let mut fl = Vec::with_capacity(chosen.len());
        for &i in &chosen {
            fx.extend_from_slice(&x[i * nf..(i + 1) * nf]);
            fl.push(losses[i]);
        }
        let fy = transform::prepare(&fl, self.warp);
        let mut h = DefaultHasher::new();
        (nf, self.warp).hash(&mut h);
        for v in fx.iter().chain(&fl) {
            v.to_bits().hash(&mut h);
        }
        let key = h.finish();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.key == Some(key) {
            if let Some(p) = &cache.params {
                return p.clone();
            }
        }
        let mut starts = vec![
            KernelParams::default_for(nf, 1e-2),
            KernelParams {
                inv_sq_ls: vec![25.0; nf],
                scale: 1.0,
                noise: 1e-4,
            },
        ];
        if let Some(p) = cache.params.clone().filter(|p| p.inv_sq_ls.len() == nf) {
            starts.push(p);
        }
        let (params, _) = fit::fit(
            &fx,
            nf,
            &fy,
            encoder.categorical(),
            &starts,
            &LbfgsB { pgtol: 1e-4 },
        );
        cache.key = Some(key);
        cache.params = Some(params.clone());
        params
    }
}

impl BayesianOptimization {
    /// The constraints' models from the observed trials' features `x` (in the order of
    /// `reported`, each trial's constraint values if it has them), warm-started from the last
    /// fits; trials with a missing or non-finite value are left out.
    fn constraint_model(
        &self,
        encoder: &Encoder,
        x: &[f64],
        reported: &[Option<Vec<f64>>],
    ) -> Option<Constraints> {
        let nf = encoder.features();
        let count = reported.iter().flatten().map(Vec::len).max()?;
        let mut cx = Vec::new();
        let mut values = Vec::new();
        for (i, r) in reported.iter().enumerate() {
            if let Some(v) = r
                .as_ref()
                .filter(|v| v.len() == count && v.iter().all(|c| c.is_finite()))
            {
                cx.extend_from_slice(&x[i * nf..(i + 1) * nf]);
                values.push(v.clone());
            }
        }
        let warm = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .constraints
            .clone();
        let (model, fits) = Constraints::new(
            &cx,
            &values,
            nf,
            encoder.categorical(),
            &warm,
            &LbfgsB { pgtol: 1e-4 },
        )?;
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .constraints = fits;
        Some(model)
    }
}

/// How many observations (the first, in trial order) the kernel is fitted to.
fn fit_rows(n: usize) -> usize {
    if n <= REFIT_ALWAYS {
        return n;
    }
    let mut m = REFIT_ALWAYS as f64;
    while (m * REFIT_GROWTH).round() <= n as f64 {
        m = (m * REFIT_GROWTH).round();
    }
    m as usize
}

/// Which of `losses` to keep: all up to `cap`, else the best third and an even spread of the
/// rest (in trial order).
fn subset(losses: &[f64], cap: usize) -> Vec<usize> {
    let n = losses.len();
    if n <= cap {
        return (0..n).collect();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| losses[*a].total_cmp(&losses[*b]).then(a.cmp(b)));
    let best = cap / 3;
    let mut chosen: Vec<usize> = order[..best].to_vec();
    let rest: Vec<usize> = {
        let mut r = order[best..].to_vec();
        r.sort_unstable();
        r
    };
    let want = cap - best;
    chosen.extend((0..want).map(|k| rest[k * rest.len() / want]));
    chosen.sort_unstable();
    chosen
}

/// The initial trials: point `k` (k = trials so far) of a Halton sequence randomly shifted
/// by the study's seed, which covers the space more evenly than independent draws; `None` when
/// that point rounds onto a configuration already tried.
fn initial_design(
    ctx: &OracleContext<'_>,
    encoder: &Encoder,
    tried: &std::collections::HashSet<String>,
) -> Option<Suggestion> {
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(ctx.seed ^ 0x5DEE_CE66_D1CE_4E5B);
    let shift: Vec<f64> = (0..ctx.space.len()).map(|_| rng.random::<f64>()).collect();
    let mut u = optimise::halton_point(ctx.trials.len() as u64, &shift);
    encoder.canonicalise(ctx.space, &mut u);
    let values = ctx.space.from_unit(&u);
    (!tried.contains(&values.key())).then(|| {
        Suggestion::Try(TrialPlan {
            values,
            ..TrialPlan::default()
        })
    })
}

impl Oracle for BayesianOptimization {
    fn name(&self) -> &'static str {
        "bayesian"
    }

    fn config(&self) -> crate::oracle::OracleConfig {
        crate::oracle::OracleConfig::Bayesian {
            num_initial_points: self.num_initial_points,
            acquisition: self.acquisition,
            candidates: self.candidates,
            output_warping: self.warp,
            multi_objective: self.multi_objective,
        }
    }

    fn suggest(&self, ctx: &OracleContext<'_>) -> Suggestion {
        let tried = ctx.tried();
        if let Some(n) = ctx.space.cardinality() {
            if tried.len() as u64 >= n {
                return Suggestion::Done(format!(
                    "all {n} configurations of the search space have been tried"
                ));
            }
        }
        let encoder = Encoder::new(ctx.space);
        let observed = scalarise::observations(ctx, self.multi_objective);
        let random = || RandomSearch::new().suggest(ctx);
        if encoder.features() == 0 {
            return random();
        }
        if ctx.trials.len() < self.initial_points(&encoder) {
            return initial_design(ctx, &encoder, &tried).unwrap_or_else(random);
        }
        if observed.len() < 2 {
            return random();
        }
        let nf = encoder.features();
        let mut x = Vec::with_capacity(observed.len() * nf);
        for (t, _) in &observed {
            x.extend(encoder.features_of_values(ctx.space, t.values()));
        }
        let losses: Vec<f64> = observed.iter().map(|o| o.1).collect();
        let params = self.kernel_params(&encoder, &x, &losses);
        let kept = subset(&losses, GP_CAP);
        let mut gx = Vec::with_capacity(kept.len() * nf);
        for &i in &kept {
            gx.extend_from_slice(&x[i * nf..(i + 1) * nf]);
        }
        let kept_losses: Vec<f64> = kept.iter().map(|&i| losses[i]).collect();
        let gy = transform::prepare(&kept_losses, self.warp);
        let Some(gp) = Gp::new(gx, nf, gy, encoder.categorical().to_vec(), params.clone()) else {
            return random();
        };
        // Constraint values of the observed trials, when the study has constraints: those
        // with every value finite condition the constraints' GPs, and only trials satisfying
        // all of them can be the incumbent.
        let reported: Vec<Option<Vec<f64>>> = observed
            .iter()
            .map(|(t, _)| crate::objective::constraints(t))
            .collect();
        let has_constraints = reported.iter().any(Option::is_some);
        // Without constraints every trial is feasible; with them, only those reporting values
        // that all hold.
        let feasible: Vec<bool> = reported
            .iter()
            .map(|c| !has_constraints || c.as_ref().is_some_and(|c| c.iter().all(|v| *v <= 0.0)))
            .collect();
        let (best, objective) = if has_constraints {
            let feasible: Vec<usize> = kept
                .iter()
                .enumerate()
                .filter(|(_, &i)| feasible[i])
                .map(|(row, _)| row)
                .collect();
            (gp.min_mean_among(&feasible), !feasible.is_empty())
        } else {
            (gp.min_mean_at_data(gp.len()), true)
        };
        let constraints = has_constraints
            .then(|| self.constraint_model(&encoder, &x, &reported))
            .flatten();
        let running: Vec<f64> = ctx
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Running)
            .flat_map(|t| encoder.features_of_values(ctx.space, t.values()))
            .collect();
        let gp = gp.believe(&running);
        // The local search starts from the best observations, feasible ones first: around an
        // infeasible best it would only refine points the constraints rule out.
        let mut ranked: Vec<usize> = (0..observed.len()).collect();
        ranked.sort_by(|&a, &b| {
            feasible[b]
                .cmp(&feasible[a])
                .then(losses[a].total_cmp(&losses[b]))
                .then(a.cmp(&b))
        });
        let anchors: Vec<Vec<f64>> = ranked
            .iter()
            .take(ANCHORS)
            .map(|&i| encoder.unit_of_values(ctx.space, observed[i].0.values()))
            .collect();
        let failed: Vec<f64> = ctx
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Failed)
            .flat_map(|t| encoder.features_of_values(ctx.space, t.values()))
            .collect();
        let feasibility = Feasibility::new(&x, &failed, nf, encoder.categorical(), &params);
        let problem = Problem {
            space: ctx.space,
            encoder: &encoder,
            gp: &gp,
            acquisition: self.acquisition,
            best,
            feasibility: feasibility.as_ref(),
            constraints: constraints.as_ref(),
            objective,
        };
        let mut rng = ctx.rng();
        let effort = self.effort(observed.len());
        match optimise::propose(
            &problem,
            &tried,
            &anchors,
            effort,
            &LbfgsB { pgtol: 1e-6 },
            &mut rng,
        ) {
            Some(values) => Suggestion::Try(TrialPlan {
                values,
                ..TrialPlan::default()
            }),
            None => random(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_posterior_mean_does_not_report_a_lucky_draw() {
        use crate::objective::{Objective, Objectives};
        use crate::space::{Param, SearchSpace};
        use crate::trial::Trial;
        let space = SearchSpace::builder()
            .param(Param::float("x", 0.0, 1.0))
            .build()
            .unwrap();
        let objectives: Objectives = Objective::minimize("loss").into();
        // (x - 0.3)^2 with alternating noise of +-0.05, and one lucky draw far from 0.3.
        let trials: Vec<Trial> = (0..40)
            .map(|i| {
                let x = (i as f64 + 0.5) / 40.0;
                let noise = if i % 2 == 0 { 0.05 } else { -0.05 };
                let lucky = if i == 36 { -0.6 } else { 0.0 };
                let mut t = Trial::new(i, TrialPlan::default());
                t.plan
                    .values
                    .insert("x".to_owned(), crate::space::Value::Float(x));
                t.state = TrialState::Completed;
                t.score = Some((x - 0.3).powi(2) + noise + lucky);
                t
            })
            .collect();
        let ctx = OracleContext {
            space: &space,
            objectives: &objectives,
            trials: &trials,
            seed: 0,
        };
        let best_observed = trials
            .iter()
            .min_by(|a, b| a.score.unwrap().total_cmp(&b.score.unwrap()))
            .unwrap();
        assert_eq!(
            best_observed.number, 36,
            "the lucky draw is the best observation"
        );
        let n = BayesianOptimization::new()
            .best_by_posterior_mean(&ctx)
            .unwrap();
        let x: f64 = trials[n as usize].values().get_as("x").unwrap();
        assert!((x - 0.3).abs() < 0.1, "reported x = {x} (trial {n})");
    }

    #[test]
    fn refits_become_rarer_as_the_history_grows() {
        assert_eq!(fit_rows(50), 50);
        assert_eq!(fit_rows(100), 100);
        assert_eq!(fit_rows(109), 100);
        assert_eq!(fit_rows(110), 110);
        assert_eq!(fit_rows(1000), 993);
        let subset = subset(
            &(0..400)
                .map(|i| ((i * 37) % 400) as f64)
                .collect::<Vec<_>>(),
            FIT_CAP,
        );
        assert_eq!(subset.len(), FIT_CAP);
        assert!(subset.windows(2).all(|w| w[0] < w[1]));
    }
}
