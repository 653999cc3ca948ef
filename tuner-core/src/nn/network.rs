//! `Network`: a built model, its optimizer state and its own seeded device.

use super::batch::BatchTargets;
use super::error::NnError;
use super::modules::profile::{timed, Phase};
use super::modules::softmax_cross_entropy;
use super::modules::{Net, Width};
use super::optim_state::OptState;
use super::spec::{Loss, NetSpec};
use crate::data::{Dataset, Targets};
use crate::model::metrics::{self, argmax, Predictions};
use crate::model::Metric;
use crate::trial::Metrics;
use dfdx::losses::{huber_loss, mae_loss, mse_loss};
use dfdx::nn::{Module, NumParams, ZeroGrads};
use dfdx::prelude::{
    AsArray, Backward, Cpu, Gradients, HasShape, Tape, Tensor, TensorFromVec, Trace,
};
use std::fmt;

pub(crate) type Model = Net<f32, Cpu>;

/// A built network: the dfdx model, its optimizer state, its spec and its own device
/// (seeded per network, since `Cpu::default()` is always seed 0).
///
/// ```
/// use tuner_core::data::Dataset;
/// use tuner_core::nn::{Adam, Fit, NetSpec, Network};
///
/// // XOR, which needs the hidden layer.
/// let x = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0].repeat(16);
/// let data = Dataset::classification(x, vec![2], [0, 1, 1, 0].repeat(16), 2)?;
/// let spec = NetSpec::input(2).dense(16).relu().dense(2).optimizer(Adam::new(0.05));
/// let mut net = Network::new(&spec, 7)?;
/// let history = net.fit(&data, None, &Fit::default().epochs(40).batch_size(8), &mut [])?;
/// assert_eq!(history.epochs.len(), 40);
/// let metrics = net.evaluate(&data, 64)?;
/// assert!(metrics["accuracy"] > 0.9, "{metrics:?}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Network {
    pub(crate) spec: NetSpec,
    pub(crate) seed: u64,
    pub(crate) device: Cpu,
    pub(crate) model: Model,
    pub(crate) opt: OptState,
    grads: Option<Gradients<f32, Cpu>>,
    pub(crate) epochs_completed: usize,
    /// The callbacks' states after the last epoch trained (see `Callback::state`), kept in
    /// checkpoints so a continued run resumes its schedule.
    pub(crate) callback_states: Vec<Option<serde_json::Value>>,
}

impl fmt::Debug for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("spec", &self.spec)
            .field("seed", &self.seed)
            .field("num_params", &self.num_params())
            .field("epochs_completed", &self.epochs_completed)
            .finish()
    }
}

impl Network {
    /// Validates `spec` and builds it on a device seeded with `seed` (weights, dropout).
    pub fn new(spec: &NetSpec, seed: u64) -> Result<Network, NnError> {
        let device = Cpu::seed_from_u64(seed);
        let model: Model = spec.build(&device)?;
        let opt = OptState::new(&spec.optimizer);
        Ok(Network {
            spec: spec.clone(),
            seed,
            device,
            model,
            opt,
            grads: None,
            epochs_completed: 0,
            callback_states: Vec::new(),
        })
    }

    /// The spec it was built from.
    pub fn spec(&self) -> &NetSpec {
        &self.spec
    }

    /// The seed of its device.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Trainable parameters, counted by dfdx over the built tensors.
    pub fn num_params(&self) -> usize {
        self.model.num_trainable_params()
    }

    /// Epochs trained so far (the next `fit` would start here to continue).
    pub fn epochs_completed(&self) -> usize {
        self.epochs_completed
    }

    /// The optimizer's learning rate now (the spec's until a schedule such as
    /// `ReduceLROnPlateau` changes it).
    pub fn learning_rate(&self) -> f64 {
        self.opt.learning_rate()
    }

    /// All weights in visiting order, as `(name, values)` (for comparisons and inspection).
    pub fn weights(&self) -> Vec<(String, Vec<f32>)> {
        super::checkpoint::collect(&self.model)
            .into_iter()
            .map(|t| (t.name, t.values))
            .collect()
    }

