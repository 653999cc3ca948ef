//! NumPy `.npy` files (format versions 1, 2 and 3; C order; numeric dtypes).

use super::{read_maybe_gz, DataError, Dataset};
use std::path::Path;

/// The values of an NPY array, widened to one of a few element types.
#[derive(Clone, Debug, PartialEq)]
pub enum NpyData {
    /// `f4` (and `f2` is rejected).
    F32(Vec<f32>),
    /// `f8`.
    F64(Vec<f64>),
    /// `u1` and `b1`.
    U8(Vec<u8>),
    /// Every other integer type, widened.
    I64(Vec<i64>),
}

/// A whole NPY array: its shape and values (row-major).
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    /// The array's shape (`[]` for a scalar).
    pub shape: Vec<usize>,
    /// The values.
    pub data: NpyData,
}

impl NpyArray {
    /// The values as f32, unscaled.
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.data {
            NpyData::F32(v) => v.clone(),
            NpyData::F64(v) => v.iter().map(|&x| x as f32).collect(),
            NpyData::U8(v) => v.iter().map(|&x| f32::from(x)).collect(),
            NpyData::I64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    /// The values as class indices, if they are all non-negative integers.
    pub fn to_labels(&self) -> Option<Vec<usize>> {
        match &self.data {
            NpyData::U8(v) => Some(v.iter().map(|&x| usize::from(x)).collect()),
            NpyData::I64(v) => v.iter().map(|&x| usize::try_from(x).ok()).collect(),
            NpyData::F32(_) | NpyData::F64(_) => None,
        }
    }
}

/// Reads a `.npy` file (gzip-compressed files are accepted too).
pub fn read_npy(path: &Path) -> Result<NpyArray, DataError> {
    let bytes = read_maybe_gz(path)?;
    parse_npy(&bytes, path)
}

/// Finds `'key':` in a header dict and returns the text after it.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    for quote in ['\'', '"'] {
        let pat = format!("{quote}{key}{quote}");
        if let Some(pos) = header.find(&pat) {
            let rest = header[pos + pat.len()..].trim_start();
            return rest.strip_prefix(':').map(str::trim_start);
        }
    }
    None
}

