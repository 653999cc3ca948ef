//! A run-time-length list of run-time-width layers: the dfdx network a `NetSpec` builds.

use super::{Dense, Dropout, LayerNorm, Width};
use crate::nn::error::NnError;
use crate::nn::spec::{Activation, LayerSpec, NetSpec};
use dfdx::nn::{Module, ModuleVisitor, TensorCollection};
use dfdx::prelude::{Dim, Dtype, Storage, Tape, Tensor};
use dfdx::tensor_ops::Device;
use num_traits::Float;
use rand_distr::uniform::SampleUniform;
use std::cell::RefCell;

/// One layer of a [`Net`].
#[derive(Clone, Debug)]
pub enum Layer<E: Dtype, D: Storage<E>> {
    /// Fully connected.
    Dense(Dense<E, D>),
    /// Layer normalisation.
    LayerNorm(LayerNorm<E, D>),
    /// Element-wise activation.
    Activation(Activation),
    /// Dropout (training only).
    Dropout(Dropout),
    /// Flatten or reshape to this per-sample shape: samples are stored flat, so only the
    /// logical shape changes and the layer costs nothing.
    Reshape(Vec<usize>),
}

impl<E: Dtype, D: Storage<E>> Layer<E, D> {
    fn kind(&self) -> &'static str {
        match self {
            Layer::Dense(_) => "dense",
            Layer::LayerNorm(_) => "layer_norm",
            Layer::Activation(_) => "activation",
            Layer::Dropout(_) => "dropout",
            Layer::Reshape(_) => "reshape",
        }
    }

    fn dense(&self) -> &Dense<E, D> {
        match self {
            Layer::Dense(d) => d,
            other => panic!(
                "net layout changed during a visit: expected dense, found {}",
                other.kind()
            ),
        }
    }

    fn dense_mut(&mut self) -> &mut Dense<E, D> {
        match self {
            Layer::Dense(d) => d,
            other => panic!(
                "net layout changed during a visit: expected dense, found {}",
                other.kind()
            ),
        }
    }

    fn norm(&self) -> &LayerNorm<E, D> {
        match self {
            Layer::LayerNorm(n) => n,
            other => panic!(
                "net layout changed during a visit: expected layer_norm, found {}",
                other.kind()
            ),
        }
    }

    fn norm_mut(&mut self) -> &mut LayerNorm<E, D> {
        match self {
            Layer::LayerNorm(n) => n,
            other => panic!(
                "net layout changed during a visit: expected layer_norm, found {}",
                other.kind()
            ),
        }
    }
}

/// The zero-sized field visited first: its accessors see the whole `Net`, which is how the
/// static `iter_tensors` learns the run-time layout.
#[derive(Clone, Copy, Debug, Default)]
pub struct Probe;

impl<E: Dtype, D: Device<E>> TensorCollection<E, D> for Probe {
    type To<E2: Dtype, D2: Device<E2>> = Probe;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields((), |()| Probe)
    }
}

/// A layer without its tensors: what a rebuilt `Net` needs besides the visited tensors.
#[derive(Clone, Debug)]
enum Slot {
    Dense,
    Norm,
    Activation(Activation),
    Dropout(Dropout),
    Reshape(Vec<usize>),
}

#[derive(Clone, Debug)]
struct Skeleton {
    input_width: usize,
    slots: Vec<Slot>,
}

impl Skeleton {
    fn of<E: Dtype, D: Storage<E>>(net: &Net<E, D>) -> Self {
        let slots = net
            .layers
            .iter()
            .map(|l| match l {
                Layer::Dense(_) => Slot::Dense,
                Layer::LayerNorm(_) => Slot::Norm,
                Layer::Activation(a) => Slot::Activation(*a),
                Layer::Dropout(d) => Slot::Dropout(*d),
                Layer::Reshape(s) => Slot::Reshape(s.clone()),
            })
            .collect();
        Skeleton {
            input_width: net.input_width,
            slots,
        }
    }

    fn assemble<E: Dtype, D: Storage<E>>(
        self,
        dense: Vec<Dense<E, D>>,
        norms: Vec<LayerNorm<E, D>>,
    ) -> Net<E, D> {
        let (mut dense, mut norms) = (dense.into_iter(), norms.into_iter());
        let layers = self
            .slots
            .into_iter()
            .map(|s| match s {
                Slot::Dense => Layer::Dense(dense.next().expect("one dense per dense slot")),
                Slot::Norm => Layer::LayerNorm(norms.next().expect("one norm per norm slot")),
                Slot::Activation(a) => Layer::Activation(a),
                Slot::Dropout(d) => Layer::Dropout(d),
                Slot::Reshape(s) => Layer::Reshape(s),
            })
            .collect();
        Net {
            layers,
            input_width: self.input_width,
            probe: Probe,
        }
    }
}

/// A network of run-time-width layers. Tensors are named by layer index: `"0.weight"`,
/// `"0.bias"`, `"3.gamma"`, ... (the spec's layer positions).
#[derive(Clone, Debug)]
pub struct Net<E: Dtype, D: Storage<E>> {
    layers: Vec<Layer<E, D>>,
    input_width: usize,
    probe: Probe,
}

