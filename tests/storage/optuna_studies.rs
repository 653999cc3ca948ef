//! Interop both ways beyond the trial columns: Optuna (and so optuna-dashboard) sees our
//! metrics, best epoch, Hyperband bookkeeping, errors and user attributes as trial user/system
//! attributes; and a study Optuna created is listed, read, summarised, exported, plotted and
//! continued by tuner, or refused, naming the parameter, when tuner has no kind for one of its
//! distributions. Python with optuna as in `python.rs` (CI runs it; a visible skip elsewhere).

use crate::python::{python, run, skip};
use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use tuner::objective::Objective;
use tuner::oracle::{Hyperband, RandomSearch};
use tuner::report::{self, plot::PlotKind};
use tuner::space::{HyperParameters, Param, SearchSpace, Value};
use tuner::storage::{SqliteStorage, Storage};
use tuner::study::{Catalog, Study, StudyError};
use tuner::trial::{Metrics, TrialState};
use tuner::tuner::{Control, TrialError};
use tuner::Tuner;

/// Runs a Python script with optuna on `url`; its stdout as JSON (`None`: skipped).
fn python_json(test: &str, script: &str, args: &[&str]) -> Option<Json> {
    let py = match python() {
        Ok(py) => py,
        Err(e) => {
            skip(test, &format!("no python with optuna ({e})"));
            return None;
        }
    };
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{test}.py"));
    std::fs::write(&file, script).unwrap();
    let out = run(Command::new(py).arg(&file).args(args))
        .unwrap_or_else(|e| panic!("the optuna script of {test} failed: {e}"));
    Some(serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}")))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tuner-optuna-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Prints each trial's user and system attributes as Optuna returns them.
const ATTRS: &str = r#"
import json, sys
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.load_study(study_name=sys.argv[2], storage=sys.argv[1])
print(json.dumps([{"number": t.number, "user": t.user_attrs, "system": t.system_attrs}
                  for t in study.trials]))
"#;

#[test]
fn optuna_sees_our_metrics_budget_errors_and_user_attributes() {
    let dir = scratch("attrs");
    let db = dir.join("study.db");
    let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&db).unwrap());
    let space = SearchSpace::builder()
        .param(Param::float("lr", 1e-3, 1e-1).log())
        .param(Param::int("units", 8, 64).step(8))
        .build()
        .unwrap();
    let mut tuner = Tuner::for_space(space.clone(), Hyperband::new(4))
        .objective("val_accuracy")
        .seed(3)
        .storage(storage.clone())
        .directory(&dir)
        .project_name("attrs")
        .max_consecutive_failed_trials(20)
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, ctx| {
            let lr = hp.get_as::<f64>("lr")?;
            ctx.set_user_attr("layers", [64, 32])?;
            if ctx.number() == 2 {
                return Err(TrialError::failed("the model did not fit in memory"));
            }
            for epoch in ctx.initial_epoch()..ctx.epochs().unwrap_or(4) {
                let acc = 0.9 - lr - 0.2 / (epoch as f64 + 1.0);
                let m = Metrics::from([
                    ("val_accuracy".to_owned(), acc),
                    ("loss".to_owned(), 1.0 - acc + 0.01 * epoch as f64),
                    ("accuracy".to_owned(), acc + 0.05),
                ]);
                if ctx.report(epoch, m) == Control::Stop {
                    break;
                }
            }
            Ok::<_, TrialError>(())
        })
        .unwrap();
    let trials = tuner.study().trials().unwrap();
    assert!(
        trials.iter().any(|t| t.plan.parent.is_some()),
        "a promotion"
    );
    // An asked trial, with attributes set through the study.
    let study = Study::open(
        storage.clone(),
        "asked",
        space.clone(),
        Objective::minimize("loss").into(),
        Box::new(RandomSearch::new()),
        false,
    )
    .unwrap();
    let asked = study.ask().unwrap();
    study
        .set_user_attrs(asked.number, [("origin", json!("ask")), ("k", json!(3))])
        .unwrap();
    study.tell(asked.number, Ok::<_, TrialError>(0.5)).unwrap();
    let told = study.trial(asked.number).unwrap();
    assert_eq!(told.user_attrs["origin"], "ask", "our API reads them back");

    let url = format!("sqlite:///{}", db.display());
    let Some(seen) = python_json("attrs", ATTRS, &[&url, "attrs"]) else {
        return;
    };
    let seen = seen.as_array().unwrap();
    assert_eq!(seen.len(), trials.len());
    let told = python_json("attrs_asked", ATTRS, &[&url, "asked"]).unwrap();
    let user = &told[0]["user"];
    assert_eq!(
        (&user["origin"], &user["k"]),
        (&json!("ask"), &json!(3)),
        "{user}"
    );
    for (ours, theirs) in trials.iter().zip(seen) {
        let n = ours.number;
        let user = &theirs["user"];
        assert_eq!(user["layers"], json!([64, 32]), "trial {n}: {user}");
        for key in ["hyperband/bracket", "hyperband/round", "epochs"] {
            assert!(user.get(key).is_some(), "trial {n} lacks {key}: {user}");
        }
        assert_eq!(user["initial_epoch"], ours.plan.initial_epoch, "trial {n}");
        assert_eq!(
            user.get("parent").and_then(Json::as_u64),
            ours.plan.parent,
            "trial {n}"
        );
        match ours.state {
            TrialState::Failed => {
                let message = ours.message.clone().unwrap();
                assert!(message.contains("did not fit"), "{message}");
                assert_eq!(user["error"], message.as_str(), "trial {n}");
                assert_eq!(theirs["system"]["fail_reason"], message.as_str());
            }
            TrialState::Completed => {
                let best = ours.best_epoch.unwrap();
                assert_eq!(user["best_epoch"], best, "trial {n}");
                let at_best = ours.best_metrics().unwrap();
                assert_eq!(user["loss"].as_f64(), Some(at_best["loss"]), "trial {n}");
                assert_eq!(user["accuracy"].as_f64(), Some(at_best["accuracy"]));
                assert!(
                    user.get("val_accuracy").is_none(),
                    "the objective is the value"
                );
                let curve = user["loss:epochs"].as_object().unwrap();
                assert_eq!(curve.len(), ours.history.len(), "trial {n}");
                for (epoch, v) in ours.metric("loss") {
                    assert_eq!(curve[&epoch.to_string()].as_f64(), Some(v), "trial {n}");
                }
            }
            other => panic!("trial {n} ended {other}"),
        }
    }
}

