//! `HyperMlp`: a fully connected classifier with tuned depth, widths, activation,
//! regularisation and optimizer.

use crate::nn::{Activation, NetSpec, Optimizer};
use tuner_macros::hypermodel;

/// The optimizers `HyperMlp` chooses from (Keras' defaults besides the learning rate).
pub type MlpOptimizer = HyperMlpOptimizer;

/// A multi-layer perceptron for `INPUTS` features and `CLASSES` classes: `depth` hidden
/// layers of `units[i]` units, each `dense -> [layer_norm] -> activation`, then dropout and
/// the softmax-logits layer, trained with the chosen optimizer (SGD with Nesterov momentum
/// 0.9). Image samples need no reshape: a `[28, 28]` sample is 784 flat values.
///
/// `HyperMlp::<784, 10>::space().summary()`:
///
#[doc = concat!("```text\n", include_str!("spaces/mlp.txt"), "```")]
#[hypermodel(name = HyperMlp, crate = crate)]
pub fn hyper_mlp<const INPUTS: usize, const CLASSES: usize>() -> NetSpec {
    let depth = hp_int!(depth, 1..=3);
    let mut net = NetSpec::input(INPUTS);
    for i in 0..depth {
        net = net.dense(hp_int!(units[i], 32..=512, step = 32));
        let activation = hp_choice!(
            activation,
            [Activation::Relu, Activation::Tanh, Activation::Gelu]
        );
        if hp_bool!(layer_norm) {
            net = net.layer_norm();
        }
        net = net.activation(activation);
    }
    net = net.dropout(hp_float!(dropout, 0.0..=0.5, step = 0.1));
    let optimizer = hp_choice!(
        optimizer,
        [MlpOptimizer::Adam, MlpOptimizer::RmsProp, MlpOptimizer::Sgd]
    );
    let lr = hp_float!(learning_rate, 1e-4..=1e-2, log, default = 1e-3);
    let optimizer: Optimizer = match optimizer {
        MlpOptimizer::Adam => Optimizer::adam(lr).into(),
        MlpOptimizer::RmsProp => Optimizer::rmsprop(lr).into(),
        MlpOptimizer::Sgd => Optimizer::sgd(lr).momentum(0.9).nesterov(true).into(),
    };
    net.dense(CLASSES).optimizer(optimizer)
}
