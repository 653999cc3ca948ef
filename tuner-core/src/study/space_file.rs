//! A study's search space read from a JSON file, for studies created from outside a Rust
//! program (`tuner ask --space FILE`): tuner's own form (`{"params": [...]}`, what `tuner
//! space S --json` prints; defaults optional) or Optuna's distributions (`{"x": {"name":
//! "FloatDistribution", "attributes": {...}}}`).

use crate::space::{Param, SearchSpace, SpaceError};
use crate::storage::optuna::distribution_param;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A search space file that could not be read.
#[derive(Debug, Error)]
pub enum SpaceFileError {
    /// The file could not be read.
    #[error("cannot read the search space file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("{} is not valid JSON: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// Where it breaks.
        source: serde_json::Error,
    },
    /// The JSON is neither of the two forms.
    #[error(
        "{}: expected {{\"params\": [...]}} or Optuna's {{\"name\": {{\"name\": ..., \
         \"attributes\": ...}}}}",
        path.display()
    )]
    Form {
        /// The file.
        path: PathBuf,
    },
    /// One parameter (or distribution) is not well formed.
    #[error("{}: parameter `{name}`: {problem}", path.display())]
    Param {
        /// The file.
        path: PathBuf,
        /// The parameter, as far as it could be read.
        name: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The parameters read break the space's rules.
    #[error("{}: {source}", path.display())]
    Space {
        /// The file.
        path: PathBuf,
        /// The rules broken.
        source: SpaceError,
    },
}

/// Reads a search space file in either form (see the module documentation).
pub fn read(path: &Path) -> Result<SearchSpace, SpaceFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpaceFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let json: Json = serde_json::from_str(&text).map_err(|source| SpaceFileError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    let bad_param = |name: &str, problem: String| SpaceFileError::Param {
        path: path.to_path_buf(),
        name: name.to_owned(),
        problem,
    };
    let space_error = |source| SpaceFileError::Space {
        path: path.to_path_buf(),
        source,
    };
    if let Some(params) = json.get("params").and_then(Json::as_array) {
        let params = params
            .iter()
            .map(|p| {
                let name = p.get("name").and_then(Json::as_str).unwrap_or("?");
                let mut p = p.clone();
                if p.get("default").is_none() {
                    let kind = p.get("kind").cloned().unwrap_or(Json::Null);
                    p["default"] = keras_default(&kind).ok_or_else(|| {
                        bad_param(name, "cannot tell its default: give \"default\"".to_owned())
                    })?;
                }
                serde_json::from_value::<Param>(p).map_err(|e| bad_param(name, e.to_string()))
            })
            .collect::<Result<Vec<Param>, SpaceFileError>>()?;
        return SearchSpace::from_params(params).map_err(space_error);
    }
    let Some(map) = json.as_object() else {
        return Err(SpaceFileError::Form {
            path: path.to_path_buf(),
        });
    };
    let mut builder = SearchSpace::builder();
    for (name, dist) in map {
        builder = builder.param(distribution_param(name, dist).map_err(|e| bad_param(name, e))?);
    }
    builder.build().map_err(space_error)
}

/// KerasTuner's default for a parameter kind: Int/Float min, Choice first value, Bool false.
fn keras_default(kind: &Json) -> Option<Json> {
    match kind.get("type")?.as_str()? {
        "int" | "float" => kind.get("min").cloned(),
        "choice" => kind.get("values")?.as_array()?.first().cloned(),
        "boolean" => Some(Json::Bool(false)),
        "fixed" => kind.get("value").cloned(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{ParamKind, Value};
    use serde_json::json;

    #[test]
    fn optuna_distributions_become_params() {
        let p = distribution_param(
            "lr",
            &json!({"name": "FloatDistribution", "attributes": {"low": 1e-4, "high": 0.1, "log": true, "step": null}}),
        )
        .unwrap();
        assert!(matches!(p.kind, ParamKind::Float { .. }));
        let c = distribution_param(
            "act",
            &json!({"name": "CategoricalDistribution", "attributes": {"choices": ["relu", "tanh"]}}),
        )
        .unwrap();
        assert_eq!(c.default, Value::from("relu"));
        assert!(distribution_param("x", &json!({"name": "Uniform"})).is_err());
    }
}
