//! The tuner's [`Dataset`] as burn sees it: a burn `Dataset` of samples and a `Batcher` that
//! stacks them into tensors, so batches come from burn's own `DataLoader` (its shuffling too).

use crate::data::{Dataset, Targets};
use ::burn::data::dataloader::batcher::Batcher;
use ::burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use ::burn::data::dataset::DatasetError;
use ::burn::tensor::{Device, Int, Tensor, TensorData};
use std::sync::Arc;

/// One sample: its features and its target.
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    index: usize,
    features: Vec<f32>,
    target: SampleTarget,
}

#[derive(Clone, Debug)]
enum SampleTarget {
    Class(usize),
    Values(Vec<f32>),
}

/// A batch on the loader's device, with the targets kept on the host too for the metrics.
#[derive(Clone, Debug)]
pub(crate) struct Batch {
    /// `[batch, features]`.
    pub inputs: Tensor<2>,
    /// The targets.
    pub targets: BatchTargets,
    /// Each sample's row in the data set (burn's loader shuffles them), for sample weights.
    pub rows: Vec<usize>,
}

/// A batch's targets, as tensors for the loss and as host values for the metrics.
#[derive(Clone, Debug)]
pub(crate) enum BatchTargets {
    /// Class indices.
    Classes {
        /// `[batch]`, for `CrossEntropyLoss`.
        tensor: Tensor<1, Int>,
        /// The same on the host.
        labels: Vec<usize>,
    },
    /// Real values.
    Values {
        /// `[batch, width]`, for `MseLoss`.
        tensor: Tensor<2>,
        /// The same on the host, row-major.
        values: Vec<f32>,
    },
}

impl BatchTargets {
    /// Samples in the batch.
    pub fn len(&self) -> usize {
        match self {
            BatchTargets::Classes { labels, .. } => labels.len(),
            BatchTargets::Values { tensor, .. } => tensor.dims()[0],
        }
    }
}

/// A tuner data set shared with burn's loader (which wants to own what it loads from).
struct Samples(Arc<Dataset>);

impl ::burn::data::dataset::Dataset<Sample> for Samples {
    fn get(&self, index: usize) -> Result<Sample, DatasetError> {
        let data = &self.0;
        if index >= data.len() {
            return Err(DatasetError::new(std::io::Error::other(format!(
                "sample {index} of a data set of {}",
                data.len()
            ))));
        }
        let target = match data.targets() {
            Targets::Classes { labels, .. } => SampleTarget::Class(labels[index]),
            Targets::Values { values, width } => {
                SampleTarget::Values(values[index * width..(index + 1) * width].to_vec())
            }
        };
        Ok(Sample {
            index,
            features: data.row(index).to_vec(),
            target,
        })
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Stacks samples into a [`Batch`].
struct SampleBatcher {
    width: usize,
}

impl Batcher<Sample, Batch> for SampleBatcher {
    fn batch(&self, items: Vec<Sample>, device: &Device) -> Batch {
        let n = items.len();
        let mut features = Vec::with_capacity(n * self.width);
        let mut labels = Vec::new();
        let mut values = Vec::new();
        let mut value_width = 0;
        let mut rows = Vec::with_capacity(n);
        for item in items {
            rows.push(item.index);
            features.extend_from_slice(&item.features);
            match item.target {
                SampleTarget::Class(c) => labels.push(c),
                SampleTarget::Values(v) => {
                    value_width = v.len();
                    values.extend(v);
                }
            }
        }
        let inputs = Tensor::from_data(TensorData::new(features, [n, self.width]), device);
        let targets = if values.is_empty() && value_width == 0 {
            let ints: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
            BatchTargets::Classes {
                tensor: Tensor::from_data(TensorData::new(ints, [n]), device),
                labels,
            }
        } else {
            BatchTargets::Values {
                tensor: Tensor::from_data(
                    TensorData::new(values.clone(), [n, value_width]),
                    device,
                ),
                values,
            }
        };
        Batch {
            inputs,
            targets,
            rows,
        }
    }
}

/// A data set loaded once per `fit` or evaluation, then batched by burn's `DataLoader`.
pub(crate) struct Loader {
    data: Arc<Dataset>,
}

impl Loader {
    /// Shares `data` with burn's loaders (one copy, freed with the loader).
    pub fn new(data: &Dataset) -> Self {
        Self {
            data: Arc::new(data.clone()),
        }
    }

    /// burn's loader over the data in batches of `batch_size` on `device`, shuffled from
    /// `shuffle` when given; batching runs on the calling thread.
    pub fn batches(
        &self,
        batch_size: usize,
        shuffle: Option<u64>,
        device: &Device,
    ) -> Arc<dyn DataLoader<Batch>> {
        let mut builder = DataLoaderBuilder::new(SampleBatcher {
            width: self.data.feature_width(),
        })
        .batch_size(batch_size)
        .set_device(device.clone());
        if let Some(seed) = shuffle {
            builder = builder.shuffle(seed);
        }
        builder.build(Samples(Arc::clone(&self.data)))
    }
}
