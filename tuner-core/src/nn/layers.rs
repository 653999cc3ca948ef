//! The pieces of a [`NetSpec`](super::NetSpec): layers, activations, padding, flips and losses.

use super::error::SpecError;
use super::modules::NormStats;
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
    /// `x` for `x > 0`, `alpha * (e^x - 1)` otherwise (Keras' ELU; `"elu"` parses as alpha 1).
    Elu(f64),
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
            Activation::Elu(_) => "elu",
            Activation::Linear => "linear",
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::LeakyRelu(a) => write!(f, "leaky_relu({a})"),
            Activation::Elu(a) => write!(f, "elu({a})"),
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
            "elu" => Ok(Activation::Elu(1.0)),
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
    /// Standardises each input value with a mean and variance adapted on the training data
    /// (Keras' `Normalization`); only as the first layer. `fit` adapts it on its training
    /// split when `stats` is `None`; the stats then travel in the network's spec.
    Normalize {
        /// The adapted statistics, `None` until adapted.
        #[serde(default)]
        stats: Option<NormStats>,
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
            LayerSpec::Normalize { .. } => "normalize",
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
