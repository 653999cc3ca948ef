//! A run-time-length list of run-time-size layers: the dfdx network a `NetSpec` builds.

use super::{
    AvgPool2d, BatchNorm2d, Conv2d, Dense, Dropout, GlobalAvgPool2d, GlobalMaxPool2d, LayerNorm,
    MaxPool2d, Normalize, RandomContrast, RandomFlip, RandomTranslation, Residual, Window,
};
use crate::nn::error::NnError;
use crate::nn::spec::{layer_output, shortcut, Activation, LayerSpec, NetSpec, Shortcut};
use dfdx::nn::{ModuleVisitor, TensorCollection};
use dfdx::prelude::{Dtype, Storage};
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
    /// Input normalisation with adapted statistics.
    Normalize(Normalize),
    /// Element-wise activation.
    Activation(Activation),
    /// Dropout (training only).
    Dropout(Dropout),
    /// Flatten or reshape to this per-sample shape: samples are stored flat, so only the
    /// logical shape changes and the layer costs nothing.
    Reshape(Vec<usize>),
    /// 2-D convolution.
    Conv2d(Conv2d<E, D>),
    /// Batch normalisation per channel.
    BatchNorm2d(BatchNorm2d<E, D>),
    /// Windowed max pooling.
    MaxPool2d(MaxPool2d),
    /// Windowed average pooling.
    AvgPool2d(AvgPool2d),
    /// Mean per channel.
    GlobalAvgPool2d(GlobalAvgPool2d),
    /// Maximum per channel.
    GlobalMaxPool2d(GlobalMaxPool2d),
    /// A residual block.
    Residual(Box<Residual<E, D>>),
    /// Random flips (training only).
    RandomFlip(RandomFlip),
    /// Random shifts (training only).
    RandomTranslation(RandomTranslation),
    /// Random contrast (training only).
    RandomContrast(RandomContrast),
}

/// `fn name(&self) -> &T` / `fn name_mut(&mut self) -> &mut T` for one tensor-holding kind,
/// used by the visit accessors (a mismatch means the layout changed mid-visit: a bug).
macro_rules! accessors {
    ($get:ident, $get_mut:ident, $variant:ident, $ty:ty) => {
        fn $get(&self) -> &$ty {
            match self {
                Layer::$variant(l) => l,
                other => panic!(
                    "net layout changed during a visit: expected {}, found {}",
                    stringify!($variant),
                    other.kind()
                ),
            }
        }

        fn $get_mut(&mut self) -> &mut $ty {
            match self {
                Layer::$variant(l) => l,
                other => panic!(
                    "net layout changed during a visit: expected {}, found {}",
                    stringify!($variant),
                    other.kind()
                ),
            }
        }
    };
}

impl<E: Dtype, D: Storage<E>> Layer<E, D> {
    fn kind(&self) -> &'static str {
        match self {
            Layer::Dense(_) => "dense",
            Layer::LayerNorm(_) => "layer_norm",
            Layer::Normalize(_) => "normalize",
            Layer::Activation(_) => "activation",
            Layer::Dropout(_) => "dropout",
            Layer::Reshape(_) => "reshape",
            Layer::Conv2d(_) => "conv2d",
            Layer::BatchNorm2d(_) => "batch_norm2d",
            Layer::MaxPool2d(_) => "max_pool2d",
            Layer::AvgPool2d(_) => "avg_pool2d",
            Layer::GlobalAvgPool2d(_) => "global_avg_pool2d",
            Layer::GlobalMaxPool2d(_) => "global_max_pool2d",
            Layer::Residual(_) => "residual",
            Layer::RandomFlip(_) => "random_flip",
            Layer::RandomTranslation(_) => "random_translation",
            Layer::RandomContrast(_) => "random_contrast",
        }
    }

    accessors!(dense, dense_mut, Dense, Dense<E, D>);
    accessors!(norm, norm_mut, LayerNorm, LayerNorm<E, D>);
    accessors!(conv, conv_mut, Conv2d, Conv2d<E, D>);
    accessors!(batch_norm, batch_norm_mut, BatchNorm2d, BatchNorm2d<E, D>);
    accessors!(residual, residual_mut, Residual, Box<Residual<E, D>>);
}

/// The zero-sized field visited first: its accessors see the whole module, which is how a
/// static `iter_tensors` learns a run-time layout or setting.
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