/// Creates, with Optuna, a study tuner can continue (`by-optuna`: every kind, a failure,
/// user attributes, intermediate values) and one it cannot (`dynamic`: a distribution that
/// changes, a choice of None); prints what Optuna sees of the first.
const CREATE: &str = r#"
import json, sys
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
url = sys.argv[1]
study = optuna.create_study(study_name="by-optuna", storage=url, direction="maximize",
                            sampler=optuna.samplers.RandomSampler(seed=1))
def objective(trial):
    x = trial.suggest_float("x", -2.0, 2.0)
    n = trial.suggest_int("n", 1, 8, log=True)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    d = trial.suggest_float("d", 0.0, 0.5, step=0.1)
    u = trial.suggest_int("u", 16, 128, step=16)
    trial.set_user_attr("note", "n=%d" % n)
    if trial.number == 3:
        raise ValueError("out of memory")
    v = 0.0
    for step in range(3):
        v = 1 - x * x / 4 - 0.1 / (step + 1) + (0.05 if act == "relu" else 0.0) - d / 10
        trial.report(v, step)
    return v
study.optimize(objective, n_trials=6, catch=(ValueError,))
dynamic = optuna.create_study(study_name="dynamic", storage=url)
def changing(trial):
    trial.suggest_categorical("opt", [None, "adam"])
    return trial.suggest_float("x", 0.0, 1.0 + trial.number)
