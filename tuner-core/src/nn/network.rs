//! `Network`: a built model, its optimizer state and its own seeded device.

use super::error::NnError;
use super::modules::{Net, Width};
use super::optimizer::Optimizer;
use super::spec::{Loss, NetSpec};
use crate::data::{Dataset, Targets};
use crate::model::{Callback, Control, EpochMetrics, Fit, History};
use crate::trial::Metrics;
use dfdx::losses::{cross_entropy_with_logits_loss, huber_loss, mae_loss, mse_loss};
use dfdx::nn::tensor_collection::{
    RecursiveWalker, TensorCollection, TensorOptions, TensorVisitor, ViewTensorMut,
};
use dfdx::nn::{Module, ModuleMut, NumParams, ZeroGrads};
use dfdx::optim::{AdamConfig, Momentum, RMSpropConfig, SgdConfig, WeightDecay};
use dfdx::prelude::{
    AsArray, Backward, Cpu, CpuError, Gradients, Shape, Tape, Tensor, TensorFromVec, Trace,
};
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::fmt;
use std::time::Instant;

pub(crate) type Model = Net<f32, Cpu>;

/// dfdx's optimizer state (moments keyed by tensor id).
enum OptState {
    Adam(Box<dfdx::optim::Adam<Model, f32, Cpu>>),
    Sgd(Box<dfdx::optim::Sgd<Model, f32, Cpu>>),
    RmsProp(Box<KerasRmsProp>),
}

/// RMSprop as Keras runs it: dfdx's kernel, but the squared-gradient average starts at 0
/// (dfdx's own `RMSprop` starts it at 1, as TensorFlow 1 did, which shrinks the first
/// hundred steps by orders of magnitude).
struct KerasRmsProp {
    cfg: RMSpropConfig,
    momentum: Gradients<f32, Cpu>,
    square_avg: Gradients<f32, Cpu>,
    grad_avg: Gradients<f32, Cpu>,
}

/// One RMSprop update over every parameter.
struct RmsStep<'a> {
    state: &'a mut KerasRmsProp,
    grads: &'a mut Gradients<f32, Cpu>,
}

impl TensorVisitor<f32, Cpu> for RmsStep<'_> {
    type Viewer = ViewTensorMut;
    type Err = CpuError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Cpu>,
        p: &mut Tensor<S, f32, Cpu>,
    ) -> Result<Option<Tensor<S, f32, Cpu>>, CpuError> {
        if opts.do_gradient_update {
            let g = self.grads.get_or_alloc_mut(p)?;
            let m = self.state.momentum.get_or_alloc_mut(p)?;
            let sa = self.state.square_avg.get_or_alloc_mut(p)?;
            let ga = self.state.grad_avg.get_or_alloc_mut(p)?;
            self.state.cfg.try_update(p, m, sa, ga, g)?;
        }
        Ok(None)
    }
}

// SAFETY: dfdx's optimizers are `!Send` only through a `PhantomData<*const M>` marker naming
// the model type; what they hold (their config, a step counter and `Gradients` of moment
// buffers) is `Send`, which `_send_parts` checks at compile time.
unsafe impl Send for OptState {}

#[allow(dead_code)]
fn _send_parts() {
    fn send<T: Send>() {}
    send::<Gradients<f32, Cpu>>();
    send::<(AdamConfig, SgdConfig, RMSpropConfig, usize)>();
    send::<Model>();
}

fn decay(wd: f64) -> Option<WeightDecay> {
    (wd > 0.0).then_some(WeightDecay::Decoupled(wd))
}

