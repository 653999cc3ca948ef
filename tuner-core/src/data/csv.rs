//! CSV files: one sample per line, one column holding the label or target; feature columns
//! picked or dropped by name, categorical columns one-hot or index encoded, missing values
//! rejected (naming the line and column), dropped with their row, or filled.

use super::{read_maybe_gz, DataError, Dataset};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
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
    /// Class labels: non-negative integers (`num_classes` defaults to the largest + 1), or,
    /// when the target column is listed in `categorical`, names numbered in sorted order.
    Classification {
        /// Number of classes, if known.
        num_classes: Option<usize>,
    },
    /// A real-valued target.
    Regression,
}

/// How a categorical feature column becomes numbers; categories are numbered in sorted order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// One 0/1 feature per category (the default).
    #[default]
    OneHot,
    /// One feature holding the category's number.
    Index,
}

/// What to do with a missing field: empty, `NA`, `N/A`, `NaN`, `null` or `?`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Missing {
    /// Fail, naming the line and column (the default).
    #[default]
    Reject,
    /// Leave out every row with a missing feature or target.
    DropRow,
    /// Fill a numeric feature with its column's mean and a categorical one with its most
    /// frequent category (over the file's rows); a missing target is still an error.
    FillMean,
}

/// How to read a CSV file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CsvOptions {
    /// Field separator (`,` by default).
    pub delimiter: char,
    /// Whether the first line names the columns (true by default). Without a header, columns
    /// are named by their 0-based index (`"0"`, `"1"`, ...).
    pub has_header: bool,
    /// The label/target column (the last by default).
    pub target: TargetColumn,
    /// Classification (default) or regression.
    pub task: CsvTask,
    /// Multiply every numeric feature by this (e.g. `1/255` for pixels); 1 by default.
    pub feature_scale: f32,
    /// The feature columns to keep, in this order (all but the target when `None`).
    pub select: Option<Vec<String>>,
    /// Feature columns to leave out.
    pub drop: Vec<String>,
    /// Columns holding categories rather than numbers (features, or the target's class names).
    pub categorical: Vec<String>,
    /// How categorical features are encoded.
    pub encoding: Encoding,
    /// What a missing field does.
    pub missing: Missing,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            delimiter: ',',
            has_header: true,
            target: TargetColumn::Last,
            task: CsvTask::Classification { num_classes: None },
            feature_scale: 1.0,
            select: None,
            drop: Vec::new(),
            categorical: Vec::new(),
            encoding: Encoding::OneHot,
            missing: Missing::Reject,
        }
    }
}

impl CsvOptions {
    /// The target is the column with this header name.
    pub fn target_name(mut self, name: impl Into<String>) -> Self {
        self.target = TargetColumn::Name(name.into());
        self
    }

    /// The target is real-valued.
    pub fn regression(mut self) -> Self {
        self.task = CsvTask::Regression;
        self
    }

    /// Keeps only these feature columns, in this order.
    pub fn select<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.select = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Leaves these feature columns out.
    pub fn drop<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.drop.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Reads these columns as categories.
    pub fn categorical<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.categorical.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Sets how categorical features are encoded.
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Sets what a missing field does.
    pub fn missing(mut self, missing: Missing) -> Self {
        self.missing = missing;
        self
    }
}

fn unquote(field: &str) -> &str {
    let f = field.trim();
    f.strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(f)
}

fn is_missing(field: &str) -> bool {
    matches!(
        field.to_ascii_lowercase().as_str(),
        "" | "na" | "n/a" | "nan" | "null" | "?"
    )
}

/// Reads a CSV file (gzip accepted) into a data set of flat feature rows.
pub fn load_csv(path: &Path, opts: &CsvOptions) -> Result<Dataset, DataError> {
    Ok(load_csv_named(path, opts)?.0)
}

/// [`load_csv`] with the name of each feature column (`"color=red"` for a one-hot column).
pub fn load_csv_named(path: &Path, opts: &CsvOptions) -> Result<(Dataset, Vec<String>), DataError> {
    let bytes = read_maybe_gz(path)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| DataError::corrupt(path, "CSV", format!("not UTF-8 text: {e}")))?;
    parse_csv_named(text, path, opts)
}

/// Parses CSV text; `path` only names the file in errors.
pub fn parse_csv(text: &str, path: &Path, opts: &CsvOptions) -> Result<Dataset, DataError> {
    Ok(parse_csv_named(text, path, opts)?.0)
}

