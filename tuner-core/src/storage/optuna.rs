//! How our trials map onto Optuna's RDB schema: state names, distribution JSON, parameter
//! values in Optuna's internal representation, and the JSON of what Optuna has no column for.

use crate::space::{Param, ParamKind, Sampling, SearchSpace, Value};
use crate::trial::{float_json, json_float, Metrics, TrialPlan, TrialState};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

/// The alembic revision of Optuna's current schema (unchanged since Optuna 3.2, read by 4.x/5.x).
pub(crate) const ALEMBIC_REVISION: &str = "v3.2.0.a";
/// Optuna's frozen pre-alembic schema number, kept in `version_info`.
pub(crate) const SCHEMA_VERSION: i64 = 12;
/// The layout of our own attributes; a study written by a newer layout is refused.
pub(crate) const FORMAT: i64 = 1;
/// Alembic revisions of older Optuna schemas: a database at one of these needs `optuna storage
/// upgrade` rather than a newer tuner.
pub(crate) const OLDER_REVISIONS: &[&str] = &[
    "v0.9.0.a", "v1.2.0.a", "v1.3.0.a", "v2.4.0.a", "v2.6.0.a", "v3.0.0.a", "v3.0.0.b", "v3.0.0.c",
    "v3.0.0.d",
];
/// Every table of the schema.
pub(crate) const TABLES: &[&str] = &[
    "studies",
    "study_directions",
    "study_user_attributes",
    "study_system_attributes",
    "trials",
    "trial_params",
    "trial_values",
    "trial_intermediate_values",
    "trial_heartbeats",
    "trial_user_attributes",
    "trial_system_attributes",
    "version_info",
    "alembic_version",
];

/// Study attribute: our attribute layout version.
pub(crate) const STUDY_FORMAT_KEY: &str = "tuner:format";
/// Study attribute: the [`StudyConfig`](super::StudyConfig) as JSON.
pub(crate) const STUDY_CONFIG_KEY: &str = "tuner:config";
/// Study attribute: a token unique to this instance of the study (JSON string), so a reader
/// can tell a study deleted and re-created under the same name (and row id) from the one it
/// read before.
pub(crate) const STUDY_INSTANCE_KEY: &str = "tuner:instance";
/// Study attribute Optuna reads for objective names (`study.metric_names`).
pub(crate) const METRIC_NAMES_KEY: &str = "study:metric_names";
/// Trial attribute: everything of a [`Trial`](crate::trial::Trial) Optuna has no column for.
pub(crate) const TRIAL_KEY: &str = "tuner:trial";
/// Trial attribute prefix: one epoch's full metrics map (`tuner:epoch:000003`).
pub(crate) const EPOCH_PREFIX: &str = "tuner:epoch:";
/// Trial attribute Optuna sets on failed trials.
pub(crate) const FAIL_REASON_KEY: &str = "fail_reason";
/// Trial attribute Optuna's `RetryFailedTrialCallback` sets on a retry: the trial it retries.
pub(crate) const FAILED_TRIAL_KEY: &str = "failed_trial";

/// The oracle a study Optuna created is read with: its sampler is Optuna's, which the study
/// does not record; settings `{"unmapped": [...]}` say which parameters tuner has no kind for.
pub(crate) const OPTUNA_SAMPLER: &str = "optuna";

/// The oracle settings of a study Optuna created, with the problems of the parameters whose
/// distributions tuner has no kind for.
pub(crate) fn optuna_oracle(unmapped: Vec<String>) -> crate::oracle::OracleConfig {
    crate::oracle::OracleConfig::Custom {
        oracle: OPTUNA_SAMPLER.to_owned(),
        settings: json!({ "unmapped": unmapped }),
    }
}

