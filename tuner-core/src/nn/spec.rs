//! `NetSpec`: a network as plain data (layers, optimizer, loss), built into dfdx on demand.

use super::error::SpecError;
use super::modules::NormStats;
use super::optimizer::Optimizer;
use super::shapes::{has_weights, params_through, shapes_through};
use serde::{Deserialize, Serialize};

pub use super::layers::{Activation, FlipMode, LayerSpec, Loss, Padding};
pub(crate) use super::shapes::{layer_output, shortcut, Shortcut};

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

    /// Appends an ELU with scale `alpha` for negative inputs (Keras' default is 1).
    pub fn elu(self, alpha: f64) -> Self {
        self.activation(Activation::Elu(alpha))
    }

    /// Appends dropout with drop probability `rate` (a rate of 0 is kept as a no-op layer).
    pub fn dropout(self, rate: f64) -> Self {
        self.layer(LayerSpec::Dropout { rate })
    }

    /// Appends layer normalisation with Keras' epsilon (1e-3).
    pub fn layer_norm(self) -> Self {
        self.layer(LayerSpec::LayerNorm { epsilon: 1e-3 })
    }

    /// Appends a normalisation of the input features (Keras' `Normalization`), adapted by
    /// `fit` on its training split (never on validation rows); must be the first layer.
    ///
    /// ```
    /// use tuner_core::nn::NetSpec;
    /// let spec = NetSpec::input(4).normalize().dense(8).relu().dense(2);
    /// spec.validate().unwrap();
    /// assert!(NetSpec::input(4).dense(8).normalize().dense(2).validate().is_err());
    /// ```
    pub fn normalize(self) -> Self {
        self.layer(LayerSpec::Normalize { stats: None })
    }

    /// Appends a normalisation with statistics computed beforehand (e.g. `NormStats::adapt`).
    pub fn normalize_with(self, stats: NormStats) -> Self {
        self.layer(LayerSpec::Normalize { stats: Some(stats) })
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
        if let Some(index) = misplaced_normalize(&self.layers) {
            return Err(SpecError::Layer {
                index,
                reason: "normalize must be the first layer: it is adapted on the input features"
                    .into(),
            });
        }
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

/// The index of a `Normalize` layer that is not the network's first (one inside a residual
/// body counts as its block's index).
fn misplaced_normalize(layers: &[LayerSpec]) -> Option<usize> {
    fn contains(layers: &[LayerSpec]) -> bool {
        layers.iter().any(|l| match l {
            LayerSpec::Normalize { .. } => true,
            LayerSpec::Residual { layers } => contains(layers),
            _ => false,
        })
    }
    layers.iter().enumerate().position(|(i, l)| match l {
        LayerSpec::Normalize { .. } => i > 0,
        LayerSpec::Residual { layers } => contains(layers),
        _ => false,
    })
}
