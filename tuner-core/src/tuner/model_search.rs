//! Searching a `#[hypermodel]` whose builder returns a [`ModelSpec`] (a `NetSpec`, or any model
//! implementing [`Trainable`]): build, train once per trial through `fit` with the tuner's
//! reporting, pruning and checkpointing as a callback beside the user's, continue a parent's
//! checkpoint (Hyperband) or a dead trial's last epoch. `search_split` holds out a seeded,
//! stratified validation split first (Keras' `validation_split`); a `Fit` setting the search
//! cannot honour is an error naming it.

use super::collapse::collapse_warning;
use super::run::{Control, Outcome, TrialContext, TrialError};
use super::{SearchReport, Tuner, TunerError, Typed};
use crate::data::{shuffled_indices, stratified_indices, ConstantBaseline, Dataset};
use crate::hypermodel::HyperModel;
use crate::model::{metrics, Callback, Checkpoint, Fit, ModelSpec, Trainable};
use crate::objective::Objectives;
use crate::trial::{Curve, Metrics, Trial};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The file, in a trial's folder, holding its best epoch's model (weights, optimizer state).
pub const CHECKPOINT: &str = "checkpoint.safetensors";

/// The file, in a trial's folder, holding the model after its latest epoch, with the next
/// epoch and the learning curve so far in its metadata: a retried trial continues from it.
pub const LAST_CHECKPOINT: &str = "last.safetensors";

/// The model a hypermodel's output builds.
type ModelOf<M> = <<M as HyperModel>::Output as ModelSpec>::Model;
/// What that model trains on.
type DataOf<M> = <ModelOf<M> as Trainable>::Data;

/// Refuses `Fit` settings a search cannot honour, naming each: the search sets each trial's
/// first epoch itself, and a validation split needs `search_split` (no validation set).
fn check_fit(fit: &Fit) -> Result<(), TunerError> {
    fit.validate()
        .map_err(|e| TunerError::BadArgument(format!("Fit: {e}")))?;
    if fit.initial_epoch != 0 {
        return Err(TunerError::BadArgument(format!(
            "Fit::initial_epoch = {} cannot be honoured by a search: each trial's first epoch is              set by the tuner (Hyperband promotions, retries); leave it at 0",
            fit.initial_epoch
        )));
    }
    if let Some(frac) = fit.validation_split {
        return Err(TunerError::BadArgument(format!(
            "Fit::validation_split = {frac} was given together with a validation set; pass one              of them: search(train, val, fit) without the split, or search_split(train, fit)"
        )));
    }
    Ok(())
}