/// For a study Optuna created (read with [`optuna_oracle`]), why tuner's oracles cannot
/// continue it: `Some(None)` when they can, `None` for a study tuner created.
pub(crate) fn optuna_refusal(oracle: &crate::oracle::OracleConfig) -> Option<Option<String>> {
    let crate::oracle::OracleConfig::Custom {
        oracle: name,
        settings,
    } = oracle
    else {
        return None;
    };
    if name != OPTUNA_SAMPLER {
        return None;
    }
    let unmapped: Vec<&str> = settings["unmapped"]
        .as_array()
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    Some((!unmapped.is_empty()).then(|| unmapped.join("; ")))
}

/// The attribute key of one epoch's metrics.
pub(crate) fn epoch_key(epoch: u32) -> String {
    format!("{EPOCH_PREFIX}{epoch:06}")
}

/// Optuna's name for a state (Invalid is mid-retry, so still running for Optuna).
pub(crate) fn optuna_state(state: TrialState) -> &'static str {
    match state {
        TrialState::Running | TrialState::Invalid => "RUNNING",
        TrialState::Completed => "COMPLETE",
        TrialState::Stopped => "PRUNED",
        TrialState::Failed => "FAIL",
    }
}

/// Our state for an Optuna state, for trials that lack our own record.
pub(crate) fn state_from_optuna(state: &str) -> TrialState {
    match state {
        "COMPLETE" => TrialState::Completed,
        "PRUNED" => TrialState::Stopped,
        "FAIL" => TrialState::Failed,
        _ => TrialState::Running,
    }
}

/// Optuna's `direction` enum name for an objective.
pub(crate) fn optuna_direction(direction: crate::objective::Direction) -> &'static str {
    match direction {
        crate::objective::Direction::Minimize => "MINIMIZE",
        crate::objective::Direction::Maximize => "MAXIMIZE",
    }
}

/// Optuna's value-type name and stored value for a float (NaN only for intermediate values).
pub(crate) fn float_repr(v: f64) -> (Option<f64>, &'static str) {
    if v.is_nan() {
        (None, "NAN")
    } else if v == f64::INFINITY {
        (None, "INF_POS")
    } else if v == f64::NEG_INFINITY {
        (None, "INF_NEG")
    } else {
        (Some(v), "FINITE")
    }
}

/// A parameter as Optuna stores it: its distribution JSON and its value in Optuna's internal
/// representation (the value for numbers, the index for categorical choices).
pub(crate) fn param_row(space: &SearchSpace, name: &str, value: &Value) -> (String, f64) {
    let (dist, internal) = match space.get(name) {
        Some(param) => distribution(param, value),
        None => (categorical(std::slice::from_ref(value)), Some(0.0)),
    };
    let (dist, internal) = match internal {
        Some(i) => (dist, i),
        // A value outside its declared choices: keep it readable as a one-choice categorical.
        None => (categorical(std::slice::from_ref(value)), 0.0),
    };
    (dist.to_string(), internal)
}

fn distribution(param: &Param, value: &Value) -> (Json, Option<f64>) {
    let index = |choices: &[Value]| {
        choices
            .iter()
            .position(|c| c.same_as(value))
            .map(|i| i as f64)
    };
    match &param.kind {
        ParamKind::Int {
            min,
            max,
            step,
            sampling,
        } => {
            // Optuna's log integers have step 1; a multiplicative step has no Optuna
            // equivalent, and every value on it lies in the log range.
            let log = *sampling != Sampling::Linear;
            let step = if log { 1 } else { step.unwrap_or(1).max(1) };
            let dist = json!({"name": "IntDistribution", "attributes": {
                "log": *sampling == Sampling::Log, "step": step, "low": min, "high": max}});
            (dist, value.as_float())
        }
        ParamKind::Float {
            min,
            max,
            step,
            sampling,
        } => {
            let step = match sampling {
                Sampling::Linear => step.map(Json::from).unwrap_or(Json::Null),
                _ => Json::Null,
            };
            let dist = json!({"name": "FloatDistribution", "attributes": {
                "step": step, "low": min, "high": max, "log": *sampling == Sampling::Log}});
            (dist, value.as_float())
        }
        ParamKind::Choice { values, .. } => (categorical(values), index(values)),
        ParamKind::Boolean => {
            let choices = [Value::Bool(false), Value::Bool(true)];
            (categorical(&choices), index(&choices))
        }
        ParamKind::Fixed { value: fixed } => {
            let choices = std::slice::from_ref(fixed);
            (categorical(choices), index(choices))
        }
    }
}

