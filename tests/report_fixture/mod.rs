//! Studies the report and CLI tests share: a fixed small one written through the storage
//! (every number chosen, durations and start and completion times included, so its exports
//! are golden), and a larger one searched with a pruner for the plots.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use tuner::objective::Objective;
use tuner::oracle::RandomSearch;
use tuner::pruner::MedianPruner;
use tuner::space::{HyperParameters, Param, SearchSpace, Value};
use tuner::storage::{SqliteStorage, Storage, StudyConfig};
use tuner::trial::{Metrics, Trial, TrialPlan, TrialState};
use tuner::tuner::{Control, TrialError};
use tuner::Tuner;

/// A fresh folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    crate::common::tmp("report", name)
}

/// The small study's space: a log float, a stepped int, a choice and a conditional bool.
pub fn small_space() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::float("learning_rate", 1e-4, 1e-2).log())
        .param(Param::int("units", 32, 128).step(32))
        .param(Param::choice("activation", ["relu", "tanh"]))
        .scope("activation", ["tanh"], |s| {
            s.param(Param::boolean("scaled"))
        })
        .build()
        .unwrap()
}

fn metrics(loss: f64, val_loss: f64, val_accuracy: f64) -> Metrics {
    Metrics::from([
        ("loss".to_owned(), loss),
        ("val_loss".to_owned(), val_loss),
        ("val_accuracy".to_owned(), val_accuracy),
    ])
}