dynamic.optimize(changing, n_trials=2)
print(json.dumps([{"number": t.number, "state": t.state.name, "value": t.value,
                   "params": t.params, "user_attrs": t.user_attrs,
                   "intermediate": {str(k): v for k, v in t.intermediate_values.items()}}
                  for t in study.trials]))
"#;

/// Continues `by-optuna` with Optuna's TPE after tuner's trials, and prints what it sees.
const CONTINUE: &str = r#"
import json, sys
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.load_study(study_name="by-optuna", storage=sys.argv[1])
first = study.trials[0].distributions
ours = [t for t in study.trials if "tuner:trial" in t.system_attrs]
same = all(t.distributions == first for t in ours)
def objective(trial):
    x = trial.suggest_float("x", -2.0, 2.0)
    trial.suggest_int("n", 1, 8, log=True)
    trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    trial.suggest_categorical("act", ["relu", "tanh"])
    trial.suggest_float("d", 0.0, 0.5, step=0.1)
    trial.suggest_int("u", 16, 128, step=16)
    return 1 - x * x / 4
study.optimize(objective, n_trials=1)
print(json.dumps({"trials": len(study.trials), "ours": [t.number for t in ours],
                  "states": [t.state.name for t in ours], "values": [t.value for t in ours],
                  "same_distributions": same, "last": study.trials[-1].state.name}))
"#;

/// The space Optuna's `objective` above samples, as tuner writes it.
fn optuna_space() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::float("x", -2.0, 2.0))
        .param(Param::int("n", 1, 8).log())
        .param(Param::float("lr", 1e-4, 1e-1).log())
        .param(Param::choice("act", ["relu", "tanh"]))
        .param(Param::float("d", 0.0, 0.5).step(0.1))
        .param(Param::int("u", 16, 128).step(16))
        .build()
        .unwrap()
}

