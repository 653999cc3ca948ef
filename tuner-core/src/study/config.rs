//! What a study is: fixed when it is created, checked when it is resumed.

use super::StudyError;
use crate::objective::{Direction, Objectives};
use crate::oracle::OracleConfig;
use crate::space::SearchSpace;
use serde::{Deserialize, Serialize};

/// What a study is: its name, space, objectives and oracle, stored when it is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyConfig {
    /// The study's name (the tuner's `project_name`).
    pub name: String,
    /// The space searched.
    pub space: SearchSpace,
    /// What is optimised.
    pub objectives: Objectives,
    /// The oracle and its settings.
    pub oracle: OracleConfig,
}

impl StudyConfig {
    /// A resumed study must be the same study: the first setting in which `self` (given now)
    /// differs from `stored`, as an error naming it (KerasTuner issue #803).
    pub fn check_resume(&self, stored: &StudyConfig) -> Result<(), StudyError> {
        let conflict = |what: String, stored: String, given: String| StudyError::Conflict {
            study: self.name.clone(),
            what,
            stored,
            given,
        };
        if stored.space != self.space {
            let (what, stored, given) = space_difference(&stored.space, &self.space);
            return Err(conflict(what, stored, given));
        }
        if stored.objectives != self.objectives {
            let text = |o: &Objectives| {
                let list: Vec<String> = o
                    .list()
                    .iter()
                    .map(|o| match o.direction {
                        Direction::Minimize => format!("{} (minimize)", o.name),
                        Direction::Maximize => format!("{} (maximize)", o.name),
                    })
                    .collect();
                list.join(", ")
            };
            return Err(conflict(
                "objective".to_owned(),
                text(&stored.objectives),
                text(&self.objectives),
            ));
        }
        if let Some(d) = stored.oracle.difference(&self.oracle) {
            return Err(conflict(d.what, d.left, d.right));
        }
        Ok(())
    }
}

/// The first difference between a stored and a given space, as (what, stored, given): the
/// parameter removed, added or changed, and for a change the one setting (`max`, `step`,
/// `values`, ...) with both values, not the two spaces' JSON.
fn space_difference(stored: &SearchSpace, given: &SearchSpace) -> (String, String, String) {
    let json = |p: &crate::space::Param| serde_json::to_value(p).unwrap_or_default();
    let missing = "no such parameter".to_owned();
    for s in stored.params() {
        let what = format!("search space: parameter `{}`", s.name);
        let Some(g) = given.get(&s.name) else {
            return (what, json(s)["kind"].to_string(), missing);
        };
        if s != g {
            let (s, g) = (json(s), json(g));
            // A changed type shows the whole kind (its default differs too, as a consequence).
            if s["kind"]["type"] != g["kind"]["type"] {
                return (
                    format!("{what} `kind`"),
                    s["kind"].to_string(),
                    g["kind"].to_string(),
                );
            }
            let (path, left, right) = first_leaf_difference(&s, &g, String::new())
                .unwrap_or_else(|| (String::new(), s.clone(), g.clone()));
            // The kind's own fields read as settings of the parameter (`max`, not `kind.max`).
            let setting = path.strip_prefix("kind.").unwrap_or(&path).to_owned();
            return (
                format!("{what} `{setting}`"),
                left.to_string(),
                right.to_string(),
            );
        }
    }
    if let Some(g) = given
        .params()
        .iter()
        .find(|g| stored.get(&g.name).is_none())
    {
        let what = format!("search space: parameter `{}`", g.name);
        return (what, missing, json(g)["kind"].to_string());
    }
    let names = |space: &SearchSpace| {
        let names: Vec<&str> = space.params().iter().map(|p| p.name.as_str()).collect();
        names.join(", ")
    };
    (
        "search space's parameter order".to_owned(),
        names(stored),
        names(given),
    )
}