/// Parses the bytes of a `.npy` file; `path` only names the file in errors.
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<NpyArray, DataError> {
    let corrupt = |reason: String| DataError::corrupt(path, "NPY", reason);
    let truncated = |expected: usize| DataError::Truncated {
        path: path.into(),
        expected,
        found: bytes.len(),
    };
    if bytes.len() < 10 {
        return Err(truncated(10));
    }
    if &bytes[..6] != b"\x93NUMPY" {
        return Err(corrupt(
            "the file does not start with the magic string \\x93NUMPY".into(),
        ));
    }
    let (len_bytes, start) = match bytes[6] {
        1 => (2, 8),
        2 | 3 => (4, 8),
        v => return Err(corrupt(format!("unknown format version {v}.{}", bytes[7]))),
    };
    if bytes.len() < start + len_bytes {
        return Err(truncated(start + len_bytes));
    }
    let header_len = if len_bytes == 2 {
        usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))
    } else {
        u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize
    };
    let data_start = start + len_bytes + header_len;
    if bytes.len() < data_start {
        return Err(truncated(data_start));
    }
    let header = std::str::from_utf8(&bytes[start + len_bytes..data_start])
        .map_err(|_| corrupt("the header is not text".into()))?;

    let descr = dict_value(header, "descr")
        .and_then(|v| {
            let q = v.chars().next()?;
            let v = &v[1..];
            v.find(q).map(|end| &v[..end])
        })
        .ok_or_else(|| corrupt(format!("no 'descr' in header {header:?}")))?;
    let fortran = dict_value(header, "fortran_order")
        .ok_or_else(|| corrupt(format!("no 'fortran_order' in header {header:?}")))?;
    if fortran.starts_with("True") {
        return Err(corrupt(
            "Fortran-ordered arrays are not supported; save with np.ascontiguousarray(a)".into(),
        ));
    }
    let shape_text = dict_value(header, "shape")
        .and_then(|v| v.strip_prefix('('))
        .and_then(|v| v.find(')').map(|end| &v[..end]))
        .ok_or_else(|| corrupt(format!("no 'shape' tuple in header {header:?}")))?;
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<usize>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| corrupt(format!("shape ({shape_text}) is not a tuple of integers")))?;

    let (order, kind) = descr.split_at(1.min(descr.len()));
    let big = match order {
        "<" | "|" | "=" => false,
        ">" => true,
        _ => return Err(corrupt(format!("dtype {descr:?} has no byte-order mark"))),
    };
    let size = match kind {
        "f4" | "i4" | "u4" => 4,
        "f8" | "i8" | "u8" => 8,
        "i2" | "u2" => 2,
        "i1" | "u1" | "b1" => 1,
        _ => {
            return Err(corrupt(format!(
                "dtype {descr:?} is not supported; use float32/float64, an integer type or bool"
            )))
        }
    };
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .and_then(|c| c.checked_mul(size))
        .ok_or_else(|| corrupt(format!("shape {shape:?} overflows")))?;
    let body = &bytes[data_start..];
    if body.len() < count {
        return Err(DataError::Truncated {
            path: path.into(),
            expected: count,
            found: body.len(),
        });
    }
    if body.len() > count {
        return Err(corrupt(format!(
            "{} bytes follow the {count} bytes of data the header announces",
            body.len() - count
        )));
    }
    fn words<const N: usize>(body: &[u8], big: bool) -> impl Iterator<Item = [u8; N]> + '_ {
        body.chunks_exact(N).map(move |c| {
            let mut a: [u8; N] = c.try_into().expect("exact chunk");
            if big {
                a.reverse();
            }
            a
        })
    }
    let data = match kind {
        "f4" => NpyData::F32(words::<4>(body, big).map(f32::from_le_bytes).collect()),
        "f8" => NpyData::F64(words::<8>(body, big).map(f64::from_le_bytes).collect()),
        "u1" | "b1" => NpyData::U8(body.to_vec()),
        "i1" => NpyData::I64(body.iter().map(|&b| i64::from(b as i8)).collect()),
        "i2" => NpyData::I64(
            words::<2>(body, big)
                .map(|w| i64::from(i16::from_le_bytes(w)))
                .collect(),
        ),
        "u2" => NpyData::I64(
            words::<2>(body, big)
                .map(|w| i64::from(u16::from_le_bytes(w)))
                .collect(),
        ),
        "i4" => NpyData::I64(
            words::<4>(body, big)
                .map(|w| i64::from(i32::from_le_bytes(w)))
                .collect(),
        ),
        "u4" => NpyData::I64(
            words::<4>(body, big)
                .map(|w| i64::from(u32::from_le_bytes(w)))
                .collect(),
        ),
        "i8" => NpyData::I64(words::<8>(body, big).map(i64::from_le_bytes).collect()),
        _ => NpyData::I64(
            words::<8>(body, big)
                .map(|w| i64::try_from(u64::from_le_bytes(w)).unwrap_or(i64::MAX))
                .collect(),
        ),
    };
    Ok(NpyArray { shape, data })
}

fn split_features(path: &Path, a: &NpyArray) -> Result<(usize, Vec<usize>), DataError> {
    match a.shape.split_first() {
        Some((&n, rest)) => Ok((
            n,
            if rest.is_empty() {
                vec![1]
            } else {
                rest.to_vec()
            },
        )),
        None => Err(DataError::corrupt(
            path,
            "NPY",
            "a features array needs a sample dimension, found a scalar",
        )),
    }
}

/// A classification set from a features array (`[n, ...]`) and a labels array (`[n]`).
pub fn load_npy_classification(
    features: &Path,
    labels: &Path,
    num_classes: Option<usize>,
) -> Result<Dataset, DataError> {
    let x = read_npy(features)?;
    let y = read_npy(labels)?;
    let (n, shape) = split_features(features, &x)?;
    let lab = y
        .to_labels()
        .ok_or_else(|| DataError::corrupt(labels, "NPY", "labels must be non-negative integers"))?;
    if lab.len() != n {
        return Err(DataError::Inconsistent(format!(
            "{} holds {n} samples but {} holds {} labels",
            features.display(),
            labels.display(),
            lab.len()
        )));
    }
    let k = num_classes.unwrap_or_else(|| lab.iter().max().map_or(1, |m| m + 1));
    Dataset::classification(x.to_f32(), shape, lab, k)
}

/// A regression set from a features array (`[n, ...]`) and a targets array (`[n]` or `[n, w]`).
pub fn load_npy_regression(features: &Path, targets: &Path) -> Result<Dataset, DataError> {
    let x = read_npy(features)?;
    let y = read_npy(targets)?;
    let (n, shape) = split_features(features, &x)?;
    let (m, tshape) = split_features(targets, &y)?;
    if m != n {
        return Err(DataError::Inconsistent(format!(
            "{} holds {n} samples but {} holds {m} targets",
            features.display(),
            targets.display()
        )));
    }
    Dataset::regression(x.to_f32(), shape, y.to_f32(), tshape.iter().product())
}
