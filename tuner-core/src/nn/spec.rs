//! `NetSpec`: a network as plain data (layers, optimizer, loss), built into dfdx on demand.

use super::error::SpecError;
use super::optimizer::Optimizer;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An element-wise activation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `max(0, x)`.
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// Gaussian error linear unit, exact (erf) form as Keras' default.
    Gelu,
    /// `x` for `x >= 0`, `alpha * x` otherwise.
    LeakyRelu(f64),
    /// The identity: logits for a softmax-free cross-entropy.
    Linear,
}

impl Activation {
    /// Keras' name for this activation.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Gelu => "gelu",
            Activation::LeakyRelu(_) => "leaky_relu",
            Activation::Linear => "linear",
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::LeakyRelu(a) => write!(f, "leaky_relu({a})"),
            other => f.write_str(other.name()),
        }
    }
}

impl FromStr for Activation {
    type Err = SpecError;

    /// Parses Keras' names (`"relu"`, `"leaky_relu"` with alpha 0.2, ...), case-insensitively.
    fn from_str(s: &str) -> Result<Self, SpecError> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "relu" => Ok(Activation::Relu),
            "tanh" => Ok(Activation::Tanh),
            "sigmoid" => Ok(Activation::Sigmoid),
            "gelu" => Ok(Activation::Gelu),
            "leakyrelu" => Ok(Activation::LeakyRelu(0.2)),
            "linear" | "identity" | "none" => Ok(Activation::Linear),
            _ => Err(SpecError::UnknownActivation(s.to_string())),
        }
    }
}

impl TryFrom<&str> for Activation {
    type Error = SpecError;
    fn try_from(s: &str) -> Result<Self, SpecError> {
        s.parse()
    }
}

/// How a convolution or pool treats the border (Keras' `padding`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// No padding: the window stays inside the input (Keras' default).
    #[default]
    Valid,
    /// Zero padding so that the output is `ceil(size / stride)` long.
    Same,
}

/// Which axes `RandomFlip` may mirror (Keras' `mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlipMode {
    /// Left-right.
    Horizontal,
    /// Upside down.
    Vertical,
    /// Either, each with probability 1/2 (Keras' default).
    #[default]
    HorizontalAndVertical,
}

fn one() -> usize {
    1
}

