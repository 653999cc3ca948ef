//! `HyperCnn`: a small-image convolutional classifier in the spirit of KerasTuner's
//! HyperResNet and HyperXception, scaled to images of tens of pixels.

use crate::nn::{NetSpec, Optimizer, Padding};
use tuner_macros::hypermodel;

/// How [`HyperCnn`]'s head turns feature maps into a vector: `Avg` (global average pooling),
/// `Max` (global max pooling) or `Flatten` (every feature).
pub type CnnPooling = HyperCnnPooling;

/// A CNN for `[C, H, W]` images and `CLASSES` classes. `blocks` stages, stage `i` with
/// `filters * 2^i` filters: `convs_per_block` times `conv2d(kernel_size, same) ->
/// [batch_norm2d] -> relu`, or, with `residual`, the same convolutions as the branch of a
/// residual block (the last one's relu after the addition, ResNet's basic block); each stage
/// ends with a 2x2 max pool while the image is at least 2 pixels on each side. The head pools
/// (`pooling`: global average, global max, or flatten), adds an optional dense ReLU layer,
/// dropout, and the logits layer; Adam trains it. Batch norm uses momentum 0.9 so that
/// its moving statistics settle within the few hundred steps of a short trial.
///
/// `HyperCnn::<1, 28, 28, 10>::space().summary()`:
///
#[doc = concat!("```text\n", include_str!("spaces/cnn.txt"), "```")]
#[hypermodel(name = HyperCnn, crate = crate)]
pub fn hyper_cnn<const C: usize, const H: usize, const W: usize, const CLASSES: usize>() -> NetSpec
{
    let blocks = hp_int!(blocks, 1..=3, default = 2);
    let filters = hp_choice!(filters, [8, 16, 32], default = 16);
    let k = hp_choice!(kernel_size, [3, 5]);
    let convs = hp_int!(convs_per_block, 1..=2);
    let residual = hp_bool!(residual);
    let batch_norm = hp_bool!(batch_norm);
    let pooling = hp_choice!(
        pooling,
        [CnnPooling::Avg, CnnPooling::Max, CnnPooling::Flatten]
    );
    let mut net = NetSpec::input_shape([C, H, W]);
    let (mut h, mut w) = (H, W);
    for block in 0..blocks {
        let filters = filters << block;
        let conv = |mut n: NetSpec, last: bool| {
            n = n.conv2d_with(filters, k, 1usize, Padding::Same);
            if batch_norm {
                n = n.batch_norm2d_with(0.9, 1e-3);
            }
            if last {
                n
            } else {
                n.relu()
            }
        };
        if residual {
            net = net
                .residual(|mut b| {
                    for j in 0..convs {
                        b = conv(b, j + 1 == convs);
                    }
                    b
                })
                .relu();
        } else {
            for _ in 0..convs {
                net = conv(net, false);
            }
        }
        if h >= 2 && w >= 2 {
            net = net.max_pool2d(2usize);
            (h, w) = (h / 2, w / 2);
        }
    }
    net = match pooling {
        CnnPooling::Avg => net.global_avg_pool2d(),
        CnnPooling::Max => net.global_max_pool2d(),
        CnnPooling::Flatten => net.flatten(),
    };
    if hp_bool!(dense_head) {
        net = net
            .dense(hp_int!(head_units, 32..=256, step = 32, default = 128))
            .relu();
    }
    net.dropout(hp_float!(dropout, 0.0..=0.5, step = 0.1))
        .dense(CLASSES)
        .optimizer(Optimizer::adam(hp_float!(
            learning_rate,
            1e-4..=1e-2,
            log,
            default = 1e-3
        )))
}
