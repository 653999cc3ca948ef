//! An epoch's outputs gathered batch by batch, and the metrics computed from them at its end.

use super::math::{
    accuracy, argmax, average_precision, log_loss, mae, mse, per_class_prf, r2, roc_auc, softmax,
    top_k_accuracy,
};
use super::{Metric, MetricError};

/// What the targets of a [`Predictions`] are.
enum Gathered {
    Classes { labels: Vec<usize>, classes: usize },
    Values { values: Vec<f32> },
}

/// An epoch's (or an evaluation's) loss and outputs, gathered batch by batch, from which every
/// metric is computed at the end: AUC and its kin need all predictions at once.
pub(crate) struct Predictions {
    loss: f64,
    samples: usize,
    width: usize,
    outputs: Vec<f32>,
    targets: Gathered,
}

impl Predictions {
    /// Gathers outputs of `width` logits per sample for `classes` classes.
    pub(crate) fn classes(width: usize, classes: usize) -> Self {
        Self::new(
            width,
            Gathered::Classes {
                labels: Vec::new(),
                classes,
            },
        )
    }

    /// Gathers outputs of `width` values per sample.
    pub(crate) fn values(width: usize) -> Self {
        Self::new(width, Gathered::Values { values: Vec::new() })
    }

    fn new(width: usize, targets: Gathered) -> Self {
        Self {
            loss: 0.0,
            samples: 0,
            width,
            outputs: Vec::new(),
            targets,
        }
    }

    /// Adds a batch of class labels: its mean loss and its outputs (row-major logits).
    pub(crate) fn add_classes(&mut self, loss: f64, outputs: &[f32], labels: &[usize]) {
        self.add_loss(loss, labels.len(), outputs);
        if let Gathered::Classes { labels: all, .. } = &mut self.targets {
            all.extend_from_slice(labels);
        }
    }

    /// Adds a batch of real-valued targets (row-major) and its mean loss and outputs.
    pub(crate) fn add_values(&mut self, loss: f64, outputs: &[f32], values: &[f32]) {
        self.add_loss(loss, values.len() / self.width.max(1), outputs);
        if let Gathered::Values { values: all } = &mut self.targets {
            all.extend_from_slice(values);
        }
    }

    fn add_loss(&mut self, loss: f64, n: usize, outputs: &[f32]) {
        self.loss += loss * n as f64;
        self.samples += n;
        self.outputs.extend_from_slice(outputs);
    }

    /// Writes `loss`, the default metric of the targets' kind and every one of `metrics`,
    /// each after `prefix` (`""`, `"val_"`), into `out`.
    pub(crate) fn report(
        &self,
        metrics: &[Metric],
        prefix: &str,
        out: &mut crate::trial::Metrics,
    ) -> Result<(), MetricError> {
        out.insert(
            format!("{prefix}loss"),
            self.loss / self.samples.max(1) as f64,
        );
        let classification = matches!(self.targets, Gathered::Classes { .. });
        let default = Metric::default_for(classification);
        let mut probabilities = None;
        for &m in std::iter::once(&default).chain(metrics.iter().filter(|&&m| m != default)) {
            let value = self.value(m, &mut probabilities)?;
            out.insert(format!("{prefix}{m}"), value);
        }
        Ok(())
    }

    /// One metric; `probabilities` caches the softmax rows between metrics.
    fn value(
        &self,
        metric: Metric,
        probabilities: &mut Option<Vec<Vec<f64>>>,
    ) -> Result<f64, MetricError> {
        let w = self.width;
        let (labels, classes) = match &self.targets {
            Gathered::Values { values } => {
                return match metric {
                    Metric::Mse => Ok(mse(&self.outputs, values)),
                    Metric::Rmse => Ok(mse(&self.outputs, values).sqrt()),
                    Metric::Mae => Ok(mae(&self.outputs, values)),
                    Metric::R2 => Ok(r2(&self.outputs, values, w)),
                    m => Err(MetricError::WrongTargets {
                        metric: m.name(),
                        needs: "class",
                        has: "real-valued",
                    }),
                }
            }
            Gathered::Classes { labels, classes } => (labels, *classes),
        };
        let probs = || -> Vec<Vec<f64>> { self.outputs.chunks_exact(w).map(softmax).collect() };
        let binary = |m: Metric| {
            if classes == 2 && w >= 2 {
                Ok(())
            } else {
                Err(MetricError::NotBinary {
                    metric: m.name(),
                    classes,
                })
            }
        };
        let predicted =
            || -> Vec<Option<usize>> { self.outputs.chunks_exact(w).map(argmax).collect() };
        let positive = || -> Vec<bool> { labels.iter().map(|&l| l == 1).collect() };
        let macro_mean = |pick: fn(&(f64, f64, f64)) -> f64| {
            let per = per_class_prf(&predicted(), labels, classes);
            per.iter().map(pick).sum::<f64>() / per.len().max(1) as f64
        };
        Ok(match metric {
            Metric::Accuracy => accuracy(&self.outputs, w, labels),
            Metric::TopKAccuracy(k) => top_k_accuracy(&self.outputs, w, labels, k),
            Metric::Auc | Metric::PrAuc => {
                binary(metric)?;
                let p = probabilities.get_or_insert_with(probs);
                let scores: Vec<f64> = p.iter().map(|row| row[1]).collect();
                if metric == Metric::Auc {
                    roc_auc(&scores, &positive())
                } else {
                    average_precision(&scores, &positive())
                }
            }
            Metric::Precision | Metric::Recall | Metric::F1 => {
                binary(metric)?;
                let (p, r, f) = per_class_prf(&predicted(), labels, classes)[1];
                match metric {
                    Metric::Precision => p,
                    Metric::Recall => r,
                    _ => f,
                }
            }
            Metric::MacroPrecision => macro_mean(|t| t.0),
            Metric::MacroRecall => macro_mean(|t| t.1),
            Metric::MacroF1 => macro_mean(|t| t.2),
            Metric::LogLoss => log_loss(probabilities.get_or_insert_with(probs), labels),
            m => {
                return Err(MetricError::WrongTargets {
                    metric: m.name(),
                    needs: "real-valued",
                    has: "class",
                })
            }
        })
    }
}