/// One layer of a [`NetSpec`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "layer", rename_all = "snake_case")]
pub enum LayerSpec {
    /// Fully connected: `units` outputs, Glorot-uniform weights, zero bias (as Keras).
    Dense {
        /// Output width.
        units: usize,
    },
    /// An element-wise activation.
    Activation {
        /// Which one.
        activation: Activation,
    },
    /// Zeroes inputs with probability `rate` while training; the identity otherwise.
    Dropout {
        /// Drop probability, in [0, 1).
        rate: f64,
    },
    /// Normalises each sample to zero mean, unit variance, then scales and shifts (learned).
    LayerNorm {
        /// Added to the variance.
        epsilon: f64,
    },
    /// Flattens each sample to one dimension.
    Flatten,
    /// Gives each sample a new shape with the same number of values.
    Reshape {
        /// The new per-sample shape.
        shape: Vec<usize>,
    },
    /// 2-D convolution of `[C, H, W]` samples to `[filters, H', W']`, Glorot-uniform
    /// kernels, zero bias (Keras' `Conv2D`).
    Conv2d {
        /// Output channels.
        filters: usize,
        /// Kernel side.
        kernel: usize,
        /// Step between kernel positions (1).
        #[serde(default = "one")]
        stride: usize,
        /// Border handling (valid).
        #[serde(default)]
        padding: Padding,
    },
    /// The maximum of each `pool x pool` window, per channel (Keras' `MaxPooling2D`).
    MaxPool2d {
        /// Window side.
        pool: usize,
        /// Step between windows (Keras: the window side).
        stride: usize,
        /// Border handling (valid).
        #[serde(default)]
        padding: Padding,
    },
    /// The mean of each `pool x pool` window, per channel (Keras' `AveragePooling2D`).
    AvgPool2d {
        /// Window side.
        pool: usize,
        /// Step between windows (Keras: the window side).
        stride: usize,
        /// Border handling (valid).
        #[serde(default)]
        padding: Padding,
    },
    /// The mean of each channel: `[C, H, W]` to `[C]`.
    GlobalAvgPool2d,
    /// The maximum of each channel: `[C, H, W]` to `[C]`.
    GlobalMaxPool2d,
    /// Batch normalisation per channel of `[C, H, W]` samples (Keras' `BatchNormalization`).
    BatchNorm2d {
        /// Weight of the old moving statistics per step (Keras: 0.99).
        momentum: f64,
        /// Added to the variance (Keras: 1e-3).
        epsilon: f64,
    },
    /// `body(x) + shortcut(x)`: the shortcut is the identity when the body keeps the shape,
    /// else a learned projection (a strided 1x1 convolution, or a dense layer for flat
    /// samples), as ResNet's.
    Residual {
        /// The layers of the residual branch.
        layers: Vec<LayerSpec>,
    },
    /// Training only: mirrors images at random (Keras' `RandomFlip`).
    RandomFlip {
        /// Which axes.
        mode: FlipMode,
    },
    /// Training only: shifts images by up to a fraction of their size, zero fill.
    RandomTranslation {
        /// Largest vertical shift, as a fraction of the height.
        height_factor: f64,
        /// Largest horizontal shift, as a fraction of the width.
        width_factor: f64,
    },
    /// Training only: scales each image's contrast by a factor in `[1 - factor, 1 + factor]`.
    RandomContrast {
        /// Largest relative change, in `[0, 1]`.
        factor: f64,
    },
}

impl LayerSpec {
    /// The layer's name in specs and messages (`"conv2d"`, `"max_pool2d"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            LayerSpec::Dense { .. } => "dense",
            LayerSpec::Activation { .. } => "activation",
            LayerSpec::Dropout { .. } => "dropout",
            LayerSpec::LayerNorm { .. } => "layer_norm",
            LayerSpec::Flatten => "flatten",
            LayerSpec::Reshape { .. } => "reshape",
            LayerSpec::Conv2d { .. } => "conv2d",
            LayerSpec::MaxPool2d { .. } => "max_pool2d",
            LayerSpec::AvgPool2d { .. } => "avg_pool2d",
            LayerSpec::GlobalAvgPool2d => "global_avg_pool2d",
            LayerSpec::GlobalMaxPool2d => "global_max_pool2d",
            LayerSpec::BatchNorm2d { .. } => "batch_norm2d",
            LayerSpec::Residual { .. } => "residual",
            LayerSpec::RandomFlip { .. } => "random_flip",
            LayerSpec::RandomTranslation { .. } => "random_translation",
            LayerSpec::RandomContrast { .. } => "random_contrast",
        }
    }
}

/// The training loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Softmax cross-entropy on logits with integer class labels (Keras'
    /// `SparseCategoricalCrossentropy(from_logits=True)`).
    CrossEntropy,
    /// Mean squared error.
    Mse,
    /// Mean absolute error.
    Mae,
    /// Huber loss with this delta.
    Huber(f64),
}

impl Loss {
    /// True for losses that take class labels (and report `accuracy`).
    pub fn is_classification(&self) -> bool {
        matches!(self, Loss::CrossEntropy)
    }
}