impl<M> Tuner<Typed<M>>
where
    M: HyperModel + Send + Sync,
    M::Output: ModelSpec,
    ModelOf<M>: Trainable<Data = Dataset>,
{
    /// Tunes on `train` minus a validation part of `fit.validation_split` (KerasTuner's
    /// `search(x, y, validation_split=0.2)`), held out once for every trial: stratified by
    /// class for a classification set (each class split in proportion), shuffled for
    /// regression, both drawn from `fit.seed`, so the same seed holds out the same samples.
    /// The normalisation and every trial train on the rest only.
    pub fn search_split(&mut self, train: &Dataset, fit: Fit) -> Result<SearchReport, TunerError> {
        self.search_split_with_callbacks(train, fit, &mut [])
    }

    /// [`search_split`](Self::search_split) with callbacks, as
    /// [`search_with_callbacks`](Self::search_with_callbacks).
    pub fn search_split_with_callbacks(
        &mut self,
        train: &Dataset,
        fit: Fit,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<SearchReport, TunerError> {
        let (kept, held) = validation_indices(train, &fit)?;
        // Sample weights follow their rows into the training part.
        let sample_weight = match fit.sample_weight.as_deref() {
            Some(w) if w.len() != train.len() => {
                return Err(TunerError::BadArgument(format!(
                    "Fit::sample_weight has {} weights for {} training rows; give one per row",
                    w.len(),
                    train.len()
                )))
            }
            Some(w) => Some(kept.iter().map(|&i| w[i]).collect()),
            None => None,
        };
        let fit = Fit {
            validation_split: None,
            sample_weight,
            ..fit
        };
        self.search_with_callbacks(&train.select(&kept), &train.select(&held), fit, callbacks)
    }
}

/// The `(train, validation)` parts `fit.validation_split` asks of `data`.
pub fn validation_split(data: &Dataset, fit: &Fit) -> Result<(Dataset, Dataset), TunerError> {
    let (kept, held) = validation_indices(data, fit)?;
    Ok((data.select(&kept), data.select(&held)))
}

/// The sample indices of [`validation_split`]'s parts, each ascending.
fn validation_indices(data: &Dataset, fit: &Fit) -> Result<(Vec<usize>, Vec<usize>), TunerError> {
    let Some(frac) = fit.validation_split else {
        return Err(TunerError::BadArgument(
            "search_split needs Fit::validation_split (the fraction to hold out, e.g. 0.2);              to validate on a set of your own, call search(train, val, fit)"
                .into(),
        ));
    };
    let bad = |e: crate::data::DataError| {
        TunerError::BadArgument(format!("Fit::validation_split = {frac}: {e}"))
    };
    match (data.labels(), data.num_classes()) {
        (Some(labels), Some(k)) => stratified_indices(labels, k, frac, fit.seed).map_err(bad),
        _ => shuffled_indices(data.len(), frac, fit.seed).map_err(bad),
    }
}

impl<M> Tuner<Typed<M>>
where
    M: HyperModel + Send + Sync,
    M::Output: ModelSpec,
    DataOf<M>: ConstantBaseline + Sync,
{
    /// Tunes the hypermodel on `train`, scoring each epoch on `val` (KerasTuner's `search(x, y,
    /// validation_data=...)`). `fit.epochs` is each trial's budget unless the oracle sets one
    /// (Hyperband); the best epoch's model is kept for [`best_models`](Self::best_models).
    /// `fit.seed` seeds [`search_split`](Self::search_split)'s hold-out; each trial shuffles
    /// from its own trial seed. `fit.initial_epoch` and `fit.validation_split` are errors here
    /// (see [`search_split`](Self::search_split)). A trial whose best validation score is a
    /// constant predictor's (majority-class accuracy, AUC 1/2, R² 0) is warned about.
    pub fn search(
        &mut self,
        train: &DataOf<M>,
        val: &DataOf<M>,
        fit: Fit,
    ) -> Result<SearchReport, TunerError> {
        self.search_with_callbacks(train, val, fit, &mut [])
    }

    /// [`search`](Self::search) with `callbacks` (e.g. an `EarlyStopping`) run in every trial's
    /// training beside the tuner's own, as KerasTuner's `search(..., callbacks=[...])`. One
    /// callback serves every trial in turn; each trial's training begins with its
    /// `on_train_begin`, where it resets its state. A `Stop` from any of them ends the trial
    /// after that epoch, which stays in the trial's curve. A Hyperband child or a retried
    /// trial's callbacks see the epochs it trains, not the ones it continues from.
    pub fn search_with_callbacks(
        &mut self,
        train: &DataOf<M>,
        val: &DataOf<M>,
        fit: Fit,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<SearchReport, TunerError> {
        check_fit(&fit)?;
        let objectives = self.objectives().clone();
        let baseline = val.constant_scores();
        let fit = checked_fit::<ModelOf<M>>(fit, &objectives, train)?;
        let max_model_size = self.settings.max_model_size;
        let epochs = u32::try_from(fit.epochs).ok();
        let model = self.model.shared();
        let job = Job {
            train,
            val,
            fit: &fit,
            objectives: &objectives,
            baseline: &baseline,
            max_model_size,
        };
        if callbacks.is_empty() {
            return self.search_shared(
                &|params, ctx| job.run(&model.build(params), &mut [], ctx),
                epochs,
            );
        }
        self.search_with_budget(
            &mut |params, ctx| job.run(&model.build(params), callbacks, ctx),
            epochs,
        )
    }
}

impl<M> Tuner<Typed<M>>
where
    M: HyperModel,
    M::Output: ModelSpec,
{
    /// The hypermodel searched, with the arguments every trial builds with.
    pub fn model(&self) -> &M {
        self.model.model()
    }

    /// The trained models of the `n` best trials, best first, each at its best epoch.
    pub fn best_models(&self, n: usize) -> Result<Vec<ModelOf<M>>, TunerError> {
        self.best_trials(n)?
            .iter()
            .map(|t| self.load_model(t))
            .collect()
    }

    /// The model of one trial at its best epoch, from its checkpoint.
    pub fn load_model(&self, trial: &Trial) -> Result<ModelOf<M>, TunerError> {
        let path = self.trial_dir(trial.number).join(CHECKPOINT);
        ModelOf::<M>::load_checkpoint(&path)
            .map(|(model, _)| model)
            .map_err(|e| {
                TunerError::NoResult(format!(
                    "cannot load the model of trial {}: {e}",
                    trial.id()
                ))
            })
    }

    /// A fresh model built from params (e.g. the best ones) to retrain on all the data.
    pub fn build_model(&self, params: &M::Params, seed: u64) -> Result<ModelOf<M>, TunerError> {
        self.model
            .model()
            .build(params)
            .build(seed)
            .map_err(|e| TunerError::NoResult(e.to_string()))
    }
}

/// `fit` with the metrics the objectives need turned on (objective `val_auc` reports AUC),
/// after checking that every objective is among the metrics the model will report: an
/// objective nobody reports fails here, before any trial, with the list of those reported.
fn checked_fit<T: Trainable>(
    fit: Fit,
    objectives: &Objectives,
    train: &T::Data,
) -> Result<Fit, TunerError> {
    let Some(classification) = T::is_classification(train) else {
        return Ok(fit);
    };
    let names = || objectives.list().iter().map(|o| o.name.as_str());
    let fit = metrics::with_objective_metrics(fit, names(), classification);
    let reported = metrics::reported_names(&fit.metrics, classification, true);
    match metrics::unreported(names(), &reported) {
        None => Ok(fit),
        Some(objective) => Err(TunerError::UnreportedObjective {
            objective: objective.to_owned(),
            reported: reported.join(", "),
            possible: metrics::Metric::all_for(classification)
                .iter()
                .map(|m| m.name())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// What every trial of one `search` call shares.
struct Job<'a, D: ?Sized> {
    train: &'a D,
    val: &'a D,
    fit: &'a Fit,
    objectives: &'a Objectives,
    /// What a constant predictor scores on `val`.
    baseline: &'a [(String, f64)],
    max_model_size: Option<usize>,
}

/// The tuner's seed of a run, kept in its checkpoints' metadata: a continued run shuffles and
/// draws from the run's seed, not the continuing trial's, so it repeats an uninterrupted one.
const SEED: &str = "seed";

impl<D: ?Sized> Job<'_, D> {
    /// One execution of a trial: a single `fit` over its epochs, reporting every epoch
    /// (pruning, heartbeats) and checkpointing the best and the latest.
    fn run<S>(
        &self,
        spec: &S,
        user: &mut [&mut dyn Callback],
        ctx: &mut TrialContext<'_>,
    ) -> Result<Outcome, TrialError>
    where
        S: ModelSpec,
        S::Model: Trainable<Data = D>,
    {
        if let Some(size) = spec.num_params() {
            self.check_size(size)?;
        }
        let end = ctx.epochs().map_or(self.fit.epochs, |e| e as usize);
        let first = ctx.execution() == 0;
        let mut tracker = Tracker {
            curve: Curve::new(),
            seed: ctx.seed(),
            best_path: first.then(|| ctx.dir().join(CHECKPOINT)),
            last_path: first.then(|| ctx.dir().join(LAST_CHECKPOINT)),
            objectives: self.objectives,
            error: None,
        };
        let resumed = ctx
            .resume_dir()
            .and_then(|from| Resume::load(from, ctx.dir(), spec, self.objectives, ctx.seed()));
        let (mut model, start) = match resumed {
            Some(resume) => {
                // The epochs the dead worker finished count as this trial's own.
                for (epoch, metrics) in &resume.curve {
                    if ctx.report(*epoch, metrics.clone()) == Control::Stop {
                        return Ok(Outcome::Reported);
                    }
                }
                tracker.curve = resume.curve;
                tracker.seed = resume.seed;
                (resume.model, resume.next_epoch as usize)
            }
            None => match ctx.parent_dir() {
                Some(dir) => {
                    let path = dir.join(CHECKPOINT);
                    let (model, meta) =
                        S::Model::load_checkpoint(&path).map_err(TrialError::invalid)?;
                    if !spec.matches(&model) {
                        return Err(TrialError::failed(format!(
                            "the parent checkpoint {} holds another architecture",
                            path.display()
                        )));
                    }
                    if let Some(seed) = meta.as_ref().and_then(|m| m[SEED].as_u64()) {
                        tracker.seed = seed;
                    }
                    (model, ctx.initial_epoch() as usize)
                }
                None => {
                    let model = spec.build(ctx.seed()).map_err(TrialError::failed)?;
                    (model, ctx.initial_epoch() as usize)
                }
            },
        };
        if spec.num_params().is_none() {
            self.check_size(model.num_params())?;
        }
        if start >= end {
            return Ok(Outcome::Reported);
        }
        let run = Fit {
            initial_epoch: start,
            epochs: end,
            seed: tracker.seed,
            ..self.fit.clone()
        };
        let mut reporter = Reporter {
            tracker: &mut tracker,
            ctx: &mut *ctx,
        };
        let mut callbacks: Vec<&mut dyn Callback> = Vec::with_capacity(user.len() + 1);
        callbacks.push(&mut reporter);
        for cb in user.iter_mut() {
            callbacks.push(&mut **cb);
        }
        model
            .fit(self.train, Some(self.val), &run, &mut callbacks)
            .map_err(TrialError::invalid)?;
        let best = tracker.curve.best_finite(self.objectives);
        if let Some(m) = best.and_then(|(e, _)| tracker.curve.at(e)) {
            if let Some(warning) = collapse_warning(self.objectives, m, self.baseline) {
                ctx.warn(warning);
            }
        }
        match tracker.error.take() {
            Some(e) => Err(e),
            None => Ok(Outcome::Reported),
        }
    }

    fn check_size(&self, size: usize) -> Result<(), TrialError> {
        match self.max_model_size {
            Some(max) if size > max => Err(TrialError::failed(format!(
                "the model has {size} trainable parameters, more than max_model_size ({max})"
            ))),
            _ => Ok(()),
        }
    }
}

/// A trial's learning curve and checkpoint files.
struct Tracker<'a> {
    curve: Curve,
    seed: u64,
    best_path: Option<PathBuf>,
    last_path: Option<PathBuf>,
    objectives: &'a Objectives,
    /// A checkpoint that could not be written: training stops and the trial is retried.
    error: Option<TrialError>,
}

impl Tracker<'_> {
    /// Records one epoch and writes its checkpoints: last-epoch state first, then the best,
    /// so whichever write a kill interrupts, the files and the curve in the first one stay
    /// consistent (see `Resume::load`).
    fn epoch_end(
        &mut self,
        epoch: u32,
        metrics: &Metrics,
        model: &dyn Checkpoint,
    ) -> Result<(), TrialError> {
        self.curve.insert(epoch, metrics.clone());
        if let Some(path) = &self.last_path {
            let meta = json!({
                SEED: self.seed,
                "next_epoch": epoch + 1,
                "curve": self.curve.to_json(),
            });
            model
                .save_to(path, Some(&meta))
                .map_err(TrialError::invalid)?;
        }
        // Best when no earlier epoch is as good (the first of equal bests is kept).
        let best = self.curve.best_finite(self.objectives);
        if best.is_some_and(|(e, _)| e == epoch) {
            if let Some(path) = &self.best_path {
                model
                    .save_to(path, Some(&json!({ SEED: self.seed })))
                    .map_err(TrialError::invalid)?;
            }
        }
        Ok(())
    }
}

/// The tuner's callback in a trial's `fit`: checkpoints, then reports (the pruner and the
/// oracle's budget answer through [`TrialContext::report`]).
struct Reporter<'t, 'c, 'a> {
    tracker: &'t mut Tracker<'a>,
    ctx: &'t mut TrialContext<'c>,
}

impl Callback for Reporter<'_, '_, '_> {
    fn on_epoch_end_with_model(
        &mut self,
        epoch: usize,
        metrics: &Metrics,
        model: &dyn Checkpoint,
    ) -> Control {
        let epoch = epoch as u32;
        if let Err(e) = self.tracker.epoch_end(epoch, metrics, model) {
            self.tracker.error = Some(e);
            return Control::Stop;
        }
        self.ctx.report(epoch, metrics.clone())
    }
}

