//! The optimizer's state during training: a step count and per-parameter moment buffers,
//! updated with dfdx's own kernels. dfdx's optimizers keep their moments private, so a
//! checkpoint could not carry them; here every buffer can be read out by parameter name and
//! written back into a freshly built network (a continued run repeats an uninterrupted one).

use super::error::NnError;
use super::network::Model;
use super::optimizer::Optimizer;
use dfdx::nn::tensor_collection::{
    RecursiveWalker, TensorCollection, TensorOptions, TensorVisitor, ViewTensorMut, ViewTensorName,
    ViewTensorRef,
};
use dfdx::optim::{AdamConfig, Momentum, RMSpropConfig, SgdConfig, WeightDecay};
use dfdx::prelude::{Cpu, CpuError, Gradients, HasShape, Shape, Tensor};
use std::collections::HashMap;

/// Which update rule runs, with dfdx's config for it.
#[derive(Clone, Debug)]
enum Rule {
    Adam(AdamConfig),
    Sgd(SgdConfig),
    /// Keras' RMSprop: dfdx's kernel, but the squared-gradient average starts at 0 (dfdx's
    /// own `RMSprop` starts it at 1, as TensorFlow 1 did, which shrinks the first hundred
    /// steps by orders of magnitude).
    RmsProp(RMSpropConfig),
}

impl Rule {
    /// The names of the per-parameter buffers the rule keeps, in kernel argument order.
    fn slots(&self) -> &'static [&'static str] {
        match self {
            Rule::Adam(_) => &["moment1", "moment2"],
            Rule::Sgd(_) => &["velocity"],
            Rule::RmsProp(_) => &["momentum", "square_avg", "grad_avg"],
        }
    }
}

/// A step count and the moment buffers of every trainable parameter (absent = zeros).
#[derive(Clone)]
pub(crate) struct OptState {
    rule: Rule,
    steps: i32,
    slots: Vec<Gradients<f32, Cpu>>,
}

fn decay(wd: f64) -> Option<WeightDecay> {
    (wd > 0.0).then_some(WeightDecay::Decoupled(wd))
}

/// The optimizer's tensors in a checkpoint: `optimizer.<slot>.<parameter name>`.
pub(crate) const PREFIX: &str = "optimizer.";

impl OptState {
    /// A fresh state (step 0, zero moments) for the optimizer `opt`.
    pub(crate) fn new(opt: &Optimizer) -> Self {
        let rule = match opt {
            Optimizer::Adam(a) => Rule::Adam(AdamConfig {
                lr: a.learning_rate,
                betas: [a.beta_1, a.beta_2],
                eps: a.epsilon,
                weight_decay: decay(a.weight_decay),
            }),
            Optimizer::Sgd(s) => Rule::Sgd(SgdConfig {
                lr: s.learning_rate,
                momentum: match (s.momentum > 0.0, s.nesterov) {
                    (false, _) => None,
                    (true, false) => Some(Momentum::Classic(s.momentum)),
                    (true, true) => Some(Momentum::Nesterov(s.momentum)),
                },
                weight_decay: decay(s.weight_decay),
            }),
            Optimizer::RmsProp(r) => Rule::RmsProp(RMSpropConfig {
                lr: r.learning_rate,
                alpha: r.rho,
                eps: r.epsilon,
                momentum: (r.momentum > 0.0).then_some(r.momentum),
                centered: r.centered,
                weight_decay: decay(r.weight_decay),
            }),
        };
        let slots = rule.slots().iter().map(|_| Gradients::leaky()).collect();
        Self {
            rule,
            steps: 0,
            slots,
        }
    }

    /// The learning rate the next update uses.
    pub(crate) fn learning_rate(&self) -> f64 {
        match &self.rule {
            Rule::Adam(c) => c.lr,
            Rule::Sgd(c) => c.lr,
            Rule::RmsProp(c) => c.lr,
        }
    }

    /// Sets the learning rate of the next updates (a schedule's new rate).
    pub(crate) fn set_learning_rate(&mut self, lr: f64) {
        match &mut self.rule {
            Rule::Adam(c) => c.lr = lr,
            Rule::Sgd(c) => c.lr = lr,
            Rule::RmsProp(c) => c.lr = lr,
        }
    }

    /// Updates taken so far (Adam's bias correction counts them).
    pub(crate) fn steps(&self) -> i32 {
        self.steps
    }

    /// One update of every trainable parameter of `model` from `grads`.
    pub(crate) fn update(
        &mut self,
        model: &mut Model,
        grads: &mut Gradients<f32, Cpu>,
    ) -> Result<(), NnError> {
        self.steps = self
            .steps
            .checked_add(1)
            .ok_or_else(|| NnError::Fit("the optimizer's step count overflowed".into()))?;
        Model::iter_tensors(&mut RecursiveWalker {
            m: model,
            f: &mut Step { state: self, grads },
        })
        .map(|_| ())
        .map_err(NnError::device)
    }