    /// Checks that `data` fits the input and output layers and the loss.
    pub fn check_data(&self, data: &Dataset) -> Result<(), NnError> {
        self.model.check_input(data.feature_width())?;
        let out = self.model.output_width();
        match (&self.spec.loss, data.targets()) {
            (Loss::CrossEntropy, Targets::Classes { num_classes, .. }) => {
                if *num_classes != out {
                    return Err(NnError::Targets(format!(
                        "the data has {num_classes} classes but the network outputs {out} values; end with .dense({num_classes})"
                    )));
                }
            }
            (Loss::CrossEntropy, Targets::Values { .. }) => {
                return Err(NnError::Targets(
                    "cross-entropy needs class labels but the data has real-valued targets; use Loss::Mse, Mae or Huber".into(),
                ))
            }
            (_, Targets::Values { width, .. }) => {
                if *width != out {
                    return Err(NnError::Targets(format!(
                        "the data has {width} target values per sample but the network outputs {out}; end with .dense({width})"
                    )));
                }
            }
            (loss, Targets::Classes { .. }) => {
                return Err(NnError::Targets(format!(
                    "{loss:?} needs real-valued targets but the data has class labels; use Loss::CrossEntropy"
                )))
            }
        }
        Ok(())
    }

    pub(crate) fn batch_targets<'a>(
        data: &'a Dataset,
        range: std::ops::Range<usize>,
        width: usize,
    ) -> BatchTargets<'a> {
        match data.targets() {
            Targets::Classes { labels, .. } => BatchTargets::Classes(&labels[range]),
            Targets::Values { values, .. } => {
                BatchTargets::Values(&values[range.start * width..range.end * width])
            }
        }
    }

    /// The batch's mean loss against `targets` (a dense `n x width` matrix): cross-entropy
    /// through the fused softmax kernel, the regression losses through dfdx's.
    fn loss<T: Tape<f32, Cpu>>(
        &self,
        y: Tensor<(usize, Width), f32, Cpu, T>,
        targets: Vec<f32>,
    ) -> Result<Tensor<(), f32, Cpu, T>, NnError> {
        if matches!(self.spec.loss, Loss::CrossEntropy) {
            return softmax_cross_entropy(y, &targets).map_err(NnError::device);
        }
        let shape = *y.shape();
        let t = self
            .device
            .try_tensor_from_vec(targets, shape)
            .map_err(NnError::device)?;
        Ok(match self.spec.loss {
            Loss::Mse => mse_loss(y, t),
            Loss::Mae => mae_loss(y, t),
            Loss::Huber(delta) => huber_loss(y, t, delta),
            Loss::CrossEntropy => unreachable!("handled above"),
        })
    }

    /// Gathers predictions on `data`'s kind of targets, for the metrics.
    pub(crate) fn predictions(&self, data: &Dataset) -> Predictions {
        let width = self.model.output_width();
        match data.targets() {
            Targets::Classes { num_classes, .. } => Predictions::classes(width, *num_classes),
            Targets::Values { .. } => Predictions::values(width),
        }
    }

    /// One gradient step on `n` samples, each row's loss scaled by `weights` (Keras' weighted
    /// mean, divided by `n`); returns the batch's mean loss and its outputs. The input lives
    /// on `device`, whose rng dropout and augmentation draw from.
    pub(crate) fn step(
        &mut self,
        device: &Cpu,
        x: Vec<f32>,
        n: usize,
        targets: BatchTargets,
        weights: Option<&[f32]>,
    ) -> Result<(f64, Vec<f32>), NnError> {
        let (w_in, w_out) = (self.model.input_width(), self.model.output_width());
        let grads = match self.grads.take() {
            Some(g) => g,
            None => self.model.try_alloc_grads().map_err(NnError::device)?,
        };
        let x = device
            .try_tensor_from_vec(x, (n, Width(w_in)))
            .map_err(NnError::device)?;
        // The mutable forward (batch-norm layers move their running statistics), without
        // the input's gradient: the input is data.
        let y = self
            .model
            .try_forward_mut_data(x.traced(grads))
            .map_err(NnError::device)?;
        let outputs = y.as_vec();
        let loss = self.loss(y, targets.dense(w_out, weights))?;
        let loss_value = f64::from(loss.array());
        let mut grads = loss.try_backward().map_err(NnError::device)?;
        timed(Phase::Optimizer, || {
            self.opt.update(&mut self.model, &mut grads)?;
            self.model
                .try_zero_grads(&mut grads)
                .map_err(NnError::device)
        })?;
        self.grads = Some(grads);
        Ok((loss_value, outputs))
    }

    /// Trains on all of `batch` as one gradient step (Keras' `train_on_batch`); returns the loss.
    pub fn train_on_batch(&mut self, batch: &Dataset) -> Result<f64, NnError> {
        self.check_data(batch)?;
        if batch.is_empty() {
            return Err(NnError::Fit("cannot train on an empty batch".into()));
        }
        let targets = Self::batch_targets(batch, 0..batch.len(), self.model.output_width());
        let device = self.device.clone();
        self.step(
            &device,
            batch.features().to_vec(),
            batch.len(),
            targets,
            None,
        )
        .map(|(loss, _)| loss)
    }

    /// Outputs (logits for classification) for rows `range` of `data`, without dropout.
    fn forward_rows(&self, features: &[f32], n: usize) -> Result<Vec<f32>, NnError> {
        let x = self
            .device
            .try_tensor_from_vec(features.to_vec(), (n, Width(self.model.input_width())))
            .map_err(NnError::device)?;
        Ok(self.model.try_forward(x).map_err(NnError::device)?.as_vec())
    }

    /// Loss and accuracy (classification) or mae (regression) on `data`, without dropout.
    pub fn evaluate(&self, data: &Dataset, batch_size: usize) -> Result<Metrics, NnError> {
        self.evaluate_with(data, batch_size, &[])
    }

    /// [`evaluate`](Self::evaluate) also reporting `metrics` (e.g. `[Metric::Auc]`).
    pub fn evaluate_with(
        &self,
        data: &Dataset,
        batch_size: usize,
        metrics: &[Metric],
    ) -> Result<Metrics, NnError> {
        let mut m = Metrics::new();
        self.evaluate_into(data, batch_size, metrics, "", &mut m)?;
        Ok(m)
    }

    pub(crate) fn evaluate_into(
        &self,
        data: &Dataset,
        batch_size: usize,
        metrics: &[Metric],
        prefix: &str,
        out: &mut Metrics,
    ) -> Result<(), NnError> {
        self.check_data(data)?;
        metrics::check(metrics, data.num_classes()).map_err(crate::model::FitError::from)?;
        if data.is_empty() {
            return Err(NnError::Fit("cannot evaluate on an empty data set".into()));
        }
        if batch_size == 0 {
            return Err(NnError::Fit("batch_size is 0; use at least 1".into()));
        }
        let (w_in, w_out) = (self.model.input_width(), self.model.output_width());
        let mut gathered = self.predictions(data);
        for start in (0..data.len()).step_by(batch_size) {
            let end = (start + batch_size).min(data.len());
            let n = end - start;
            let x = self
                .device
                .try_tensor_from_vec(
                    data.features()[start * w_in..end * w_in].to_vec(),
                    (n, Width(w_in)),
                )
                .map_err(NnError::device)?;
            let y = self.model.try_forward(x).map_err(NnError::device)?;
            let targets = Self::batch_targets(data, start..end, w_out);
            let outputs = y.as_vec();
            let loss = self.loss(y, targets.dense(w_out, None))?;
            targets.gather(&mut gathered, f64::from(loss.array()), &outputs);
        }
        gathered
            .report(metrics, prefix, out)
            .map_err(|e| crate::model::FitError::from(e).into())
    }

    /// Outputs for flat feature rows (`features.len()` a multiple of the input width),
    /// row-major, `output width` values per row; logits for classification.
    pub fn predict(&self, features: &[f32]) -> Result<Vec<f32>, NnError> {
        let w_in = self.model.input_width();
        if !features.len().is_multiple_of(w_in) {
            return Err(NnError::FeatureCount {
                width: w_in,
                len: features.len(),
            });
        }
        let mut out = Vec::with_capacity(features.len() / w_in * self.model.output_width());
        for chunk in features.chunks(256 * w_in) {
            out.extend(self.forward_rows(chunk, chunk.len() / w_in)?);
        }
        Ok(out)
    }

    /// Class probabilities for flat feature rows, row-major: the softmax of each row's logits,
    /// or the sigmoid of a single-output network's one logit (a binary model's `P(class 1)`).
    pub fn predict_proba(&self, features: &[f32]) -> Result<Vec<f32>, NnError> {
        let w = self.model.output_width();
        let logits = self.predict(features)?;
        Ok(metrics::probabilities(&logits, w))
    }

    /// The most likely class of each sample of `data`.
    pub fn predict_classes(&self, data: &Dataset) -> Result<Vec<usize>, NnError> {
        self.model.check_input(data.feature_width())?;
        let w = self.model.output_width();
        let out = self.predict(data.features())?;
        Ok(out
            .chunks_exact(w)
            .map(|row| argmax(row).unwrap_or(0))
            .collect())
    }
}