/// A layer without tensors: copied as is into a rebuilt `Net`.
#[derive(Clone, Debug)]
enum Fixed {
    Normalize(Normalize),
    Activation(Activation),
    Dropout(Dropout),
    Reshape(Vec<usize>),
    MaxPool2d(MaxPool2d),
    AvgPool2d(AvgPool2d),
    GlobalAvgPool2d(GlobalAvgPool2d),
    GlobalMaxPool2d(GlobalMaxPool2d),
    RandomFlip(RandomFlip),
    RandomTranslation(RandomTranslation),
    RandomContrast(RandomContrast),
}

impl Fixed {
    fn into_layer<E: Dtype, D: Storage<E>>(self) -> Layer<E, D> {
        match self {
            Fixed::Normalize(n) => Layer::Normalize(n),
            Fixed::Activation(a) => Layer::Activation(a),
            Fixed::Dropout(d) => Layer::Dropout(d),
            Fixed::Reshape(s) => Layer::Reshape(s),
            Fixed::MaxPool2d(p) => Layer::MaxPool2d(p),
            Fixed::AvgPool2d(p) => Layer::AvgPool2d(p),
            Fixed::GlobalAvgPool2d(p) => Layer::GlobalAvgPool2d(p),
            Fixed::GlobalMaxPool2d(p) => Layer::GlobalMaxPool2d(p),
            Fixed::RandomFlip(a) => Layer::RandomFlip(a),
            Fixed::RandomTranslation(a) => Layer::RandomTranslation(a),
            Fixed::RandomContrast(a) => Layer::RandomContrast(a),
        }
    }
}

/// A layer without its tensors: what a rebuilt `Net` needs besides the visited modules.
#[derive(Clone, Debug)]
enum Slot {
    Dense,
    Norm,
    Conv,
    BatchNorm,
    Residual,
    Fixed(Fixed),
}

#[derive(Clone, Debug)]
struct Skeleton {
    input_width: usize,
    output_width: usize,
    slots: Vec<Slot>,
}

/// The visited modules of a `Net`, by kind, in layer order.
type Parts<E, D> = (
    Vec<Dense<E, D>>,
    Vec<LayerNorm<E, D>>,
    Vec<Conv2d<E, D>>,
    Vec<BatchNorm2d<E, D>>,
    Vec<Residual<E, D>>,
);

impl Skeleton {
    fn of<E: Dtype, D: Storage<E>>(net: &Net<E, D>) -> Self {
        let slots = net
            .layers
            .iter()
            .map(|l| match l {
                Layer::Dense(_) => Slot::Dense,
                Layer::LayerNorm(_) => Slot::Norm,
                Layer::Conv2d(_) => Slot::Conv,
                Layer::BatchNorm2d(_) => Slot::BatchNorm,
                Layer::Residual(_) => Slot::Residual,
                Layer::Normalize(n) => Slot::Fixed(Fixed::Normalize(n.clone())),
                Layer::Activation(a) => Slot::Fixed(Fixed::Activation(*a)),
                Layer::Dropout(d) => Slot::Fixed(Fixed::Dropout(*d)),
                Layer::Reshape(s) => Slot::Fixed(Fixed::Reshape(s.clone())),
                Layer::MaxPool2d(p) => Slot::Fixed(Fixed::MaxPool2d(*p)),
                Layer::AvgPool2d(p) => Slot::Fixed(Fixed::AvgPool2d(*p)),
                Layer::GlobalAvgPool2d(p) => Slot::Fixed(Fixed::GlobalAvgPool2d(*p)),
                Layer::GlobalMaxPool2d(p) => Slot::Fixed(Fixed::GlobalMaxPool2d(*p)),
                Layer::RandomFlip(a) => Slot::Fixed(Fixed::RandomFlip(*a)),
                Layer::RandomTranslation(a) => Slot::Fixed(Fixed::RandomTranslation(*a)),
                Layer::RandomContrast(a) => Slot::Fixed(Fixed::RandomContrast(*a)),
            })
            .collect();
        Skeleton {
            input_width: net.input_width,
            output_width: net.output_width,
            slots,
        }
    }

