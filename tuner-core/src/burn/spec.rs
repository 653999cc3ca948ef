//! `BurnSpec`: what a `#[hypermodel]` returns to tune a burn model.

use super::{BurnConfig, BurnDevice, BurnError, Cpu};
use ::burn::optim::{AdamConfig, AdamWConfig, ModuleOptimizer, SgdConfig};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;

/// One of burn's optimizers, with burn's own settings (learning rate apart, in [`BurnSpec`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum BurnOptimizer {
    /// `burn::optim::Adam`.
    Adam(AdamConfig),
    /// `burn::optim::AdamW`.
    AdamW(AdamWConfig),
    /// `burn::optim::Sgd`.
    Sgd(SgdConfig),
}

impl BurnOptimizer {
    /// burn's optimizer for a whole module, with no state yet.
    pub(crate) fn init(&self) -> ModuleOptimizer {
        match self {
            BurnOptimizer::Adam(c) => c.init(),
            BurnOptimizer::AdamW(c) => c.init(),
            BurnOptimizer::Sgd(c) => c.init(),
        }
    }
}

impl From<AdamConfig> for BurnOptimizer {
    fn from(c: AdamConfig) -> Self {
        BurnOptimizer::Adam(c)
    }
}

impl From<AdamWConfig> for BurnOptimizer {
    fn from(c: AdamWConfig) -> Self {
        BurnOptimizer::AdamW(c)
    }
}

impl From<SgdConfig> for BurnOptimizer {
    fn from(c: SgdConfig) -> Self {
        BurnOptimizer::Sgd(c)
    }
}

/// A burn model to tune: its config, burn's optimizer and the learning rate, trained on the
/// device `D` names ([`Cpu`] by default). The loss follows the data: burn's
/// `CrossEntropyLoss` on class labels, `MseLoss` on real-valued targets.
///
/// ```
/// use tuner_core::burn::{BurnSpec, BurnOptimizer};
/// use tuner_core::burn::lib::optim::AdamConfig;
/// # use tuner_core::burn::lib as burn;
/// # use burn::{config::Config, module::Module, nn::{Linear, LinearConfig}, tensor::{Device, Tensor}};
/// # #[derive(Config, Debug)] struct LinConfig { width: usize }
/// # #[derive(Module, Debug)] struct Lin { layer: Linear }
/// # impl tuner_core::burn::BurnConfig for LinConfig {
/// #     type Model = Lin;
/// #     fn init(&self, device: &Device) -> Lin { Lin { layer: LinearConfig::new(self.width, 2).init(device) } }
/// # }
/// # impl tuner_core::burn::BurnModule for Lin {
/// #     fn forward(&self, x: Tensor<2>) -> Tensor<2> { self.layer.forward(x) }
/// # }
/// let spec = BurnSpec::new(LinConfig { width: 4 })
///     .optimizer(AdamConfig::new().with_beta_2(0.99))
///     .learning_rate(3e-3);
/// assert_eq!(spec.learning_rate, 3e-3);
/// assert!(matches!(spec.optimizer, BurnOptimizer::Adam(_)));
/// // burn's parameters are lazy: counting them allocates nothing (4 * 2 weights + 2 biases).
/// use tuner_core::model::ModelSpec;
/// assert_eq!(spec.num_params(), Some(10));
/// assert!(spec.learning_rate(0.0).validate().is_err());
/// ```
pub struct BurnSpec<C, D = Cpu> {
    /// The model's config.
    pub config: C,
    /// burn's optimizer and its settings (Adam with burn's defaults unless set).
    pub optimizer: BurnOptimizer,
    /// The learning rate of every step (1e-3).
    pub learning_rate: f64,
    pub(crate) device: PhantomData<fn() -> D>,
}

impl<C: BurnConfig> BurnSpec<C> {
    /// A spec of `config`, trained with Adam at learning rate 1e-3 on the CPU.
    pub fn new(config: C) -> Self {
        Self {
            config,
            optimizer: BurnOptimizer::Adam(AdamConfig::new()),
            learning_rate: 1e-3,
            device: PhantomData,
        }
    }
}

impl<C: BurnConfig, D: BurnDevice> BurnSpec<C, D> {
    /// Trains with `optimizer` (burn's `AdamConfig`, `AdamWConfig` or `SgdConfig`).
    pub fn optimizer(mut self, optimizer: impl Into<BurnOptimizer>) -> Self {
        self.optimizer = optimizer.into();
        self
    }

    /// Sets the learning rate.
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.learning_rate = learning_rate;
        self
    }

    /// The same spec trained on the device `D2` names.
    pub fn on<D2: BurnDevice>(self) -> BurnSpec<C, D2> {
        BurnSpec {
            config: self.config,
            optimizer: self.optimizer,
            learning_rate: self.learning_rate,
            device: PhantomData,
        }
    }

    /// Checks what burn would only find out by panicking mid-training.
    pub fn validate(&self) -> Result<(), BurnError> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(BurnError::Spec(format!(
                "learning rate {} is not a positive finite number",
                self.learning_rate
            )));
        }
        Ok(())
    }

    /// The model config as JSON: what two specs must share for one's checkpoint to continue
    /// in the other (burn's configs have no equality of their own).
    pub(crate) fn config_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.config).unwrap_or(serde_json::Value::Null)
    }
}

impl<C: Clone, D> Clone for BurnSpec<C, D> {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone(),
            optimizer: self.optimizer.clone(),
            learning_rate: self.learning_rate,
            device: PhantomData,
        }
    }
}

impl<C: fmt::Debug, D> fmt::Debug for BurnSpec<C, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BurnSpec")
            .field("config", &self.config)
            .field("optimizer", &self.optimizer)
            .field("learning_rate", &self.learning_rate)
            .field("device", &std::any::type_name::<D>())
            .finish()
    }
}