impl OptState {
    fn new(opt: &Optimizer, model: &Model) -> Self {
        match opt {
            Optimizer::Adam(a) => OptState::Adam(Box::new(dfdx::optim::Adam::new(
                model,
                AdamConfig {
                    lr: a.learning_rate,
                    betas: [a.beta_1, a.beta_2],
                    eps: a.epsilon,
                    weight_decay: decay(a.weight_decay),
                },
            ))),
            Optimizer::Sgd(s) => OptState::Sgd(Box::new(dfdx::optim::Sgd::new(
                model,
                SgdConfig {
                    lr: s.learning_rate,
                    momentum: match (s.momentum > 0.0, s.nesterov) {
                        (false, _) => None,
                        (true, false) => Some(Momentum::Classic(s.momentum)),
                        (true, true) => Some(Momentum::Nesterov(s.momentum)),
                    },
                    weight_decay: decay(s.weight_decay),
                },
            ))),
            Optimizer::RmsProp(r) => OptState::RmsProp(Box::new(KerasRmsProp {
                cfg: RMSpropConfig {
                    lr: r.learning_rate,
                    alpha: r.rho,
                    eps: r.epsilon,
                    momentum: (r.momentum > 0.0).then_some(r.momentum),
                    centered: r.centered,
                    weight_decay: decay(r.weight_decay),
                },
                momentum: Gradients::leaky(),
                square_avg: Gradients::leaky(),
                grad_avg: Gradients::leaky(),
            })),
        }
    }

    fn update(
        &mut self,
        model: &mut Model,
        grads: &mut Gradients<f32, Cpu>,
    ) -> Result<(), NnError> {
        use dfdx::optim::Optimizer as _;
        match self {
            OptState::Adam(o) => o.update(model, grads).map_err(NnError::device),
            OptState::Sgd(o) => o.update(model, grads).map_err(NnError::device),
            OptState::RmsProp(o) => Model::iter_tensors(&mut RecursiveWalker {
                m: model,
                f: &mut RmsStep { state: o, grads },
            })
            .map(|_| ())
            .map_err(NnError::device),
        }
    }
}

/// Where one batch's targets come from.
#[derive(Clone, Copy)]
enum BatchTargets<'a> {
    Classes(&'a [usize]),
    Values(&'a [f32]),
}

impl BatchTargets<'_> {
    /// Targets as a dense `n x width` matrix (one-hot for classes).
    fn dense(&self, width: usize) -> Vec<f32> {
        match self {
            BatchTargets::Classes(labels) => {
                let mut v = vec![0.0; labels.len() * width];
                for (i, &l) in labels.iter().enumerate() {
                    v[i * width + l] = 1.0;
                }
                v
            }
            BatchTargets::Values(v) => v.to_vec(),
        }
    }

    /// Correct predictions (classes) or the summed absolute error per output (values).
    fn score(&self, outputs: &[f32], width: usize) -> f64 {
        match self {
            BatchTargets::Classes(labels) => labels
                .iter()
                .zip(outputs.chunks_exact(width))
                .filter(|(&l, row)| argmax(row) == Some(l))
                .count() as f64,
            BatchTargets::Values(v) => {
                let sum: f64 = v
                    .iter()
                    .zip(outputs)
                    .map(|(&t, &y)| f64::from((y - t).abs()))
                    .sum();
                sum / width as f64
            }
        }
    }
}

