//! Class and sample weights of a classification loss, with Keras' semantics: each sample's
//! loss is multiplied by its class's weight and by its own sample weight, and the batch loss
//! is the sum of the weighted losses divided by the batch size `n` (Keras' default
//! `sum_over_batch_size` reduction), not by the sum of the weights. Weights apply to the
//! training loss only: `val_loss` and every metric stay unweighted (Keras applies
//! `class_weight` to training only; unlike Keras, validation rows' sample weights are ignored).

use super::FitError;
use serde::{Deserialize, Serialize};

/// The weight of each class in a classification loss (Keras' `class_weight`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// sklearn's `balanced`: class `c` weighs `n_samples / (n_classes * count_c)`, counted on
    /// the training rows (after any `validation_split`); a class absent from them weighs 1.
    Balanced,
    /// One weight per class index.
    Given(Vec<f64>),
}

impl ClassWeight {
    /// Each class's weight for training rows with these `labels`.
    pub fn per_class(&self, labels: &[usize], classes: usize) -> Result<Vec<f64>, FitError> {
        match self {
            ClassWeight::Given(w) => {
                if w.len() != classes {
                    return Err(FitError::ClassWeights {
                        given: w.len(),
                        classes,
                    });
                }
                if let Some(&bad) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                    return Err(FitError::BadWeight(bad));
                }
                Ok(w.clone())
            }
            ClassWeight::Balanced => {
                let mut counts = vec![0usize; classes];
                for &l in labels {
                    counts[l] += 1;
                }
                let n = labels.len() as f64;
                Ok(counts
                    .iter()
                    .map(|&c| {
                        if c == 0 {
                            1.0
                        } else {
                            n / (classes as f64 * c as f64)
                        }
                    })
                    .collect())
            }
        }
    }
}

/// The weight of every row `fit` trains on in `train` ([`row_weights`]); weights on
/// regression targets are refused.
#[cfg(any(feature = "nn", feature = "burn"))]
pub(crate) fn training_weights(
    fit: &super::Fit,
    train: &crate::data::Dataset,
    given_rows: usize,
) -> Result<Option<Vec<f32>>, FitError> {
    use crate::data::Targets;
    match train.targets() {
        Targets::Classes {
            labels,
            num_classes,
        } => row_weights(
            fit.class_weight.as_ref(),
            fit.sample_weight.as_deref(),
            given_rows,
            labels,
            *num_classes,
        ),
        Targets::Values { .. } if fit.class_weight.is_some() || fit.sample_weight.is_some() => {
            Err(FitError::WeightsNeedClasses)
        }
        Targets::Values { .. } => Ok(None),
    }
}

/// The weight of every training row (class weight times sample weight), or `None` when
/// neither is set. `sample_weight` has one entry per row of the data given to `fit`; only
/// its first `labels.len()` (the rows kept for training by `validation_split`) are used.
#[cfg(any(feature = "nn", feature = "burn", test))]
pub(crate) fn row_weights(
    class_weight: Option<&ClassWeight>,
    sample_weight: Option<&[f32]>,
    given_rows: usize,
    labels: &[usize],
    classes: usize,
) -> Result<Option<Vec<f32>>, FitError> {
    if class_weight.is_none() && sample_weight.is_none() {
        return Ok(None);
    }
    if let Some(s) = sample_weight {
        if s.len() != given_rows {
            return Err(FitError::SampleWeights {
                given: s.len(),
                rows: given_rows,
            });
        }
        if let Some(&bad) = s.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(FitError::BadWeight(f64::from(bad)));
        }
    }
    let per_class = class_weight
        .map(|c| c.per_class(labels, classes))
        .transpose()?;
    Ok(Some(
        labels
            .iter()
            .enumerate()
            .map(|(i, &l)| {
                let c = per_class.as_ref().map_or(1.0, |w| w[l] as f32);
                c * sample_weight.map_or(1.0, |s| s[i])
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_is_sklearns_rule() {
        // 6 rows: four of class 0, two of class 1, none of class 2.
        let w = ClassWeight::Balanced
            .per_class(&[0, 0, 0, 0, 1, 1], 3)
            .unwrap();
        assert_eq!(w, vec![6.0 / (3.0 * 4.0), 6.0 / (3.0 * 2.0), 1.0]);
    }

    #[test]
    fn rows_multiply_class_and_sample_weights() {
        let w = row_weights(
            Some(&ClassWeight::Given(vec![1.0, 3.0])),
            Some(&[0.5, 2.0, 1.0, 9.0]),
            4,
            &[0, 1, 1],
            2,
        )
        .unwrap()
        .unwrap();
        assert_eq!(w, vec![0.5, 6.0, 3.0]);
        assert!(row_weights(None, Some(&[1.0]), 3, &[0, 1, 1], 2).is_err());
        assert!(row_weights(Some(&ClassWeight::Given(vec![1.0])), None, 1, &[0], 2).is_err());
    }
}
