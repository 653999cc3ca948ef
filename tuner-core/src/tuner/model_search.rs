//! Searching a `#[hypermodel]` whose builder returns a [`NetSpec`]: build, train epoch by epoch,
//! report, keep the best epoch's checkpoint, continue a parent's checkpoint (Hyperband).

use super::run::{Control, Outcome, TrialContext, TrialError};
use super::{SearchReport, Tuner, TunerError, Typed};
use crate::data::Dataset;
use crate::hypermodel::HyperModel;
use crate::nn::{read_checkpoint_info, Fit, NetSpec, Network};
use crate::objective::Objectives;
use crate::storage::optuna::{float_json, json_float};
use crate::trial::{Metrics, Trial};
use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};

/// The file, in a trial's folder, holding the weights of its best epoch (and its spec).
pub const CHECKPOINT: &str = "checkpoint.safetensors";

/// The file, in a trial's folder, holding the weights after its latest epoch, with the next
/// epoch and the learning curve so far in its header: a retried trial continues from it.
pub const LAST_CHECKPOINT: &str = "last.safetensors";

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
        let objectives = self.objectives().clone();
        let max_model_size = self.settings.max_model_size;
        let epochs = u32::try_from(fit.epochs).ok();
        self.search_with_budget(
            &mut |params, ctx| {
                let spec: NetSpec = M::build(params).into();
                train_trial(&spec, train, val, &fit, &objectives, max_model_size, ctx)
            },
            epochs,
        )
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
    let end = ctx.epochs().map_or(fit.epochs as u32, |e| e);
    let checkpoint: Option<PathBuf> = (ctx.execution() == 0).then(|| ctx.dir().join(CHECKPOINT));
    let last_path: Option<PathBuf> =
        (ctx.execution() == 0).then(|| ctx.dir().join(LAST_CHECKPOINT));
    let objective = objectives.scalar();
    let mut best: Option<f64> = None;
    let mut curve: Vec<(u32, Metrics)> = Vec::new();
    let resumed = ctx
        .resume_dir()
        .and_then(|from| Resume::load(from, ctx.dir(), spec, objectives));
    let mut start = ctx.initial_epoch();
    let mut resumed_net = None;
    if let Some(resume) = resumed {
        // The epochs the dead worker finished count as this trial's own.
        for (epoch, metrics) in &resume.curve {
            if let Some(v) = objectives.score(metrics).filter(|v| v.is_finite()) {
                if best.is_none_or(|b| objective.better(v, b)) {
                    best = Some(v);
                }
            }
            if ctx.report(*epoch, metrics.clone()) == Control::Stop {
                return Ok(Outcome::Reported);
            }
        }
        curve = resume.curve;
        start = resume.next_epoch;
        resumed_net = Some(resume.net);
    }
    let mut net = match (resumed_net, ctx.parent_dir()) {
        (Some(net), _) => net,
        (None, Some(dir)) => {
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
        (None, None) => Network::new(spec, ctx.seed()).map_err(TrialError::failed)?,
    };
    for epoch in start..end {
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
        curve.push((epoch, metrics.clone()));
        // Last-epoch state first, then the best: whichever write a kill interrupts, the two
        // files and the curve in the first one stay consistent (see `Resume::load`).
        if let Some(path) = &last_path {
            let meta = json!({"next_epoch": epoch + 1, "curve": curve_json(&curve)});
            net.save_with_metadata(path, Some(&meta))
                .map_err(TrialError::invalid)?;
        }
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

/// Where a retried trial continues: the dead trial's last-epoch network and learning curve.
struct Resume {
    net: Network,
    next_epoch: u32,
    curve: Vec<(u32, Metrics)>,
}

impl Resume {
    /// Reads `from`'s last-epoch checkpoint and copies the files into `own` folder, so the
    /// retry's best checkpoint is right and a retry of the retry can continue too. `None` when
    /// there is nothing usable to continue (the retry then starts from scratch).
    fn load(from: &Path, own: &Path, spec: &NetSpec, objectives: &Objectives) -> Option<Self> {
        let last = from.join(LAST_CHECKPOINT);
        let info = read_checkpoint_info(&last).ok()?;
        let meta = info.metadata?;
        let next_epoch = u32::try_from(meta["next_epoch"].as_u64()?).ok()?;
        let curve = json_curve(&meta["curve"])?;
        let net = Network::load(&last).ok().filter(|n| n.spec() == spec)?;
        // The best epoch's weights: the last epoch's if it is the best (its best checkpoint
        // may not have been written before the kill), else the best checkpoint as it stands.
        let objective = objectives.scalar();
        let mut best: Option<(u32, f64)> = None;
        for (epoch, metrics) in &curve {
            if let Some(v) = objectives.score(metrics).filter(|v| v.is_finite()) {
                if best.is_none_or(|(_, b)| objective.better(v, b)) {
                    best = Some((*epoch, v));
                }
            }
        }
        let best_source = match (best, curve.last()) {
            (Some((b, _)), Some((l, _))) if b == *l => last.clone(),
            _ => from.join(CHECKPOINT),
        };
        if best_source.exists() {
            copy_atomic(&best_source, &own.join(CHECKPOINT)).ok()?;
        }
        copy_atomic(&last, &own.join(LAST_CHECKPOINT)).ok()?;
        Some(Self {
            net,
            next_epoch,
            curve,
        })
    }
}

/// Copies through a temporary file and a rename: the target is whole or absent.
fn copy_atomic(from: &Path, to: &Path) -> std::io::Result<()> {
    let tmp = to.with_extension(format!("copy-{}.tmp", std::process::id()));
    std::fs::copy(from, &tmp)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, to)
}

fn curve_json(curve: &[(u32, Metrics)]) -> Json {
    Json::Array(
        curve
            .iter()
            .map(|(e, m)| {
                let map: serde_json::Map<String, Json> =
                    m.iter().map(|(k, v)| (k.clone(), float_json(*v))).collect();
                json!([e, map])
            })
            .collect(),
    )
}

fn json_curve(json: &Json) -> Option<Vec<(u32, Metrics)>> {
    json.as_array()?
        .iter()
        .map(|item| {
            let epoch = u32::try_from(item.get(0)?.as_u64()?).ok()?;
            let metrics = item
                .get(1)?
                .as_object()?
                .iter()
                .map(|(k, v)| json_float(v).map(|f| (k.clone(), f)))
                .collect::<Option<Metrics>>()?;
            Some((epoch, metrics))
        })
        .collect()
}