/// Index of the largest value; `None` if a NaN is present (a NaN prediction is never right).
fn argmax(row: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in row.iter().enumerate() {
        if v.is_nan() {
            return None;
        }
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// Running sums over an epoch or an evaluation.
#[derive(Default)]
struct Totals {
    loss: f64,
    score: f64,
    samples: usize,
}

impl Totals {
    fn add(&mut self, loss: f64, score: f64, n: usize) {
        self.loss += loss * n as f64;
        self.score += score;
        self.samples += n;
    }

    fn metrics(&self, classification: bool, prefix: &str, out: &mut Metrics) {
        let n = self.samples.max(1) as f64;
        out.insert(format!("{prefix}loss"), self.loss / n);
        let name = if classification { "accuracy" } else { "mae" };
        out.insert(format!("{prefix}{name}"), self.score / n);
    }
}

/// Mixes the fit seed and the epoch so each epoch's order is reproducible on its own
/// (a continued run shuffles epoch 3 exactly as an uninterrupted one).
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    let mut z = seed
        ^ (epoch as u64)
            .wrapping_add(1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

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
    opt: OptState,
    grads: Option<Gradients<f32, Cpu>>,
    pub(crate) epochs_completed: usize,
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
        let opt = OptState::new(&spec.optimizer, &model);
        Ok(Network {
            spec: spec.clone(),
            seed,
            device,
            model,
            opt,
            grads: None,
            epochs_completed: 0,
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

    fn batch_targets<'a>(
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

    fn loss<T: Tape<f32, Cpu>>(
        &self,
        y: Tensor<(usize, Width), f32, Cpu, T>,
        t: Tensor<(usize, Width), f32, Cpu>,
    ) -> Tensor<(), f32, Cpu, T> {
        match self.spec.loss {
            Loss::CrossEntropy => cross_entropy_with_logits_loss(y, t),
            Loss::Mse => mse_loss(y, t),
            Loss::Mae => mae_loss(y, t),
            Loss::Huber(delta) => huber_loss(y, t, delta),
        }
    }

    /// One gradient step on `n` samples; returns the batch's mean loss and score sum.
    fn step(
        &mut self,
        x: Vec<f32>,
        n: usize,
        targets: BatchTargets,
    ) -> Result<(f64, f64), NnError> {
        let (w_in, w_out) = (self.model.input_width(), self.model.output_width());
        let grads = match self.grads.take() {
            Some(g) => g,
            None => self.model.try_alloc_grads().map_err(NnError::device)?,
        };
        let x = self
            .device
            .try_tensor_from_vec(x, (n, Width(w_in)))
            .map_err(NnError::device)?;
        // The mutable forward: batch-norm layers move their running statistics.
        let y = self
            .model
            .try_forward_mut(x.traced(grads))
            .map_err(NnError::device)?;
        let score = targets.score(&y.as_vec(), w_out);
        let t = self
            .device
            .try_tensor_from_vec(targets.dense(w_out), (n, Width(w_out)))
            .map_err(NnError::device)?;
        let loss = self.loss(y, t);
        let loss_value = f64::from(loss.array());
        let mut grads = loss.try_backward().map_err(NnError::device)?;
        self.opt.update(&mut self.model, &mut grads)?;
        self.model
            .try_zero_grads(&mut grads)
            .map_err(NnError::device)?;
        self.grads = Some(grads);
        Ok((loss_value, score))
    }

    /// Trains on all of `batch` as one gradient step (Keras' `train_on_batch`); returns the loss.
    pub fn train_on_batch(&mut self, batch: &Dataset) -> Result<f64, NnError> {
        self.check_data(batch)?;
        if batch.is_empty() {
            return Err(NnError::Fit("cannot train on an empty batch".into()));
        }
        let targets = Self::batch_targets(batch, 0..batch.len(), self.model.output_width());
        self.step(batch.features().to_vec(), batch.len(), targets)
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
        let mut m = Metrics::new();
        self.evaluate_into(data, batch_size, "", &mut m)?;
        Ok(m)
    }

    fn evaluate_into(
        &self,
        data: &Dataset,
        batch_size: usize,
        prefix: &str,
        out: &mut Metrics,
    ) -> Result<(), NnError> {
        self.check_data(data)?;
        if data.is_empty() {
            return Err(NnError::Fit("cannot evaluate on an empty data set".into()));
        }
        if batch_size == 0 {
            return Err(NnError::Fit("batch_size is 0; use at least 1".into()));
        }
        let (w_in, w_out) = (self.model.input_width(), self.model.output_width());
        let mut totals = Totals::default();
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
            let score = targets.score(&y.as_vec(), w_out);
            let t = self
                .device
                .try_tensor_from_vec(targets.dense(w_out), (n, Width(w_out)))
                .map_err(NnError::device)?;
            totals.add(f64::from(self.loss(y, t).array()), score, n);
        }
        totals.metrics(self.spec.loss.is_classification(), prefix, out);
        Ok(())
    }

    /// Outputs for flat feature rows (`features.len()` a multiple of the input width),
    /// row-major, `output width` values per row; logits for classification.
    pub fn predict(&self, features: &[f32]) -> Result<Vec<f32>, NnError> {
        let w_in = self.model.input_width();
        if features.len() % w_in != 0 {
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

    /// Trains for epochs `fit.initial_epoch..fit.epochs` (Keras' `fit`), validating on `val`
    /// or on the `fit.validation_split` tail of `train`. A NaN or infinite loss ends training
    /// after that epoch's metrics are recorded (`History::non_finite_loss`), it never panics.
    pub fn fit(
        &mut self,
        train: &Dataset,
        val: Option<&Dataset>,
        fit: &Fit,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History, NnError> {
        fit.validate()?;
        self.check_data(train)?;
        let split;
        let (train, val) = match (val, fit.validation_split) {
            (Some(v), _) => (train, Some(v)),
            (None, Some(frac)) => {
                let at = (train.len() as f64 * (1.0 - frac)).floor() as usize;
                split = train.split_at(at);
                if split.1.is_empty() {
                    return Err(NnError::Fit(format!(
                        "validation_split {frac} of {} samples leaves no validation sample",
                        train.len()
                    )));
                }
                (&split.0, Some(&split.1))
            }
            (None, None) => (train, None),
        };
        if let Some(v) = val {
            self.check_data(v)?;
        }
        if train.is_empty() {
            return Err(NnError::Fit("the training set is empty".into()));
        }
        let classification = self.spec.loss.is_classification();
        let (w_in, w_out) = (self.model.input_width(), self.model.output_width());
        let mut history = History::default();
        for cb in callbacks.iter_mut() {
            cb.on_train_begin();
        }
        let mut order: Vec<usize> = (0..train.len()).collect();
        for epoch in fit.initial_epoch..fit.epochs {
            let started = Instant::now();
            for cb in callbacks.iter_mut() {
                cb.on_epoch_begin(epoch);
            }
            order.sort_unstable();
            if fit.shuffle {
                order.shuffle(&mut ChaCha8Rng::seed_from_u64(epoch_seed(fit.seed, epoch)));
            }
            let mut totals = Totals::default();
            let mut non_finite = false;
            for (b, idx) in order.chunks(fit.batch_size).enumerate() {
                let mut x = Vec::with_capacity(idx.len() * w_in);
                for &i in idx {
                    x.extend_from_slice(train.row(i));
                }
                let labels: Vec<usize>;
                let values: Vec<f32>;
                let targets = match train.targets() {
                    Targets::Classes { labels: all, .. } => {
                        labels = idx.iter().map(|&i| all[i]).collect();
                        BatchTargets::Classes(&labels)
                    }
                    Targets::Values { values: all, .. } => {
                        values = idx
                            .iter()
                            .flat_map(|&i| &all[i * w_out..(i + 1) * w_out])
                            .copied()
                            .collect();
                        BatchTargets::Values(&values)
                    }
                };
                let (loss, score) = self.step(x, idx.len(), targets)?;
                totals.add(loss, score, idx.len());
                for cb in callbacks.iter_mut() {
                    cb.on_batch_end(b, loss);
                }
                if !loss.is_finite() {
                    non_finite = true;
                    break;
                }
            }
            let mut metrics = Metrics::new();
            totals.metrics(classification, "", &mut metrics);
            if let Some(v) = val {
                self.evaluate_into(v, fit.batch_size.max(256), "val_", &mut metrics)?;
            }
            self.epochs_completed = epoch + 1;
            if fit.verbose {
                let parts: Vec<String> = metrics
                    .iter()
                    .map(|(k, v)| format!("{k}: {v:.4}"))
                    .collect();
                println!(
                    "Epoch {}/{} - {:.1}s - {}",
                    epoch + 1,
                    fit.epochs,
                    started.elapsed().as_secs_f64(),
                    parts.join(" - ")
                );
            }
            let mut stop = false;
            for cb in callbacks.iter_mut() {
                stop |= cb.on_epoch_end(epoch, &metrics) == Control::Stop;
            }
            history.epochs.push(EpochMetrics { epoch, metrics });
            if non_finite {
                history.non_finite_loss = true;
                break;
            }
            if stop {
                history.stopped_early = epoch + 1 < fit.epochs;
                break;
            }
        }
        for cb in callbacks.iter_mut() {
            cb.on_train_end(&history);
        }
        Ok(history)
    }
}
