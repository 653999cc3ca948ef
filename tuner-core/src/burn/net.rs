//! `BurnNet`: a burn module with its optimizer's state, its spec and its seed; what the
//! tuner trains, checkpoints and returns.

use super::data::{Batch, BatchTargets, Loader};
use super::{BurnConfig, BurnDevice, BurnError, BurnModule, BurnSpec};
use crate::data::{Dataset, Targets};
use crate::model::metrics::{self, Predictions};
use crate::model::{FitError, Metric};
use crate::trial::Metrics;
use ::burn::module::{Module, ModuleVisitor, Param};
use ::burn::nn::loss::{CrossEntropyLoss, MseLoss, Reduction};
use ::burn::optim::ModuleOptimizer;
use ::burn::tensor::activation::log_softmax;
use ::burn::tensor::{Device, Tensor, TensorData};

/// A burn model being tuned: the module, burn's optimizer with its state, and what built it.
/// [`module`](Self::module) / [`into_module`](Self::into_module) give the burn module itself.
pub struct BurnNet<C: BurnConfig, D = super::Cpu> {
    pub(crate) spec: BurnSpec<C, D>,
    pub(crate) module: C::Model,
    pub(crate) optim: ModuleOptimizer,
    pub(crate) seed: u64,
    pub(crate) epochs_completed: usize,
    /// The optimizer's current learning rate (the spec's until a schedule changes it).
    pub(crate) learning_rate: f64,
    /// The callbacks' states after the last epoch (see `Callback::state`), kept in
    /// checkpoints so a continued run resumes its schedule.
    pub(crate) callback_states: Vec<Option<serde_json::Value>>,
}

/// Materialises every lazily initialised parameter, so the weights are drawn right after the
/// device is seeded rather than whenever a parameter is first read.
struct Touch;

impl ModuleVisitor for Touch {
    fn visit_float<const N: usize>(&mut self, param: &Param<Tensor<N>>) {
        let _ = param.val();
    }
}

impl<C: BurnConfig, D: BurnDevice> BurnNet<C, D> {
    /// Builds the module on `D`'s device (with autodiff, to train) with weights drawn from
    /// `seed`, and burn's optimizer with no state yet.
    pub fn new(spec: &BurnSpec<C, D>, seed: u64) -> Result<Self, BurnError> {
        spec.validate()?;
        let device = Self::train_device();
        device.seed(seed);
        let module = spec.config.init(&device);
        module.visit(&mut Touch);
        Ok(Self {
            spec: spec.clone(),
            module,
            optim: spec.optimizer.init(),
            seed,
            epochs_completed: 0,
            learning_rate: spec.learning_rate,
            callback_states: Vec::new(),
        })
    }

    /// Wraps a burn module built elsewhere (e.g. loaded with burn's own tools) to train it
    /// with `spec`'s optimizer from a fresh state; `seed` drives its dropout streams.
    pub fn from_module(spec: BurnSpec<C, D>, module: C::Model, seed: u64) -> Self {
        let optim = spec.optimizer.init();
        Self {
            module: module.fork(&Self::train_device()),
            learning_rate: spec.learning_rate,
            callback_states: Vec::new(),
            spec,
            optim,
            seed,
            epochs_completed: 0,
        }
    }

    /// The device training runs on: `D`'s, with autodiff.
    pub(crate) fn train_device() -> Device {
        D::device().autodiff()
    }

    /// The spec it was built from.
    pub fn spec(&self) -> &BurnSpec<C, D> {
        &self.spec
    }

    /// The burn module (on the training device; call burn's `valid()` for inference).
    pub fn module(&self) -> &C::Model {
        &self.module
    }

    /// The burn module, for inference (autodiff off, dropout off) or saving with burn's tools.
    pub fn into_module(self) -> C::Model {
        self.module.valid()
    }

    /// The seed its weights (and its dropout streams) are drawn from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Epochs trained so far, across checkpoints.
    pub fn epochs_completed(&self) -> usize {
        self.epochs_completed
    }

    /// The optimizer's learning rate now (changed by a schedule such as `ReduceLROnPlateau`).
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// Trainable parameters (burn's count).
    pub fn num_params(&self) -> usize {
        self.module.num_params()
    }

    /// The model's outputs on every sample of `data` (inference mode), row-major.
    pub fn predict(&self, data: &Dataset, batch_size: usize) -> Result<Vec<f32>, BurnError> {
        let module = self.module.valid();
        let device = D::device();
        let mut out = Vec::new();
        for batch in Loader::new(data)
            .batches(batch_size.max(1), None, &device)
            .iter()
        {
            let batch = batch.map_err(|e| BurnError::Data(e.to_string()))?;
            out.extend(host(module.forward(batch.inputs))?);
        }
        Ok(out)
    }

    /// Class probabilities of every sample of `data` (inference mode), row-major: the softmax
    /// of each row of logits, or the sigmoid of a single-output model's one logit.
    pub fn predict_proba(&self, data: &Dataset, batch_size: usize) -> Result<Vec<f32>, BurnError> {
        let logits = self.predict(data, batch_size)?;
        let width = logits.len() / data.len().max(1);
        Ok(metrics::probabilities(&logits, width))
    }