fn categorical(choices: &[Value]) -> Json {
    let choices: Vec<Json> = choices.iter().map(value_json).collect();
    json!({"name": "CategoricalDistribution", "attributes": {"choices": choices}})
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => Json::from(*f),
        Value::Str(s) => Json::from(s.as_str()),
        Value::Bool(b) => Json::from(*b),
    }
}

/// Reads a parameter back from its distribution JSON and internal value.
pub(crate) fn param_value(distribution_json: &str, internal: f64) -> Result<Value, String> {
    let dist: Json = serde_json::from_str(distribution_json)
        .map_err(|e| format!("unreadable distribution_json {distribution_json:?}: {e}"))?;
    match dist["name"].as_str() {
        Some("IntDistribution" | "IntUniformDistribution" | "IntLogUniformDistribution") => {
            Ok(Value::Int(internal.round() as i64))
        }
        Some(
            "FloatDistribution"
            | "UniformDistribution"
            | "LogUniformDistribution"
            | "DiscreteUniformDistribution",
        ) => Ok(Value::Float(internal)),
        Some("CategoricalDistribution") => {
            let choices = dist["attributes"]["choices"]
                .as_array()
                .ok_or_else(|| format!("no choices in {distribution_json}"))?;
            let choice = choices
                .get(internal as usize)
                .ok_or_else(|| format!("choice index {internal} out of {distribution_json}"))?;
            match choice {
                Json::Bool(b) => Ok(Value::Bool(*b)),
                Json::String(s) => Ok(Value::Str(s.clone())),
                Json::Number(n) if n.is_i64() => Ok(Value::Int(n.as_i64().unwrap_or_default())),
                Json::Number(n) => Ok(Value::Float(n.as_f64().unwrap_or(f64::NAN))),
                // Optuna's `None` choice, which tuner has no value for: shown as Python does.
                Json::Null => Ok(Value::Str("None".to_owned())),
                other => Err(format!("unsupported choice {other}")),
            }
        }
        _ => Err(format!("unknown distribution {distribution_json}")),
    }
}

/// The parameter an Optuna distribution stands for (the inverse of [`param_row`]'s
/// distribution, legacy distributions of Optuna 1 and 2 included); the problem, if tuner has no
/// kind for it.
pub(crate) fn distribution_param(name: &str, dist: &Json) -> Result<Param, String> {
    let attrs = &dist["attributes"];
    let num = |k: &str| attrs.get(k).and_then(Json::as_f64);
    let int = |k: &str| attrs.get(k).and_then(Json::as_i64);
    let log = attrs.get("log").and_then(Json::as_bool).unwrap_or(false);
    let kind = dist.get("name").and_then(Json::as_str).unwrap_or("");
    let float = |log: bool, step: Option<f64>| {
        let (Some(low), Some(high)) = (num("low"), num("high")) else {
            return Err(format!("{kind} needs low and high"));
        };
        let p = Param::float(name, low, high);
        Ok(match (log, step) {
            (true, _) => p.log(),
            (false, Some(step)) => p.step(step),
            (false, None) => p,
        })
    };
    let integer = |log: bool, step: Option<i64>| {
        let (Some(low), Some(high)) = (int("low"), int("high")) else {
            return Err(format!("{kind} needs integer low and high"));
        };
        let p = Param::int(name, low, high);
        Ok(match (log, step.filter(|s| *s > 1)) {
            (true, _) => p.log(),
            (false, Some(step)) => p.step(step),
            (false, None) => p,
        })
    };
    let built = match kind {
        "FloatDistribution" => float(log, num("step")),
        "UniformDistribution" => float(false, None),
        "LogUniformDistribution" => float(true, None),
        "DiscreteUniformDistribution" => float(false, num("q")),
        "IntDistribution" => integer(log, int("step")),
        "IntUniformDistribution" => integer(false, int("step")),
        "IntLogUniformDistribution" => integer(true, None),
        "CategoricalDistribution" => {
            let choices = attrs
                .get("choices")
                .and_then(Json::as_array)
                .ok_or("CategoricalDistribution needs choices")?;
            let values: Vec<Value> = choices
                .iter()
                .map(|c| {
                    serde_json::from_value::<Value>(c.clone())
                        .map_err(|_| format!("its choice {c} is not a number, string or boolean"))
                })
                .collect::<Result<_, _>>()?;
            // What `param_row` writes for a boolean.
            if values == [Value::Bool(false), Value::Bool(true)] {
                Ok(Param::boolean(name))
            } else {
                Ok(Param::choice(name, values))
            }
        }
        other => Err(format!(
            "unknown distribution {other:?}: use FloatDistribution, IntDistribution or \
             CategoricalDistribution"
        )),
    }?;
    built.build().map_err(|e| e.to_string())
}

