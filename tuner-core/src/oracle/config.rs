//! The oracle's settings as a typed value: what a study stores to rebuild its oracle and to
//! detect a resume with other settings. Read and written here only; each oracle's
//! [`Oracle::config`] fills in its variant.
//!
//! The stored JSON is the oracle's name plus its settings, e.g. `{"name": "hyperband",
//! "max_epochs": 9, "factor": 3, "hyperband_iterations": 1}`: the form studies have always
//! stored, so existing studies read back unchanged.

use super::{
    Acquisition, Asha, BayesianOptimization, Bohb, Crossover, GridSearch, Hyperband,
    MultiObjectiveSplit, Mutation, Nsga2, Oracle, RandomSearch, Scalarisation, Tpe,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which oracle a study uses, with every setting that changes its decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum OracleConfig {
    /// [`RandomSearch`].
    Random,
    /// [`GridSearch`].
    Grid,
    /// [`Hyperband`].
    Hyperband {
        /// The most epochs a trial trains.
        max_epochs: u32,
        /// The reduction factor between rounds.
        factor: u32,
        /// How often the whole set of brackets runs.
        hyperband_iterations: u32,
    },
    /// [`Bohb`]: Hyperband with model-based new configurations.
    Bohb {
        /// The most epochs a trial trains.
        max_epochs: u32,
        /// The reduction factor between rounds.
        factor: u32,
        /// How often the whole set of brackets runs.
        hyperband_iterations: u32,
        /// The share of new configurations drawn at random (BOHB's rho).
        random_fraction: f64,
        /// Observations a budget needs for the model; `None` for the parameters + 2.
        min_points: Option<usize>,
    },
    /// [`Asha`]: asynchronous successive halving.
    Asha {
        /// Epochs of the first rung.
        min_epochs: u32,
        /// Epochs of the last rung.
        max_epochs: u32,
        /// The reduction factor between rungs.
        factor: u32,
    },
    /// [`BayesianOptimization`].
    Bayesian {
        /// Random initial trials; `None` for KerasTuner's `max(3 * dims, 3)`.
        num_initial_points: Option<usize>,
        /// The acquisition function.
        acquisition: Acquisition,
        /// Candidates scored per suggestion.
        candidates: usize,
        /// Whether losses are Gaussianised before the GP sees them.
        output_warping: bool,
        /// How several objectives become the GP's one value.
        #[serde(default)]
        multi_objective: Scalarisation,
    },
    /// [`Tpe`].
    Tpe {
        /// Random trials before the estimators take over.
        n_startup_trials: usize,
        /// Candidates drawn per suggestion.
        n_ei_candidates: usize,
        /// Joint estimators over parameters.
        multivariate: bool,
        /// Groups of a conditional space sampled jointly.
        group: bool,
        /// Weight of the prior kernel.
        prior_weight: f64,
        /// Running trials count as bad observations.
        constant_liar: bool,
        /// How several objectives split good from bad (absent in studies stored before it
        /// existed: the default).
        #[serde(default)]
        multi_objective: MultiObjectiveSplit,
    },
    /// [`Nsga2`].
    Nsga2 {
        /// Trials per generation.
        population_size: usize,
        /// The crossover operator.
        crossover: Crossover,
        /// The chance a child is a crossover rather than a copy.
        crossover_prob: f64,
        /// The mutation operator.
        mutation: Mutation,
        /// The chance each parameter mutates; `None` for 1 / the number of parameters.
        mutation_prob: Option<f64>,
    },
    /// An oracle defined outside this crate: stored so that a resume with another one is
    /// caught, but not rebuilt from the study (its program must supply it).
    Custom {
        /// The oracle's name.
        oracle: String,
        /// Its settings, in whatever form it chose.
        settings: serde_json::Value,
    },
}

/// A stored oracle configuration that cannot be turned back into an oracle.
#[derive(Debug, Clone, Error)]
pub enum OracleConfigError {
    /// A custom oracle: only the program that defines it can run it.
    #[error(
        "the study's oracle `{0}` is defined by the program that created the study, not by \
         tuner: run that program, or pick a built-in oracle (random, grid, hyperband, \
         bohb, asha, bayesian, tpe, nsga2) for a new study"
    )]
    Custom(String),
    /// The builders clamp some settings (e.g. a Hyperband factor below 2); a stored value
    /// outside their range would silently become another oracle.
    #[error(
        "the study's oracle settings {stored} cannot be rebuilt by this tuner (it would use \
         {rebuilt}): upgrade tuner, or start a new study"
    )]
    Unbuildable {
        /// The stored settings, as JSON.
        stored: String,
        /// What the builders made of them, as JSON.
        rebuilt: String,
    },
}

