//! Optimizer settings as plain data (Keras' defaults), converted to dfdx configs when built.

use super::error::SpecError;
use serde::{Deserialize, Serialize};

/// Adam (Keras defaults: betas 0.9/0.999, epsilon 1e-7); `weight_decay` is decoupled (AdamW).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    /// Step size.
    pub learning_rate: f64,
    /// First-moment decay.
    pub beta_1: f64,
    /// Second-moment decay.
    pub beta_2: f64,
    /// Added to the denominator.
    pub epsilon: f64,
    /// Decoupled weight decay (0 = none).
    #[serde(default)]
    pub weight_decay: f64,
}

/// Stochastic gradient descent, optionally with (Nesterov) momentum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    /// Step size.
    pub learning_rate: f64,
    /// Momentum in [0, 1) (0 = plain SGD).
    pub momentum: f64,
    /// Nesterov momentum instead of classic momentum.
    pub nesterov: bool,
    /// Decoupled weight decay (0 = none).
    #[serde(default)]
    pub weight_decay: f64,
}

/// RMSprop (Keras defaults: rho 0.9, epsilon 1e-7, no momentum, not centered).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RmsProp {
    /// Step size.
    pub learning_rate: f64,
    /// Decay of the squared-gradient average.
    pub rho: f64,
    /// Momentum in [0, 1).
    pub momentum: f64,
    /// Added to the denominator.
    pub epsilon: f64,
    /// Normalise by the gradient's variance instead of its second moment.
    pub centered: bool,
    /// Decoupled weight decay (0 = none).
    #[serde(default)]
    pub weight_decay: f64,
}

impl Adam {
    /// Adam with Keras' defaults at this learning rate.
    pub fn new(learning_rate: f64) -> Self {
        Self {
            learning_rate,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            weight_decay: 0.0,
        }
    }

    /// Sets both moment decays.
    pub fn betas(mut self, beta_1: f64, beta_2: f64) -> Self {
        self.beta_1 = beta_1;
        self.beta_2 = beta_2;
        self
    }

    /// Sets epsilon.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// Sets decoupled weight decay.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl Sgd {
    /// Plain SGD at this learning rate.
    pub fn new(learning_rate: f64) -> Self {
        Self {
            learning_rate,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        }
    }

    /// Sets the momentum.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Uses Nesterov momentum (needs a momentum > 0).
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }

    /// Sets decoupled weight decay.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl RmsProp {
    /// RMSprop with Keras' defaults at this learning rate.
    pub fn new(learning_rate: f64) -> Self {
        Self {
            learning_rate,
            rho: 0.9,
            momentum: 0.0,
            epsilon: 1e-7,
            centered: false,
            weight_decay: 0.0,
        }
    }

    /// Sets rho (the squared-gradient decay).
    pub fn rho(mut self, rho: f64) -> Self {
        self.rho = rho;
        self
    }

    /// Sets the momentum.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Sets epsilon.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// Uses the centered variant.
    pub fn centered(mut self, centered: bool) -> Self {
        self.centered = centered;
        self
    }

    /// Sets decoupled weight decay.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

/// Which optimizer a network trains with, and its settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Optimizer {
    /// Adam.
    Adam(Adam),
    /// SGD.
    Sgd(Sgd),
    /// RMSprop.
    RmsProp(RmsProp),
}

impl Default for Optimizer {
    fn default() -> Self {
        Optimizer::Adam(Adam::new(1e-3))
    }
}

impl From<Adam> for Optimizer {
    fn from(a: Adam) -> Self {
        Optimizer::Adam(a)
    }
}

impl From<Sgd> for Optimizer {
    fn from(s: Sgd) -> Self {
        Optimizer::Sgd(s)
    }
}

impl From<RmsProp> for Optimizer {
    fn from(r: RmsProp) -> Self {
        Optimizer::RmsProp(r)
    }
}

fn in_unit(name: &str, v: f64, open_zero: bool) -> Result<(), SpecError> {
    let ok = v.is_finite() && v < 1.0 && (if open_zero { v > 0.0 } else { v >= 0.0 });
    if ok {
        Ok(())
    } else {
        let lo = if open_zero { "(0" } else { "[0" };
        Err(SpecError::Optimizer(format!(
            "{name} {v} is outside {lo}, 1)"
        )))
    }
}

fn positive(name: &str, v: f64) -> Result<(), SpecError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(SpecError::Optimizer(format!(
            "{name} {v} must be a positive number"
        )))
    }
}

impl Optimizer {
    /// Adam with Keras' defaults (convert with `.into()` or pass to `NetSpec::optimizer`).
    pub fn adam(learning_rate: f64) -> Adam {
        Adam::new(learning_rate)
    }

    /// Plain SGD; chain `.momentum(m).nesterov(true)`.
    pub fn sgd(learning_rate: f64) -> Sgd {
        Sgd::new(learning_rate)
    }

    /// RMSprop with Keras' defaults.
    pub fn rmsprop(learning_rate: f64) -> RmsProp {
        RmsProp::new(learning_rate)
    }

    /// The learning rate.
    pub fn learning_rate(&self) -> f64 {
        match self {
            Optimizer::Adam(a) => a.learning_rate,
            Optimizer::Sgd(s) => s.learning_rate,
            Optimizer::RmsProp(r) => r.learning_rate,
        }
    }

    /// Keras' name for it.
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Adam(_) => "adam",
            Optimizer::Sgd(_) => "sgd",
            Optimizer::RmsProp(_) => "rmsprop",
        }
    }

    /// Checks that every setting is in range.
    pub fn validate(&self) -> Result<(), SpecError> {
        positive("learning rate", self.learning_rate())?;
        match self {
            Optimizer::Adam(a) => {
                in_unit("beta_1", a.beta_1, false)?;
                in_unit("beta_2", a.beta_2, false)?;
                positive("epsilon", a.epsilon)?;
                non_negative(a.weight_decay)
            }
            Optimizer::Sgd(s) => {
                in_unit("momentum", s.momentum, false)?;
                if s.nesterov && s.momentum == 0.0 {
                    return Err(SpecError::Optimizer(
                        "Nesterov momentum needs a momentum > 0; set .momentum(m)".into(),
                    ));
                }
                non_negative(s.weight_decay)
            }
            Optimizer::RmsProp(r) => {
                in_unit("rho", r.rho, true)?;
                in_unit("momentum", r.momentum, false)?;
                positive("epsilon", r.epsilon)?;
                non_negative(r.weight_decay)
            }
        }
    }
}

fn non_negative(wd: f64) -> Result<(), SpecError> {
    if wd.is_finite() && wd >= 0.0 {
        Ok(())
    } else {
        Err(SpecError::Optimizer(format!(
            "weight decay {wd} must be 0 or positive"
        )))
    }
}