/// One epoch's metrics as JSON, exact for every float.
pub(crate) fn metrics_json(metrics: &Metrics) -> String {
    let map: serde_json::Map<String, Json> = metrics
        .iter()
        .map(|(k, v)| (k.clone(), float_json(*v)))
        .collect();
    Json::Object(map).to_string()
}

/// Reads [`metrics_json`] back.
pub(crate) fn json_metrics(text: &str) -> Result<Metrics, String> {
    let json: Json = serde_json::from_str(text).map_err(|e| format!("unreadable metrics: {e}"))?;
    let map = json.as_object().ok_or("metrics are not a JSON object")?;
    map.iter()
        .map(|(k, v)| {
            json_float(v)
                .map(|f| (k.clone(), f))
                .ok_or_else(|| format!("metric {k} = {v} is not a number"))
        })
        .collect()
}

/// The part of a trial Optuna has no column for (values are in `trial_params`, the history in
/// one attribute per epoch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TrialRecord {
    pub state: TrialState,
    pub epochs: Option<u32>,
    pub initial_epoch: u32,
    pub parent: Option<u64>,
    pub attrs: std::collections::BTreeMap<String, Value>,
    pub score: Json,
    pub best_epoch: Option<u32>,
    pub message: Option<String>,
    pub retries: u32,
    pub seconds: Json,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub user_attrs: std::collections::BTreeMap<String, Json>,
}

impl TrialRecord {
    /// The record of a trial.
    pub(crate) fn of(trial: &crate::trial::Trial) -> Self {
        Self {
            state: trial.state,
            epochs: trial.plan.epochs,
            initial_epoch: trial.plan.initial_epoch,
            parent: trial.plan.parent,
            attrs: trial.plan.attrs.clone(),
            score: trial.score.map_or(Json::Null, float_json),
            best_epoch: trial.best_epoch,
            message: trial.message.clone(),
            retries: trial.retries,
            seconds: float_json(trial.seconds),
            user_attrs: trial.user_attrs.clone(),
        }
    }

    /// Fills `trial` (whose number, values and history are already set) from the record.
    pub(crate) fn apply(self, trial: &mut crate::trial::Trial) {
        trial.state = self.state;
        trial.plan = TrialPlan {
            values: std::mem::take(&mut trial.plan.values),
            epochs: self.epochs,
            initial_epoch: self.initial_epoch,
            parent: self.parent,
            attrs: self.attrs,
        };
        trial.score = json_float(&self.score);
        trial.best_epoch = self.best_epoch;
        trial.message = self.message;
        trial.retries = self.retries;
        trial.seconds = json_float(&self.seconds).unwrap_or(0.0);
        trial.user_attrs = self.user_attrs;
    }
}

