//! Tensor-free layers: activations and dropout.

use crate::nn::spec::Activation;
use dfdx::nn::Module;
use dfdx::prelude::{Dtype, Shape, Tape, Tensor, TryPReLU};
use dfdx::tensor_ops::Device;

impl<S: Shape, E: Dtype, D: Device<E>, T: Tape<E, D>> Module<Tensor<S, E, D, T>> for Activation {
    type Output = Tensor<S, E, D, T>;
    type Error = D::Err;

    fn try_forward(&self, x: Tensor<S, E, D, T>) -> Result<Self::Output, D::Err> {
        match *self {
            Activation::Relu => x.try_relu(),
            Activation::Tanh => x.try_tanh(),
            Activation::Sigmoid => x.try_sigmoid(),
            Activation::Gelu => x.try_accurate_gelu(),
            Activation::LeakyRelu(alpha) => x.try_prelu(E::from_f64(alpha).expect("finite slope")),
            Activation::Linear => Ok(x),
        }
    }
}

/// Zeroes each value with probability `rate` and scales the rest by `1 / (1 - rate)`, only
/// while gradients are being recorded (training); the identity on untaped tensors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    /// Drop probability in [0, 1).
    pub rate: f64,
}

impl<S: Shape, E: Dtype, D: Device<E>, T: Tape<E, D>> Module<Tensor<S, E, D, T>> for Dropout {
    type Output = Tensor<S, E, D, T>;
    type Error = D::Err;

    fn try_forward(&self, x: Tensor<S, E, D, T>) -> Result<Self::Output, D::Err> {
        if T::OWNS_TAPE && self.rate > 0.0 {
            x.try_dropout(self.rate)
        } else {
            Ok(x)
        }
    }
}
