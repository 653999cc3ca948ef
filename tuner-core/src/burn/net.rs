//! `BurnNet`: a burn module with its optimizer's state, its spec and its seed; what the
//! tuner trains, checkpoints and returns.

use super::data::{Batch, BatchTargets, Loader};
use super::{BurnConfig, BurnDevice, BurnError, BurnModule, BurnSpec};
use crate::data::{Dataset, Targets};
use crate::model::epoch::argmax;
pub(crate) use crate::model::epoch::Totals;
use crate::trial::Metrics;
use ::burn::module::{Module, ModuleVisitor, Param};
use ::burn::nn::loss::{CrossEntropyLoss, MseLoss, Reduction};
use ::burn::optim::ModuleOptimizer;
use ::burn::tensor::{Device, Tensor};

/// A burn model being tuned: the module, burn's optimizer with its state, and what built it.
/// [`module`](Self::module) / [`into_module`](Self::into_module) give the burn module itself.
pub struct BurnNet<C: BurnConfig, D = super::Cpu> {
    pub(crate) spec: BurnSpec<C, D>,
    pub(crate) module: C::Model,
    pub(crate) optim: ModuleOptimizer,
    pub(crate) seed: u64,
    pub(crate) epochs_completed: usize,
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
        })
    }

    /// Wraps a burn module built elsewhere (e.g. loaded with burn's own tools) to train it
    /// with `spec`'s optimizer from a fresh state; `seed` drives its dropout streams.
    pub fn from_module(spec: BurnSpec<C, D>, module: C::Model, seed: u64) -> Self {
        let optim = spec.optimizer.init();
        Self {
            module: module.fork(&Self::train_device()),
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

    /// Metrics on `data` in inference mode: `loss` and `accuracy` (classes) or `mae` (values).
    pub fn evaluate(&self, data: &Dataset, batch_size: usize) -> Result<Metrics, BurnError> {
        let mut metrics = Metrics::new();
        self.evaluate_into(data, batch_size, "", &mut metrics)?;
        Ok(metrics)
    }

    /// [`evaluate`](Self::evaluate) into `out`, each name after `prefix` (`val_`).
    pub(crate) fn evaluate_into(
        &self,
        data: &Dataset,
        batch_size: usize,
        prefix: &str,
        out: &mut Metrics,
    ) -> Result<(), BurnError> {
        if batch_size == 0 {
            return Err(crate::model::FitError::ZeroBatch.into());
        }
        let module = self.module.valid();
        let device = D::device();
        let mut totals = Totals::default();
        for batch in Loader::new(data).batches(batch_size, None, &device).iter() {
            let batch = batch.map_err(|e| BurnError::Data(e.to_string()))?;
            let outputs = module.forward(batch.inputs.clone());
            let (loss, score) = batch_loss(outputs, &batch)?;
            totals.add(scalar(loss), score, batch.targets.len());
        }
        totals.metrics(is_classification(data), prefix, out);
        Ok(())
    }
}

/// Whether a data set is labelled with classes (accuracy) rather than values (mae).
pub(crate) fn is_classification(data: &Dataset) -> bool {
    matches!(data.targets(), Targets::Classes { .. })
}

/// burn's loss of one batch (cross-entropy on classes, mean squared error on values), and
/// the batch's correct predictions or summed absolute error per output.
pub(crate) fn batch_loss(outputs: Tensor<2>, batch: &Batch) -> Result<(Tensor<1>, f64), BurnError> {
    let [n, width] = outputs.dims();
    let device = outputs.device();
    match &batch.targets {
        BatchTargets::Classes { tensor, labels } => {
            let found = host(outputs.clone().detach())?;
            let classes_needed = labels.iter().max().map_or(0, |&m| m + 1);
            if width < classes_needed {
                return Err(BurnError::OutputWidth {
                    expected: classes_needed,
                    found: width,
                });
            }
            let correct = labels
                .iter()
                .zip(found.chunks_exact(width))
                .filter(|(&l, row)| argmax(row) == Some(l))
                .count();
            let loss = CrossEntropyLoss::new(None, &device).forward(outputs, tensor.clone());
            Ok((loss, correct as f64))
        }
        BatchTargets::Values { tensor, values } => {
            let [_, expected] = tensor.dims();
            if width != expected {
                return Err(BurnError::OutputWidth {
                    expected,
                    found: width,
                });
            }
            let found = host(outputs.clone().detach())?;
            let error: f64 = values
                .iter()
                .zip(&found)
                .map(|(&t, &y)| f64::from((y - t).abs()))
                .sum();
            let loss = MseLoss::new().forward(outputs, tensor.clone(), Reduction::Mean);
            debug_assert_eq!(n * width, found.len());
            Ok((loss, error / width as f64))
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
