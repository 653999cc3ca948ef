//! The ready-made hypermodels: documented spaces, typed params that round-trip, and valid
//! networks for every point drawn from their spaces.

use rand::rngs::ChaCha8Rng;
use rand::SeedableRng;
use tuner::models::{
    Augmentation, Augmented, CnnPooling, FashionMnistCnn, FashionMnistMlp, Flip, HyperCnn,
    HyperCnnParams, HyperImageAugment, HyperImageAugmentParams, HyperMlp,
};
use tuner::nn::{FlipMode, LayerSpec, NetSpec};
use tuner::prelude::*;
use tuner::space::SpaceError;

#[test]
fn the_documented_summaries_are_the_spaces() {
    // The rustdoc of each model embeds these files; they must say what the code defines.
    let docs = [
        (
            include_str!("../../tuner-core/src/models/spaces/mlp.txt"),
            FashionMnistMlp::space().summary(),
        ),
        (
            include_str!("../../tuner-core/src/models/spaces/cnn.txt"),
            FashionMnistCnn::space().summary(),
        ),
        (
            include_str!("../../tuner-core/src/models/spaces/augment.txt"),
            HyperImageAugment::space().summary(),
        ),
    ];
    for (doc, actual) in docs {
        assert_eq!(doc, actual);
    }
    // The space does not depend on the input shape or the classes.
    assert_eq!(HyperCnn::<3, 8, 8, 4>::space(), FashionMnistCnn::space());
    assert_eq!(HyperMlp::<20, 2>::space(), FashionMnistMlp::space());
}

/// Draws `n` points of `M`'s space: each reads back into typed params that write the same
/// values, and builds a network that validates with `classes` outputs.
fn check_samples<M>(n: usize, classes: usize, mut inspect: impl FnMut(&M::Params, &NetSpec))
where
    M: HyperModel + Default,
    M::Output: Into<NetSpec>,
{
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for _ in 0..n {
        let values = M::space().sample(&mut rng);
        let params = M::params_from(&values).unwrap();
        assert_eq!(M::params_to(&params), values);
        let spec: NetSpec = M::default().build(&params).into();
        spec.validate()
            .unwrap_or_else(|e| panic!("{params:?} builds an invalid network: {e}"));
        assert_eq!(spec.output_width(), classes);
        inspect(&params, &spec);
    }
}

fn count(spec: &[LayerSpec], pred: fn(&LayerSpec) -> bool) -> usize {
    spec.iter()
        .map(|l| match l {
            LayerSpec::Residual { layers } => usize::from(pred(l)) + count(layers, pred),
            other => usize::from(pred(other)),
        })
        .sum()
}

#[test]
fn every_sampled_mlp_is_a_valid_network() {
    check_samples::<FashionMnistMlp>(40, 10, |p, spec| {
        assert_eq!(p.units.len() as i64, p.depth);
        let dense = count(&spec.layers, |l| matches!(l, LayerSpec::Dense { .. }));
        assert_eq!(dense as i64, p.depth + 1);
        let norms = count(&spec.layers, |l| matches!(l, LayerSpec::LayerNorm { .. }));
        assert_eq!(norms as i64, if p.layer_norm { p.depth } else { 0 });
        assert_eq!(spec.input_shape, vec![784]);
    });
}

#[test]
fn every_sampled_cnn_is_a_valid_network() {
    let mut residual_seen = false;
    check_samples::<FashionMnistCnn>(60, 10, |p, spec| {
        assert_eq!(p.head_units.is_some(), p.dense_head);
        let convs = count(&spec.layers, |l| matches!(l, LayerSpec::Conv2d { .. }));
        assert_eq!(convs as i64, p.blocks * p.convs_per_block);
        let blocks = count(&spec.layers, |l| matches!(l, LayerSpec::Residual { .. }));
        assert_eq!(blocks as i64, if p.residual { p.blocks } else { 0 });
        residual_seen |= p.residual;
        let bns = count(&spec.layers, |l| matches!(l, LayerSpec::BatchNorm2d { .. }));
        assert_eq!(bns, if p.batch_norm { convs } else { 0 });
        let pooled = spec.layers.iter().any(|l| match p.pooling {
            CnnPooling::Avg => matches!(l, LayerSpec::GlobalAvgPool2d),
            CnnPooling::Max => matches!(l, LayerSpec::GlobalMaxPool2d),
            CnnPooling::Flatten => matches!(l, LayerSpec::Flatten),
        });
        assert!(pooled, "{p:?}");
    });
    assert!(residual_seen);
    // Odd sizes and colour images build too: 3 channels, 5x7 pixels, 4 classes.
    check_samples::<HyperCnn<3, 5, 7, 4>>(30, 4, |_, spec| {
        assert_eq!(spec.input_shape, vec![3, 5, 7]);
    });
}

