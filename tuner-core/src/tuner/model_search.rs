//! Searching a `#[hypermodel]` whose builder returns a [`NetSpec`]: build, train epoch by epoch,
//! report, keep the best epoch's checkpoint, continue a parent's checkpoint (Hyperband).

use super::run::{Control, Outcome, TrialContext, TrialError};
use super::{SearchReport, Tuner, TunerError, Typed};
use crate::data::Dataset;
use crate::hypermodel::HyperModel;
use crate::nn::{Fit, NetSpec, Network};
use crate::objective::Objectives;
use crate::trial::Trial;
use std::path::PathBuf;

/// The file, in a trial's folder, holding the weights of its best epoch (and its spec).
pub const CHECKPOINT: &str = "checkpoint.safetensors";

impl<M> Tuner<Typed<M>>
where
    M: HyperModel,
    M::Output: Into<NetSpec>,
{
    /// Tunes the hypermodel on `train`, scoring each epoch on `val` (KerasTuner's `search(x, y,
    /// validation_data=...)`). `fit.epochs` is each trial's budget unless the oracle sets one
    /// (Hyperband); the best epoch's weights are kept for [`best_models`](Self::best_models).
    pub fn search(
        &mut self,
        train: &Dataset,
        val: &Dataset,
        fit: Fit,
    ) -> Result<SearchReport, TunerError> {
        let objectives = self.objectives.clone();
        let max_model_size = self.settings.max_model_size;
        self.search_with(&mut |params, ctx| {
            let spec: NetSpec = M::build(params).into();
            train_trial(&spec, train, val, &fit, &objectives, max_model_size, ctx)
        })
    }

    /// The trained networks of the `n` best trials, best first, each at its best epoch.
    pub fn best_models(&self, n: usize) -> Result<Vec<Network>, TunerError> {
        self.best_trials(n)?
            .iter()
            .map(|t| self.load_model(t))
            .collect()
    }

    /// The network of one trial at its best epoch, from its checkpoint.
    pub fn load_model(&self, trial: &Trial) -> Result<Network, TunerError> {
        let path = self.trial_dir(trial.number).join(CHECKPOINT);
        Network::load(&path).map_err(|e| {
            TunerError::NoResult(format!(
                "cannot load the model of trial {}: {e}",
                trial.id()
            ))
        })
    }

    /// A fresh network built from params (e.g. the best ones) to retrain on all the data.
    pub fn build_model(params: &M::Params, seed: u64) -> Result<Network, TunerError> {
        let spec: NetSpec = M::build(params).into();
        Network::new(&spec, seed).map_err(|e| TunerError::NoResult(e.to_string()))
    }
}

/// One execution of a trial: epoch by epoch so that every epoch is reported (pruning,
/// heartbeats) and the best one checkpointed.
fn train_trial(
    spec: &NetSpec,
    train: &Dataset,
    val: &Dataset,
    fit: &Fit,
    objectives: &Objectives,
    max_model_size: Option<usize>,
    ctx: &mut TrialContext<'_>,
) -> Result<Outcome, TrialError> {
    spec.validate().map_err(TrialError::failed)?;
    if let Some(max) = max_model_size {
        let size = spec.num_params();
        if size > max {
            return Err(TrialError::failed(format!(
                "the model has {size} trainable parameters, more than max_model_size ({max})"
            )));
        }
    }
    let mut net = match ctx.parent_dir() {
        Some(dir) => {
            let path = dir.join(CHECKPOINT);
            let net = Network::load(&path).map_err(TrialError::invalid)?;
            if net.spec() != spec {
                return Err(TrialError::failed(format!(
                    "the parent checkpoint {} holds another architecture",
                    path.display()
                )));
            }
            net
        }
        None => Network::new(spec, ctx.seed()).map_err(TrialError::failed)?,
    };
    let end = ctx.epochs().map_or(fit.epochs as u32, |e| e);
    let checkpoint: Option<PathBuf> = (ctx.execution() == 0).then(|| ctx.dir().join(CHECKPOINT));
    let objective = objectives.scalar();
    let mut best: Option<f64> = None;
    for epoch in ctx.initial_epoch()..end {
        let one = Fit {
            initial_epoch: epoch as usize,
            epochs: epoch as usize + 1,
            seed: ctx.seed().wrapping_add(epoch as u64),
            ..fit.clone()
        };
        let history = net
            .fit(train, Some(val), &one, &mut [])
            .map_err(TrialError::invalid)?;
        let Some(last) = history.epochs.last() else {
            break;
        };
        let metrics = last.metrics.clone();
        if let Some(v) = objectives.score(&metrics).filter(|v| v.is_finite()) {
            if best.is_none_or(|b| objective.better(v, b)) {
                best = Some(v);
                if let Some(path) = &checkpoint {
                    net.save(path).map_err(TrialError::invalid)?;
                }
            }
        }
        let stop = ctx.report(epoch, metrics) == Control::Stop;
        if stop || history.non_finite_loss {
            break;
        }
    }
    Ok(Outcome::Reported)
}