/// One trial of the small study: values, epochs, final state, message, seconds, and when it
/// started (seconds after 2026-01-15 09:00:00 UTC; two workers, so trials 0 and 1 overlap).
struct Planned {
    values: Vec<(&'static str, Value)>,
    epochs: Vec<Metrics>,
    state: TrialState,
    message: Option<&'static str>,
    seconds: f64,
    started: f64,
}

/// A stored time of the small study: `seconds` after 2026-01-15 09:00:00, as SQLite keeps it.
fn stored_time(seconds: f64) -> String {
    let micros = (seconds * 1e6).round() as u64;
    let s = micros / 1_000_000;
    format!(
        "2026-01-15 09:{:02}:{:02}.{:06}",
        s / 60,
        s % 60,
        micros % 1_000_000
    )
}

/// Writes study `small` (objective `val_accuracy`, max) with four trials into the SQLite file
/// at `db`: two completed, one pruned after two epochs, one failed.
pub fn small_study(db: &Path) -> StudyConfig {
    let storage = SqliteStorage::open(db).unwrap();
    let config = StudyConfig {
        name: "small".to_owned(),
        space: small_space(),
        objectives: Objective::maximize("val_accuracy").into(),
        oracle: tuner::oracle::OracleConfig::Random,
    };
    storage.open_study(&config, true).unwrap();
    let plans = vec![
        Planned {
            values: vec![
                ("learning_rate", Value::Float(0.001)),
                ("units", Value::Int(64)),
                ("activation", Value::from("relu")),
            ],
            epochs: vec![
                metrics(0.9, 0.8, 0.70),
                metrics(0.6, 0.55, 0.80),
                metrics(0.5, 0.6, 0.78),
            ],
            state: TrialState::Completed,
            message: None,
            seconds: 12.5,
            started: 0.0,
        },
        Planned {
            values: vec![
                ("learning_rate", Value::Float(0.0003)),
                ("units", Value::Int(128)),
                ("activation", Value::from("tanh")),
                ("scaled", Value::Bool(true)),
            ],
            epochs: vec![
                metrics(0.8, 0.7, 0.75),
                metrics(0.5, 0.45, 0.85),
                metrics(0.4, 0.42, 0.875),
            ],
            state: TrialState::Completed,
            message: None,
            seconds: 20.25,
            started: 5.0,
        },
        Planned {
            values: vec![
                ("learning_rate", Value::Float(0.008)),
                ("units", Value::Int(32)),
                ("activation", Value::from("tanh")),
                ("scaled", Value::Bool(false)),
            ],
            epochs: vec![metrics(1.5, 1.4, 0.40), metrics(1.2, 1.3, 0.45)],
            state: TrialState::Stopped,
            message: Some("pruned after epoch 1 by the median pruner"),
            seconds: 4.0,
            started: 13.0,
        },
        Planned {
            values: vec![
                ("learning_rate", Value::Float(0.01)),
                ("units", Value::Int(96)),
                ("activation", Value::from("relu")),
            ],
            epochs: vec![],
            state: TrialState::Failed,
            message: Some("diverged, \"NaN\" loss"),
            seconds: 0.5,
            started: 26.25,
        },
    ];
    let mut times = Vec::new();
    for p in plans {
        let values: HyperParameters = p
            .values
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let plan = TrialPlan {
            values,
            ..TrialPlan::default()
        };
        let mut trial: Trial = storage
            .create_trial("small", None, &mut |_, _| Some(plan.clone()))
            .unwrap()
            .unwrap();
        for (epoch, m) in p.epochs.iter().enumerate() {
            storage
                .report("small", trial.number, epoch as u32, m)
                .unwrap();
        }
        trial.history = p
            .epochs
            .into_iter()
            .enumerate()
            .map(|(e, m)| (e as u32, m))
            .collect();
        trial.rescore(&config.objectives);
        trial.state = p.state;
        trial.message = p.message.map(str::to_owned);
        trial.seconds = p.seconds;
        storage.update_trial("small", &trial).unwrap();
        times.push((trial.number, p.started, p.started + p.seconds));
    }
    drop(storage);
    // The storage stamps its clock; the golden files need times of their own.
    let db = rusqlite::Connection::open(db).unwrap();
    for (number, start, complete) in times {
        db.execute(
            "UPDATE trials SET datetime_start = ?1, datetime_complete = ?2 WHERE number = ?3 \
             AND study_id = (SELECT study_id FROM studies WHERE study_name = 'small')",
            rusqlite::params![stored_time(start), stored_time(complete), number as i64],
        )
        .unwrap();
    }
    config
}

/// A 30-trial random search of a synthetic objective with epochs and a median pruner, in
/// memory: the plots' study. `val_loss` falls with epochs towards a floor set by the params
/// (learning rate matters most, units a little, the choice barely).
pub fn searched_study(dir: &Path) -> Tuner {
    let space = SearchSpace::builder()
        .param(Param::float("learning_rate", 1e-4, 1e-1).log())
        .param(Param::int("units", 16, 256).step(16))
        .param(Param::choice("activation", ["relu", "tanh", "gelu"]))
        .param(Param::float("dropout", 0.0, 0.5))
        .build()
        .unwrap();
    let mut tuner = Tuner::for_space(space, RandomSearch::new())
        .objective("val_loss")
        .pruner(MedianPruner::new().n_warmup_steps(2))
        .max_trials(30)
        .seed(7)
        .quiet(true)
        .storage(Arc::new(tuner::storage::MemoryStorage::new()))
        .directory(dir)
        .project_name("synthetic")
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, ctx| {
            let lr: f64 = hp.get_as("learning_rate")?;
            let units = hp.get_as::<i64>("units")? as f64;
            let act = match hp.get_as::<String>("activation")?.as_str() {
                "relu" => 0.0,
                "tanh" => 0.02,
                _ => 0.01,
            };
            let dropout: f64 = hp.get_as("dropout")?;
            let floor = 0.2
                + 0.3 * (lr.log10() + 2.5).powi(2)
                + 0.1 * (128.0 - units).abs() / 128.0
                + act
                + 0.05 * dropout;
            for epoch in 0..8u32 {
                let val_loss = floor + 1.5 * (-0.5 * f64::from(epoch)).exp();
                let m = Metrics::from([
                    ("val_loss".to_owned(), val_loss),
                    ("loss".to_owned(), val_loss * 0.9),
                ]);
                if ctx.report(epoch, m) == Control::Stop {
                    break;
                }
            }
            Ok::<(), TrialError>(())
        })
        .unwrap();
    tuner
}