/// The first leaf (by key, objects recursed, arrays whole) where `a` and `b` differ: its dotted
/// path and both values.
fn first_leaf_difference(
    a: &serde_json::Value,
    b: &serde_json::Value,
    path: String,
) -> Option<(String, serde_json::Value, serde_json::Value)> {
    use serde_json::Value::{Null, Object};
    match (a, b) {
        (Object(l), Object(r)) => l.keys().chain(r.keys()).find_map(|k| {
            let at = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            first_leaf_difference(l.get(k).unwrap_or(&Null), r.get(k).unwrap_or(&Null), at)
        }),
        _ if a == b => None,
        _ => Some((path, a.clone(), b.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Objective;
    use crate::oracle::{Hyperband, Oracle, RandomSearch};
    use crate::space::Param;

    fn config(oracle: &dyn Oracle) -> StudyConfig {
        StudyConfig {
            name: "s".to_owned(),
            space: SearchSpace::builder()
                .param(Param::int("a", 1, 3))
                .build()
                .unwrap(),
            objectives: Objective::minimize("loss").into(),
            oracle: oracle.config(),
        }
    }

    #[test]
    fn a_changed_oracle_setting_is_named() {
        let stored = config(&Hyperband::new(9).factor(3));
        let err = config(&Hyperband::new(9).factor(2))
            .check_resume(&stored)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("different hyperband setting `factor`: stored 3, given 2"),
            "{err}"
        );
        let err = config(&RandomSearch::new())
            .check_resume(&stored)
            .unwrap_err()
            .to_string();
        assert!(err.contains("different oracle"), "{err}");
        assert!(stored.check_resume(&stored.clone()).is_ok());
    }

    fn space(params: Vec<crate::space::ParamBuilder>) -> SearchSpace {
        params
            .into_iter()
            .fold(SearchSpace::builder(), |b, p| b.param(p))
            .build()
            .unwrap()
    }

    fn space_conflict(
        stored: Vec<crate::space::ParamBuilder>,
        given: Vec<crate::space::ParamBuilder>,
    ) -> String {
        let mut old = config(&RandomSearch::new());
        old.space = space(stored);
        let mut new = old.clone();
        new.space = space(given);
        new.check_resume(&old).unwrap_err().to_string()
    }

    #[test]
    fn a_changed_space_names_the_parameter_and_setting() {
        let err = space_conflict(
            vec![Param::int("a", 1, 3), Param::int("units", 32, 512).step(32)],
            vec![Param::int("a", 1, 3), Param::int("units", 32, 256).step(32)],
        );
        assert!(
            err.contains("different search space: parameter `units` `max`: stored 512, given 256"),
            "{err}"
        );
        assert!(!err.contains("\"params\""), "no space JSON: {err}");
        let err = space_conflict(
            vec![Param::int("a", 1, 3)],
            vec![Param::int("a", 1, 3), Param::boolean("b")],
        );
        assert!(
            err.contains("parameter `b`: stored no such parameter, given {\"type\":\"boolean\"}"),
            "{err}"
        );
        let err = space_conflict(
            vec![Param::int("a", 1, 3), Param::boolean("b")],
            vec![Param::int("a", 1, 3)],
        );
        assert!(
            err.contains("parameter `b`: stored {\"type\":\"boolean\"}, given no such"),
            "{err}"
        );
        let err = space_conflict(
            vec![Param::int("a", 1, 3)],
            vec![Param::float("a", 1.0, 3.0)],
        );
        assert!(err.contains("parameter `a` `kind`: stored {"), "{err}");
        assert!(err.contains("\"type\":\"int\"}, given {"), "{err}");
        let err = space_conflict(
            vec![Param::int("a", 1, 3), Param::boolean("b")],
            vec![Param::boolean("b"), Param::int("a", 1, 3)],
        );
        assert!(
            err.contains("parameter order: stored a, b, given b, a"),
            "{err}"
        );
    }

    #[test]
    fn stored_json_reads_back_typed() {
        let c = config(&Hyperband::new(9));
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["oracle"]["name"], "hyperband");
        assert_eq!(json["oracle"]["max_epochs"], 9);
        let back: StudyConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
    }
}
