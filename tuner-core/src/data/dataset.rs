//! An in-memory data set: f32 features (row-major, one row per sample) plus labels or targets.

use super::DataError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a data set's samples are labelled with.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub enum Targets {
    /// One class index per sample, each `< num_classes` (classification).
    Classes {
        /// The class of each sample.
        labels: Vec<usize>,
        /// How many classes there are.
        num_classes: usize,
    },
    /// `width` real values per sample, row-major (regression).
    Values {
        /// The targets, `len * width` values.
        values: Vec<f32>,
        /// Values per sample.
        width: usize,
    },
}

impl Targets {
    fn len(&self) -> usize {
        match self {
            Targets::Classes { labels, .. } => labels.len(),
            Targets::Values { values, width } => values.len() / (*width).max(1),
        }
    }

    fn select(&self, indices: &[usize]) -> Targets {
        match self {
            Targets::Classes {
                labels,
                num_classes,
            } => Targets::Classes {
                labels: indices.iter().map(|&i| labels[i]).collect(),
                num_classes: *num_classes,
            },
            Targets::Values { values, width } => Targets::Values {
                values: gather_rows(values, *width, indices),
                width: *width,
            },
        }
    }
}

impl fmt::Debug for Targets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Targets::Classes {
                labels,
                num_classes,
            } => {
                write!(f, "Classes({} labels, {num_classes} classes)", labels.len())
            }
            Targets::Values { values, width } => {
                write!(f, "Values({} values, width {width})", values.len())
            }
        }
    }
}

/// An in-memory data set: f32 features, one row of `feature_width()` values per sample.
///
/// ```
/// use tuner_core::data::Dataset;
///
/// // Four samples of two features, in two classes.
/// let features = vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
/// let data = Dataset::classification(features, vec![2], vec![0, 1, 1, 0], 2)?;
/// assert_eq!((data.len(), data.feature_width()), (4, 2));
/// assert_eq!(data.row(2), &[1.0, 0.0]);
/// // A label outside the classes is refused.
/// assert!(Dataset::classification(vec![0.0; 2], vec![2], vec![3], 2).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    features: Vec<f32>,
    feature_shape: Vec<usize>,
    targets: Targets,
}

impl fmt::Debug for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dataset")
            .field("len", &self.len())
            .field("feature_shape", &self.feature_shape)
            .field("targets", &self.targets)
            .finish()
    }
}

fn gather_rows(data: &[f32], width: usize, indices: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(indices.len() * width);
    for &i in indices {
        out.extend_from_slice(&data[i * width..(i + 1) * width]);
    }
    out
}

impl Dataset {
    /// A classification set: `features` holds `labels.len()` rows shaped `feature_shape`.
    pub fn classification(
        features: Vec<f32>,
        feature_shape: Vec<usize>,
        labels: Vec<usize>,
        num_classes: usize,
    ) -> Result<Self, DataError> {
        if num_classes == 0 {
            return Err(DataError::Inconsistent(
                "num_classes is 0; a classification set needs at least one class".into(),
            ));
        }
        if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| l >= num_classes) {
            return Err(DataError::Inconsistent(format!(
                "label {l} of sample {i} is not below num_classes = {num_classes}"
            )));
        }
        Self::new(
            features,
            feature_shape,
            Targets::Classes {
                labels,
                num_classes,
            },
        )
    }

    /// A regression set: `values` holds `width` targets per sample.
    pub fn regression(
        features: Vec<f32>,
        feature_shape: Vec<usize>,
        values: Vec<f32>,
        width: usize,
    ) -> Result<Self, DataError> {
        if width == 0 || !values.len().is_multiple_of(width) {
            return Err(DataError::Inconsistent(format!(
                "{} target values do not split into rows of width {width}",
                values.len()
            )));
        }
        Self::new(features, feature_shape, Targets::Values { values, width })
    }

    /// A data set from features and already-built targets, checking that their sizes agree.
    pub fn new(
        features: Vec<f32>,
        feature_shape: Vec<usize>,
        targets: Targets,
    ) -> Result<Self, DataError> {
        let width: usize = feature_shape.iter().product();
        if feature_shape.is_empty() || width == 0 {
            return Err(DataError::Inconsistent(format!(
                "feature shape {feature_shape:?} has no elements; give each sample at least one feature"
            )));
        }
        let n = targets.len();
        if features.len() != n * width {
            return Err(DataError::Inconsistent(format!(
                "{} feature values for {n} samples of shape {feature_shape:?} (expected {})",
                features.len(),
                n * width
            )));
        }
        Ok(Self {
            features,
            feature_shape,
            targets,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape of one sample's features (e.g. `[28, 28]`).
    pub fn feature_shape(&self) -> &[usize] {
        &self.feature_shape
    }

    /// Feature values per sample (the product of the feature shape).
    pub fn feature_width(&self) -> usize {
        self.feature_shape.iter().product()
    }

    /// All features, row-major, `len() * feature_width()` values.
    pub fn features(&self) -> &[f32] {
        &self.features
    }

    /// The features of sample `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        let w = self.feature_width();
        &self.features[i * w..(i + 1) * w]
    }

    /// The targets.
    pub fn targets(&self) -> &Targets {
        &self.targets
    }

    /// Class labels, for a classification set.
    pub fn labels(&self) -> Option<&[usize]> {
        match &self.targets {
            Targets::Classes { labels, .. } => Some(labels),
            Targets::Values { .. } => None,
        }
    }

    /// Number of classes, for a classification set.
    pub fn num_classes(&self) -> Option<usize> {
        match &self.targets {
            Targets::Classes { num_classes, .. } => Some(*num_classes),
            Targets::Values { .. } => None,
        }
    }

    /// Samples per class, for a classification set.
    pub fn class_counts(&self) -> Option<Vec<usize>> {
        let (labels, k) = (self.labels()?, self.num_classes()?);
        let mut counts = vec![0; k];
        for &l in labels {
            counts[l] += 1;
        }
        Some(counts)
    }

    /// The samples at `indices`, in that order (indices may repeat).
    ///
    /// Panics if an index is out of range, like slice indexing.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        Dataset {
            features: gather_rows(&self.features, self.feature_width(), indices),
            feature_shape: self.feature_shape.clone(),
            targets: self.targets.select(indices),
        }
    }

    /// The first `n` samples (all of them if there are fewer).
    pub fn take(&self, n: usize) -> Dataset {
        let idx: Vec<usize> = (0..n.min(self.len())).collect();
        self.select(&idx)
    }

    /// Samples `[0, at)` and `[at, len)`, in order.
    pub fn split_at(&self, at: usize) -> (Dataset, Dataset) {
        let at = at.min(self.len());
        let head: Vec<usize> = (0..at).collect();
        let tail: Vec<usize> = (at..self.len()).collect();
        (self.select(&head), self.select(&tail))
    }

    /// The same samples with features reshaped to `shape` (same number of elements).
    pub fn reshaped(mut self, shape: Vec<usize>) -> Result<Dataset, DataError> {
        let width: usize = shape.iter().product();
        if shape.is_empty() || width != self.feature_width() {
            return Err(DataError::Inconsistent(format!(
                "cannot reshape samples of shape {:?} ({} values) to {shape:?} ({width} values)",
                self.feature_shape,
                self.feature_width()
            )));
        }
        self.feature_shape = shape;
        Ok(self)
    }
}