    fn at(&self, want: fn(&Slot) -> bool) -> Vec<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| want(s))
            .map(|(i, _)| i)
            .collect()
    }

    fn assemble<E: Dtype, D: Storage<E>>(self, parts: Parts<E, D>) -> Net<E, D> {
        let (dense, norms, convs, bns, residuals) = parts;
        let (mut dense, mut norms, mut convs, mut bns, mut residuals) = (
            dense.into_iter(),
            norms.into_iter(),
            convs.into_iter(),
            bns.into_iter(),
            residuals.into_iter(),
        );
        let missing = "one visited module per tensor-holding slot";
        let layers = self
            .slots
            .into_iter()
            .map(|s| match s {
                Slot::Dense => Layer::Dense(dense.next().expect(missing)),
                Slot::Norm => Layer::LayerNorm(norms.next().expect(missing)),
                Slot::Conv => Layer::Conv2d(convs.next().expect(missing)),
                Slot::BatchNorm => Layer::BatchNorm2d(bns.next().expect(missing)),
                Slot::Residual => Layer::Residual(Box::new(residuals.next().expect(missing))),
                Slot::Fixed(f) => f.into_layer(),
            })
            .collect();
        Net {
            layers,
            input_width: self.input_width,
            output_width: self.output_width,
            probe: Probe,
        }
    }
}

/// A network of run-time-size layers. Tensors are named by layer index: `"0.weight"`,
/// `"0.bias"`, `"3.gamma"`, `"5.branch.0.weight"`, ... (the spec's layer positions).
#[derive(Clone, Debug)]
pub struct Net<E: Dtype, D: Storage<E>> {
    layers: Vec<Layer<E, D>>,
    input_width: usize,
    output_width: usize,
    probe: Probe,
}

impl<E: Dtype, D: Storage<E>> Net<E, D> {
    /// The layers, in order.
    pub fn layers(&self) -> &[Layer<E, D>] {
        &self.layers
    }

    /// The layers, mutably (for the training pass in `forward.rs`).
    pub(super) fn layers_mut(&mut self) -> &mut [Layer<E, D>] {
        &mut self.layers
    }

    /// Values per input sample.
    pub fn input_width(&self) -> usize {
        self.input_width
    }

    /// Replaces layer `index` (a tensor-free one, such as an adapted `Normalize`).
    pub(crate) fn replace_fixed(&mut self, index: usize, layer: Layer<E, D>) {
        self.layers[index] = layer;
    }

    /// Values per output sample.
    pub fn output_width(&self) -> usize {
        self.output_width
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
        let dense: Vec<_> = skeleton
            .at(|s| matches!(s, Slot::Dense))
            .into_iter()
            .map(|i| {
                Self::module(
                    &names[i],
                    move |s| s.layers[i].dense(),
                    move |s| s.layers[i].dense_mut(),
                )
            })
            .collect();
        let norms: Vec<_> = skeleton
            .at(|s| matches!(s, Slot::Norm))
            .into_iter()
            .map(|i| {
                Self::module(
                    &names[i],
                    move |s| s.layers[i].norm(),
                    move |s| s.layers[i].norm_mut(),
                )
            })
            .collect();
        let convs: Vec<_> = skeleton
            .at(|s| matches!(s, Slot::Conv))
            .into_iter()
            .map(|i| {
                Self::module(
                    &names[i],
                    move |s| s.layers[i].conv(),
                    move |s| s.layers[i].conv_mut(),
                )
            })
            .collect();
        let bns: Vec<_> = skeleton
            .at(|s| matches!(s, Slot::BatchNorm))
            .into_iter()
            .map(|i| {
                Self::module(
                    &names[i],
                    move |s| s.layers[i].batch_norm(),
                    move |s| s.layers[i].batch_norm_mut(),
                )
            })
            .collect();
        let residuals: Vec<_> = skeleton
            .at(|s| matches!(s, Slot::Residual))
            .into_iter()
            .map(|i| {
                Self::module(
                    &names[i],
                    move |s| &**s.layers[i].residual(),
                    move |s| &mut **s.layers[i].residual_mut(),
                )
            })
            .collect();
        visitor.visit_fields((dense, norms, convs, bns, residuals), move |parts| {
            skeleton.assemble(parts)
        })
    }
}

/// `[C, H, W]` of a validated image shape.
fn image(shape: &[usize]) -> [usize; 3] {
    match shape {
        [c, h, w] => [*c, *h, *w],
        other => unreachable!("validated specs feed image layers [C, H, W], not {other:?}"),
    }
}