/// One data line: its number in the file and its fields.
struct Row<'t> {
    line: usize,
    fields: Vec<&'t str>,
}

/// [`parse_csv`] with the name of each feature column.
pub fn parse_csv_named(
    text: &str,
    path: &Path,
    opts: &CsvOptions,
) -> Result<(Dataset, Vec<String>), DataError> {
    let corrupt = |reason: String| DataError::corrupt(path, "CSV", reason);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let header: Option<Vec<String>> = if opts.has_header {
        let (_, l) = lines
            .next()
            .ok_or_else(|| corrupt("the file is empty (expected a header line)".into()))?;
        Some(
            l.split(opts.delimiter)
                .map(|f| unquote(f).to_string())
                .collect(),
        )
    } else {
        None
    };
    let mut rows = Vec::new();
    let mut width = header.as_ref().map(Vec::len);
    for (line, l) in lines {
        let fields: Vec<&str> = l.split(opts.delimiter).map(unquote).collect();
        let w = *width.get_or_insert(fields.len());
        if fields.len() != w {
            return Err(corrupt(format!(
                "line {line}: {} fields where the first row has {w}",
                fields.len()
            )));
        }
        rows.push(Row { line, fields });
    }
    let Some(w) = width.filter(|_| !rows.is_empty()) else {
        return Err(corrupt("the file holds no data rows".into()));
    };
    if w < 2 {
        return Err(corrupt(
            "a row needs at least one feature and a target column".into(),
        ));
    }
    let names: Vec<String> = header.unwrap_or_else(|| (0..w).map(|i| i.to_string()).collect());
    let column = |name: &str| {
        names
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| corrupt(format!("no column named {name:?} in the header {names:?}")))
    };
    let target = match &opts.target {
        TargetColumn::Last => w - 1,
        TargetColumn::First => 0,
        TargetColumn::Index(i) if *i < w => *i,
        TargetColumn::Index(i) => {
            return Err(corrupt(format!(
                "target column {i} is beyond the {w} columns"
            )))
        }
        TargetColumn::Name(name) => column(name)?,
    };
    for name in opts.drop.iter().chain(&opts.categorical) {
        column(name)?;
    }
    let features: Vec<usize> = match &opts.select {
        Some(picked) => picked.iter().map(|n| column(n)).collect::<Result<_, _>>()?,
        None => (0..w).filter(|&c| c != target).collect(),
    };
    let features: Vec<usize> = features
        .into_iter()
        .filter(|&c| !opts.drop.contains(&names[c]))
        .collect();
    if let Some(&c) = features.iter().find(|&&c| c == target) {
        return Err(corrupt(format!(
            "column {:?} is both the target and a selected feature",
            names[c]
        )));
    }
    if features.is_empty() {
        return Err(corrupt(
            "no feature column is left after select and drop".into(),
        ));
    }
    let is_cat = |c: usize| opts.categorical.contains(&names[c]);
    let at = |row: &Row, c: usize| format!("line {}, column {:?} (index {c})", row.line, names[c]);
    // Rows with a missing feature or target: an error, or left out.
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let gap = std::iter::once(target)
            .chain(features.iter().copied())
            .find(|&c| is_missing(row.fields[c]));
        match (gap, opts.missing) {
            (None, _) => kept.push(row),
            (Some(_), Missing::DropRow) => {}
            (Some(c), Missing::FillMean) if c != target => kept.push(row),
            (Some(c), _) => {
                let what = if c == target { "target" } else { "value" };
                return Err(corrupt(format!(
                    "{}: the {what} is missing ({:?}); set CsvOptions::missing to DropRow or FillMean, or fix the file",
                    at(&row, c),
                    row.fields[c]
                )));
            }
        }
    }
    if kept.is_empty() {
        return Err(corrupt(
            "every data row has a missing value: none is left".into(),
        ));
    }
    let rows = kept;
    // Each feature column's encoder, read off all kept rows first.
    let mut encoders = Vec::with_capacity(features.len());
    for &c in &features {
        let present = rows.iter().filter(|r| !is_missing(r.fields[c]));
        let enc = if is_cat(c) {
            let cats: BTreeSet<&str> = present.map(|r| r.fields[c]).collect();
            let cats: Vec<String> = cats.into_iter().map(str::to_string).collect();
            let mut counts = vec![0usize; cats.len()];
            for r in rows.iter().filter(|r| !is_missing(r.fields[c])) {
                counts[cats
                    .binary_search_by(|k| k.as_str().cmp(r.fields[c]))
                    .unwrap_or(0)] += 1;
            }
            // Most frequent first among ties by sorted order: `max_by_key` keeps the last.
            let mode = (0..cats.len())
                .rev()
                .max_by_key(|&i| counts[i])
                .unwrap_or(0);
            Encoder::Categories { cats, mode }
        } else {
            let mut sum = 0.0;
            let mut n = 0usize;
            for r in present {
                sum += number(r.fields[c])
                    .ok_or_else(|| not_a_number(path, &at(r, c), r.fields[c]))?;
                n += 1;
            }
            Encoder::Number {
                mean: if n > 0 { sum / n as f64 } else { 0.0 },
            }
        };
        encoders.push(enc);
    }
    let mut out_names = Vec::new();
    for (&c, enc) in features.iter().zip(&encoders) {
        match (enc, opts.encoding) {
            (Encoder::Categories { cats, .. }, Encoding::OneHot) => {
                out_names.extend(cats.iter().map(|k| format!("{}={k}", names[c])));
            }
            _ => out_names.push(names[c].clone()),
        }
    }
    let mut values = Vec::with_capacity(rows.len() * out_names.len());
    for row in &rows {
        for (&c, enc) in features.iter().zip(&encoders) {
            let field = row.fields[c];
            match enc {
                Encoder::Number { mean } => {
                    let v = if is_missing(field) {
                        *mean
                    } else {
                        number(field).expect("checked while reading the means")
                    };
                    values.push(v as f32 * opts.feature_scale);
                }
                Encoder::Categories { cats, mode } => {
                    let i = if is_missing(field) {
                        *mode
                    } else {
                        cats.binary_search_by(|k| k.as_str().cmp(field))
                            .expect("every category was collected")
                    };
                    match opts.encoding {
                        Encoding::OneHot => {
                            values.extend((0..cats.len()).map(|k| f32::from(u8::from(k == i))));
                        }
                        Encoding::Index => values.push(i as f32),
                    }
                }
            }
        }
    }
    let shape = vec![out_names.len()];
    let data = match opts.task {
        CsvTask::Regression => {
            let targets = rows
                .iter()
                .map(|r| {
                    number(r.fields[target])
                        .map(|v| v as f32)
                        .ok_or_else(|| not_a_number(path, &at(r, target), r.fields[target]))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Dataset::regression(values, shape, targets, 1)?
        }
        CsvTask::Classification { num_classes } if is_cat(target) => {
            let cats: BTreeSet<&str> = rows.iter().map(|r| r.fields[target]).collect();
            let cats: Vec<&str> = cats.into_iter().collect();
            let labels = rows
                .iter()
                .map(|r| cats.binary_search(&r.fields[target]).expect("collected"))
                .collect();
            Dataset::classification(values, shape, labels, num_classes.unwrap_or(cats.len()))?
        }
        CsvTask::Classification { num_classes } => {
            let labels = rows
                .iter()
                .map(|r| {
                    let field = r.fields[target];
                    let v = number(field).ok_or_else(|| not_a_number(path, &at(r, target), field))?;
                    if v >= 0.0 && v.fract() == 0.0 && v < usize::MAX as f64 {
                        Ok(v as usize)
                    } else {
                        Err(corrupt(format!(
                            "{}: label {v} is not a non-negative integer; list the target column in CsvOptions::categorical to number class names",
                            at(r, target)
                        )))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            let k = num_classes.unwrap_or_else(|| labels.iter().max().map_or(1, |m| m + 1));
            Dataset::classification(values, shape, labels, k)?
        }
    };
    Ok((data, out_names))
}

/// How one feature column turns into numbers.
enum Encoder {
    /// A number; `mean` fills missing fields.
    Number { mean: f64 },
    /// A category among `cats` (sorted); `mode` fills missing fields.
    Categories { cats: Vec<String>, mode: usize },
}

/// The field as a finite number (a missing marker is not one).
fn number(field: &str) -> Option<f64> {
    field.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn not_a_number(path: &Path, at: &str, field: &str) -> DataError {
    DataError::corrupt(path, "CSV", format!(
        "{at}: {field:?} is not a number; list the column in CsvOptions::categorical to encode it, or drop it"
    ))
}