/// The user attributes optuna-dashboard shows of a trial (and Optuna's `trial.user_attrs`
/// returns): the best epoch and, of every metric that is not an objective, its value there
/// (`val_loss`) and per epoch (`val_loss:epochs`, epoch -> value); the budget and parent of a
/// Hyperband trial and the oracle's bookkeeping (`hyperband/bracket`, ...); why it failed
/// (`error`) or was stopped (`message`); then the user's own attributes, which win a clash.
/// Values are JSON texts, as Optuna stores them.
pub(crate) fn dashboard_attrs(
    objectives: &crate::objective::Objectives,
    trial: &crate::trial::Trial,
) -> Vec<(String, String)> {
    let mut attrs = std::collections::BTreeMap::<String, Json>::new();
    let is_objective = |name: &str| objectives.list().iter().any(|o| o.name == name);
    if let Some(epoch) = trial.best_epoch {
        attrs.insert("best_epoch".to_owned(), epoch.into());
    }
    if let Some(best) = trial.best_metrics() {
        for (name, v) in best.iter().filter(|(name, _)| !is_objective(name)) {
            attrs.insert(name.clone(), float_json(*v));
        }
    }
    let mut curves = std::collections::BTreeMap::<String, serde_json::Map<String, Json>>::new();
    for (epoch, metrics) in &trial.history {
        for (name, v) in metrics.iter().filter(|(name, _)| !is_objective(name)) {
            curves
                .entry(format!("{name}:epochs"))
                .or_default()
                .insert(epoch.to_string(), float_json(*v));
        }
    }
    attrs.extend(curves.into_iter().map(|(k, v)| (k, Json::Object(v))));
    if let Some(epochs) = trial.plan.epochs {
        attrs.insert("epochs".to_owned(), epochs.into());
        attrs.insert("initial_epoch".to_owned(), trial.plan.initial_epoch.into());
    }
    if let Some(parent) = trial.plan.parent {
        attrs.insert("parent".to_owned(), parent.into());
    }
    for (key, value) in &trial.plan.attrs {
        attrs.insert(key.clone(), value_json(value));
    }
    if let Some(message) = &trial.message {
        let key = if trial.state == TrialState::Failed {
            "error"
        } else {
            "message"
        };
        attrs.insert(key.to_owned(), Json::from(message.as_str()));
    }
    attrs.extend(trial.user_attrs.clone());
    attrs.into_iter().map(|(k, v)| (k, v.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> SearchSpace {
        SearchSpace::builder()
            .param(Param::int("units", 32, 512).step(32))
            .param(Param::int("width", 2, 32).step(2).log())
            .param(Param::float("lr", 1e-4, 1e-1).log())
            .param(Param::float("dropout", 0.0, 0.5).step(0.1))
            .param(Param::choice("act", ["relu", "tanh"]))
            .param(Param::choice("momentum", [0.9, 0.5]))
            .param(Param::boolean("bn"))
            .build()
            .unwrap()
    }

    #[test]
    fn every_kind_round_trips_through_optuna_columns() {
        let space = space();
        for (name, value) in [
            ("units", Value::Int(96)),
            ("width", Value::Int(16)),
            ("lr", Value::Float(0.0012345678901234)),
            ("dropout", Value::Float(0.30000000000000004)),
            ("act", Value::from("tanh")),
            ("momentum", Value::Float(0.5)),
            ("bn", Value::Bool(true)),
        ] {
            let (dist, internal) = param_row(&space, name, &value);
            assert_eq!(
                param_value(&dist, internal).unwrap(),
                value,
                "{name}: {dist}"
            );
        }
    }

    #[test]
    fn distributions_are_optunas() {
        let space = space();
        let (dist, internal) = param_row(&space, "act", &Value::from("tanh"));
        assert_eq!(internal, 1.0);
        assert_eq!(
            dist,
            r#"{"attributes":{"choices":["relu","tanh"]},"name":"CategoricalDistribution"}"#
        );
        let (dist, _) = param_row(&space, "units", &Value::Int(64));
        assert!(
            dist.contains(r#""step":32"#) && dist.contains("IntDistribution"),
            "{dist}"
        );
        let (dist, _) = param_row(&space, "width", &Value::Int(4));
        assert!(
            dist.contains(r#""log":true"#) && dist.contains(r#""step":1"#),
            "{dist}"
        );
        let (dist, internal) = param_row(&space, "bn", &Value::Bool(false));
        assert!(dist.contains("[false,true]"), "{dist}");
        assert_eq!(internal, 0.0);
    }

    #[test]
    fn distributions_read_back_as_the_params_that_wrote_them() {
        let space = space();
        // `width` is left out: a multiplicative step has no Optuna equivalent.
        for param in space.params().iter().filter(|p| p.name != "width") {
            let (dist, _) = param_row(&space, &param.name, &param.default);
            let dist: Json = serde_json::from_str(&dist).unwrap();
            assert_eq!(distribution_param(&param.name, &dist).as_ref(), Ok(param));
        }
        let legacy = json!({"name": "IntUniformDistribution",
                            "attributes": {"low": 0, "high": 8, "step": 2}});
        assert_eq!(
            distribution_param("k", &legacy),
            Param::int("k", 0, 8)
                .step(2)
                .build()
                .map_err(|e| e.to_string())
        );
        let none = json!({"name": "CategoricalDistribution",
                          "attributes": {"choices": [null, "adam"]}});
        let problem = distribution_param("opt", &none).unwrap_err();
        assert!(problem.contains("null"), "{problem}");
    }

    #[test]
    fn the_dashboard_sees_metrics_budget_error_and_user_attributes() {
        let objectives: crate::objective::Objectives =
            crate::objective::Objective::maximize("acc").into();
        let mut trial = crate::trial::Trial::new(4, TrialPlan::default());
        for (epoch, acc, loss) in [(2, 0.5, 0.9), (3, 0.7, 0.4)] {
            trial.history.insert(
                epoch,
                Metrics::from([("acc".to_owned(), acc), ("loss".to_owned(), loss)]),
            );
        }
        trial.rescore(&objectives);
        trial.plan.epochs = Some(4);
        trial.plan.initial_epoch = 2;
        trial.plan.parent = Some(1);
        trial
            .plan
            .attrs
            .insert("hyperband/round".into(), Value::Int(1));
        trial.state = TrialState::Failed;
        trial.message = Some("out of memory".into());
        trial.user_attrs.insert("loss".into(), json!("mine"));
        let attrs: std::collections::BTreeMap<String, String> =
            dashboard_attrs(&objectives, &trial).into_iter().collect();
        assert_eq!(attrs["best_epoch"], "3");
        assert_eq!(attrs["loss:epochs"], r#"{"2":0.9,"3":0.4}"#);
        assert_eq!(attrs["loss"], r#""mine""#, "the user's attribute wins");
        assert!(
            !attrs.contains_key("acc"),
            "the objective is the trial's value"
        );
        assert_eq!(
            (&attrs["epochs"], &attrs["initial_epoch"], &attrs["parent"]),
            (&"4".to_owned(), &"2".to_owned(), &"1".to_owned())
        );
        assert_eq!(attrs["hyperband/round"], "1");
        assert_eq!(attrs["error"], r#""out of memory""#);
    }

    #[test]
    fn non_finite_metrics_survive_json() {
        let m = Metrics::from([
            ("loss".to_owned(), f64::NAN),
            ("a".to_owned(), f64::INFINITY),
            ("b".to_owned(), -0.1),
        ]);
        let back = json_metrics(&metrics_json(&m)).unwrap();
        assert!(back["loss"].is_nan());
        assert_eq!((back["a"], back["b"]), (f64::INFINITY, -0.1));
    }
}
