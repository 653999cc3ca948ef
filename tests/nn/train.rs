//! Training on real Fashion-MNIST samples (the shipped subset): loss falls, runs repeat
//! bit for bit, validation, callbacks, early stopping, `initial_epoch`, bad inputs.

use std::sync::OnceLock;
use tuner::data::{fashion_mnist, Dataset};
use tuner::model::FitError;
use tuner::nn::{
    Activation, Callback, Control, EarlyStopping, Fit, Loss, Metrics, Mode, NetSpec, Network,
    NnError, Optimizer,
};

/// 1,024 training and 500 test samples of the shipped subset.
fn data() -> &'static (Dataset, Dataset) {
    static DATA: OnceLock<(Dataset, Dataset)> = OnceLock::new();
    DATA.get_or_init(|| {
        let (train, test) = fashion_mnist::load_shipped().expect("shipped subset");
        (train.take(1024), test.take(500))
    })
}

fn mlp(hidden: usize) -> NetSpec {
    NetSpec::input_shape([28, 28])
        .flatten()
        .dense(hidden)
        .relu()
        .dense(10)
        .optimizer(Optimizer::adam(2e-3))
}

#[test]
fn training_lowers_loss_and_learns() {
    let (train, test) = data();
    let mut net = Network::new(&mlp(64), 1).unwrap();
    let before = net.evaluate(test, 256).unwrap();
    let h = net
        .fit(train, None, &Fit::default().epochs(4), &mut [])
        .unwrap();
    let losses = h.metric("loss");
    assert_eq!(losses.len(), 4);
    assert!(
        losses[3] < losses[0] * 0.8,
        "loss did not fall enough: {losses:?}"
    );
    let after = net.evaluate(test, 256).unwrap();
    assert!(after["loss"] < before["loss"]);
    assert!(
        after["accuracy"] > 0.70,
        "test accuracy {}",
        after["accuracy"]
    );
    assert!(
        before["accuracy"] < 0.35,
        "an untrained net should be near chance: {}",
        before["accuracy"]
    );
    assert_eq!(net.epochs_completed(), 4);
}

#[test]
fn same_seed_gives_bitwise_same_weights_and_metrics() {
    let (train, test) = data();
    let spec = mlp(32).dropout(0.25).dense(10);
    let run = |seed: u64| {
        let mut net = Network::new(&spec, seed).unwrap();
        let h = net
            .fit(
                &train.take(512),
                Some(test),
                &Fit::default().epochs(2).seed(3),
                &mut [],
            )
            .unwrap();
        (net.weights(), h)
    };
    let (w1, h1) = run(9);
    let (w2, h2) = run(9);
    assert!(w1 == w2, "same seed, different weights");
    assert_eq!(h1, h2);
    let (w3, _) = run(10);
    assert!(w1 != w3, "a different seed must give different weights");
}

#[test]
fn training_is_bitwise_the_same_on_one_two_and_three_threads() {
    let (train, test) = data();
    // Wide enough that every product is split over the threads, and the middle layer's
    // two backward products run side by side.
    let spec = NetSpec::input_shape([28, 28])
        .flatten()
        .dense(256)
        .tanh()
        .dense(128)
        .relu()
        .dropout(0.2)
        .dense(10)
        .optimizer(Optimizer::adam(2e-3));
    let run = || {
        let mut net = Network::new(&spec, 5).unwrap();
        let fit = Fit::default().epochs(2).batch_size(64).seed(2);
        let h = net
            .fit(&train.take(512), Some(test), &fit, &mut [])
            .unwrap();
        (net.weights(), h)
    };
    let in_pool = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(run)
    };
    let (w1, h1) = in_pool(1);
    // A thread outside any pool trains on a pool of its own, with polling workers.
    let (w2, h2) = std::thread::scope(|s| s.spawn(run).join().unwrap());
    let (w3, h3) = in_pool(3);
    assert!(
        w1 == w2,
        "one thread vs a pool of its own: different weights"
    );
    assert!(w1 == w3, "one thread vs three: different weights");
    assert_eq!(h1, h2);
    assert_eq!(h1, h3);
}

