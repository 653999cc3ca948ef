//! Cross-validated search for models that are not dfdx networks (KerasTuner's `SklearnTuner`):
//! the objective is the mean over k folds of a user closure's metrics.

use super::run::{Outcome, TrialError};
use super::{SearchReport, Searchable, Tuner, TunerError};
use crate::data::Dataset;
use crate::trial::Metrics;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::collections::BTreeMap;

/// Each fold's `(train, validation)` sample indices.
pub type FoldIndices = Vec<(Vec<usize>, Vec<usize>)>;

/// A k-fold split of sample indices (scikit-learn's `KFold`): fold sizes differ by at most one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KFold {
    k: usize,
    shuffle: Option<u64>,
}

impl KFold {
    /// `k` folds of consecutive samples.
    pub fn new(k: usize) -> Self {
        Self { k, shuffle: None }
    }

    /// Shuffles the samples with `seed` before cutting the folds.
    pub fn shuffled(mut self, seed: u64) -> Self {
        self.shuffle = Some(seed);
        self
    }

    /// The `(train, validation)` indices of each fold, for `n` samples.
    pub fn indices(&self, n: usize) -> Result<FoldIndices, TunerError> {
        if self.k < 2 || self.k > n {
            return Err(TunerError::BadArgument(format!(
                "k-fold cross-validation needs 2 <= k <= number of samples; got k = {} for {n} \
                 samples",
                self.k
            )));
        }
        let mut order: Vec<usize> = (0..n).collect();
        if let Some(seed) = self.shuffle {
            order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        }
        let mut folds = Vec::with_capacity(self.k);
        let mut start = 0;
        for f in 0..self.k {
            let size = n / self.k + usize::from(f < n % self.k);
            let val = order[start..start + size].to_vec();
            let train = order[..start]
                .iter()
                .chain(&order[start + size..])
                .copied()
                .collect();
            folds.push((train, val));
            start += size;
        }
        Ok(folds)
    }

    /// The `(train, validation)` data sets of each fold.
    pub fn split(&self, data: &Dataset) -> Result<Vec<(Dataset, Dataset)>, TunerError> {
        Ok(self
            .indices(data.len())?
            .iter()
            .map(|(t, v)| (data.select(t), data.select(v)))
            .collect())
    }
}

impl<S: Searchable> Tuner<S> {
    /// Scores every trial by k-fold cross-validation: `f(params, train, validation)` returns a
    /// score (named after the objective) or metrics for one fold. The trial's metrics are the
    /// means over folds, plus each fold's as `fold_<k>/<name>`.
    pub fn search_cv<O, F>(
        &mut self,
        data: &Dataset,
        folds: KFold,
        mut f: F,
    ) -> Result<SearchReport, TunerError>
    where
        O: Into<Outcome>,
        F: FnMut(&S::Params, &Dataset, &Dataset) -> Result<O, TrialError>,
    {
        let splits = folds.split(data)?;
        let objective = self.objectives().list()[0].name.clone();
        self.search_with(&mut |params, _ctx| {
            let mut per_fold = Vec::with_capacity(splits.len());
            for (train, val) in &splits {
                per_fold.push(match f(params, train, val)?.into() {
                    Outcome::Score(v) => Metrics::from([(objective.clone(), v)]),
                    Outcome::Metrics(m) => m,
                    Outcome::Reported => {
                        return Err(TrialError::failed(
                            "a cross-validation fold must return a score or metrics",
                        ))
                    }
                });
            }
            Ok(Outcome::Metrics(fold_means(&per_fold)))
        })
    }
}

/// Each metric's mean over the folds, plus every fold's own value as `fold_<k>/<name>`.
fn fold_means(per_fold: &[Metrics]) -> Metrics {
    let mut sums: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    let mut out = Metrics::new();
    for (k, metrics) in per_fold.iter().enumerate() {
        for (name, v) in metrics {
            let s = sums.entry(name.clone()).or_insert((0.0, 0));
            s.0 += v;
            s.1 += 1;
            out.insert(format!("fold_{k}/{name}"), *v);
        }
    }
    out.extend(sums.into_iter().map(|(k, (s, n))| (k, s / n as f64)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_partition_the_samples_with_sizes_differing_by_one() {
        let folds = KFold::new(3).indices(10).unwrap();
        let sizes: Vec<usize> = folds.iter().map(|(_, v)| v.len()).collect();
        assert_eq!(sizes, vec![4, 3, 3]);
        let mut all: Vec<usize> = folds.iter().flat_map(|(_, v)| v.clone()).collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        for (train, val) in &folds {
            assert_eq!(train.len() + val.len(), 10);
            assert!(train.iter().all(|i| !val.contains(i)));
        }
        assert!(KFold::new(11).indices(10).is_err());
    }

    #[test]
    fn fold_means_keep_each_fold() {
        let m = |v: f64| Metrics::from([("mse".to_owned(), v)]);
        let out = fold_means(&[m(1.0), m(3.0)]);
        assert_eq!(out["mse"], 2.0);
        assert_eq!(out["fold_1/mse"], 3.0);
    }
}
