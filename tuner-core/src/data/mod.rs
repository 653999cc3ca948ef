//! In-memory data sets (with shuffles, splits, map and concat) and loaders for IDX (MNIST
//! format), NPY and CSV files.

mod baseline;
mod csv;
mod dataset;
mod error;
pub mod fashion_mnist;
mod idx;
mod npy;
mod split;

pub use baseline::ConstantBaseline;
pub use csv::{
    load_csv, load_csv_named, parse_csv, parse_csv_named, CsvOptions, CsvTask, Encoding, Missing,
    TargetColumn,
};
pub use dataset::{Dataset, Targets};
pub use error::DataError;
pub use idx::{load_idx, parse_idx, read_idx, IdxArray, IdxData};
pub use npy::{
    load_npy_classification, load_npy_regression, parse_npy, read_npy, NpyArray, NpyData,
};
pub use split::{shuffled_indices, stratified_indices};

use std::io::Read;
use std::path::Path;

/// The bytes of `path`, gunzipped when they start with the gzip magic number.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if raw.len() < 2 || raw[..2] != [0x1f, 0x8b] {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .map_err(|e| {
            let reason = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "the gzip stream ends early: the file is truncated".to_string()
            } else {
                format!("the gzip stream is damaged: {e}")
            };
            DataError::corrupt(path, "gzip", reason)
        })?;
    Ok(out)
}
