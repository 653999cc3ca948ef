//! Why a data set could not be read or assembled.

use std::path::PathBuf;
use thiserror::Error;

/// Why a data set could not be read or assembled.
#[derive(Debug, Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The file ends before the data its header announces.
    #[error("{path} is truncated: its header announces {expected} bytes of data but only {found} follow; the file is incomplete, download or copy it again")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The file is not in the expected format.
    #[error("{path} is not a valid {format} file: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The format we tried to read ("IDX", "NPY", "CSV").
        format: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// Features and targets do not fit together.
    #[error("inconsistent data set: {0}")]
    Inconsistent(String),
    /// No directory holds the files we looked for.
    #[error("no Fashion-MNIST files found; looked in {tried}. Install Debian's `dataset-fashion-mnist` package or pass a directory holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]")]
    NotFound {
        /// The directories tried, comma-separated.
        tried: String,
    },
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(
        path: impl Into<PathBuf>,
        format: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        DataError::Corrupt {
            path: path.into(),
            format,
            reason: reason.into(),
        }
    }
}
