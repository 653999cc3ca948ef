//! Hyperparameter tuning for Rust with typed, compile-time-checked search spaces.
//!
//! Annotate a model-builder function with [`hypermodel`] and write `hp_int!`, `hp_float!`,
//! `hp_choice!`, `hp_bool!` and `hp_fixed!` where values should be searched.

#[cfg(feature = "burn")]
pub use tuner_core::burn;
pub use tuner_core::*;
pub use tuner_macros::*;

mod reporter;
pub use reporter::Report;

/// The README's code blocks, compiled as doctests so that the README cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Everything a model-builder file needs.
pub mod prelude {
    pub use tuner_core::data::Dataset;
    pub use tuner_core::hypermodel::{HyperBlock, HyperModel};
    pub use tuner_core::model::{
        Callback, ClassWeight, Control, EarlyStopping, Fit, History, Metric, ModelSpec,
        ReduceLROnPlateau, Trainable,
    };
    pub use tuner_core::objective::Objective;
    // What a first program tunes with: the tuner, its oracles, and the study it keeps.
    pub use tuner_core::oracle::{BayesianOptimization, GridSearch, Hyperband, RandomSearch, Tpe};
    pub use tuner_core::space::{HyperParameters, Param, SearchSpace, Value};
    pub use tuner_core::study::Study;
    pub use tuner_core::trial::Metrics;
    pub use tuner_core::tuner::{TrialError, Tuner};
    // What `main` returns so that a failure prints sentences, not a `Debug` dump.
    pub use crate::Report;
    // `Activation` stays out: a builder file often glob-imports its own activation enum.
    #[cfg(feature = "nn")]
    pub use tuner_core::nn::{Adam, Loss, NetSpec, Network, Optimizer, RmsProp, Sgd};
    // Image layers' settings and the ready-made hypermodels.
    #[cfg(feature = "nn")]
    pub use tuner_core::models::{Augmented, HyperCnn, HyperImageAugment, HyperMlp};
    #[cfg(feature = "nn")]
    pub use tuner_core::nn::{FlipMode, Padding};
    pub use tuner_macros::{
        hp_block, hp_bool, hp_choice, hp_fixed, hp_float, hp_int, hyperblock, hypermodel,
    };
}

/// Paths the generated code names; not a public API.
#[doc(hidden)]
pub use tuner_core::__private;
