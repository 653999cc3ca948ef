//! Interop: Python's `optuna.load_study` reads our studies (SQLite, and PostgreSQL when
//! `TUNER_TEST_POSTGRES_URL` is set) and sees the same trials, states, params, values and
//! intermediate values as our API. Needs a Python with optuna: `TUNER_TEST_PYTHON` (CI sets
//! it), else a venv made under the target folder with pip; without python3/pip it prints a
//! visible skip line (CI must not skip).

use serde_json::Value as Json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use tuner::oracle::RandomSearch;
use tuner::pruner::{Pruner, PrunerContext};
use tuner::space::{HyperParameters, Param, SearchSpace, Value};
use tuner::storage::Storage;
use tuner::trial::{Metrics, Trial, TrialPlan, TrialState};
use tuner::tuner::TrialError;
use tuner::Tuner;

pub(crate) fn skip(test: &str, why: &str) {
    assert!(std::env::var("CI").is_err(), "CI must run {test}: {why}");
    // Straight to the terminal: the test harness hides println! of passing tests.
    let _ = writeln!(std::io::stderr(), "SKIP {test}: {why}");
}

pub(crate) fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A Python interpreter that imports optuna (and psycopg2 for PostgreSQL), made once.
pub(crate) fn python() -> &'static Result<PathBuf, String> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Ok(p) = std::env::var("TUNER_TEST_PYTHON") {
            return Ok(PathBuf::from(p));
        }
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("optuna-venv");
        let py = venv.join("bin").join("python");
        let ready = || run(Command::new(&py).args(["-c", "import optuna, psycopg2"])).is_ok();
        if !ready() {
            run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
            run(Command::new(&py).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "optuna",
                "psycopg2-binary",
            ]))?;
        }
        Ok(py)
    })
}

/// Prints, as JSON, what Optuna sees of a study.
const DUMP: &str = r#"
import json, math, sys
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
def f(v):
    return "NaN" if isinstance(v, float) and math.isnan(v) else v
study = optuna.load_study(study_name=sys.argv[2], storage=sys.argv[1])
trials = [{
    "number": t.number,
    "state": t.state.name,
    "params": t.params,
    "distributions": {k: type(d).__name__ for k, d in t.distributions.items()},
    "values": t.values,
    "intermediate": {str(k): f(v) for k, v in t.intermediate_values.items()},
    "complete": t.datetime_complete is not None,
} for t in study.trials]
print(json.dumps({
    "direction": study.direction.name,
    "metric_names": study.metric_names,
    "best": study.best_trial.number,
    "trials": trials,
    "version": optuna.__version__,
}))
"#;

fn space() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::int("units", 32, 512).step(32))
        .param(Param::int("width", 2, 32).step(2).log())
        .param(Param::float("lr", 1e-4, 1e-1).log())
        .param(Param::float("dropout", 0.0, 0.5).step(0.1))
        .param(Param::choice("act", ["relu", "tanh", "gelu"]))
        .param(Param::choice("momentum", [0.9, 0.5]))
        .param(Param::boolean("bn"))
        .build()
        .unwrap()
}

/// Stops every third trial after two epochs (a pruned trial for Optuna).
struct EveryThird;

impl Pruner for EveryThird {
    fn name(&self) -> &'static str {
        "every-third"
    }
    fn prune(&self, ctx: &PrunerContext<'_>) -> bool {
        ctx.trial % 3 == 2 && ctx.history.len() == 2
    }
}

/// Writes a study with completed, pruned, failed and running trials through `storage`.
fn write_study(storage: Arc<dyn Storage>, study: &str, dir: &Path) -> Vec<Trial> {
    let mut tuner = Tuner::for_space(space(), RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(9)
        .seed(4)
        .pruner(EveryThird)
        .storage(storage.clone())
        .directory(dir)
        .project_name(study)
        .overwrite(true)
        .max_consecutive_failed_trials(9)
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, ctx| {
            if ctx.number() % 4 == 3 {
                return Err(TrialError::failed("the model did not fit in memory"));
            }
            let lr = hp.get_as::<f64>("lr")?;
            for epoch in 0..4 {
                let acc = 1.0 - lr * 3.0 - 0.1 / (epoch as f64 + 1.0);
                let loss = if epoch == 1 { f64::NAN } else { 1.0 - acc };
                let m = Metrics::from([("val_accuracy".into(), acc), ("loss".into(), loss)]);
                if ctx.report(epoch, m) == tuner::tuner::Control::Stop {
                    break;
                }
            }
            Ok::<_, TrialError>(())
        })
        .unwrap();
    // One trial still running (its worker is busy elsewhere).
    let mut values = HyperParameters::new();
    for p in space().params() {
        values.insert(p.name.clone(), p.default.clone());
    }
    storage
        .create_trial(study, None, &mut |_, _| {
            Some(TrialPlan {
                values: values.clone(),
                ..TrialPlan::default()
            })
        })
        .unwrap();
    storage.trials(study).unwrap()
}