#[test]
fn a_study_optuna_created_is_read_reported_and_continued() {
    let dir = scratch("foreign");
    let db = dir.join("optuna.db");
    let url = format!("sqlite:///{}", db.display());
    let Some(theirs) = python_json("create_optuna_study", CREATE, &[&url]) else {
        return;
    };
    let theirs = theirs.as_array().unwrap();

    // Listed, with nothing wrong.
    let survey = Catalog::new(Some(url.clone()), &dir).survey().unwrap();
    let names: Vec<&str> = survey.studies.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["by-optuna", "dynamic"]);
    assert!(survey.problems.is_empty(), "{:?}", survey.problems);

    // Read as Optuna sees it.
    let study = Catalog::new(Some(url.clone()), &dir)
        .read("by-optuna")
        .unwrap();
    assert!(study.created_by_optuna());
    assert_eq!(study.objectives().list(), [Objective::maximize("value")]);
    assert_eq!(
        *study.space(),
        optuna_space(),
        "the space its distributions imply"
    );
    let trials = study.trials().unwrap();
    assert_eq!(trials.len(), theirs.len());
    for (ours, theirs) in trials.iter().zip(theirs) {
        let n = ours.number;
        let state = match ours.state {
            TrialState::Completed => "COMPLETE",
            TrialState::Failed => "FAIL",
            other => panic!("trial {n} is {other}"),
        };
        assert_eq!(theirs["state"], state, "trial {n}");
        assert_eq!(ours.score, theirs["value"].as_f64(), "trial {n}");
        assert_eq!(ours.user_attrs["note"], theirs["user_attrs"]["note"]);
        for (name, value) in theirs["params"].as_object().unwrap() {
            let ours = ours.values().get(name).unwrap();
            let same = match ours {
                Value::Float(f) => value.as_f64() == Some(*f),
                Value::Int(i) => value.as_i64() == Some(*i),
                Value::Str(s) => value.as_str() == Some(s),
                Value::Bool(b) => value.as_bool() == Some(*b),
            };
            assert!(same, "trial {n} {name}: {ours:?} vs {value}");
        }
        let inter = theirs["intermediate"].as_object().unwrap();
        assert_eq!(
            ours.metric("value").len(),
            inter.len().max(ours.history.len())
        );
        for (step, v) in inter {
            let epoch: u32 = step.parse().unwrap();
            assert_eq!(
                ours.history.at(epoch).unwrap()["value"],
                v.as_f64().unwrap()
            );
        }
    }

    // Summarised, exported and plotted.
    let view = study.view(&trials);
    let summary = report::results_summary(&view, &study.storage().location(), 3);
    let best = study.best(1).unwrap()[0].number;
    assert!(summary.contains(&format!("Trial {best:02}")), "{summary}");
    let csv = report::export::trials_csv(&view);
    assert_eq!(csv.lines().count(), trials.len() + 1, "{csv}");
    let json: Json = serde_json::from_str(&report::export::trials_json(&view)).unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(trials.len()));
    for kind in [
        PlotKind::History,
        PlotKind::Curves,
        PlotKind::Parallel,
        PlotKind::Slice,
        PlotKind::Importance,
    ] {
        let svg = report::plot::svg(kind, &view).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(svg.contains("<svg"), "{kind}");
    }

    // Continued by our oracles: ask/tell on the study as it is, then a search.
    let storage = tuner::storage::open(&url).unwrap();
    let loaded = Study::load(storage.clone(), "by-optuna").unwrap();
    let asked = loaded.ask().unwrap();
    assert_eq!(asked.number, trials.len() as u64);
    assert_eq!(asked.values().len(), optuna_space().len());
    let x = asked.values().get_as::<f64>("x").unwrap();
    assert!((-2.0..=2.0).contains(&x), "{x}");
    loaded
        .tell(asked.number, Ok::<_, TrialError>(0.25))
        .unwrap();
    let mut tuner = Tuner::for_space(optuna_space(), RandomSearch::new())
        .objectives([Objective::maximize("value")])
        .storage(storage.clone())
        .directory(&dir)
        .project_name("by-optuna")
        .max_trials(trials.len() as u64 + 2)
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, _| {
            let x = hp.get_as::<f64>("x")?;
            Ok::<_, TrialError>(1.0 - x * x / 4.0)
        })
        .unwrap();
    let after = Study::load(storage.clone(), "by-optuna")
        .unwrap()
        .trials()
        .unwrap();
    assert_eq!(after.len(), trials.len() + 2);
    assert!(after[trials.len()..]
        .iter()
        .all(|t| t.state == TrialState::Completed));

    // And Optuna continues after us, with the same distributions.
    let seen = python_json("continue_optuna_study", CONTINUE, &[&url]).unwrap();
    assert_eq!(seen["same_distributions"], true, "{seen}");
    assert_eq!(
        seen["ours"],
        json!([trials.len(), trials.len() + 1]),
        "{seen}"
    );
    assert_eq!(seen["states"], json!(["COMPLETE", "COMPLETE"]));
    assert_eq!(seen["values"][0], 0.25);
    assert_eq!(seen["trials"], trials.len() + 3);
    assert_eq!(seen["last"], "COMPLETE");

    // A space tuner has no kinds for: read, but asking is refused, naming the parameters.
    let dynamic = Study::load(storage.clone(), "dynamic").unwrap();
    assert_eq!(dynamic.trials().unwrap().len(), 2);
    let refused = dynamic.ask().unwrap_err();
    assert!(
        matches!(refused, StudyError::OptunaSpace { .. }),
        "{refused}"
    );
    let text = refused.to_string();
    for needle in ["`x`", "changes between trials", "`opt`", "null"] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    let refused = Tuner::for_space(optuna_space(), RandomSearch::new())
        .objectives([Objective::maximize("value")])
        .storage(storage)
        .directory(&dir)
        .project_name("dynamic")
        .quiet(true)
        .build()
        .err()
        .expect("a search of it is refused too");
    assert!(
        refused.to_string().contains("created by Optuna"),
        "{refused}"
    );
}