/// A network as plain data: input shape, layers, optimizer and loss.
///
/// ```
/// use tuner_core::nn::{NetSpec, Optimizer, Loss};
/// let spec = NetSpec::input(784).dense(128).relu().dropout(0.2).dense(10)
///     .optimizer(Optimizer::adam(1e-3)).loss(Loss::CrossEntropy);
/// assert_eq!(spec.num_params(), 784 * 128 + 128 + 128 * 10 + 10);
/// spec.validate().unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetSpec {
    /// The shape of one input sample (`[784]`, or `[28, 28]` followed by `flatten`).
    pub input_shape: Vec<usize>,
    /// The layers, in order.
    pub layers: Vec<LayerSpec>,
    /// How weights are updated (Adam at 1e-3 unless set).
    pub optimizer: Optimizer,
    /// What is minimised (cross-entropy unless set).
    pub loss: Loss,
}

/// Converts a unit count given as any integer; negatives become 0, which `validate` rejects.
pub trait Units {
    /// The count as usize.
    fn to_units(self) -> usize;
}

macro_rules! units_from {
    ($($t:ty),*) => {$(
        impl Units for $t {
            fn to_units(self) -> usize {
                usize::try_from(self).unwrap_or(0)
            }
        }
    )*};
}
units_from!(usize, u64, u32, u16, u8, i64, i32, i16, i8, isize);

impl NetSpec {
    /// A network taking flat samples of `width` values.
    pub fn input(width: impl Units) -> Self {
        Self::input_shape(vec![width.to_units()])
    }

    /// A network taking samples of this shape (flatten before a dense layer if rank > 1).
    pub fn input_shape(shape: impl Into<Vec<usize>>) -> Self {
        Self {
            input_shape: shape.into(),
            layers: Vec::new(),
            optimizer: Optimizer::default(),
            loss: Loss::CrossEntropy,
        }
    }

    /// Appends a layer.
    pub fn layer(mut self, layer: LayerSpec) -> Self {
        self.layers.push(layer);
        self
    }

    /// Appends a dense layer with `units` outputs.
    pub fn dense(self, units: impl Units) -> Self {
        self.layer(LayerSpec::Dense {
            units: units.to_units(),
        })
    }

    /// Appends an activation.
    pub fn activation(self, activation: impl Into<Activation>) -> Self {
        self.layer(LayerSpec::Activation {
            activation: activation.into(),
        })
    }

    /// Appends a ReLU.
    pub fn relu(self) -> Self {
        self.activation(Activation::Relu)
    }

    /// Appends a tanh.
    pub fn tanh(self) -> Self {
        self.activation(Activation::Tanh)
    }

    /// Appends a sigmoid.
    pub fn sigmoid(self) -> Self {
        self.activation(Activation::Sigmoid)
    }

    /// Appends a GELU.
    pub fn gelu(self) -> Self {
        self.activation(Activation::Gelu)
    }

    /// Appends a leaky ReLU with negative slope `alpha`.
    pub fn leaky_relu(self, alpha: f64) -> Self {
        self.activation(Activation::LeakyRelu(alpha))
    }

    /// Appends dropout with drop probability `rate` (a rate of 0 is kept as a no-op layer).
    pub fn dropout(self, rate: f64) -> Self {
        self.layer(LayerSpec::Dropout { rate })
    }

    /// Appends layer normalisation with Keras' epsilon (1e-3).
    pub fn layer_norm(self) -> Self {
        self.layer(LayerSpec::LayerNorm { epsilon: 1e-3 })
    }

    /// Appends a flatten.
    pub fn flatten(self) -> Self {
        self.layer(LayerSpec::Flatten)
    }

    /// Appends a reshape to `shape`.
    pub fn reshape(self, shape: impl Into<Vec<usize>>) -> Self {
        self.layer(LayerSpec::Reshape {
            shape: shape.into(),
        })
    }

    /// Appends a `kernel x kernel` convolution with `filters` outputs, stride 1 and valid
    /// padding (Keras' defaults). Samples must be `[channels, height, width]`.
    pub fn conv2d(self, filters: impl Units, kernel: impl Units) -> Self {
        self.conv2d_with(filters, kernel, 1usize, Padding::Valid)
    }

