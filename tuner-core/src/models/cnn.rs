//! `HyperCnn`: a small-image convolutional classifier in the spirit of KerasTuner's
//! HyperResNet and HyperXception, scaled to images of tens of pixels.

use super::read::{built, get, get_choice, get_opt, put};
use crate::hypermodel::HyperModel;
use crate::nn::{NetSpec, Optimizer, Padding};
use crate::space::{HyperParameters, Param, SearchSpace, SpaceError};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

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
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperCnn<const C: usize, const H: usize, const W: usize, const CLASSES: usize>;

/// How [`HyperCnn`]'s head turns feature maps into a vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CnnPooling {
    /// Global average pooling.
    Avg,
    /// Global max pooling.
    Max,
    /// Flatten every feature.
    Flatten,
}

impl CnnPooling {
    fn name(self) -> &'static str {
        match self {
            CnnPooling::Avg => "avg",
            CnnPooling::Max => "max",
            CnnPooling::Flatten => "flatten",
        }
    }
}

/// The typed params of [`HyperCnn`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HyperCnnParams {
    /// Convolution stages, 1..=3.
    pub blocks: i64,
    /// Filters of the first stage (doubled per stage): 8, 16 or 32.
    pub filters: i64,
    /// Kernel side: 3 or 5.
    pub kernel_size: i64,
    /// Convolutions per stage, 1..=2.
    pub convs_per_block: i64,
    /// Stages as residual blocks.
    pub residual: bool,
    /// Batch normalisation after each convolution.
    pub batch_norm: bool,
    /// The head's pooling.
    pub pooling: CnnPooling,
    /// A dense ReLU layer in the head.
    pub dense_head: bool,
    /// Its units, 32..=256 step 32 (`None` without a dense head).
    pub head_units: Option<i64>,
    /// Dropout before the logits, 0..=0.5 step 0.1.
    pub dropout: f64,
    /// Adam's learning rate, 1e-4..=1e-2, log sampling.
    pub learning_rate: f64,
}

fn space() -> &'static SearchSpace {
    static SPACE: OnceLock<SearchSpace> = OnceLock::new();
    SPACE.get_or_init(|| {
        built(
            SearchSpace::builder()
                .param(Param::int("blocks", 1, 3).default(2))
                .param(Param::choice("filters", [8, 16, 32]).default(16))
                .param(Param::choice("kernel_size", [3, 5]))
                .param(Param::int("convs_per_block", 1, 2))
                .param(Param::boolean("residual"))
                .param(Param::boolean("batch_norm"))
                .param(Param::choice("pooling", ["avg", "max", "flatten"]))
                .param(Param::boolean("dense_head"))
                .param(
                    Param::int("head_units", 32, 256)
                        .step(32)
                        .default(128)
                        .when("dense_head", [true]),
                )
                .param(Param::float("dropout", 0.0, 0.5).step(0.1))
                .param(
                    Param::float("learning_rate", 1e-4, 1e-2)
                        .log()
                        .default(1e-3),
                )
                .build(),
            "HyperCnn",
        )
    })
}

impl<const C: usize, const H: usize, const W: usize, const CLASSES: usize>
    HyperCnn<C, H, W, CLASSES>
{
    /// Runs the builder on `p` (the trait's `build`, without a value).
    pub fn build(p: &HyperCnnParams) -> NetSpec {
        let mut net = NetSpec::input_shape([C, H, W]);
        let (mut h, mut w) = (H, W);
        let k = p.kernel_size;
        let convs = p.convs_per_block.max(1);
        for block in 0..p.blocks.max(0) {
            let filters = p.filters << block;
            let conv = |mut n: NetSpec, last: bool| {
                n = n.conv2d_with(filters, k, 1usize, Padding::Same);
                if p.batch_norm {
                    n = n.batch_norm2d_with(0.9, 1e-3);
                }
                if last {
                    n
                } else {
                    n.relu()
                }
            };
            if p.residual {
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
        net = match p.pooling {
            CnnPooling::Avg => net.global_avg_pool2d(),
            CnnPooling::Max => net.global_max_pool2d(),
            CnnPooling::Flatten => net.flatten(),
        };
        if let (true, Some(units)) = (p.dense_head, p.head_units) {
            net = net.dense(units).relu();
        }
        net.dropout(p.dropout)
            .dense(CLASSES)
            .optimizer(Optimizer::adam(p.learning_rate))
    }
}

impl<const C: usize, const H: usize, const W: usize, const CLASSES: usize> HyperModel
    for HyperCnn<C, H, W, CLASSES>
{
    type Params = HyperCnnParams;
    type Output = NetSpec;

    fn name() -> &'static str {
        "hyper_cnn"
    }

    fn space() -> &'static SearchSpace {
        space()
    }

    fn params_from(values: &HyperParameters) -> Result<HyperCnnParams, SpaceError> {
        space().check(values)?;
        Ok(HyperCnnParams {
            blocks: get(values, "blocks")?,
            filters: get(values, "filters")?,
            kernel_size: get(values, "kernel_size")?,
            convs_per_block: get(values, "convs_per_block")?,
            residual: get(values, "residual")?,
            batch_norm: get(values, "batch_norm")?,
            pooling: get_choice(values, "pooling", |s| match s {
                "avg" => Some(CnnPooling::Avg),
                "max" => Some(CnnPooling::Max),
                "flatten" => Some(CnnPooling::Flatten),
                _ => None,
            })?,
            dense_head: get(values, "dense_head")?,
            head_units: get_opt(values, "head_units")?,
            dropout: get(values, "dropout")?,
            learning_rate: get(values, "learning_rate")?,
        })
    }

    fn params_to(p: &HyperCnnParams) -> HyperParameters {
        let mut v = HyperParameters::new();
        put(&mut v, "blocks", p.blocks);
        put(&mut v, "filters", p.filters);
        put(&mut v, "kernel_size", p.kernel_size);
        put(&mut v, "convs_per_block", p.convs_per_block);
        put(&mut v, "residual", p.residual);
        put(&mut v, "batch_norm", p.batch_norm);
        put(&mut v, "pooling", p.pooling.name());
        put(&mut v, "dense_head", p.dense_head);
        if let Some(u) = p.head_units {
            put(&mut v, "head_units", u);
        }
        put(&mut v, "dropout", p.dropout);
        put(&mut v, "learning_rate", p.learning_rate);
        v
    }

    fn build(&self, p: &HyperCnnParams) -> NetSpec {
        Self::build(p)
    }
}
