//! A `#[hypermodel]` function returning a `NetSpec` builds and trains on real Fashion-MNIST
//! samples for every point of its space we draw.

use rand::rngs::ChaCha8Rng;
use rand::SeedableRng;
use tuner::data::fashion_mnist;
use tuner::nn::Activation::{Gelu, Relu, Tanh};
use tuner::nn::{Adam, Fit, NetSpec, Network};
use tuner::prelude::*;

#[hypermodel]
fn mlp() -> NetSpec {
    let depth = hp_int!(depth, 1..=3);
    let mut net = NetSpec::input_shape([28, 28]).flatten();
    for i in 0..depth {
        net = net
            .dense(hp_int!(units[i], 16..=128, step = 16))
            .activation(hp_choice!(activation, [Relu, Tanh, Gelu]));
    }
    if hp_bool!(norm) {
        net = net.layer_norm();
    }
    net.dropout(hp_float!(dropout, 0.0..=0.5, step = 0.1))
        .dense(10)
        .optimizer(Adam::new(hp_float!(learning_rate, 1e-3..=1e-2, log)))
}

#[test]
fn sampled_hypermodels_build_and_train_on_real_data() {
    let (train, test) = fashion_mnist::load_shipped().unwrap();
    let (train, test) = (train.take(768), test.take(300));
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for trial in 0..6 {
        let params = Mlp::params_from(&Mlp::space().sample(&mut rng)).unwrap();
        let spec = Mlp::build(&params);
        spec.validate().unwrap();
        assert_eq!(
            spec.layers
                .iter()
                .filter(|l| matches!(l, tuner::nn::LayerSpec::Dense { .. }))
                .count() as i64,
            params.depth + 1
        );
        let mut net = Network::new(&spec, trial).unwrap();
        assert_eq!(net.num_params(), spec.num_params());
        let h = net
            .fit(&train, Some(&test), &Fit::default().epochs(2), &mut [])
            .unwrap();
        let acc = h.last().unwrap().metrics["val_accuracy"];
        assert!(acc > 0.55, "trial {trial} {params:?}: val_accuracy {acc}");
    }
}
