//! Spotting a collapsed trial: its best validation score is what a constant predictor scores
//! (the majority-class rate, an AUC of 1/2, R² of 0, an MSE equal to the variance), which
//! usually means unscaled features or a learning rate that killed every unit.

use crate::objective::Objectives;
use crate::trial::Metrics;

/// Relative closeness within which an MSE or RMSE counts as the constant predictor's.
const REGRESSION_TOLERANCE: f64 = 0.02;

/// Whether `score` of metric `name` (without `val_`) is the constant predictor's `floor`.
fn at_floor(name: &str, score: f64, floor: f64) -> bool {
    match name {
        // Counts over the same samples: a constant prediction scores the rate exactly.
        "accuracy" => (score - floor).abs() < 1e-9,
        "auc" => (score - floor).abs() < 1e-6,
        "r2" => (score - floor).abs() < REGRESSION_TOLERANCE,
        _ => floor > 0.0 && ((score - floor) / floor).abs() < REGRESSION_TOLERANCE,
    }
}

/// The warning for a trial whose best epoch's objective (or `val_accuracy`) sits at the
/// constant predictor's score on the validation data, if it does.
pub(crate) fn collapse_warning(
    objectives: &Objectives,
    best: &Metrics,
    baseline: &[(String, f64)],
) -> Option<String> {
    let objective = &objectives.list()[0].name;
    let watched = [objective.as_str(), "val_accuracy"];
    for name in watched {
        let Some(bare) = name.strip_prefix("val_") else {
            continue;
        };
        let (Some(score), Some((_, floor))) = (
            best.get(name).copied(),
            baseline.iter().find(|(n, _)| n == bare),
        ) else {
            continue;
        };
        if at_floor(bare, score, *floor) {
            return Some(format!(
                "{name} = {score:.4} is what a constant prediction scores on the validation data \
                 ({floor:.4}): the model has collapsed; normalise the features \
                 (NetSpec::normalize), lower the learning rate or weight the classes"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ConstantBaseline, Dataset};
    use crate::objective::Objective;

    fn metrics(pairs: &[(&str, f64)]) -> Metrics {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    /// The direction does not matter to the check; only the name does.
    fn objectives(name: &str) -> Objectives {
        Objectives::new(vec![Objective::minimize(name)]).unwrap()
    }

    #[test]
    fn majority_rate_accuracy_and_half_auc_are_collapses() {
        // 3 of 4 samples in class 0: a constant "0" scores 0.75.
        let val = Dataset::classification(vec![0.0; 4], vec![1], vec![0, 0, 1, 0], 2).unwrap();
        let floor = val.constant_scores();
        assert_eq!(floor, [("accuracy".into(), 0.75), ("auc".into(), 0.5)]);
        let obj = objectives("val_loss");
        let w = collapse_warning(&obj, &metrics(&[("val_accuracy", 0.75)]), &floor).unwrap();
        assert!(
            w.contains("val_accuracy = 0.7500") && w.contains("normalize"),
            "{w}"
        );
        assert!(collapse_warning(&obj, &metrics(&[("val_accuracy", 1.0)]), &floor).is_none());
        let auc = objectives("val_auc");
        assert!(collapse_warning(&auc, &metrics(&[("val_auc", 0.5)]), &floor).is_some());
        assert!(collapse_warning(&auc, &metrics(&[("val_auc", 0.9)]), &floor).is_none());
    }

    #[test]
    fn regression_at_the_variance_is_a_collapse() {
        let val = Dataset::regression(vec![0.0; 4], vec![1], vec![1.0, 2.0, 3.0, 4.0], 1).unwrap();
        let floor = val.constant_scores();
        assert_eq!(floor[0], ("mse".into(), 1.25));
        let mse = objectives("val_mse");
        assert!(collapse_warning(&mse, &metrics(&[("val_mse", 1.26)]), &floor).is_some());
        assert!(collapse_warning(&mse, &metrics(&[("val_mse", 0.5)]), &floor).is_none());
        let r2 = objectives("val_r2");
        assert!(collapse_warning(&r2, &metrics(&[("val_r2", 0.001)]), &floor).is_some());
        assert!(collapse_warning(&r2, &metrics(&[("val_r2", 0.6)]), &floor).is_none());
        // A metric without a known floor never warns.
        let mae = objectives("val_mae");
        assert!(collapse_warning(&mae, &metrics(&[("val_mae", 1.0)]), &floor).is_none());
    }
}