/// Builds `specs` (already validated) for samples of shape `input`.
fn build_layers<E, D>(
    device: &D,
    input: &[usize],
    specs: &[LayerSpec],
) -> Result<Net<E, D>, NnError>
where
    E: Dtype + Float + SampleUniform,
    D: Device<E>,
{
    let mut shape = input.to_vec();
    let mut layers = Vec::with_capacity(specs.len());
    let geometry = |k: usize, s: usize, p, shape: &[usize]| {
        Window::padded(image(shape), k, s, p).map_err(NnError::Device)
    };
    for spec in specs {
        let next = layer_output(spec, &shape).map_err(NnError::Device)?;
        let width: usize = shape.iter().product();
        let layer = match spec {
            LayerSpec::Dense { units } => {
                Layer::Dense(Dense::try_new(device, width, *units).map_err(NnError::device)?)
            }
            LayerSpec::LayerNorm { epsilon } => Layer::LayerNorm(
                LayerNorm::try_new(device, width, *epsilon).map_err(NnError::device)?,
            ),
            LayerSpec::Normalize { stats } => Layer::Normalize(Normalize::new(stats.as_ref())),
            LayerSpec::Activation { activation } => Layer::Activation(*activation),
            LayerSpec::Dropout { rate } => Layer::Dropout(Dropout { rate: *rate }),
            LayerSpec::Flatten | LayerSpec::Reshape { .. } => Layer::Reshape(next.clone()),
            LayerSpec::Conv2d {
                filters,
                kernel,
                stride,
                padding,
            } => {
                let window = geometry(*kernel, *stride, *padding, &shape)?;
                Layer::Conv2d(Conv2d::try_new(device, window, *filters).map_err(NnError::device)?)
            }
            LayerSpec::MaxPool2d {
                pool,
                stride,
                padding,
            } => Layer::MaxPool2d(MaxPool2d {
                window: geometry(*pool, *stride, *padding, &shape)?,
            }),
            LayerSpec::AvgPool2d {
                pool,
                stride,
                padding,
            } => Layer::AvgPool2d(AvgPool2d {
                window: geometry(*pool, *stride, *padding, &shape)?,
            }),
            LayerSpec::GlobalAvgPool2d => Layer::GlobalAvgPool2d(GlobalAvgPool2d {
                input: image(&shape),
            }),
            LayerSpec::GlobalMaxPool2d => Layer::GlobalMaxPool2d(GlobalMaxPool2d {
                input: image(&shape),
            }),
            LayerSpec::BatchNorm2d { momentum, epsilon } => Layer::BatchNorm2d(
                BatchNorm2d::try_new(device, image(&shape), *momentum, *epsilon)
                    .map_err(NnError::device)?,
            ),
            LayerSpec::Residual { layers: body } => {
                let branch = build_layers(device, &shape, body)?;
                let projection = match shortcut(&shape, &next).map_err(NnError::Device)? {
                    Shortcut::Identity => vec![],
                    Shortcut::Conv { filters, stride } => vec![LayerSpec::Conv2d {
                        filters,
                        kernel: 1,
                        stride,
                        padding: crate::nn::spec::Padding::Valid,
                    }],
                    Shortcut::Dense { units } => vec![LayerSpec::Dense { units }],
                };
                let shortcut = build_layers(device, &shape, &projection)?;
                Layer::Residual(Box::new(Residual { branch, shortcut }))
            }
            LayerSpec::RandomFlip { mode } => Layer::RandomFlip(RandomFlip {
                input: image(&shape),
                mode: *mode,
            }),
            LayerSpec::RandomTranslation {
                height_factor,
                width_factor,
            } => Layer::RandomTranslation(RandomTranslation {
                input: image(&shape),
                height_factor: *height_factor,
                width_factor: *width_factor,
            }),
            LayerSpec::RandomContrast { factor } => Layer::RandomContrast(RandomContrast {
                input: image(&shape),
                factor: *factor,
            }),
        };
        layers.push(layer);
        shape = next;
    }
    Ok(Net {
        layers,
        input_width: input.iter().product(),
        output_width: shape.iter().product(),
        probe: Probe,
    })
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
        build_layers(device, &self.input_shape, &self.layers)
    }
}