    /// Appends a convolution with the given stride and padding.
    pub fn conv2d_with(
        self,
        filters: impl Units,
        kernel: impl Units,
        stride: impl Units,
        padding: Padding,
    ) -> Self {
        self.layer(LayerSpec::Conv2d {
            filters: filters.to_units(),
            kernel: kernel.to_units(),
            stride: stride.to_units(),
            padding,
        })
    }

    /// Appends max pooling over `pool x pool` windows, stride `pool`, valid padding (Keras).
    pub fn max_pool2d(self, pool: impl Units) -> Self {
        let pool = pool.to_units();
        self.max_pool2d_with(pool, pool, Padding::Valid)
    }

    /// Appends max pooling with the given stride and padding.
    pub fn max_pool2d_with(self, pool: impl Units, stride: impl Units, padding: Padding) -> Self {
        self.layer(LayerSpec::MaxPool2d {
            pool: pool.to_units(),
            stride: stride.to_units(),
            padding,
        })
    }

    /// Appends average pooling over `pool x pool` windows, stride `pool`, valid padding.
    pub fn avg_pool2d(self, pool: impl Units) -> Self {
        let pool = pool.to_units();
        self.avg_pool2d_with(pool, pool, Padding::Valid)
    }

    /// Appends average pooling with the given stride and padding.
    pub fn avg_pool2d_with(self, pool: impl Units, stride: impl Units, padding: Padding) -> Self {
        self.layer(LayerSpec::AvgPool2d {
            pool: pool.to_units(),
            stride: stride.to_units(),
            padding,
        })
    }

    /// Appends global average pooling: `[C, H, W]` to `[C]`.
    pub fn global_avg_pool2d(self) -> Self {
        self.layer(LayerSpec::GlobalAvgPool2d)
    }

    /// Appends global max pooling: `[C, H, W]` to `[C]`.
    pub fn global_max_pool2d(self) -> Self {
        self.layer(LayerSpec::GlobalMaxPool2d)
    }

    /// Appends batch normalisation per channel with Keras' momentum (0.99) and epsilon (1e-3).
    pub fn batch_norm2d(self) -> Self {
        self.batch_norm2d_with(0.99, 1e-3)
    }

    /// Appends batch normalisation per channel with the given momentum and epsilon.
    pub fn batch_norm2d_with(self, momentum: f64, epsilon: f64) -> Self {
        self.layer(LayerSpec::BatchNorm2d { momentum, epsilon })
    }

    /// Appends a residual block: `body` gets a spec whose input is the current sample shape
    /// and appends the branch's layers; the block outputs `branch(x) + shortcut(x)`.
    ///
    /// ```
    /// use tuner_core::nn::{NetSpec, Padding};
    /// let spec = NetSpec::input_shape([1, 8, 8])
    ///     .conv2d_with(4, 3, 1, Padding::Same)
    ///     .residual(|b| b.conv2d_with(4, 3, 1, Padding::Same).relu().conv2d_with(4, 3, 1, Padding::Same))
    ///     .global_avg_pool2d()
    ///     .dense(2);
    /// spec.validate().unwrap();
    /// ```
    pub fn residual(self, body: impl FnOnce(NetSpec) -> NetSpec) -> Self {
        let here = self.shapes().pop().unwrap_or_default();
        let branch = body(NetSpec::input_shape(here));
        self.layer(LayerSpec::Residual {
            layers: branch.layers,
        })
    }

    /// Appends random flips (training only).
    pub fn random_flip(self, mode: FlipMode) -> Self {
        self.layer(LayerSpec::RandomFlip { mode })
    }

    /// Appends random whole-pixel shifts of up to these fractions of the size (training only).
    pub fn random_translation(self, height_factor: f64, width_factor: f64) -> Self {
        self.layer(LayerSpec::RandomTranslation {
            height_factor,
            width_factor,
        })
    }