#[test]
fn validation_split_takes_the_tail_before_shuffling() {
    let (train, _) = data();
    let small = train.take(500);
    let fit = Fit::default().epochs(2).seed(4);
    let mut a = Network::new(&mlp(16), 2).unwrap();
    let ha = a
        .fit(&small, None, &fit.clone().validation_split(0.2), &mut [])
        .unwrap();
    let (head, tail) = small.split_at(400);
    let mut b = Network::new(&mlp(16), 2).unwrap();
    let hb = b.fit(&head, Some(&tail), &fit, &mut []).unwrap();
    assert_eq!(
        ha, hb,
        "a 0.2 split of 500 samples is training on the first 400"
    );
    let keys: Vec<&str> = ha.epochs[0].metrics.keys().map(String::as_str).collect();
    assert_eq!(keys, ["accuracy", "loss", "val_accuracy", "val_loss"]);
    assert!(matches!(
        a.fit(&small, None, &Fit::default().validation_split(1.5), &mut []),
        Err(NnError::Settings(FitError::ValidationSplit(_)))
    ));
}

#[derive(Default)]
struct Recorder {
    began: Vec<usize>,
    ended: Vec<usize>,
    batches: usize,
    stop_after: Option<usize>,
}

impl Callback for Recorder {
    fn on_epoch_begin(&mut self, epoch: usize) {
        self.began.push(epoch);
    }
    fn on_batch_end(&mut self, _batch: usize, loss: f64) {
        assert!(loss.is_finite());
        self.batches += 1;
    }
    fn on_epoch_end(&mut self, epoch: usize, metrics: &Metrics) -> Control {
        assert!(metrics.contains_key("loss"));
        self.ended.push(epoch);
        if self.stop_after == Some(epoch) {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

#[test]
fn callbacks_see_every_epoch_and_batch_and_can_stop() {
    let (train, _) = data();
    let small = train.take(100);
    let mut net = Network::new(&mlp(8), 0).unwrap();
    let mut rec = Recorder {
        stop_after: Some(1),
        ..Recorder::default()
    };
    let h = net
        .fit(
            &small,
            None,
            &Fit::default().epochs(5).batch_size(30),
            &mut [&mut rec],
        )
        .unwrap();
    assert_eq!(rec.began, [0, 1]);
    assert_eq!(rec.ended, [0, 1]);
    assert_eq!(
        rec.batches,
        2 * 4,
        "100 samples in batches of 30 is 4 batches per epoch"
    );
    assert!(h.stopped_early);
    assert_eq!(h.epoch_numbers(), [0, 1]);
}

#[test]
fn initial_epoch_continues_the_numbering() {
    let (train, _) = data();
    let small = train.take(200);
    let mut net = Network::new(&mlp(8), 0).unwrap();
    net.fit(&small, None, &Fit::default().epochs(2), &mut [])
        .unwrap();
    let mut rec = Recorder::default();
    let h = net
        .fit(
            &small,
            None,
            &Fit::default().initial_epoch(2).epochs(5),
            &mut [&mut rec],
        )
        .unwrap();
    assert_eq!(h.epoch_numbers(), [2, 3, 4]);
    assert_eq!(rec.began, [2, 3, 4]);
    assert_eq!(net.epochs_completed(), 5);
    let none = net
        .fit(
            &small,
            None,
            &Fit::default().initial_epoch(5).epochs(5),
            &mut [],
        )
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn continued_run_shuffles_each_epoch_as_an_uninterrupted_one() {
    let (train, _) = data();
    let small = train.take(256);
    let fit = Fit::default().seed(11);
    let mut whole = Network::new(&mlp(8), 5).unwrap();
    whole
        .fit(&small, None, &fit.clone().epochs(3), &mut [])
        .unwrap();
    let mut parts = Network::new(&mlp(8), 5).unwrap();
    parts
        .fit(&small, None, &fit.clone().epochs(1), &mut [])
        .unwrap();
    parts
        .fit(
            &small,
            None,
            &fit.clone().initial_epoch(1).epochs(3),
            &mut [],
        )
        .unwrap();
    assert!(
        whole.weights() == parts.weights(),
        "a continued run diverged from an uninterrupted one"
    );
}

#[test]
fn early_stopping_stops_when_the_metric_stalls() {
    let (train, test) = data();
    let small = train.take(256);
    // Training loss falls every epoch here, so watching it for a *rise* never improves.
    let mut es = EarlyStopping::new("loss").mode(Mode::Max).patience(1);
    let mut net = Network::new(&mlp(16), 0).unwrap();
    let h = net
        .fit(
            &small,
            Some(test),
            &Fit::default().epochs(10),
            &mut [&mut es],
        )
        .unwrap();
    assert_eq!(
        h.len(),
        2,
        "patience 1: epoch 0 sets the best, epoch 1 fails to improve"
    );
    assert!(h.stopped_early);
    assert_eq!(es.stopped_epoch(), Some(1));
    assert_eq!(es.best().map(|b| b.1), Some(0));

    // Minimising with a huge min_delta: nothing counts as an improvement.
    let mut es = EarlyStopping::new("val_loss").min_delta(10.0).patience(2);
    let mut net = Network::new(&mlp(16), 0).unwrap();
    let h = net
        .fit(
            &small,
            Some(test),
            &Fit::default().epochs(10),
            &mut [&mut es],
        )
        .unwrap();
    assert_eq!(h.epoch_numbers(), [0, 1, 2]);

    // An improving metric never stops training.
    let mut es = EarlyStopping::new("loss").patience(0);
    let mut net = Network::new(&mlp(16), 0).unwrap();
    let h = net
        .fit(&small, None, &Fit::default().epochs(3), &mut [&mut es])
        .unwrap();
    assert_eq!(h.len(), 3);
    assert!(!h.stopped_early);
}

#[test]
fn wrong_input_width_and_targets_are_errors() {
    let (train, _) = data();
    let small = train.take(10);
    let mut net = Network::new(&NetSpec::input(100).dense(10), 0).unwrap();
    let err = net.fit(&small, None, &Fit::default(), &mut []).unwrap_err();
    assert!(
        matches!(
            err,
            NnError::InputWidth {
                expected: 100,
                found: 784
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("100") && err.to_string().contains("784"));
    assert!(matches!(
        net.evaluate(&small, 8),
        Err(NnError::InputWidth { .. })
    ));
    assert!(matches!(
        net.predict(&[0.0; 150]),
        Err(NnError::FeatureCount {
            width: 100,
            len: 150
        })
    ));

    let mut five = Network::new(&NetSpec::input(784).dense(5), 0).unwrap();
    let err = five
        .fit(&small, None, &Fit::default(), &mut [])
        .unwrap_err();
    assert!(matches!(err, NnError::Targets(_)), "{err}");
    let mut mse = Network::new(&NetSpec::input(784).dense(10).loss(Loss::Mse), 0).unwrap();
    assert!(matches!(
        mse.fit(&small, None, &Fit::default(), &mut []),
        Err(NnError::Targets(_))
    ));
    assert!(matches!(
        net.fit(&small, None, &Fit::default().batch_size(0), &mut []),
        Err(NnError::Settings(FitError::ZeroBatch))
    ));
}

#[test]
fn a_diverging_loss_is_reported_not_a_panic() {
    let (train, _) = data();
    let spec = NetSpec::input(784)
        .dense(32)
        .relu()
        .dense(10)
        .optimizer(Optimizer::sgd(1e30));
    let mut net = Network::new(&spec, 0).unwrap();
    let h = net
        .fit(&train.take(256), None, &Fit::default().epochs(5), &mut [])
        .unwrap();
    assert!(h.non_finite_loss);
    assert!(h.len() < 5);
    assert!(!h.last().unwrap().metrics["loss"].is_finite());
}

#[test]
fn every_optimizer_and_activation_trains() {
    let (train, test) = data();
    let small = train.take(512);
    let cases: Vec<(&str, NetSpec)> = vec![
        ("sgd", mlp(32).optimizer(Optimizer::sgd(0.05))),
        (
            "sgd momentum",
            mlp(32).optimizer(Optimizer::sgd(0.02).momentum(0.9)),
        ),
        (
            "sgd nesterov",
            mlp(32).optimizer(Optimizer::sgd(0.02).momentum(0.9).nesterov(true)),
        ),
        ("rmsprop", mlp(32).optimizer(Optimizer::rmsprop(1e-3))),
        (
            "adamw",
            mlp(32).optimizer(Optimizer::adam(2e-3).weight_decay(1e-2)),
        ),
        ("tanh", NetSpec::input(784).dense(32).tanh().dense(10)),
        (
            "sigmoid",
            NetSpec::input(784)
                .dense(32)
                .sigmoid()
                .dense(10)
                .optimizer(Optimizer::adam(5e-3)),
        ),
        ("gelu", NetSpec::input(784).dense(32).gelu().dense(10)),
        (
            "leaky",
            NetSpec::input(784).dense(32).leaky_relu(0.1).dense(10),
        ),
        (
            "layer norm",
            NetSpec::input(784).dense(32).layer_norm().relu().dense(10),
        ),
        (
            "linear",
            NetSpec::input(784)
                .dense(32)
                .activation(Activation::Linear)
                .dense(10),
        ),
    ];
    for (name, spec) in cases {
        let mut net = Network::new(&spec, 0).unwrap();
        let before = net.evaluate(test, 500).unwrap()["loss"];
        net.fit(&small, None, &Fit::default().epochs(2), &mut [])
            .unwrap();
        let after = net.evaluate(test, 500).unwrap();
        assert!(
            after["loss"] < before,
            "{name}: test loss {before} -> {}",
            after["loss"]
        );
        assert!(
            after["accuracy"] > 0.5,
            "{name}: accuracy {}",
            after["accuracy"]
        );
    }
}

#[test]
fn dropout_is_active_only_in_training() {
    let (train, test) = data();
    let with = Network::new(&mlp(32).dropout(0.5).dense(10), 3).unwrap();
    let without = Network::new(&mlp(32).dense(10), 3).unwrap();
    let values = |n: &Network| n.weights().into_iter().map(|(_, v)| v).collect::<Vec<_>>();
    assert!(
        values(&with) == values(&without),
        "dropout holds no weights and draws none at build"
    );
    assert_eq!(
        with.evaluate(test, 100).unwrap(),
        without.evaluate(test, 100).unwrap()
    );
    assert_eq!(
        with.predict(test.row(0)).unwrap(),
        with.predict(test.row(0)).unwrap()
    );
    let batch = train.take(64);
    let (mut with, mut without) = (with, without);
    let l1 = with.train_on_batch(&batch).unwrap();
    let l2 = without.train_on_batch(&batch).unwrap();
    assert_ne!(l1, l2, "dropout must change the training forward pass");
}

#[test]
fn regression_reports_mae() {
    let (train, test) = data();
    // Target: each image's mean intensity, a real quantity of the real images.
    let to_reg = |d: &Dataset| {
        let y: Vec<f32> = (0..d.len())
            .map(|i| d.row(i).iter().sum::<f32>() / 784.0)
            .collect();
        Dataset::regression(d.features().to_vec(), vec![784], y, 1).unwrap()
    };
    let (tr, te) = (to_reg(&train.take(512)), to_reg(test));
    for loss in [Loss::Mse, Loss::Mae, Loss::Huber(1.0)] {
        let spec = NetSpec::input(784)
            .dense(16)
            .relu()
            .dense(1)
            .loss(loss)
            .optimizer(Optimizer::adam(1e-3));
        let mut net = Network::new(&spec, 0).unwrap();
        let before = net.evaluate(&te, 128).unwrap()["mae"];
        let h = net
            .fit(&tr, Some(&te), &Fit::default().epochs(3), &mut [])
            .unwrap();
        let m = &h.last().unwrap().metrics;
        assert!(m.contains_key("mae") && m.contains_key("val_mae") && !m.contains_key("accuracy"));
        assert!(
            m["val_mae"] < before,
            "{loss:?}: mae {before} -> {}",
            m["val_mae"]
        );
        if loss == Loss::Mae {
            assert!((m["val_loss"] - m["val_mae"]).abs() < 1e-5);
        }
    }
}

#[test]
fn network_is_send() {
    fn send<T: Send>() {}
    send::<Network>();
}
