//! Each metric against values computed by hand.

use super::math::*;
use super::predictions::Predictions;
use super::*;
use crate::trial::Direction;

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

#[test]
fn auc_counts_ties_as_half() {
    // sklearn's documented example.
    close(
        roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
        0.75,
    );
    // Positive 0.9 beats both negatives (2); positive 0.5 ties both (1/2 + 1/2).
    close(
        roc_auc(&[0.5, 0.5, 0.5, 0.9], &[false, true, false, true]),
        3.0 / 4.0,
    );
    // Every pair is a tie or a split: 0.5 + 0 + 1 + 0.5 over 4 pairs.
    close(
        roc_auc(&[0.2, 0.2, 0.8, 0.8], &[false, true, false, true]),
        0.5,
    );
    assert!(roc_auc(&[0.1, 0.2], &[true, true]).is_nan());
}

#[test]
fn pr_auc_is_average_precision() {
    // sklearn's example: 0.5 * 1 + 0.5 * 2/3.
    close(
        average_precision(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
        0.5 + 0.5 * 2.0 / 3.0,
    );
    // The positive ties a negative below a higher negative: one threshold with P = 1/3.
    close(
        average_precision(&[0.5, 0.5, 0.9], &[true, false, false]),
        1.0 / 3.0,
    );
    assert!(average_precision(&[0.3], &[false]).is_nan());
}

#[test]
fn macro_f1_averages_every_class() {
    let predicted = [0, 1, 1, 2, 2, 2].map(Some);
    let per = per_class_prf(&predicted, &[0, 0, 1, 2, 2, 1], 3);
    // class 0: P 1, R 1/2; class 1: P 1/2, R 1/2; class 2: P 2/3, R 1.
    close(per[0].2, 2.0 / 3.0);
    close(per[1].2, 0.5);
    close(per[2].2, 0.8);
    let mut p = Predictions::classes(3, 3);
    let onehot = |c: usize| {
        let mut r = [0.0f32; 3];
        r[c] = 1.0;
        r
    };
    let outputs: Vec<f32> = [0, 1, 1, 2, 2, 2].into_iter().flat_map(onehot).collect();
    p.add_classes(0.0, &outputs, &[0, 0, 1, 2, 2, 1]);
    let mut out = crate::trial::Metrics::new();
    p.report(&[Metric::MacroF1, Metric::MacroRecall], "val_", &mut out)
        .unwrap();
    close(out["val_macro_f1"], (2.0 / 3.0 + 0.5 + 0.8) / 3.0);
    close(out["val_macro_recall"], (0.5 + 0.5 + 1.0) / 3.0);
    close(out["val_accuracy"], 4.0 / 6.0);
}

#[test]
fn binary_metrics_from_logits() {
    // Logits (0, ln 3) give P(class 1) = 3/4; (ln 3, 0) gives 1/4.
    let l3 = 3f32.ln();
    let outputs = [0.0, l3, l3, 0.0, 0.0, l3, l3, 0.0];
    let labels = [1, 0, 0, 0];
    let mut p = Predictions::classes(2, 2);
    p.add_classes(0.5, &outputs[..4], &labels[..2]);
    p.add_classes(1.5, &outputs[4..], &labels[2..]);
    let mut out = crate::trial::Metrics::new();
    let all = [
        Metric::Precision,
        Metric::Recall,
        Metric::F1,
        Metric::LogLoss,
        Metric::Auc,
    ];
    p.report(&all, "", &mut out).unwrap();
    close(out["loss"], 1.0);
    // Predicted 1 for rows 0 and 2; only row 0 is a positive.
    close(out["precision"], 0.5);
    close(out["recall"], 1.0);
    close(out["f1"], 2.0 / 3.0);
    // Rows 0, 1, 3 give their class 3/4, row 2 gives it 1/4.
    let expected = -(0.75f64.ln() * 3.0 + 0.25f64.ln()) / 4.0;
    assert!((out["log_loss"] - expected).abs() < 1e-6, "{out:?}");
    // The positive (3/4) ties one negative and beats two.
    close(out["auc"], (1.0 + 1.0 + 0.5) / 3.0);
    let mut three = Predictions::classes(3, 3);
    three.add_classes(0.0, &[0.0, 1.0, 2.0], &[2]);
    let err = three.report(&[Metric::Auc], "", &mut out).unwrap_err();
    assert!(err.to_string().contains("macro_"), "{err}");
}

#[test]
fn top_k_counts_strictly_better_classes() {
    let outputs = [0.1, 0.5, 0.4, 0.9, 0.05, 0.05];
    close(top_k_accuracy(&outputs, 3, &[2, 1], 2), 1.0);
    close(top_k_accuracy(&outputs, 3, &[2, 1], 1), 0.0);
    close(top_k_accuracy(&outputs, 3, &[1, 0], 1), 1.0);
}

#[test]
fn regression_metrics() {
    let (y, t) = ([1.0, 2.0, 3.0, 5.0], [1.0, 2.0, 3.0, 4.0]);
    close(mse(&y, &t), 0.25);
    close(mae(&y, &t), 0.25);
    // SS_res 1, SS_tot 5.
    close(r2(&y, &t, 1), 0.8);
    // Two outputs: column 0 (targets 1, 2; SS_tot 0.5, SS_res 0.25) scores 0.5, column 1 is
    // constant and predicted exactly (R² 1).
    close(
        r2(&[1.0, 7.0, 2.5, 7.0], &[1.0, 7.0, 2.0, 7.0], 2),
        (0.5 + 1.0) / 2.0,
    );
    let mut p = Predictions::values(1);
    p.add_values(0.25, &y, &t);
    let mut out = crate::trial::Metrics::new();
    p.report(&[Metric::Rmse, Metric::R2], "val_", &mut out)
        .unwrap();
    close(out["val_rmse"], 0.5);
    close(out["val_mae"], 0.25);
    close(out["val_r2"], 0.8);
}

#[test]
fn names_parse_back_and_infer_their_direction() {
    let mut all = Metric::all_for(true);
    all.extend(Metric::all_for(false));
    all.push(Metric::TopKAccuracy(3));
    for m in all {
        assert_eq!(m.name().parse::<Metric>(), Ok(m));
        let minimised = matches!(
            m,
            Metric::LogLoss | Metric::Mse | Metric::Rmse | Metric::Mae
        );
        let expected = if minimised {
            Direction::Minimize
        } else {
            Direction::Maximize
        };
        for name in [m.name(), format!("val_{m}")] {
            assert_eq!(Direction::infer(&name), Ok(expected), "{name}");
        }
    }
    assert_eq!(
        "top_k_categorical_accuracy".parse(),
        Ok(Metric::TopKAccuracy(5))
    );
    assert!("top_0_accuracy".parse::<Metric>().is_err());
    let err = "aucc".parse::<Metric>().unwrap_err().to_string();
    assert!(err.contains("pr_auc"), "{err}");
}

#[test]
fn objectives_turn_their_metrics_on_and_unknown_ones_are_found() {
    let fit = with_objective_metrics(crate::model::Fit::default(), ["val_auc", "loss"], true);
    assert_eq!(fit.metrics, vec![Metric::Auc]);
    let reported = reported_names(&fit.metrics, true, true);
    assert_eq!(unreported(["val_auc"], &reported), None);
    assert_eq!(
        unreported(["val_rmse", "val_auc"], &reported),
        Some("val_rmse")
    );
    let regression = with_objective_metrics(crate::model::Fit::default(), ["val_auc"], false);
    assert!(regression.metrics.is_empty());
}
