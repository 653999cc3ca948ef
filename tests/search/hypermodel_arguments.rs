//! A hypermodel with arguments tuned end to end: the arguments (input shape, number of
//! classes) configure every trial's network; only the `hp_*!` values are searched.

use std::sync::Arc;
use tuner::data::{fashion_mnist, Dataset};
use tuner::prelude::*;
use tuner::storage::MemoryStorage;

#[hypermodel]
fn classifier(input: [usize; 2], classes: usize) -> NetSpec {
    NetSpec::input_shape(input)
        .flatten()
        .dense(hp_int!(units, 8..=16, step = 8))
        .relu()
        .dense(classes)
        .optimizer(Adam::new(hp_float!(lr, 1e-3..=1e-2, log)))
}

/// 300 training and 100 validation samples of the shipped subset.
fn data() -> (Dataset, Dataset) {
    let (train, _) = fashion_mnist::load_shipped().unwrap();
    let (a, rest) = train.split_at(300);
    (a, rest.take(100))
}

#[test]
fn a_hypermodel_with_arguments_is_tuned_end_to_end() {
    let (train, val) = data();
    let model = Classifier::new([28, 28], 10);
    let dir = crate::common::tmp_path(module_path!(), "arguments");
    let mut tuner = Tuner::for_model(model.clone(), RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(2)
        .seed(3)
        .storage(Arc::new(MemoryStorage::new()))
        .directory(&dir)
        .quiet(true)
        .build()
        .unwrap();
    assert_eq!(tuner.model().classes, 10);
    let report = tuner
        .search(&train, &val, Fit::default().batch_size(50).epochs(1))
        .unwrap();
    assert_eq!((report.trials, report.completed), (2, 2));
    let params: ClassifierParams = tuner.best_params(1).unwrap().remove(0);
    let best = tuner.best_models(1).unwrap().remove(0);
    // The trained network is the one the arguments and the best params describe.
    assert_eq!(best.spec(), &model.build(&params));
    assert_eq!(best.spec().output_width(), 10);
    let fresh = tuner.build_model(&params, 1).unwrap();
    assert_eq!(fresh.spec(), best.spec());
    std::fs::remove_dir_all(&dir).ok();
}
