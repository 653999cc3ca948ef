//! What can go wrong describing, building, training or checkpointing a network.

use crate::data::DataError;
use std::path::PathBuf;
use thiserror::Error;

/// A `NetSpec` that cannot be built.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum SpecError {
    /// The input shape is empty or has a zero dimension.
    #[error("input shape {0:?} is empty or has a zero dimension; start with NetSpec::input(width) with width > 0")]
    Input(Vec<usize>),
    /// One layer is invalid.
    #[error("layer {index}: {reason}")]
    Layer {
        /// The layer's position in the spec.
        index: usize,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// There is nothing to train.
    #[error("the network has no dense layer, so nothing to train; add .dense(units)")]
    NoDense,
    /// The last layer does not produce flat samples.
    #[error("the network's output shape {0:?} is not flat; end with a dense layer or .flatten()")]
    OutputShape(Vec<usize>),
    /// An optimizer setting is out of range.
    #[error("optimizer: {0}")]
    Optimizer(String),
    /// The loss does not fit the network.
    #[error("loss: {0}")]
    Loss(String),
    /// An activation name is unknown.
    #[error("unknown activation {0:?}; use relu, tanh, sigmoid, gelu, leaky_relu or linear")]
    UnknownActivation(String),
}

/// Why a network could not be built, trained, evaluated, saved or loaded.
#[derive(Debug, Error)]
pub enum NnError {
    /// The spec is invalid.
    #[error("invalid network spec: {0}")]
    Spec(#[from] SpecError),
    /// Samples do not have the width the network takes.
    #[error("wrong input width: the network takes {expected} values per sample but the data has {found}; change NetSpec::input or reshape the data")]
    InputWidth {
        /// The network's input width.
        expected: usize,
        /// The data's feature width.
        found: usize,
    },
    /// A flat feature slice is not a whole number of samples.
    #[error("{len} feature values are not a whole number of samples of {width} values")]
    FeatureCount {
        /// The network's input width.
        width: usize,
        /// The values given.
        len: usize,
    },
    /// Targets do not fit the loss or the output layer.
    #[error("targets do not fit the network: {0}")]
    Targets(String),
    /// A `Fit` setting is out of range.
    #[error("invalid fit settings: {0}")]
    Fit(String),
    /// A training setting is out of range.
    #[error("invalid fit settings: {0}")]
    Settings(#[from] crate::model::FitError),
    /// A checkpoint file does not fit (wrong shapes, names, format).
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What does not fit.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// dfdx reported an error (allocation failure, unused parameters).
    #[error("dfdx device error: {0}")]
    Device(String),
    /// A data file could not be read.
    #[error(transparent)]
    Data(#[from] DataError),
}

impl NnError {
    pub(crate) fn checkpoint(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        NnError::Checkpoint {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn device(e: impl std::fmt::Debug) -> Self {
        NnError::Device(format!("{e:?}"))
    }
}