    /// Appends random contrast changes of up to `factor` (training only).
    pub fn random_contrast(self, factor: f64) -> Self {
        self.layer(LayerSpec::RandomContrast { factor })
    }

    /// Sets the optimizer.
    pub fn optimizer(mut self, optimizer: impl Into<Optimizer>) -> Self {
        self.optimizer = optimizer.into();
        self
    }

    /// Sets the loss.
    pub fn loss(mut self, loss: Loss) -> Self {
        self.loss = loss;
        self
    }

    /// Values per input sample.
    pub fn input_width(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// The per-sample shape after each layer, starting with the input's (a layer that does
    /// not fit passes its input shape on; `validate` reports it).
    pub(crate) fn shapes(&self) -> Vec<Vec<usize>> {
        shapes_through(&self.layers, &self.input_shape)
    }

    /// Values per output sample.
    pub fn output_width(&self) -> usize {
        self.shapes().last().map_or(0, |s| s.iter().product())
    }

    /// Trainable parameters, computed from the spec alone.
    pub fn num_params(&self) -> usize {
        params_through(&self.layers, &self.input_shape)
    }

    /// Checks every layer, the optimizer and the loss; the first problem is the error.
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.input_shape.is_empty() || self.input_shape.contains(&0) {
            return Err(SpecError::Input(self.input_shape.clone()));
        }
        let shapes = self.shapes();
        for (index, layer) in self.layers.iter().enumerate() {
            layer_output(layer, &shapes[index])
                .map_err(|reason| SpecError::Layer { index, reason })?;
        }
        if !has_weights(&self.layers) {
            return Err(SpecError::NoDense);
        }
        let out = shapes.last().expect("non-empty");
        if out.len() != 1 {
            return Err(SpecError::OutputShape(out.clone()));
        }
        self.optimizer.validate()?;
        match self.loss {
            Loss::Huber(d) if !(d.is_finite() && d > 0.0) => Err(SpecError::Loss(format!(
                "the Huber delta {d} must be a positive number"
            ))),
            Loss::CrossEntropy if out[0] < 2 => Err(SpecError::Loss(format!(
                "cross-entropy needs at least 2 output units (one per class), the network has {}",
                out[0]
            ))),
            _ => Ok(()),
        }
    }
}

/// The shape after each of `layers`, starting with `input` (a misfit passes its input on).
fn shapes_through(layers: &[LayerSpec], input: &[usize]) -> Vec<Vec<usize>> {
    let mut shapes = vec![input.to_vec()];
    for layer in layers {
        let cur = shapes.last().expect("starts non-empty");
        let next = layer_output(layer, cur).unwrap_or_else(|_| cur.clone());
        shapes.push(next);
    }
    shapes
}

/// Trainable parameters of `layers` fed `input`-shaped samples.
fn params_through(layers: &[LayerSpec], input: &[usize]) -> usize {
    let shapes = shapes_through(layers, input);
    layers
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            let cur = &shapes[i];
            let fan_in: usize = cur.iter().product();
            match layer {
                LayerSpec::Dense { units } => fan_in * units + units,
                LayerSpec::LayerNorm { .. } => 2 * fan_in,
                LayerSpec::Conv2d {
                    filters, kernel, ..
                } => {
                    let channels = cur.first().copied().unwrap_or(0);
                    filters * channels * kernel * kernel + filters
                }
                LayerSpec::BatchNorm2d { .. } => 2 * cur.first().copied().unwrap_or(0),
                LayerSpec::Residual { layers } => {
                    let out = shapes_through(layers, cur).pop().unwrap_or_default();
                    let projection = match shortcut(cur, &out) {
                        Ok(Shortcut::Conv { filters, .. }) => cur[0] * filters + filters,
                        Ok(Shortcut::Dense { units }) => fan_in * units + units,
                        Ok(Shortcut::Identity) | Err(_) => 0,
                    };
                    params_through(layers, cur) + projection
                }
                _ => 0,
            }
        })
        .sum()
}

