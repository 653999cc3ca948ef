//! Numeric CSV files: one sample per line, one column holding the label or target.

use super::{read_maybe_gz, DataError, Dataset};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which column holds the label or target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TargetColumn {
    /// The last column.
    Last,
    /// The first column (as in the Kaggle MNIST CSVs).
    First,
    /// The column at this 0-based index.
    Index(usize),
    /// The column with this header name (needs `has_header`).
    Name(String),
}

/// What the target column means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CsvTask {
    /// Non-negative integer class labels; `num_classes` defaults to the largest label + 1.
    Classification {
        /// Number of classes, if known.
        num_classes: Option<usize>,
    },
    /// A real-valued target.
    Regression,
}

/// How to read a CSV file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CsvOptions {
    /// Field separator (`,` by default).
    pub delimiter: char,
    /// Whether the first line names the columns (true by default).
    pub has_header: bool,
    /// The label/target column (the last by default).
    pub target: TargetColumn,
    /// Classification (default) or regression.
    pub task: CsvTask,
    /// Multiply every feature by this (e.g. `1/255` for pixels); 1 by default.
    pub feature_scale: f32,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            delimiter: ',',
            has_header: true,
            target: TargetColumn::Last,
            task: CsvTask::Classification { num_classes: None },
            feature_scale: 1.0,
        }
    }
}

fn unquote(field: &str) -> &str {
    let f = field.trim();
    f.strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(f)
}

/// Reads a numeric CSV file (gzip accepted) into a data set of flat feature rows.
pub fn load_csv(path: &Path, opts: &CsvOptions) -> Result<Dataset, DataError> {
    let bytes = read_maybe_gz(path)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| DataError::corrupt(path, "CSV", format!("not UTF-8 text: {e}")))?;
    parse_csv(text, path, opts)
}

/// Parses CSV text; `path` only names the file in errors.
pub fn parse_csv(text: &str, path: &Path, opts: &CsvOptions) -> Result<Dataset, DataError> {
    let corrupt = |line: usize, reason: String| {
        DataError::corrupt(path, "CSV", format!("line {line}: {reason}"))
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let header: Option<Vec<String>> = if opts.has_header {
        let (_, l) = lines.next().ok_or_else(|| {
            DataError::corrupt(path, "CSV", "the file is empty (expected a header line)")
        })?;
        Some(
            l.split(opts.delimiter)
                .map(|f| unquote(f).to_string())
                .collect(),
        )
    } else {
        None
    };
    let mut width: Option<usize> = header.as_ref().map(Vec::len);
    let mut target_idx: Option<usize> = None;
    let mut features = Vec::new();
    let mut targets: Vec<f64> = Vec::new();
    for (line_no, line) in lines {
        let fields: Vec<&str> = line.split(opts.delimiter).map(unquote).collect();
        let w = *width.get_or_insert(fields.len());
        if fields.len() != w {
            return Err(corrupt(
                line_no,
                format!("{} fields where the first row has {w}", fields.len()),
            ));
        }
        if w < 2 {
            return Err(corrupt(
                line_no,
                "a row needs at least one feature and a target column".into(),
            ));
        }
        let t = match target_idx {
            Some(t) => t,
            None => {
                let t = match &opts.target {
                    TargetColumn::Last => w - 1,
                    TargetColumn::First => 0,
                    TargetColumn::Index(i) => *i,
                    TargetColumn::Name(name) => header
                        .as_ref()
                        .and_then(|h| h.iter().position(|c| c == name))
                        .ok_or_else(|| {
                            DataError::corrupt(
                                path,
                                "CSV",
                                format!("no column named {name:?} in the header {header:?}"),
                            )
                        })?,
                };
                if t >= w {
                    return Err(corrupt(
                        line_no,
                        format!("target column {t} is beyond the {w} columns"),
                    ));
                }
                *target_idx.get_or_insert(t)
            }
        };
        for (col, field) in fields.iter().enumerate() {
            let v: f64 = field.parse().map_err(|_| {
                corrupt(
                    line_no,
                    format!(
                        "field {} ({field:?}) in column {col} is not a number",
                        col + 1
                    ),
                )
            })?;
            if col == t {
                targets.push(v);
            } else {
                features.push(v as f32 * opts.feature_scale);
            }
        }
    }
    if target_idx.is_none() {
        return Err(DataError::corrupt(
            path,
            "CSV",
            "the file holds no data rows",
        ));
    }
    let n_features = width.unwrap_or(1) - 1;
    match opts.task {
        CsvTask::Regression => {
            let values = targets.iter().map(|&v| v as f32).collect();
            Dataset::regression(features, vec![n_features], values, 1)
        }
        CsvTask::Classification { num_classes } => {
            let labels = targets
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    if v >= 0.0 && v.fract() == 0.0 && v < usize::MAX as f64 {
                        Ok(v as usize)
                    } else {
                        Err(DataError::corrupt(
                            path,
                            "CSV",
                            format!("label {v} of data row {} is not a non-negative integer; map class names to 0..k-1 first", i + 1),
                        ))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            let k = num_classes.unwrap_or_else(|| labels.iter().max().map_or(1, |m| m + 1));
            Dataset::classification(features, vec![n_features], labels, k)
        }
    }
}
