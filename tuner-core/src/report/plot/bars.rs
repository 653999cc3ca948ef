//! Parameter importance as horizontal bars.

use super::{completed, Failure, BLUE_MARK};
use crate::report::importance::param_importances;
use crate::report::StudyView;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One bar per parameter, most important on top, with its share written at its end.
pub(super) fn importance<DB: DrawingBackend>(
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), Failure> {
    if completed(study).is_empty() {
        return Err(Failure::Empty("no completed trial yet".to_owned()));
    }
    let importances = param_importances(study);
    if importances.is_empty() {
        return Err(Failure::Empty(
            "the search space has no parameter".to_owned(),
        ));
    }
    let n = importances.len();
    let top = importances.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let x_max = (top * 1.18).max(0.05);
    // Row 0 (the most important) is drawn at the top.
    let y_of = |i: usize| (n - 1 - i) as f64;
    let label_width = importances
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(4) as u32
        * 8
        + 16;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "Parameter importance · {}   (PED-ANOVA as Optuna's, top 10% of {} completed trials)",
                study.name,
                completed(study).len()
            ),
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(label_width.clamp(60, 260))
        .build_cartesian_2d(0.0..x_max, -0.5..n as f64 - 0.5)?;
    let names: Vec<String> = importances.iter().map(|(k, _)| k.clone()).collect();
    let label_y = |y: &f64| {
        let r = y.round();
        if (y - r).abs() < 1e-6 && r >= 0.0 && (r as usize) < n {
            names[n - 1 - r as usize].clone()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .y_labels(n + 1)
        .y_label_formatter(&label_y)
        .x_desc("importance (share of the total)")
        .label_style(("sans-serif", 14))
        .draw()?;
    chart.draw_series(importances.iter().enumerate().map(|(i, (_, v))| {
        let y = y_of(i);
        Rectangle::new([(0.0, y - 0.32), (*v, y + 0.32)], BLUE_MARK.filled())
    }))?;
    chart.draw_series(importances.iter().enumerate().map(|(i, (_, v))| {
        Text::new(
            format!("{v:.3}"),
            (*v + x_max * 0.01, y_of(i) + 0.12),
            ("sans-serif", 13).into_font(),
        )
    }))?;
    Ok(())
}
