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

    /// The per-sample shape after each layer, starting with the input's.
    fn shapes(&self) -> Vec<Vec<usize>> {
        let mut shapes = vec![self.input_shape.clone()];
        for layer in &self.layers {
            let cur = shapes.last().expect("starts non-empty");
            let next = match layer {
                LayerSpec::Dense { units } => vec![*units],
                LayerSpec::Flatten => vec![cur.iter().product()],
                LayerSpec::Reshape { shape } => shape.clone(),
                _ => cur.clone(),
            };
            shapes.push(next);
        }
        shapes
    }

    /// Values per output sample.
    pub fn output_width(&self) -> usize {
        self.shapes().last().map_or(0, |s| s.iter().product())
    }

    /// Trainable parameters, computed from the spec alone.
    pub fn num_params(&self) -> usize {
        let shapes = self.shapes();
        self.layers
            .iter()
            .enumerate()
            .map(|(i, layer)| {
                let fan_in: usize = shapes[i].iter().product();
                match layer {
                    LayerSpec::Dense { units } => fan_in * units + units,
                    LayerSpec::LayerNorm { .. } => 2 * fan_in,
                    _ => 0,
                }
            })
            .sum()
    }

    /// Checks every layer, the optimizer and the loss; the first problem is the error.
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.input_shape.is_empty() || self.input_shape.contains(&0) {
            return Err(SpecError::Input(self.input_shape.clone()));
        }
        let shapes = self.shapes();
        let bad = |index: usize, reason: String| Err(SpecError::Layer { index, reason });
        for (i, layer) in self.layers.iter().enumerate() {
            let cur = &shapes[i];
            match layer {
                LayerSpec::Dense { units } => {
                    if *units == 0 {
                        return bad(
                            i,
                            "a dense layer needs at least 1 unit (0 or a negative count was given)"
                                .into(),
                        );
                    }
                    if cur.len() != 1 {
                        return bad(i, format!("a dense layer takes flat samples but gets shape {cur:?}; add .flatten() before it"));
                    }
                }
                LayerSpec::Activation {
                    activation: Activation::LeakyRelu(a),
                } if !a.is_finite() => {
                    return bad(i, format!("leaky ReLU slope {a} is not finite"));
                }
                LayerSpec::Activation { .. } | LayerSpec::Flatten => {}
                LayerSpec::Dropout { rate } => {
                    if !(0.0..1.0).contains(rate) {
                        return bad(i, format!("dropout rate {rate} is outside [0, 1)"));
                    }
                }
                LayerSpec::LayerNorm { epsilon } => {
                    if !(epsilon.is_finite() && *epsilon > 0.0) {
                        return bad(
                            i,
                            format!("layer-norm epsilon {epsilon} must be a positive number"),
                        );
                    }
                    if cur.len() != 1 {
                        return bad(i, format!("layer norm takes flat samples but gets shape {cur:?}; add .flatten() before it"));
                    }
                }
                LayerSpec::Reshape { shape } => {
                    let (from, to): (usize, usize) = (cur.iter().product(), shape.iter().product());
                    if shape.is_empty() || from != to {
                        return bad(
                            i,
                            format!(
                                "cannot reshape {cur:?} ({from} values) to {shape:?} ({to} values)"
                            ),
                        );
                    }
                }
            }
        }
        if !self
            .layers
            .iter()
            .any(|l| matches!(l, LayerSpec::Dense { .. }))
        {
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
