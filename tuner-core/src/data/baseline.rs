//! What a constant predictor scores on a data set: the floor a trained model must clear, used
//! to spot a collapsed search (every trial predicting the majority class or the mean).

use super::{Dataset, Targets};

/// Data whose constant-predictor scores are known.
pub trait ConstantBaseline {
    /// `(metric, score)` pairs, metric names without the `val_` prefix (`accuracy`, `auc`,
    /// `mse`, `rmse`, `r2`), that the best constant prediction would score on this data;
    /// empty when unknown.
    fn constant_scores(&self) -> Vec<(String, f64)> {
        Vec::new()
    }
}

/// Slices (a model's own sample type) have no known baseline.
impl<T> ConstantBaseline for [T] {}

impl ConstantBaseline for Dataset {
    fn constant_scores(&self) -> Vec<(String, f64)> {
        if self.is_empty() {
            return Vec::new();
        }
        match self.targets() {
            Targets::Classes { num_classes, .. } => {
                let counts = self.class_counts().unwrap_or_default();
                let majority = counts.iter().copied().max().unwrap_or(0);
                let mut out = vec![("accuracy".to_string(), majority as f64 / self.len() as f64)];
                // A constant score ties every pair of samples: ROC AUC 1/2.
                if *num_classes == 2 {
                    out.push(("auc".to_string(), 0.5));
                }
                out
            }
            Targets::Values { values, .. } => {
                let n = values.len().max(1) as f64;
                let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
                let var = values
                    .iter()
                    .map(|&v| (f64::from(v) - mean).powi(2))
                    .sum::<f64>()
                    / n;
                vec![
                    ("mse".to_string(), var),
                    ("rmse".to_string(), var.sqrt()),
                    ("r2".to_string(), 0.0),
                ]
            }
        }
    }
}
