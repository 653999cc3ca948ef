//! The typed search over a model that is no dfdx network: a line fitted by SGD with momentum,
//! written against the `model` traits alone, so it runs with `--no-default-features` too.

use crate::hypermodel::HyperModel;
use crate::model::EpochMetrics;
use crate::model::{Callback, Control, Fit, History, ModelSpec, Trainable};
use crate::oracle::Hyperband;
use crate::space::{HyperParameters, Param, SearchSpace, SpaceError};
use crate::storage::MemoryStorage;
use crate::trial::{Metrics, TrialState};
use crate::tuner::{Tuner, LAST_CHECKPOINT};
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// `y = a x + b` with its SGD velocity: the optimizer state a checkpoint must carry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Line {
    lr: f64,
    seed: u64,
    weights: [f64; 2],
    velocity: [f64; 2],
}

#[derive(Serialize, Deserialize)]
struct Saved {
    line: Line,
    metadata: Option<Json>,
}

impl Line {
    fn loss(&self, data: &[(f64, f64)]) -> f64 {
        let [a, b] = self.weights;
        data.iter()
            .map(|(x, y)| (a * x + b - y).powi(2))
            .sum::<f64>()
            / data.len() as f64
    }
}

impl Trainable for Line {
    type Data = [(f64, f64)];
    type Error = std::io::Error;

    fn fit(
        &mut self,
        train: &[(f64, f64)],
        val: Option<&[(f64, f64)]>,
        fit: &Fit,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History, Self::Error> {
        let mut history = History::default();
        for cb in callbacks.iter_mut() {
            cb.on_train_begin();
        }
        for epoch in fit.initial_epoch..fit.epochs {
            let mut order: Vec<usize> = (0..train.len()).collect();
            let mix = fit.seed ^ self.seed.rotate_left(17) ^ ((epoch as u64 + 1) * 0x9E37_79B9);
            order.shuffle(&mut ChaCha8Rng::seed_from_u64(mix));
            for &i in &order {
                let (x, y) = train[i];
                let err = self.weights[0] * x + self.weights[1] - y;
                for (k, g) in [2.0 * err * x, 2.0 * err].into_iter().enumerate() {
                    self.velocity[k] = 0.9 * self.velocity[k] - self.lr * g;
                    self.weights[k] += self.velocity[k];
                }
            }
            let mut metrics = Metrics::from([("loss".to_owned(), self.loss(train))]);
            if let Some(val) = val {
                metrics.insert("val_loss".to_owned(), self.loss(val));
            }
            let mut stop = false;
            for cb in callbacks.iter_mut() {
                stop |= cb.on_epoch_end_with_model(epoch, &metrics, &*self) == Control::Stop;
            }
            history.epochs.push(EpochMetrics { epoch, metrics });
            if stop {
                break;
            }
        }
        Ok(history)
    }

    fn evaluate(&self, data: &[(f64, f64)], _: usize) -> Result<Metrics, Self::Error> {
        Ok(Metrics::from([("loss".to_owned(), self.loss(data))]))
    }

    fn num_params(&self) -> usize {
        2
    }

    fn save_checkpoint(&self, path: &Path, metadata: Option<&Json>) -> Result<(), Self::Error> {
        let saved = Saved {
            line: self.clone(),
            metadata: metadata.cloned(),
        };
        std::fs::write(path, serde_json::to_vec(&saved)?)
    }

    fn load_checkpoint(path: &Path) -> Result<(Self, Option<Json>), Self::Error> {
        let saved: Saved = serde_json::from_slice(&std::fs::read(path)?)?;
        Ok((saved.line, saved.metadata))
    }
}

/// A learning rate builds a line from a seed.
struct LineSpec {
    lr: f64,
}

impl ModelSpec for LineSpec {
    type Model = Line;

    fn build(&self, seed: u64) -> Result<Line, std::io::Error> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Ok(Line {
            lr: self.lr,
            seed,
            weights: [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)],
            velocity: [0.0; 2],
        })
    }
}

/// A hand-written hypermodel (what `#[hypermodel]` generates) over the learning rate.
#[derive(Default)]
struct LineModel;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct LineParams {
    lr: f64,
}

impl HyperModel for LineModel {
    type Params = LineParams;
    type Output = LineSpec;

    fn name() -> &'static str {
        "line"
    }

    fn space() -> &'static SearchSpace {
        static SPACE: OnceLock<SearchSpace> = OnceLock::new();
        SPACE.get_or_init(|| {
            SearchSpace::builder()
                .param(Param::float("lr", 1e-3, 2e-2))
                .build()
                .expect("a one-parameter space")
        })
    }

    fn params_from(values: &HyperParameters) -> Result<LineParams, SpaceError> {
        Ok(LineParams {
            lr: values.get_as("lr")?,
        })
    }

    fn params_to(params: &LineParams) -> HyperParameters {
        let mut hp = HyperParameters::new();
        hp.insert("lr", params.lr);
        hp
    }

    fn build(&self, params: &LineParams) -> LineSpec {
        LineSpec { lr: params.lr }
    }
}

fn points(n: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let x: f64 = rng.random_range(-1.0..1.0);
            (x, 2.0 * x + 1.0 + 0.1 * rng.random_range(-1.0..1.0))
        })
        .collect()
}

#[test]
fn a_promoted_trial_of_any_trainable_continues_as_one_trained_straight() {
    let (train, val) = (points(64, 1), points(32, 2));
    let dir = std::env::temp_dir().join(format!("tuner-line-{}", std::process::id()));
    let mut tuner = Tuner::builder::<LineModel>(Hyperband::new(4).factor(2))
        .objective("loss")
        .seed(3)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(&dir)
        .quiet(true)
        .build()
        .unwrap();
    tuner.search(&train, &val, Fit::default()).unwrap();
    let trials = tuner.trials().unwrap();
    let mut checked = 0;
    for child in trials.iter().filter(|t| t.plan.initial_epoch == 2) {
        let parent = &trials[child.plan.parent.unwrap() as usize];
        let h = &parent.history;
        if parent.plan.parent.is_some() || h.len() != 2 || h[1].1["loss"] >= h[0].1["loss"] {
            continue;
        }
        assert_eq!(child.state, TrialState::Completed);
        let seed = tuner.load_model(parent).unwrap().seed;
        let mut straight = LineSpec {
            lr: tuner.params_of(parent).unwrap().lr,
        }
        .build(seed)
        .unwrap();
        let history = straight
            .fit(
                &train,
                Some(&val),
                &Fit::default().epochs(4).seed(seed),
                &mut [],
            )
            .unwrap();
        let stored: Vec<(u32, Metrics)> = h.iter().chain(&child.history).cloned().collect();
        let trained: Vec<(u32, Metrics)> = history
            .epochs
            .into_iter()
            .map(|e| (e.epoch as u32, e.metrics))
            .collect();
        assert_eq!(stored, trained);
        let last = tuner.trial_dir(child.number).join(LAST_CHECKPOINT);
        assert_eq!(Line::load_checkpoint(&last).unwrap().0, straight);
        checked += 1;
    }
    assert!(
        checked > 0,
        "Hyperband(4, 2) promotes fresh trials from 2 to 4 epochs"
    );
    let _ = std::fs::remove_dir_all(dir);
}