/// Where a retried trial continues: the dead trial's last-epoch model and learning curve.
struct Resume<T> {
    model: T,
    seed: u64,
    next_epoch: u32,
    curve: Curve,
}

impl<T: Trainable> Resume<T> {
    /// Reads `from`'s last-epoch checkpoint and copies the files into `own` folder, so the
    /// retry's best checkpoint is right and a retry of the retry can continue too. `None` when
    /// there is nothing usable to continue (the retry then starts from scratch). `seed` stands
    /// in for a checkpoint written before runs saved theirs.
    fn load<S: ModelSpec<Model = T>>(
        from: &Path,
        own: &Path,
        spec: &S,
        objectives: &Objectives,
        seed: u64,
    ) -> Option<Self> {
        let last = from.join(LAST_CHECKPOINT);
        let (model, meta) = T::load_checkpoint(&last).ok()?;
        let meta = meta?;
        if !spec.matches(&model) {
            return None;
        }
        let next_epoch = u32::try_from(meta["next_epoch"].as_u64()?).ok()?;
        let curve = Curve::from_json(&meta["curve"]).ok()?;
        let seed = meta[SEED].as_u64().unwrap_or(seed);
        // The best epoch's model: the last epoch's if it is the best (its best checkpoint may
        // not have been written before the kill), else the best checkpoint as it stands.
        let best = curve.best_finite(objectives).map(|(e, _)| e);
        let best_is_last = best.is_some() && best == curve.last().map(|(e, _)| *e);
        let best_source = if best_is_last {
            last.clone()
        } else {
            from.join(CHECKPOINT)
        };
        if best_source.exists() {
            copy_atomic(&best_source, &own.join(CHECKPOINT)).ok()?;
        }
        copy_atomic(&last, &own.join(LAST_CHECKPOINT)).ok()?;
        Some(Self {
            model,
            seed,
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

#[cfg(test)]
#[path = "model_search_tests.rs"]
mod tests;
