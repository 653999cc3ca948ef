//! Tensor-free layers: activations and dropout, as dfdx ops on any device (on `Cpu`, a `Net`
//! runs them through the fused kernels of `fused.rs` instead).

use crate::nn::spec::Activation;
use dfdx::nn::Module;
use dfdx::prelude::{Dtype, Shape, Tape, Tensor, TryAdd, TryMul, TryPReLU, TrySub, WithEmptyTape};
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
            Activation::Elu(alpha) => {
                // relu(x) + alpha (e^min(x, 0) - 1), min(x, 0) = -relu(-x): dfdx has no ELU.
                let alpha = E::from_f64(alpha).expect("finite alpha");
                let negative = x.with_empty_tape();
                let tail = negative
                    .try_negate()?
                    .try_relu()?
                    .try_negate()?
                    .try_exp()?
                    .try_sub(E::from_f64(1.0).expect("one"))?
                    .try_mul(alpha)?;
                x.try_relu()?.try_add(tail)
            }
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
