//! IDX files (the MNIST / Fashion-MNIST format), plain or gzipped.
//!
//! Layout: two zero bytes, a type byte, the number of dimensions, each dimension as a
//! big-endian u32, then the values big-endian, row-major.

use super::{read_maybe_gz, DataError, Dataset};
use std::path::Path;

/// The values of an IDX file in their stored type.
#[derive(Clone, Debug, PartialEq)]
pub enum IdxData {
    /// Type byte 0x08.
    U8(Vec<u8>),
    /// Type byte 0x09.
    I8(Vec<i8>),
    /// Type byte 0x0B.
    I16(Vec<i16>),
    /// Type byte 0x0C.
    I32(Vec<i32>),
    /// Type byte 0x0D.
    F32(Vec<f32>),
    /// Type byte 0x0E.
    F64(Vec<f64>),
}

/// A whole IDX file: its dimensions and values.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    /// The dimensions, outermost first (`[n, 28, 28]` for images).
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub data: IdxData,
}

impl IdxArray {
    /// The values as f32; u8 values are scaled to [0, 1] (pixel intensities).
    pub fn to_f32_normalised(&self) -> Vec<f32> {
        match &self.data {
            IdxData::U8(v) => v.iter().map(|&x| f32::from(x) / 255.0).collect(),
            IdxData::I8(v) => v.iter().map(|&x| f32::from(x)).collect(),
            IdxData::I16(v) => v.iter().map(|&x| f32::from(x)).collect(),
            IdxData::I32(v) => v.iter().map(|&x| x as f32).collect(),
            IdxData::F32(v) => v.clone(),
            IdxData::F64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    /// The values as class indices, if they are all non-negative integers.
    pub fn to_labels(&self) -> Option<Vec<usize>> {
        fn conv<T: Copy>(v: &[T], f: impl Fn(T) -> Option<usize>) -> Option<Vec<usize>> {
            v.iter().map(|&x| f(x)).collect()
        }
        match &self.data {
            IdxData::U8(v) => Some(v.iter().map(|&x| usize::from(x)).collect()),
            IdxData::I8(v) => conv(v, |x| usize::try_from(x).ok()),
            IdxData::I16(v) => conv(v, |x| usize::try_from(x).ok()),
            IdxData::I32(v) => conv(v, |x| usize::try_from(x).ok()),
            IdxData::F32(_) | IdxData::F64(_) => None,
        }
    }
}

/// Reads an IDX file; gzip is detected from the content, not the name.
pub fn read_idx(path: &Path) -> Result<IdxArray, DataError> {
    let bytes = read_maybe_gz(path)?;
    parse_idx(&bytes, path)
}

/// Parses the bytes of an IDX file; `path` only names the file in errors.
pub fn parse_idx(bytes: &[u8], path: &Path) -> Result<IdxArray, DataError> {
    let corrupt = |reason: String| DataError::corrupt(path, "IDX", reason);
    if bytes.len() < 4 {
        return Err(DataError::Truncated {
            path: path.into(),
            expected: 4,
            found: bytes.len(),
        });
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(corrupt(format!(
            "the magic number starts with {:#04x} {:#04x} instead of two zero bytes",
            bytes[0], bytes[1]
        )));
    }
    let (type_byte, ndim) = (bytes[2], usize::from(bytes[3]));
    let elem = match type_byte {
        0x08 | 0x09 => 1,
        0x0B => 2,
        0x0C | 0x0D => 4,
        0x0E => 8,
        t => return Err(corrupt(format!("unknown value type byte {t:#04x}"))),
    };
    if ndim == 0 {
        return Err(corrupt("the header declares zero dimensions".into()));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(DataError::Truncated {
            path: path.into(),
            expected: header,
            found: bytes.len(),
        });
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| corrupt(format!("dimensions {dims:?} overflow")))?;
    let expected = count
        .checked_mul(elem)
        .ok_or_else(|| corrupt(format!("dimensions {dims:?} overflow")))?;
    let body = &bytes[header..];
    if body.len() < expected {
        return Err(DataError::Truncated {
            path: path.into(),
            expected,
            found: body.len(),
        });
    }
    if body.len() > expected {
        return Err(corrupt(format!(
            "{} bytes follow the {expected} bytes of data the header {dims:?} announces",
            body.len() - expected
        )));
    }
    let data = match type_byte {
        0x08 => IdxData::U8(body.to_vec()),
        0x09 => IdxData::I8(body.iter().map(|&b| b as i8).collect()),
        0x0B => IdxData::I16(
            body.chunks_exact(2)
                .map(|c| i16::from_be_bytes([c[0], c[1]]))
                .collect(),
        ),
        0x0C => IdxData::I32(
            body.chunks_exact(4)
                .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        0x0D => IdxData::F32(
            body.chunks_exact(4)
                .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        _ => IdxData::F64(
            body.chunks_exact(8)
                .map(|c| f64::from_be_bytes(c.try_into().expect("chunks of 8")))
                .collect(),
        ),
    };
    Ok(IdxArray { dims, data })
}

/// A classification set from an IDX images file and an IDX labels file.
///
/// u8 pixels are scaled to [0, 1]; the feature shape is the images' dimensions after the
/// first. `num_classes` defaults to the largest label + 1.
pub fn load_idx(
    images: &Path,
    labels: &Path,
    num_classes: Option<usize>,
) -> Result<Dataset, DataError> {
    let x = read_idx(images)?;
    let y = read_idx(labels)?;
    if x.dims.len() < 2 {
        return Err(DataError::corrupt(
            images,
            "IDX",
            format!(
                "an images file needs at least 2 dimensions (samples, features...), found {:?}",
                x.dims
            ),
        ));
    }
    if y.dims.len() != 1 {
        return Err(DataError::corrupt(
            labels,
            "IDX",
            format!("a labels file has exactly 1 dimension, found {:?}", y.dims),
        ));
    }
    if x.dims[0] != y.dims[0] {
        return Err(DataError::Inconsistent(format!(
            "{} holds {} images but {} holds {} labels",
            images.display(),
            x.dims[0],
            labels.display(),
            y.dims[0]
        )));
    }
    let lab = y
        .to_labels()
        .ok_or_else(|| DataError::corrupt(labels, "IDX", "labels must be non-negative integers"))?;
    let k = num_classes.unwrap_or_else(|| lab.iter().max().map_or(1, |m| m + 1));
    Dataset::classification(x.to_f32_normalised(), x.dims[1..].to_vec(), lab, k)
}