impl<E: Dtype, D: Storage<E>> Net<E, D> {
    /// The layers, in order.
    pub fn layers(&self) -> &[Layer<E, D>] {
        &self.layers
    }

    /// Values per input sample.
    pub fn input_width(&self) -> usize {
        self.input_width
    }

    /// Values per output sample.
    pub fn output_width(&self) -> usize {
        self.layers.iter().fold(self.input_width, |w, l| match l {
            Layer::Dense(d) => d.units(),
            Layer::Reshape(s) => s.iter().product(),
            _ => w,
        })
    }

    /// `Ok` if samples of `width` values fit; the error names both widths.
    pub fn check_input(&self, width: usize) -> Result<(), NnError> {
        if width == self.input_width {
            Ok(())
        } else {
            Err(NnError::InputWidth {
                expected: self.input_width,
                found: width,
            })
        }
    }
}

impl<E, D> TensorCollection<E, D> for Net<E, D>
where
    E: Dtype + Float + SampleUniform,
    D: Device<E>,
{
    type To<E2: Dtype, D2: Device<E2>> = Net<E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        let layout: RefCell<Option<Skeleton>> = RefCell::new(None);
        let record = |net: &Self| {
            let mut l = layout.borrow_mut();
            if l.is_none() {
                *l = Some(Skeleton::of(net));
            }
        };
        visitor.visit_module(
            "",
            |s| {
                record(s);
                &s.probe
            },
            |s| {
                record(s);
                &mut s.probe
            },
        )?;
        let skeleton = layout.into_inner().expect(
            "a tuner Net has run-time widths that dfdx's BuildModule cannot know; build it with NetSpec::build",
        );
        let names: Vec<String> = (0..skeleton.slots.len()).map(|i| i.to_string()).collect();
        let of_kind = |want: fn(&Slot) -> bool| -> Vec<usize> {
            skeleton
                .slots
                .iter()
                .enumerate()
                .filter(|(_, s)| want(s))
                .map(|(i, _)| i)
                .collect()
        };
        let dense_at = of_kind(|s| matches!(s, Slot::Dense));
        let norm_at = of_kind(|s| matches!(s, Slot::Norm));
        let dense: Vec<_> = dense_at
            .iter()
            .map(|&i| {
                Self::module(
                    &names[i],
                    move |s| s.layers[i].dense(),
                    move |s| s.layers[i].dense_mut(),
                )
            })
            .collect();
        let norms: Vec<_> = norm_at
            .iter()
            .map(|&i| {
                Self::module(
                    &names[i],
                    move |s| s.layers[i].norm(),
                    move |s| s.layers[i].norm_mut(),
                )
            })
            .collect();
        visitor.visit_fields((dense, norms), move |(dense, norms)| {
            skeleton.assemble(dense, norms)
        })
    }
}

impl<B: Dim, E: Dtype, D: Device<E>, T: Tape<E, D>> Module<Tensor<(B, Width), E, D, T>>
    for Net<E, D>
{
    type Output = Tensor<(B, Width), E, D, T>;
    type Error = D::Err;

    /// Panics on a wrong input width (dfdx asserts); check with [`Net::check_input`] first.
    fn try_forward(&self, mut x: Tensor<(B, Width), E, D, T>) -> Result<Self::Output, D::Err> {
        for layer in &self.layers {
            x = match layer {
                Layer::Dense(d) => d.try_forward(x)?,
                Layer::LayerNorm(n) => n.try_forward(x)?,
                Layer::Activation(a) => a.try_forward(x)?,
                Layer::Dropout(d) => d.try_forward(x)?,
                Layer::Reshape(_) => x,
            };
        }
        Ok(x)
    }
}

impl NetSpec {
    /// Builds the dfdx network after validating the spec; weights come from the device's
    /// rng, so seed the device (`Cpu::seed_from_u64`) for reproducible weights.
    pub fn build<E, D>(&self, device: &D) -> Result<Net<E, D>, NnError>
    where
        E: Dtype + Float + SampleUniform,
        D: Device<E>,
    {
        self.validate()?;
        let mut width = self.input_width();
        let mut layers = Vec::with_capacity(self.layers.len());
        for spec in &self.layers {
            let layer = match spec {
                LayerSpec::Dense { units } => {
                    let d = Dense::try_new(device, width, *units).map_err(NnError::device)?;
                    width = *units;
                    Layer::Dense(d)
                }
                LayerSpec::LayerNorm { epsilon } => Layer::LayerNorm(
                    LayerNorm::try_new(device, width, *epsilon).map_err(NnError::device)?,
                ),
                LayerSpec::Activation { activation } => Layer::Activation(*activation),
                LayerSpec::Dropout { rate } => Layer::Dropout(Dropout { rate: *rate }),
                LayerSpec::Flatten => Layer::Reshape(vec![width]),
                LayerSpec::Reshape { shape } => Layer::Reshape(shape.clone()),
            };
            layers.push(layer);
        }
        Ok(Net {
            layers,
            input_width: self.input_width(),
            probe: Probe,
        })
    }
}
