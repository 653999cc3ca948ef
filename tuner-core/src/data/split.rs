//! Reordering and dividing a [`Dataset`]: shuffle, split by fraction, stratified split, map,
//! concat. Every random step draws from a caller's seed, so a split repeats per seed.

use super::{DataError, Dataset, Targets};
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Samples a `fraction` of `n` takes, rounded, kept within `1..n` so both parts are non-empty.
fn held_count(n: usize, fraction: f64, what: &str) -> Result<usize, DataError> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(DataError::Inconsistent(format!(
            "{what} fraction {fraction} must lie strictly between 0 and 1"
        )));
    }
    if n < 2 {
        return Err(DataError::Inconsistent(format!(
            "{what} needs at least 2 samples to leave both parts non-empty, the set has {n}"
        )));
    }
    Ok(((n as f64 * fraction).round() as usize).clamp(1, n - 1))
}

/// `(kept, held)` sample indices, each in ascending order: per class, a seeded shuffle of
/// that class's samples gives `round(fraction * count)` of them to the held part, so both
/// parts keep the class proportions (scikit-learn's `train_test_split(stratify=y)`). A class
/// with one sample stays in the kept part. Fails when the held part would be empty.
pub fn stratified_indices(
    labels: &[usize],
    num_classes: usize,
    fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>), DataError> {
    held_count(labels.len(), fraction, "stratified split")?;
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); num_classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut kept, mut held) = (Vec::new(), Vec::new());
    for mut members in by_class {
        members.shuffle(&mut rng);
        let n = members.len();
        let take = if n < 2 {
            0
        } else {
            ((n as f64 * fraction).round() as usize).clamp(1, n - 1)
        };
        held.extend_from_slice(&members[..take]);
        kept.extend_from_slice(&members[take..]);
    }
    if held.is_empty() {
        return Err(DataError::Inconsistent(format!(
            "a stratified split of {fraction} holds out no sample: every class has fewer than 2 samples"
        )));
    }
    kept.sort_unstable();
    held.sort_unstable();
    Ok((kept, held))
}

/// `(kept, held)` sample indices for a shuffled split: a seeded permutation, the last
/// `round(fraction * n)` of it held out; each part in ascending order.
pub fn shuffled_indices(
    n: usize,
    fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>), DataError> {
    let take = held_count(n, fraction, "split")?;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let (mut kept, mut held) = (order[..n - take].to_vec(), order[n - take..].to_vec());
    kept.sort_unstable();
    held.sort_unstable();
    Ok((kept, held))
}

impl Dataset {
    /// The samples in a random order drawn from `seed`.
    pub fn shuffle(&self, seed: u64) -> Dataset {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        self.select(&order)
    }

    /// `(first, last)`: the last `round(fraction * len)` samples are held out, in order, as
    /// Keras' `validation_split` does (shuffle first to hold out a random part).
    pub fn split(&self, fraction: f64) -> Result<(Dataset, Dataset), DataError> {
        let take = held_count(self.len(), fraction, "split")?;
        Ok(self.split_at(self.len() - take))
    }

    /// `(kept, held)` with `round(fraction * len)` random samples (from `seed`) held out;
    /// both parts keep the original order.
    pub fn shuffled_split(
        &self,
        fraction: f64,
        seed: u64,
    ) -> Result<(Dataset, Dataset), DataError> {
        let (kept, held) = shuffled_indices(self.len(), fraction, seed)?;
        Ok((self.select(&kept), self.select(&held)))
    }

    /// `(kept, held)` with each class split in proportion (see [`stratified_indices`]);
    /// needs class labels.
    pub fn stratified_split(
        &self,
        fraction: f64,
        seed: u64,
    ) -> Result<(Dataset, Dataset), DataError> {
        let (Some(labels), Some(k)) = (self.labels(), self.num_classes()) else {
            return Err(DataError::Inconsistent(
                "a stratified split needs class labels, this set has real-valued targets; use shuffled_split".into(),
            ));
        };
        let (kept, held) = stratified_indices(labels, k, fraction, seed)?;
        Ok((self.select(&kept), self.select(&held)))
    }

    /// The same targets with each sample's features replaced by `f(row)`. Every output row
    /// must have the same length; the feature shape becomes `[that length]`, or stays as it
    /// is when the length does not change.
    pub fn map(&self, mut f: impl FnMut(&[f32]) -> Vec<f32>) -> Result<Dataset, DataError> {
        let mut features = Vec::with_capacity(self.features().len());
        let mut width = None;
        for i in 0..self.len() {
            let row = f(self.row(i));
            let w = *width.get_or_insert(row.len());
            if row.len() != w {
                return Err(DataError::Inconsistent(format!(
                    "map returned {} values for sample {i} but {w} for sample 0; every row needs the same width",
                    row.len()
                )));
            }
            features.extend(row);
        }
        let shape = match width {
            Some(w) if w != self.feature_width() => vec![w],
            _ => self.feature_shape().to_vec(),
        };
        Dataset::new(features, shape, self.targets().clone())
    }

    /// This set's samples followed by `other`'s: same feature shape and kind of targets; a
    /// classification result has the larger of the two class counts.
    pub fn concat(&self, other: &Dataset) -> Result<Dataset, DataError> {
        if self.feature_shape() != other.feature_shape() {
            return Err(DataError::Inconsistent(format!(
                "cannot concatenate samples of shape {:?} with samples of shape {:?}",
                self.feature_shape(),
                other.feature_shape()
            )));
        }
        let targets = match (self.targets(), other.targets()) {
            (
                Targets::Classes {
                    labels: a,
                    num_classes: ka,
                },
                Targets::Classes {
                    labels: b,
                    num_classes: kb,
                },
            ) => Targets::Classes {
                labels: a.iter().chain(b).copied().collect(),
                num_classes: (*ka).max(*kb),
            },
            (
                Targets::Values {
                    values: a,
                    width: wa,
                },
                Targets::Values {
                    values: b,
                    width: wb,
                },
            ) if wa == wb => Targets::Values {
                values: a.iter().chain(b).copied().collect(),
                width: *wa,
            },
            (a, b) => {
                return Err(DataError::Inconsistent(format!(
                    "cannot concatenate targets {a:?} with targets {b:?}: both must be classes, or values of one width"
                )))
            }
        };
        let features = self
            .features()
            .iter()
            .chain(other.features())
            .copied()
            .collect();
        Dataset::new(features, self.feature_shape().to_vec(), targets)
    }
}
