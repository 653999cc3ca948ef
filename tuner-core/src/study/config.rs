//! What a study is: fixed when it is created, checked when it is resumed.

use super::StudyError;
use crate::objective::Objectives;
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
            return Err(conflict(
                "search space".to_owned(),
                serde_json::to_string(&stored.space).unwrap_or_default(),
                serde_json::to_string(&self.space).unwrap_or_default(),
            ));
        }
        if stored.objectives != self.objectives {
            return Err(conflict(
                "objective".to_owned(),
                stored.objectives.scalar().to_string(),
                self.objectives.scalar().to_string(),
            ));
        }
        if let Some(d) = stored.oracle.difference(&self.oracle) {
            return Err(conflict(d.what, d.left, d.right));
        }
        Ok(())
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