fn same_value(ours: &Value, theirs: &Json) -> bool {
    match (ours, theirs) {
        (Value::Int(a), Json::Number(b)) => b.as_i64() == Some(*a),
        (Value::Float(a), Json::Number(b)) => b.as_f64() == Some(*a),
        (Value::Str(a), Json::String(b)) => a == b,
        (Value::Bool(a), Json::Bool(b)) => a == b,
        _ => false,
    }
}

fn check(url_for_python: &str, study: &str, trials: &[Trial], best: u64) {
    let py = match python() {
        Ok(py) => py,
        Err(e) => return skip("optuna interop", &format!("no python with optuna ({e})")),
    };
    let script = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dump_study.py");
    std::fs::write(&script, DUMP).unwrap();
    let out = run(Command::new(py).arg(&script).arg(url_for_python).arg(study))
        .unwrap_or_else(|e| panic!("optuna could not load the study: {e}"));
    let seen: Json = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(seen["direction"], "MAXIMIZE");
    assert_eq!(seen["metric_names"], serde_json::json!(["val_accuracy"]));
    assert_eq!(seen["best"], best, "Optuna's best trial is ours");
    let theirs = seen["trials"].as_array().unwrap();
    assert_eq!(theirs.len(), trials.len());
    let mut states = std::collections::BTreeSet::new();
    for (ours, theirs) in trials.iter().zip(theirs) {
        let n = ours.number;
        assert_eq!(theirs["number"], n);
        let state = match ours.state {
            TrialState::Completed => "COMPLETE",
            TrialState::Stopped => "PRUNED",
            TrialState::Failed => "FAIL",
            TrialState::Running | TrialState::Invalid => "RUNNING",
        };
        assert_eq!(theirs["state"], state, "trial {n}");
        states.insert(state);
        assert_eq!(theirs["complete"], ours.state.is_finished(), "trial {n}");
        let params = theirs["params"].as_object().unwrap();
        assert_eq!(params.len(), ours.values().len(), "trial {n}");
        for (name, value) in ours.values().iter() {
            assert!(
                same_value(value, &params[name]),
                "trial {n} {name}: {value:?} vs {}",
                params[name]
            );
        }
        let dists = &theirs["distributions"];
        assert_eq!(dists["units"], "IntDistribution");
        assert_eq!(dists["lr"], "FloatDistribution");
        assert_eq!(dists["act"], "CategoricalDistribution");
        assert_eq!(dists["bn"], "CategoricalDistribution");
        match ours.state {
            TrialState::Completed => {
                assert_eq!(
                    theirs["values"],
                    serde_json::json!([ours.score.unwrap()]),
                    "trial {n}"
                )
            }
            _ => assert!(theirs["values"].is_null(), "trial {n}"),
        }
        let inter = theirs["intermediate"].as_object().unwrap();
        let curve = ours.metric("val_accuracy");
        assert_eq!(inter.len(), curve.len(), "trial {n}");
        for (epoch, v) in curve {
            assert_eq!(
                inter[&epoch.to_string()].as_f64(),
                Some(v),
                "trial {n} epoch {epoch}"
            );
        }
    }
    for state in ["COMPLETE", "PRUNED", "FAIL", "RUNNING"] {
        assert!(states.contains(state), "the study shows a {state} trial");
    }
    let _ = writeln!(
        std::io::stderr(),
        "optuna {} read {} trials of `{study}` from {url_for_python}",
        seen["version"].as_str().unwrap_or("?"),
        trials.len()
    );
}

fn best_of(trials: &[Trial]) -> u64 {
    trials
        .iter()
        .filter(|t| t.state == TrialState::Completed)
        .max_by(|a, b| a.score.unwrap().total_cmp(&b.score.unwrap()))
        .unwrap()
        .number
}

#[test]
fn optuna_reads_our_sqlite_study() {
    if let Err(e) = python() {
        return skip(
            "optuna_reads_our_sqlite_study",
            &format!("no python with optuna ({e})"),
        );
    }
    let dir = std::env::temp_dir().join(format!("tuner-python-{}", std::process::id()));
    let db = dir.join("study.db");
    let storage: Arc<dyn Storage> = Arc::new(tuner::storage::SqliteStorage::open(&db).unwrap());
    let trials = write_study(storage, "interop", &dir);
    check(
        &format!("sqlite:///{}", db.display()),
        "interop",
        &trials,
        best_of(&trials),
    );
}

