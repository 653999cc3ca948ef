//! `summary()` prints KerasTuner's `search_space_summary` layout.

use tuner::space::{Param, SearchSpace};

#[test]
fn summary_follows_keras_tuner_layout() {
    let space = SearchSpace::builder()
        .param(Param::choice("model_type", ["mlp", "cnn"]))
        .scope("model_type", ["mlp"], |b| {
            b.param(Param::int("mlp_units", 32, 128).step(32))
        })
        .param(Param::float("learning_rate", 1e-5, 1e-2).log())
        .param(Param::boolean("shuffle"))
        .param(Param::fixed("optimizer", "adam"))
        .build()
        .unwrap();
    let expected = "\
Search space summary
Default search space size: 5
model_type (Choice)
{'default': 'mlp', 'conditions': [], 'values': ['mlp', 'cnn'], 'ordered': False}
mlp_units (Int)
{'default': 32, 'conditions': [{'class_name': 'Parent', 'config': {'name': 'model_type', 'values': ['mlp']}}], 'min_value': 32, 'max_value': 128, 'step': 32, 'sampling': 'linear'}
learning_rate (Float)
{'default': 1e-05, 'conditions': [], 'min_value': 1e-05, 'max_value': 0.01, 'step': None, 'sampling': 'log'}
shuffle (Boolean)
{'default': False, 'conditions': []}
optimizer (Fixed)
{'conditions': [], 'value': 'adam'}
";
    assert_eq!(space.summary(), expected);
}

#[test]
fn a_linear_int_without_step_shows_step_one_as_keras_tuner_stores_it() {
    let space = SearchSpace::builder()
        .param(Param::int("depth", 1, 3))
        .build()
        .unwrap();
    assert!(space
        .summary()
        .contains("'min_value': 1, 'max_value': 3, 'step': 1,"));
}