/// Whether any layer (residual bodies included) has weights to train.
fn has_weights(layers: &[LayerSpec]) -> bool {
    layers.iter().any(|l| match l {
        LayerSpec::Dense { .. } | LayerSpec::Conv2d { .. } => true,
        LayerSpec::Residual { layers } => has_weights(layers),
        _ => false,
    })
}

/// How a residual block's input reaches its output shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shortcut {
    /// The shapes agree: add the input itself.
    Identity,
    /// A 1x1 convolution with this many filters and this stride.
    Conv {
        /// Output channels.
        filters: usize,
        /// Spatial step.
        stride: usize,
    },
    /// A dense layer to this many units (flat samples).
    Dense {
        /// Output width.
        units: usize,
    },
}

/// The shortcut a residual block from `input` to `output` needs, or why none fits.
pub(crate) fn shortcut(input: &[usize], output: &[usize]) -> Result<Shortcut, String> {
    if input == output {
        return Ok(Shortcut::Identity);
    }
    match (input, output) {
        ([_], [units]) => Ok(Shortcut::Dense { units: *units }),
        ([_, h, w], [filters, oh, ow]) => (1..=(*h).max(*w))
            .find(|s| h.div_ceil(*s) == *oh && w.div_ceil(*s) == *ow)
            .map(|stride| Shortcut::Conv {
                filters: *filters,
                stride,
            })
            .ok_or_else(|| {
                format!(
                    "residual: the branch maps {input:?} to {output:?}, which no strided 1x1 \
                     convolution on the shortcut can match; keep the size with padding same, \
                     or shrink it by a whole stride"
                )
            }),
        _ => Err(format!(
            "residual: the branch maps {input:?} to {output:?}; the shortcut can only match \
             [C, H, W] to [C', H', W'] or flat to flat samples"
        )),
    }
}

/// `[C, H, W]` from a sample shape, or why `what` cannot take it.
fn image(cur: &[usize], what: &str) -> Result<[usize; 3], String> {
    match cur {
        [c, h, w] => Ok([*c, *h, *w]),
        [h, w] => Err(format!(
            "{what} takes [channels, height, width] samples but gets shape {cur:?}; add \
             .reshape([1, {h}, {w}]) before it"
        )),
        _ => Err(format!(
            "{what} takes [channels, height, width] samples but gets shape {cur:?}; start \
             with NetSpec::input_shape([channels, height, width]) or .reshape to it"
        )),
    }
}

fn spatial(
    what: &str,
    cur: &[usize],
    kernel: usize,
    stride: usize,
    padding: Padding,
) -> Result<super::modules::Window, String> {
    let input = image(cur, what)?;
    super::modules::Window::padded(input, kernel, stride, padding).map_err(|e| {
        format!("{what} ({kernel}x{kernel}, stride {stride}, padding {padding:?}) on {cur:?}: {e}")
    })
}