/// The setting in which two oracle configurations differ.
#[derive(Debug, Clone, PartialEq)]
pub struct OracleDifference {
    /// `oracle` when they are different oracles, else `oracle setting `name``.
    pub what: String,
    /// The first configuration's value.
    pub left: String,
    /// The second configuration's value.
    pub right: String,
}

impl OracleConfig {
    /// The oracle's name, as [`Oracle::name`] gives it (a custom oracle's own name).
    pub fn name(&self) -> &str {
        match self {
            OracleConfig::Random => "random",
            OracleConfig::Grid => "grid",
            OracleConfig::Hyperband { .. } => "hyperband",
            OracleConfig::Bohb { .. } => "bohb",
            OracleConfig::Asha { .. } => "asha",
            OracleConfig::Bayesian { .. } => "bayesian",
            OracleConfig::Tpe { .. } => "tpe",
            OracleConfig::Nsga2 { .. } => "nsga2",
            OracleConfig::Custom { oracle, .. } => oracle,
        }
    }

    /// The settings as stored (the name under `name`, the settings beside it).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("oracle settings are plain data")
    }

    /// The oracle these settings describe.
    pub fn build(&self) -> Result<Box<dyn Oracle>, OracleConfigError> {
        let oracle: Box<dyn Oracle> = match self {
            OracleConfig::Random => Box::new(RandomSearch::new()),
            OracleConfig::Grid => Box::new(GridSearch::new()),
            OracleConfig::Hyperband {
                max_epochs,
                factor,
                hyperband_iterations,
            } => Box::new(
                Hyperband::new(*max_epochs)
                    .factor(*factor)
                    .iterations(*hyperband_iterations),
            ),
            OracleConfig::Bohb {
                max_epochs,
                factor,
                hyperband_iterations,
                random_fraction,
                min_points,
            } => Box::new(
                Bohb::new(*max_epochs)
                    .factor(*factor)
                    .iterations(*hyperband_iterations)
                    .random_fraction(*random_fraction)
                    .min_points(*min_points),
            ),
            OracleConfig::Asha {
                min_epochs,
                max_epochs,
                factor,
            } => Box::new(
                Asha::new(*max_epochs)
                    .min_epochs(*min_epochs)
                    .factor(*factor),
            ),
            OracleConfig::Bayesian {
                num_initial_points,
                acquisition,
                candidates,
                output_warping,
                multi_objective,
            } => {
                let mut bo = BayesianOptimization::new()
                    .acquisition(*acquisition)
                    .candidates(*candidates)
                    .output_warping(*output_warping)
                    .multi_objective(*multi_objective);
                if let Some(n) = num_initial_points {
                    bo = bo.num_initial_points(*n);
                }
                Box::new(bo)
            }
            OracleConfig::Tpe {
                n_startup_trials,
                n_ei_candidates,
                multivariate,
                group,
                prior_weight,
                constant_liar,
                multi_objective,
            } => Box::new(
                Tpe::new()
                    .n_startup_trials(*n_startup_trials)
                    .n_ei_candidates(*n_ei_candidates)
                    .multivariate(*multivariate)
                    .group(*group)
                    .prior_weight(*prior_weight)
                    .constant_liar(*constant_liar)
                    .multi_objective(*multi_objective),
            ),
            OracleConfig::Nsga2 {
                population_size,
                crossover,
                crossover_prob,
                mutation,
                mutation_prob,
            } => Box::new(
                Nsga2::new()
                    .population_size(*population_size)
                    .crossover(*crossover)
                    .crossover_prob(*crossover_prob)
                    .mutation(*mutation)
                    .mutation_prob(*mutation_prob),
            ),
            OracleConfig::Custom { oracle, .. } => {
                return Err(OracleConfigError::Custom(oracle.clone()))
            }
        };
        let rebuilt = oracle.config();
        if rebuilt != *self {
            return Err(OracleConfigError::Unbuildable {
                stored: self.to_json().to_string(),
                rebuilt: rebuilt.to_json().to_string(),
            });
        }
        Ok(oracle)
    }

    /// Where `self` and `other` differ: the oracle itself, or its first differing setting.
    pub fn difference(&self, other: &OracleConfig) -> Option<OracleDifference> {
        if self == other {
            return None;
        }
        if self.name() != other.name()
            || std::mem::discriminant(self) != std::mem::discriminant(other)
        {
            return Some(OracleDifference {
                what: "oracle".to_owned(),
                left: self.to_json().to_string(),
                right: other.to_json().to_string(),
            });
        }
        let (left, right) = (self.to_json(), other.to_json());
        let (Some(l), Some(r)) = (left.as_object(), right.as_object()) else {
            unreachable!("an oracle configuration serialises as an object with its name")
        };
        let null = serde_json::Value::Null;
        l.keys()
            .chain(r.keys())
            .find(|k| l.get(*k).unwrap_or(&null) != r.get(*k).unwrap_or(&null))
            .map(|key| OracleDifference {
                what: format!("{} setting `{key}`", self.name()),
                left: l.get(key).unwrap_or(&null).to_string(),
                right: r.get(key).unwrap_or(&null).to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn every_builtin() -> Vec<OracleConfig> {
        vec![
            RandomSearch::new().config(),
            GridSearch::new().config(),
            Hyperband::new(27).factor(3).iterations(2).config(),
            Bohb::new(10).config(),
            Bohb::new(27)
                .factor(3)
                .iterations(2)
                .random_fraction(0.2)
                .min_points(Some(6))
                .config(),
            Asha::new(20).min_epochs(2).factor(4).config(),
            BayesianOptimization::new().config(),
            BayesianOptimization::new()
                .num_initial_points(5)
                .acquisition(Acquisition::Ucb { beta: 2.6 })
                .multi_objective(Scalarisation::Sum)
                .config(),
            Tpe::new().n_startup_trials(4).multivariate(false).config(),
            Tpe::new()
                .multi_objective(MultiObjectiveSplit::UniformWeights)
                .config(),
            Nsga2::new().config(),
            Nsga2::new()
                .population_size(30)
                .crossover(Crossover::Sbx { eta: 15.0 })
                .mutation(Mutation::Polynomial { eta: 20.0 })
                .mutation_prob(Some(0.1))
                .config(),
        ]
    }

    #[test]
    fn every_builtin_oracle_is_rebuilt_from_its_stored_settings() {
        for config in every_builtin() {
            let stored = config.to_json().to_string();
            let read: OracleConfig = serde_json::from_str(&stored).unwrap();
            assert_eq!(read, config);
            assert_eq!(read.build().unwrap().config(), config, "{stored}");
        }
    }

    #[test]
    fn the_stored_form_is_the_one_studies_always_had() {
        let hb: OracleConfig = serde_json::from_value(json!({
            "name": "hyperband", "max_epochs": 9, "factor": 3, "hyperband_iterations": 1
        }))
        .unwrap();
        assert_eq!(hb, Hyperband::new(9).config());
        let tpe: OracleConfig = serde_json::from_value(json!({
            "name": "tpe", "n_startup_trials": 10, "n_ei_candidates": 24, "multivariate": true,
            "group": true, "prior_weight": 1.0, "constant_liar": true
        }))
        .unwrap();
        assert_eq!(tpe, Tpe::new().config());
        let bo: OracleConfig = serde_json::from_value(json!({
            "name": "bayesian", "num_initial_points": null, "acquisition": {"kind": "log_ei"},
            "candidates": 2048, "output_warping": true
        }))
        .unwrap();
        assert_eq!(bo, BayesianOptimization::new().config());
        assert_eq!(
            RandomSearch::new().config().to_json(),
            json!({"name": "random"})
        );
    }

    #[test]
    fn unknown_or_unbuildable_oracles_are_errors_that_say_so() {
        assert!(serde_json::from_value::<OracleConfig>(json!({"name": "annealing"})).is_err());
        let custom = OracleConfig::Custom {
            oracle: "annealing".to_owned(),
            settings: json!({"t0": 1.0}),
        };
        let err = custom.build().err().unwrap().to_string();
        assert!(err.contains("`annealing`"), "{err}");
        let clamped = OracleConfig::Hyperband {
            max_epochs: 9,
            factor: 1,
            hyperband_iterations: 1,
        };
        let err = clamped.build().err().unwrap().to_string();
        assert!(err.contains("cannot be rebuilt"), "{err}");
    }

    #[test]
    fn a_difference_names_the_oracle_or_the_setting() {
        let grid = GridSearch::new().config();
        let random = RandomSearch::new().config();
        assert_eq!(grid.difference(&grid), None);
        assert_eq!(grid.difference(&random).unwrap().what, "oracle");
        let a = Hyperband::new(9).factor(3).config();
        let b = Hyperband::new(9).factor(4).config();
        let d = a.difference(&b).unwrap();
        assert_eq!(d.what, "hyperband setting `factor`");
        assert_eq!((d.left.as_str(), d.right.as_str()), ("3", "4"));
    }
}