#[test]
fn augmentation_goes_in_front_of_the_model() {
    type Model = Augmented<HyperImageAugment, FashionMnistCnn>;
    let names: Vec<&str> = Model::space()
        .params()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names.len(), 4 + FashionMnistCnn::space().len());
    assert_eq!(
        &names[..4],
        [
            "flip",
            "factor_translate_y",
            "factor_translate_x",
            "factor_contrast"
        ]
    );
    check_samples::<Model>(40, 10, |p, spec| {
        let augment = HyperImageAugment::build(&p.augment);
        assert_eq!(spec.layers[..augment.layers.len()], augment.layers[..]);
        assert_eq!(
            spec.layers[augment.layers.len()..],
            FashionMnistCnn::build(&p.model).layers[..]
        );
    });
}

#[test]
fn augment_layers_follow_the_factors() {
    let none = HyperImageAugmentParams {
        flip: Flip::None,
        factor_translate_y: 0.0,
        factor_translate_x: 0.0,
        factor_contrast: 0.0,
    };
    assert!(HyperImageAugment::build(&none).layers.is_empty());
    let all = HyperImageAugmentParams {
        flip: Flip::Horizontal,
        factor_translate_y: 0.1,
        factor_translate_x: 0.0,
        factor_contrast: 0.2,
    };
    assert_eq!(
        HyperImageAugment::build(&all).layers,
        vec![
            LayerSpec::RandomFlip {
                mode: FlipMode::Horizontal
            },
            LayerSpec::RandomTranslation {
                height_factor: 0.1,
                width_factor: 0.0
            },
            LayerSpec::RandomContrast { factor: 0.2 },
        ]
    );
    // Flat input reshaped to an image: the layers go after the reshape.
    let flat = NetSpec::input(784)
        .reshape([1, 28, 28])
        .conv2d(4, 3)
        .flatten()
        .dense(10);
    let placed = HyperImageAugment::build(&all).apply(flat);
    assert!(matches!(placed.layers[0], LayerSpec::Reshape { .. }));
    assert!(matches!(placed.layers[1], LayerSpec::RandomFlip { .. }));
    placed.validate().unwrap();
    assert_eq!(
        Augmentation::default().apply(NetSpec::input(3).dense(2)),
        NetSpec::input(3).dense(2)
    );
}

#[test]
fn values_outside_the_live_set_are_rejected() {
    let mut values = FashionMnistCnn::space().defaults();
    let p: HyperCnnParams = FashionMnistCnn::params_from(&values).unwrap();
    assert_eq!(p.head_units, None);
    values.insert("head_units", 64i64);
    assert_eq!(
        FashionMnistCnn::params_from(&values),
        Err(SpaceError::Inactive("head_units".into()))
    );
    values.insert("dense_head", true);
    assert_eq!(
        FashionMnistCnn::params_from(&values).unwrap().head_units,
        Some(64)
    );
    values.insert("width_multiplier", 2i64);
    assert!(matches!(
        FashionMnistCnn::params_from(&values),
        Err(SpaceError::Unknown(_))
    ));
    let mut mlp = FashionMnistMlp::space().defaults();
    mlp.remove("units_0");
    assert_eq!(
        FashionMnistMlp::params_from(&mlp),
        Err(SpaceError::Missing("units_0".into()))
    );
}
