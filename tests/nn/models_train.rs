//! The ready-made models train: a small `HyperCnn` beats a `HyperMlp` on the same
//! Fashion-MNIST samples and epochs, and an augmented CNN tunes end to end.

use std::sync::Arc;
use tuner::data::{fashion_mnist, Dataset};
use tuner::models::{
    Augmented, CnnPooling, FashionMnistCnn, FashionMnistMlp, HyperCnn, HyperCnnParams,
    HyperImageAugment, HyperMlpActivation, HyperMlpParams, MlpOptimizer,
};
use tuner::nn::{Fit, Network};
use tuner::oracle::RandomSearch;
use tuner::prelude::*;
use tuner::storage::MemoryStorage;
use tuner::trial::TrialState;
use tuner::Tuner;

fn test_accuracy(spec: &NetSpec, train: &Dataset, test: &Dataset, epochs: usize) -> f64 {
    let mut net = Network::new(spec, 1).unwrap();
    net.fit(
        train,
        None,
        &Fit::default().batch_size(64).epochs(epochs).seed(2),
        &mut [],
    )
    .unwrap();
    net.evaluate(test, 500).unwrap()["accuracy"]
}

#[test]
fn a_small_cnn_beats_the_mlp_on_the_same_data_and_epochs() {
    let (train, test) = fashion_mnist::load_shipped().unwrap();
    let (train, test) = (train.take(3000), test.take(500));
    let mlp = FashionMnistMlp::build(&HyperMlpParams {
        depth: 1,
        units: vec![128],
        activation: HyperMlpActivation::Relu,
        layer_norm: false,
        dropout: 0.0,
        optimizer: MlpOptimizer::Adam,
        learning_rate: 1e-3,
    });
    let cnn = FashionMnistCnn::build(&HyperCnnParams {
        blocks: 2,
        filters: 16,
        kernel_size: 3,
        convs_per_block: 1,
        residual: false,
        batch_norm: false,
        pooling: CnnPooling::Flatten,
        dense_head: false,
        head_units: None,
        dropout: 0.0,
        learning_rate: 3e-3,
    });
    let mlp_acc = test_accuracy(&mlp, &train, &test, 3);
    let cnn_acc = test_accuracy(&cnn, &train, &test, 3);
    assert!(mlp_acc > 0.6, "the MLP learns: {mlp_acc}");
    assert!(
        cnn_acc > mlp_acc,
        "cnn {cnn_acc} (params {}) vs mlp {mlp_acc} (params {})",
        cnn.num_params(),
        mlp.num_params()
    );
}

/// 12x12 one-channel images of three classes: a bright bar at the top, left or centre.
fn bars(n: usize, salt: usize) -> Dataset {
    let mut features = Vec::with_capacity(n * 144);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = (i * 7 + salt) % 3;
        for r in 0..12 {
            for c in 0..12 {
                let on = match class {
                    0 => r < 3,
                    1 => c < 3,
                    _ => (4..8).contains(&r) && (4..8).contains(&c),
                };
                let noise =
                    (((i * 144 + r * 12 + c) * 2_654_435_761 + salt) % 1000) as f32 / 4000.0;
                features.push(if on { 0.8 } else { 0.0 } + noise);
            }
        }
        labels.push(class);
    }
    Dataset::classification(features, vec![1, 12, 12], labels, 3).unwrap()
}

#[test]
fn an_augmented_cnn_tunes_end_to_end() {
    type Model = Augmented<HyperImageAugment, HyperCnn<1, 12, 12, 3>>;
    let (train, val) = (bars(192, 1), bars(96, 2));
    let mut tuner = Tuner::builder::<Model>(RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(4)
        .seed(9)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(std::env::temp_dir().join(format!("tuner-models-aug-{}", std::process::id())))
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search(&train, &val, Fit::default().batch_size(32).epochs(2))
        .unwrap();
    let trials = tuner.trials().unwrap();
    assert_eq!(trials.len(), 4);
    assert!(trials.iter().all(|t| t.state == TrialState::Completed));
    // The best checkpoint (batch-norm statistics and residual projections included) reloads
    // to the scored network, with the augmentation inactive at evaluation.
    let best = tuner.best_trials(1).unwrap().remove(0);
    let model = tuner.best_models(1).unwrap().remove(0);
    let params = tuner.best_params(1).unwrap().remove(0);
    assert_eq!(model.spec(), &Model::build(&params));
    let recorded = best.best_metrics().unwrap()["val_accuracy"];
    assert_eq!(model.evaluate(&val, 100).unwrap()["accuracy"], recorded);
    assert!(recorded > 0.5, "the bars are learnable: {recorded}");
    std::fs::remove_dir_all(tuner.dir()).ok();
}