    /// Metrics on `data` in inference mode: `loss` and `accuracy` (classes) or `mae` (values).
    pub fn evaluate(&self, data: &Dataset, batch_size: usize) -> Result<Metrics, BurnError> {
        self.evaluate_with(data, batch_size, &[])
    }

    /// [`evaluate`](Self::evaluate) also reporting `metrics` (e.g. `[Metric::Auc]`).
    pub fn evaluate_with(
        &self,
        data: &Dataset,
        batch_size: usize,
        metrics: &[Metric],
    ) -> Result<Metrics, BurnError> {
        let mut out = Metrics::new();
        self.evaluate_into(data, batch_size, metrics, "", &mut out)?;
        Ok(out)
    }

    /// [`evaluate`](Self::evaluate) into `out`, each name after `prefix` (`val_`).
    pub(crate) fn evaluate_into(
        &self,
        data: &Dataset,
        batch_size: usize,
        metrics: &[Metric],
        prefix: &str,
        out: &mut Metrics,
    ) -> Result<(), BurnError> {
        if batch_size == 0 {
            return Err(FitError::ZeroBatch.into());
        }
        metrics::check(metrics, data.num_classes()).map_err(FitError::from)?;
        let module = self.module.valid();
        let device = D::device();
        let mut gathered = None;
        for batch in Loader::new(data).batches(batch_size, None, &device).iter() {
            let batch = batch.map_err(|e| BurnError::Data(e.to_string()))?;
            let outputs = module.forward(batch.inputs.clone());
            let (loss, found) = batch_loss(outputs, &batch, None)?;
            gather(&mut gathered, data, &batch, scalar(loss), &found);
        }
        match gathered {
            Some(g) => g.report(metrics, prefix, out).map_err(FitError::from)?,
            None => {
                return Err(BurnError::Data(
                    "cannot evaluate on an empty data set".into(),
                ))
            }
        }
        Ok(())
    }
}

/// Adds a batch's mean `loss` and outputs to `into`, created on the first batch (when the
/// output width is known).
pub(crate) fn gather(
    into: &mut Option<Predictions>,
    data: &Dataset,
    batch: &Batch,
    loss: f64,
    outputs: &[f32],
) {
    let width = outputs.len() / batch.targets.len().max(1);
    let g = into.get_or_insert_with(|| match data.targets() {
        Targets::Classes { num_classes, .. } => Predictions::classes(width, *num_classes),
        Targets::Values { .. } => Predictions::values(width),
    });
    match &batch.targets {
        BatchTargets::Classes { labels, .. } => g.add_classes(loss, outputs, labels),
        BatchTargets::Values { values, .. } => g.add_values(loss, outputs, values),
    }
}

/// burn's loss of one batch (cross-entropy on classes, mean squared error on values), and
/// the batch's outputs on the host. With `weights` (one per row of the data set, indexed by
/// the batch's rows), the cross-entropy is Keras' weighted one: `sum_i w_i * loss_i / n`.
pub(crate) fn batch_loss(
    outputs: Tensor<2>,
    batch: &Batch,
    weights: Option<&[f32]>,
) -> Result<(Tensor<1>, Vec<f32>), BurnError> {
    let [n, width] = outputs.dims();
    let device = outputs.device();
    let found = host(outputs.clone().detach())?;
    match &batch.targets {
        BatchTargets::Classes { tensor, labels } => {
            let classes_needed = labels.iter().max().map_or(0, |&m| m + 1);
            if width < classes_needed {
                return Err(BurnError::OutputWidth {
                    expected: classes_needed,
                    found: width,
                });
            }
            let loss = match weights {
                None => CrossEntropyLoss::new(None, &device).forward(outputs, tensor.clone()),
                Some(w) => {
                    // Each row's one-hot target scaled by its weight: cross-entropy is linear
                    // in the target, so the sum over rows is sum_i w_i * loss_i.
                    let mut target = vec![0.0f32; n * width];
                    for (i, (&l, &row)) in labels.iter().zip(&batch.rows).enumerate() {
                        target[i * width + l] = w[row];
                    }
                    let target =
                        Tensor::<2>::from_data(TensorData::new(target, [n, width]), &device);
                    let total = (log_softmax(outputs, 1) * target).sum().neg();
                    total.div_scalar(n as f32)
                }
            };
            Ok((loss, found))
        }
        BatchTargets::Values { tensor, .. } => {
            let [_, expected] = tensor.dims();
            if width != expected {
                return Err(BurnError::OutputWidth {
                    expected,
                    found: width,
                });
            }
            let loss = MseLoss::new().forward(outputs, tensor.clone(), Reduction::Mean);
            Ok((loss, found))
        }
    }
}

/// A tensor's values on the host.
fn host(t: Tensor<2>) -> Result<Vec<f32>, BurnError> {
    t.into_data()
        .try_into_vec::<f32>()
        .map_err(|e| BurnError::Data(format!("reading the model's outputs: {e:?}")))
}

/// A one-value loss on the host.
pub(crate) fn scalar(loss: Tensor<1>) -> f64 {
    f64::from(loss.into_scalar::<f32>())
}