    /// Every buffer as `(tensor name, shape, values)`, zeros for the ones not yet allocated.
    pub(crate) fn export(&self, model: &Model) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        let mut copy = self.clone();
        let mut out = Export {
            state: &mut copy,
            tensors: Vec::new(),
        };
        // Allocating zeros on the CPU is the only failure, and it aborts rather than returning.
        let _ = Model::iter_tensors(&mut RecursiveWalker {
            m: (model, String::new()),
            f: &mut out,
        });
        out.tensors
    }

    /// Replaces the state by `steps` and the buffers in `tensors` (by name, as `export`
    /// writes them), after checking that every one the model needs is there with its shape.
    pub(crate) fn import(
        &mut self,
        model: &Model,
        steps: i32,
        tensors: &HashMap<String, Vec<f32>>,
    ) -> Result<(), String> {
        let mut fresh = OptState {
            rule: self.rule.clone(),
            steps,
            slots: self
                .rule
                .slots()
                .iter()
                .map(|_| Gradients::leaky())
                .collect(),
        };
        Model::iter_tensors(&mut RecursiveWalker {
            m: (model, String::new()),
            f: &mut Import {
                state: &mut fresh,
                tensors,
            },
        })?;
        *self = fresh;
        Ok(())
    }

    /// The tensor name a buffer is stored under.
    fn key(&self, slot: usize, name: &str) -> String {
        format!("{PREFIX}{}.{name}", self.rule.slots()[slot])
    }
}

/// One update over every parameter.
struct Step<'a> {
    state: &'a mut OptState,
    grads: &'a mut Gradients<f32, Cpu>,
}

impl TensorVisitor<f32, Cpu> for Step<'_> {
    type Viewer = ViewTensorMut;
    type Err = CpuError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Cpu>,
        p: &mut Tensor<S, f32, Cpu>,
    ) -> Result<Option<Tensor<S, f32, Cpu>>, CpuError> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        let g = self.grads.get_or_alloc_mut(p)?;
        let OptState { rule, steps, slots } = &mut *self.state;
        match (rule, slots.as_mut_slice()) {
            (Rule::Adam(cfg), [m1, m2]) => {
                let (m1, m2) = (m1.get_or_alloc_mut(p)?, m2.get_or_alloc_mut(p)?);
                cfg.try_update(*steps, p, m1, m2, g)?;
            }
            (Rule::Sgd(cfg), [v]) => cfg.try_update(p, v.get_or_alloc_mut(p)?, g)?,
            (Rule::RmsProp(cfg), [m, sa, ga]) => {
                let m = m.get_or_alloc_mut(p)?;
                let sa = sa.get_or_alloc_mut(p)?;
                let ga = ga.get_or_alloc_mut(p)?;
                cfg.try_update(p, m, sa, ga, g)?;
            }
            _ => unreachable!("OptState::new allocates one buffer per slot of its rule"),
        }
        Ok(None)
    }
}

/// Reads every buffer out.
struct Export<'a> {
    state: &'a mut OptState,
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
}

impl TensorVisitor<f32, Cpu> for Export<'_> {
    type Viewer = (ViewTensorRef, ViewTensorName);
    type Err = CpuError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Cpu>,
        (p, name): (&Tensor<S, f32, Cpu>, String),
    ) -> Result<Option<Tensor<S, f32, Cpu>>, CpuError> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        let shape: Vec<usize> = p.shape().concrete().into();
        for slot in 0..self.state.slots.len() {
            let key = self.state.key(slot, &name);
            let values = self.state.slots[slot].get_or_alloc_mut(p)?.to_vec();
            self.tensors.push((key, shape.clone(), values));
        }
        Ok(None)
    }
}

/// Writes every buffer back.
struct Import<'a> {
    state: &'a mut OptState,
    tensors: &'a HashMap<String, Vec<f32>>,
}

impl TensorVisitor<f32, Cpu> for Import<'_> {
    type Viewer = (ViewTensorRef, ViewTensorName);
    type Err = String;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Cpu>,
        (p, name): (&Tensor<S, f32, Cpu>, String),
    ) -> Result<Option<Tensor<S, f32, Cpu>>, String> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        for slot in 0..self.state.slots.len() {
            let key = self.state.key(slot, &name);
            let values = self
                .tensors
                .get(&key)
                .ok_or_else(|| format!("optimizer tensor {key:?} is missing"))?;
            let buf = self.state.slots[slot]
                .get_or_alloc_mut(p)
                .map_err(|e| format!("cannot allocate {key:?}: {e}"))?;
            if buf.len() != values.len() {
                return Err(format!(
                    "optimizer tensor {key:?} has {} values, the model needs {}",
                    values.len(),
                    buf.len()
                ));
            }
            buf.copy_from_slice(values);
        }
        Ok(None)
    }
}
