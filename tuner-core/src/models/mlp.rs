//! `HyperMlp`: a fully connected classifier with tuned depth, widths, activation,
//! regularisation and optimizer.

use super::read::{built, get, get_choice, get_opt, put};
use crate::hypermodel::HyperModel;
use crate::nn::{Activation, NetSpec, Optimizer};
use crate::space::{HyperParameters, Param, SearchSpace, SpaceError};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Most hidden layers.
const MAX_DEPTH: i64 = 3;

/// A multi-layer perceptron for `INPUTS` features and `CLASSES` classes: `depth` hidden
/// layers of `units[i]` units, each `dense -> [layer_norm] -> activation`, then dropout and
/// the softmax-logits layer, trained with the chosen optimizer. Image samples need no
/// reshape: a `[28, 28]` sample is 784 flat values.
///
/// `HyperMlp::<784, 10>::space().summary()`:
///
#[doc = concat!("```text\n", include_str!("spaces/mlp.txt"), "```")]
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperMlp<const INPUTS: usize, const CLASSES: usize>;

/// The optimizers `HyperMlp` chooses from (Keras' defaults besides the learning rate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MlpOptimizer {
    /// Adam.
    Adam,
    /// RMSprop.
    RmsProp,
    /// SGD with Nesterov momentum 0.9.
    Sgd,
}

/// The typed params of [`HyperMlp`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HyperMlpParams {
    /// Hidden layers, 1..=3.
    pub depth: i64,
    /// Units of each hidden layer (the live prefix: `depth` entries), 32..=512 step 32.
    pub units: Vec<i64>,
    /// Hidden activation.
    pub activation: Activation,
    /// Layer normalisation after each hidden dense layer.
    pub layer_norm: bool,
    /// Dropout before the output layer, 0..=0.5 step 0.1.
    pub dropout: f64,
    /// The optimizer.
    pub optimizer: MlpOptimizer,
    /// Its learning rate, 1e-4..=1e-2, log sampling.
    pub learning_rate: f64,
}

fn space() -> &'static SearchSpace {
    static SPACE: OnceLock<SearchSpace> = OnceLock::new();
    SPACE.get_or_init(|| {
        let mut b = SearchSpace::builder().param(Param::int("depth", 1, MAX_DEPTH));
        for i in 0..MAX_DEPTH {
            b = b.param(
                Param::int(format!("units_{i}"), 32, 512)
                    .step(32)
                    .when("depth", i + 1..=MAX_DEPTH),
            );
        }
        built(
            b.param(Param::choice("activation", ["relu", "tanh", "gelu"]))
                .param(Param::boolean("layer_norm"))
                .param(Param::float("dropout", 0.0, 0.5).step(0.1))
                .param(Param::choice("optimizer", ["adam", "rmsprop", "sgd"]))
                .param(
                    Param::float("learning_rate", 1e-4, 1e-2)
                        .log()
                        .default(1e-3),
                )
                .build(),
            "HyperMlp",
        )
    })
}

impl<const INPUTS: usize, const CLASSES: usize> HyperMlp<INPUTS, CLASSES> {
    /// Runs the builder on `p` (the trait's `build`, without a value).
    pub fn build(p: &HyperMlpParams) -> NetSpec {
        let mut net = NetSpec::input(INPUTS);
        for &units in &p.units {
            net = net.dense(units);
            if p.layer_norm {
                net = net.layer_norm();
            }
            net = net.activation(p.activation);
        }
        let lr = p.learning_rate;
        let optimizer: Optimizer = match p.optimizer {
            MlpOptimizer::Adam => Optimizer::adam(lr).into(),
            MlpOptimizer::RmsProp => Optimizer::rmsprop(lr).into(),
            MlpOptimizer::Sgd => Optimizer::sgd(lr).momentum(0.9).nesterov(true).into(),
        };
        net.dropout(p.dropout).dense(CLASSES).optimizer(optimizer)
    }
}

impl<const INPUTS: usize, const CLASSES: usize> HyperModel for HyperMlp<INPUTS, CLASSES> {
    type Params = HyperMlpParams;
    type Output = NetSpec;

    fn name() -> &'static str {
        "hyper_mlp"
    }

    fn space() -> &'static SearchSpace {
        space()
    }

    fn params_from(values: &HyperParameters) -> Result<HyperMlpParams, SpaceError> {
        space().check(values)?;
        let depth: i64 = get(values, "depth")?;
        let units = (0..MAX_DEPTH)
            .map(|i| get_opt(values, &format!("units_{i}")))
            .collect::<Result<Vec<Option<i64>>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        Ok(HyperMlpParams {
            depth,
            units,
            activation: get_choice(values, "activation", |s| s.parse().ok())?,
            layer_norm: get(values, "layer_norm")?,
            dropout: get(values, "dropout")?,
            optimizer: get_choice(values, "optimizer", |s| match s {
                "adam" => Some(MlpOptimizer::Adam),
                "rmsprop" => Some(MlpOptimizer::RmsProp),
                "sgd" => Some(MlpOptimizer::Sgd),
                _ => None,
            })?,
            learning_rate: get(values, "learning_rate")?,
        })
    }

    fn params_to(p: &HyperMlpParams) -> HyperParameters {
        let mut v = HyperParameters::new();
        put(&mut v, "depth", p.depth);
        for (i, &u) in p.units.iter().enumerate() {
            put(&mut v, &format!("units_{i}"), u);
        }
        put(&mut v, "activation", p.activation.name());
        put(&mut v, "layer_norm", p.layer_norm);
        put(&mut v, "dropout", p.dropout);
        let optimizer = match p.optimizer {
            MlpOptimizer::Adam => "adam",
            MlpOptimizer::RmsProp => "rmsprop",
            MlpOptimizer::Sgd => "sgd",
        };
        put(&mut v, "optimizer", optimizer);
        put(&mut v, "learning_rate", p.learning_rate);
        v
    }

    fn build(&self, p: &HyperMlpParams) -> NetSpec {
        Self::build(p)
    }
}
