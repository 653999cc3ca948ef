//! `NetSpec` as plain data: builder, serde, parameter count without building, validation.

use tuner::nn::{Activation, LayerSpec, Loss, NetSpec, Network, NnError, Optimizer, SpecError};

#[test]
fn builder_records_layers_optimizer_and_loss() {
    let spec = NetSpec::input(784)
        .dense(256i64)
        .activation(Activation::Gelu)
        .dropout(0.3)
        .layer_norm()
        .dense(10)
        .optimizer(Optimizer::sgd(0.1).momentum(0.9).nesterov(true))
        .loss(Loss::CrossEntropy);
    assert_eq!(
        spec.layers,
        [
            LayerSpec::Dense { units: 256 },
            LayerSpec::Activation {
                activation: Activation::Gelu
            },
            LayerSpec::Dropout { rate: 0.3 },
            LayerSpec::LayerNorm { epsilon: 1e-3 },
            LayerSpec::Dense { units: 10 },
        ]
    );
    assert_eq!(spec.optimizer.learning_rate(), 0.1);
    assert_eq!(spec.optimizer.name(), "sgd");
    assert_eq!(spec.output_width(), 10);
    spec.validate().unwrap();
}

#[test]
fn serde_round_trips_and_reads_like_keras_config() {
    let spec = NetSpec::input_shape([28, 28])
        .flatten()
        .dense(64)
        .leaky_relu(0.1)
        .dense(1)
        .optimizer(Optimizer::rmsprop(1e-3).centered(true))
        .loss(Loss::Huber(0.5));
    let json = serde_json::to_string(&spec).unwrap();
    assert!(json.contains(r#"{"layer":"dense","units":64}"#), "{json}");
    assert!(json.contains(r#""kind":"rms_prop""#), "{json}");
    let back: NetSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
}

#[test]
fn num_params_is_known_without_building() {
    let spec = NetSpec::input_shape([28, 28])
        .flatten()
        .dense(256)
        .relu()
        .dense(128)
        .relu()
        .dense(10);
    assert_eq!(
        spec.num_params(),
        784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    );
    assert_eq!(spec.num_params(), 235_146);
    assert_eq!(
        Network::new(&spec, 0).unwrap().num_params(),
        spec.num_params()
    );
    let norm = NetSpec::input(20).dense(5).layer_norm().dense(2);
    assert_eq!(norm.num_params(), 20 * 5 + 5 + 10 + 5 * 2 + 2);
}

fn layer_error(spec: NetSpec) -> (usize, String) {
    match spec.validate() {
        Err(SpecError::Layer { index, reason }) => (index, reason),
        other => panic!("expected a layer error, got {other:?}"),
    }
}

#[test]
fn validation_names_the_layer_and_the_fix() {
    let (i, why) = layer_error(NetSpec::input_shape([28, 28]).dense(10));
    assert_eq!(i, 0);
    assert!(why.contains("flatten"), "{why}");
    let (i, why) = layer_error(NetSpec::input(4).dense(8).dropout(1.0).dense(2));
    assert_eq!(i, 1);
    assert!(why.contains("[0, 1)"), "{why}");
    let (i, _) = layer_error(NetSpec::input(4).dense(-3i64).dense(2));
    assert_eq!(i, 0);
    let (i, why) = layer_error(NetSpec::input(12).reshape([5, 2]).flatten().dense(2));
    assert_eq!(i, 0);
    assert!(why.contains("12 values"), "{why}");
    NetSpec::input(12)
        .reshape([3, 4])
        .flatten()
        .dense(2)
        .validate()
        .unwrap();

    assert_eq!(NetSpec::input(4).relu().validate(), Err(SpecError::NoDense));
    assert!(matches!(
        NetSpec::input(0).dense(2).validate(),
        Err(SpecError::Input(_))
    ));
    assert!(
        matches!(
            NetSpec::input(4).dense(1).validate(),
            Err(SpecError::Loss(_))
        ),
        "CE needs 2+ classes"
    );
    assert!(matches!(
        NetSpec::input(4).dense(1).loss(Loss::Huber(0.0)).validate(),
        Err(SpecError::Loss(_))
    ));
    NetSpec::input(4)
        .dense(1)
        .loss(Loss::Mse)
        .validate()
        .unwrap();
    let bad_opts: [Optimizer; 5] = [
        Optimizer::adam(0.0).into(),
        Optimizer::adam(1e-3).betas(1.0, 0.999).into(),
        Optimizer::sgd(0.1).nesterov(true).into(),
        Optimizer::sgd(0.1).momentum(1.5).into(),
        Optimizer::rmsprop(f64::NAN).into(),
    ];
    for opt in bad_opts {
        let spec = NetSpec::input(4).dense(2).optimizer(opt.clone());
        assert!(
            matches!(spec.validate(), Err(SpecError::Optimizer(_))),
            "{opt:?}"
        );
        assert!(matches!(Network::new(&spec, 0), Err(NnError::Spec(_))));
    }
}

#[test]
fn activations_parse_from_keras_names() {
    assert_eq!("relu".parse::<Activation>().unwrap(), Activation::Relu);
    assert_eq!(
        "Leaky_ReLU".parse::<Activation>().unwrap(),
        Activation::LeakyRelu(0.2)
    );
    assert_eq!(Activation::try_from("linear").unwrap(), Activation::Linear);
    let err = "swish".parse::<Activation>().unwrap_err().to_string();
    assert!(err.contains("swish") && err.contains("relu"), "{err}");
    assert_eq!(Activation::LeakyRelu(0.3).to_string(), "leaky_relu(0.3)");
}