/// The per-sample shape after `layer` given `cur`, or what is wrong with the layer.
pub(crate) fn layer_output(layer: &LayerSpec, cur: &[usize]) -> Result<Vec<usize>, String> {
    match layer {
        LayerSpec::Dense { units } => {
            if *units == 0 {
                return Err(
                    "a dense layer needs at least 1 unit (0 or a negative count was given)".into(),
                );
            }
            if cur.len() != 1 {
                return Err(format!("a dense layer takes flat samples but gets shape {cur:?}; add .flatten() before it"));
            }
            Ok(vec![*units])
        }
        LayerSpec::Activation {
            activation: Activation::LeakyRelu(a),
        } if !a.is_finite() => Err(format!("leaky ReLU slope {a} is not finite")),
        LayerSpec::Activation { .. } => Ok(cur.to_vec()),
        LayerSpec::Flatten => Ok(vec![cur.iter().product()]),
        LayerSpec::Dropout { rate } => {
            if !(0.0..1.0).contains(rate) {
                return Err(format!("dropout rate {rate} is outside [0, 1)"));
            }
            Ok(cur.to_vec())
        }
        LayerSpec::LayerNorm { epsilon } => {
            if !(epsilon.is_finite() && *epsilon > 0.0) {
                return Err(format!(
                    "layer-norm epsilon {epsilon} must be a positive number"
                ));
            }
            if cur.len() != 1 {
                return Err(format!("layer norm takes flat samples but gets shape {cur:?}; add .flatten() before it"));
            }
            Ok(cur.to_vec())
        }
        LayerSpec::Reshape { shape } => {
            let (from, to): (usize, usize) = (cur.iter().product(), shape.iter().product());
            if shape.is_empty() || from != to {
                return Err(format!(
                    "cannot reshape {cur:?} ({from} values) to {shape:?} ({to} values)"
                ));
            }
            Ok(shape.clone())
        }
        LayerSpec::Conv2d {
            filters,
            kernel,
            stride,
            padding,
        } => {
            if *filters == 0 {
                return Err(
                    "conv2d needs at least 1 filter (0 or a negative count was given)".into(),
                );
            }
            let w = spatial("conv2d", cur, *kernel, *stride, *padding)?;
            Ok(vec![*filters, w.out_height, w.out_width])
        }
        LayerSpec::MaxPool2d {
            pool,
            stride,
            padding,
        } => {
            let w = spatial("max_pool2d", cur, *pool, *stride, *padding)?;
            Ok(vec![w.channels, w.out_height, w.out_width])
        }
        LayerSpec::AvgPool2d {
            pool,
            stride,
            padding,
        } => {
            let w = spatial("avg_pool2d", cur, *pool, *stride, *padding)?;
            Ok(vec![w.channels, w.out_height, w.out_width])
        }
        LayerSpec::GlobalAvgPool2d | LayerSpec::GlobalMaxPool2d => {
            Ok(vec![image(cur, layer.name())?[0]])
        }
        LayerSpec::BatchNorm2d { momentum, epsilon } => {
            image(cur, "batch_norm2d")?;
            if !(0.0..1.0).contains(momentum) {
                return Err(format!(
                    "batch_norm2d momentum {momentum} is outside [0, 1); Keras uses 0.99"
                ));
            }
            if !(epsilon.is_finite() && *epsilon > 0.0) {
                return Err(format!(
                    "batch_norm2d epsilon {epsilon} must be a positive number; Keras uses 1e-3"
                ));
            }
            Ok(cur.to_vec())
        }
        LayerSpec::Residual { layers } => {
            if layers.is_empty() {
                return Err("a residual block needs at least one layer in its branch".into());
            }
            let shapes = shapes_through(layers, cur);
            for (j, inner) in layers.iter().enumerate() {
                layer_output(inner, &shapes[j]).map_err(|reason| {
                    format!("residual branch layer {j} ({}): {reason}", inner.name())
                })?;
            }
            let out = shapes.last().expect("non-empty").clone();
            shortcut(cur, &out)?;
            Ok(out)
        }
        LayerSpec::RandomFlip { .. } => {
            image(cur, "random_flip")?;
            Ok(cur.to_vec())
        }
        LayerSpec::RandomTranslation {
            height_factor,
            width_factor,
        } => {
            image(cur, "random_translation")?;
            for (name, f) in [("height", height_factor), ("width", width_factor)] {
                if !(0.0..=1.0).contains(f) {
                    return Err(format!(
                        "random_translation {name} factor {f} is outside [0, 1]"
                    ));
                }
            }
            Ok(cur.to_vec())
        }
        LayerSpec::RandomContrast { factor } => {
            image(cur, "random_contrast")?;
            if !(0.0..=1.0).contains(factor) {
                return Err(format!("random_contrast factor {factor} is outside [0, 1]"));
            }
            Ok(cur.to_vec())
        }
    }
}