#[test]
fn optuna_reads_our_postgres_study() {
    let Some(url) = std::env::var("TUNER_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return skip(
            "optuna_reads_our_postgres_study",
            "TUNER_TEST_POSTGRES_URL is not set, PostgreSQL not tested",
        );
    };
    if let Err(e) = python() {
        return skip(
            "optuna_reads_our_postgres_study",
            &format!("no python with optuna ({e})"),
        );
    }
    let study = format!("interop-{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("tuner-python-pg-{}", std::process::id()));
    let storage = tuner::storage::open(&url).unwrap();
    let trials = write_study(storage.clone(), &study, &dir);
    // SQLAlchemy's spelling of the same database, which our `open` accepts too.
    let python_url = url.replacen("postgresql://", "postgresql+psycopg2://", 1);
    check(&python_url, &study, &trials, best_of(&trials));
    storage.delete_study(&study).unwrap();
}

/// Prints, as JSON, Optuna's PED-ANOVA importances of a study (normalised, as
/// `get_param_importances` returns them).
const PED_ANOVA: &str = r#"
import json, sys, warnings
import optuna
from optuna.importance import PedAnovaImportanceEvaluator, get_param_importances
optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.simplefilter("ignore")
study = optuna.load_study(study_name=sys.argv[2], storage=sys.argv[1])
print(json.dumps(get_param_importances(study, evaluator=PedAnovaImportanceEvaluator())))
"#;

/// Every kind of distribution Optuna discretises differently, and a conditional parameter.
fn importance_space() -> SearchSpace {
    SearchSpace::builder()
        .param(Param::int("units", 32, 512).step(32))
        .param(Param::int("width", 1, 64).log())
        .param(Param::int("depth", 1, 4))
        .param(Param::float("lr", 1e-4, 1e-1).log())
        .param(Param::float("dropout", 0.0, 0.5).step(0.1))
        .param(Param::float("beta", 0.9, 0.999).reverse_log())
        .param(Param::float("noise", 0.0, 1.0))
        .param(Param::choice("act", ["relu", "tanh", "gelu"]))
        .param(Param::boolean("bn"))
        .param(Param::choice("opt", ["sgd", "adam"]))
        .scope("opt", ["sgd"], |s| {
            s.param(Param::float("momentum", 0.0, 0.99))
        })
        .build()
        .unwrap()
}

/// Our PED-ANOVA importances equal Optuna's evaluator's on the same stored study, to 2
/// decimals, for every parameter Optuna reports.
#[test]
fn optuna_ped_anova_matches_ours() {
    let py = match python() {
        Ok(py) => py,
        Err(e) => {
            return skip(
                "optuna_ped_anova_matches_ours",
                &format!("no python with optuna ({e})"),
            )
        }
    };
    let dir = std::env::temp_dir().join(format!("tuner-python-ped-{}", std::process::id()));
    let db = dir.join("study.db");
    let storage: Arc<dyn Storage> = Arc::new(tuner::storage::SqliteStorage::open(&db).unwrap());
    let mut tuner = Tuner::for_space(importance_space(), RandomSearch::new())
        .objective("val_accuracy")
        .max_trials(150)
        .seed(7)
        .storage(storage)
        .directory(&dir)
        .project_name("ped")
        .overwrite(true)
        .quiet(true)
        .build()
        .unwrap();
    tuner
        .search_fn(|hp: &HyperParameters, ctx| {
            let lr = hp.get_as::<f64>("lr")?.log10();
            let units = hp.get_as::<i64>("units")? as f64;
            let act = hp.get_as::<String>("act")?;
            let momentum = hp.get_as::<f64>("momentum").unwrap_or(0.0);
            let acc = 0.9 - 0.05 * (lr + 2.5).powi(2) - 0.1 * ((units - 256.0) / 256.0).powi(2)
                + if act == "gelu" { 0.03 } else { 0.0 }
                + 0.02 * momentum
                + 0.001 * hp.get_as::<f64>("noise")?;
            ctx.report(0, Metrics::from([("val_accuracy".into(), acc)]));
            Ok::<_, TrialError>(())
        })
        .unwrap();
    let ours: std::collections::BTreeMap<String, f64> =
        tuner.param_importances().unwrap().into_iter().collect();
    let script = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ped_anova.py");
    std::fs::write(&script, PED_ANOVA).unwrap();
    let url = format!("sqlite:///{}", db.display());
    let out = run(Command::new(py).arg(&script).arg(&url).arg("ped"))
        .unwrap_or_else(|e| panic!("optuna could not evaluate the study: {e}"));
    let theirs: std::collections::BTreeMap<String, f64> = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(theirs.len(), ours.len(), "ours {ours:?}\ntheirs {theirs:?}");
    for (name, value) in &theirs {
        let mine = ours[name];
        assert!(
            (mine - value).abs() < 0.005,
            "{name}: ours {mine:.4}, Optuna's {value:.4}\nours {ours:?}\ntheirs {theirs:?}"
        );
    }
    // The study has a clear answer, so the match is not one of equal shares.
    let top = theirs.iter().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
    assert!(*top.1 > 0.2, "{theirs:?}");
    let _ = writeln!(
        std::io::stderr(),
        "PED-ANOVA: ours {ours:.3?}\n           Optuna's {theirs:.3?}"
    );
}
