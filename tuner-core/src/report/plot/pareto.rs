//! The Pareto front of a multi-objective study, as Optuna's `plot_pareto_front`: each
//! completed trial's objectives (at its best epoch), the non-dominated trials in red.
//!
//! Three or more objectives are drawn as one panel per pair of objectives (a scatter-plot
//! matrix's upper half) rather than in 3-D: a flat picture reads the same in SVG, PNG and the
//! HTML report. The front marked in every panel is the front in all objectives, so a red dot
//! may look dominated in one projection.

use super::{completed, short, Failure, BLUE_MARK, RED_MARK};
use crate::report::StudyView;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// One panel per pair of objectives: blue dominated trials, red the Pareto front.
pub(super) fn pareto<DB: DrawingBackend>(
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), Failure> {
    let objectives = study.objectives.list();
    if objectives.len() < 2 {
        return Err(Failure::Empty(format!(
            "a Pareto front needs two objectives or more; this study has one ({})",
            objectives[0].name
        )));
    }
    let points: Vec<BTreeMap<String, f64>> = completed(study)
        .iter()
        .filter_map(|t| {
            let m = t.best_metrics()?;
            objectives
                .iter()
                .map(|o| {
                    let v = *m.get(&o.name)?;
                    v.is_finite().then(|| (o.name.clone(), v))
                })
                .collect()
        })
        .collect();
    if points.is_empty() {
        return Err(Failure::Empty(
            "no completed trial has every objective yet".to_owned(),
        ));
    }
    let front = study.objectives.pareto_front(&points);
    let on_front: Vec<bool> = (0..points.len()).map(|i| front.contains(&i)).collect();
    let mut pairs = Vec::new();
    for i in 0..objectives.len() {
        for j in i + 1..objectives.len() {
            pairs.push((i, j));
        }
    }
    let cols = pairs.len().min(3);
    let rows = pairs.len().div_ceil(cols);
    let body = root.titled(
        &format!("Pareto front · {}", study.name),
        ("sans-serif", 22),
    )?;
    for ((i, j), panel) in pairs.iter().zip(&body.split_evenly((rows, cols))) {
        let (ox, oy) = (&objectives[*i], &objectives[*j]);
        let range = |name: &str| super::padded(points.iter().map(|p| p[name]));
        let (x0, x1) = range(&ox.name);
        let (y0, y1) = range(&oy.name);
        let mut chart = ChartBuilder::on(panel)
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc(format!("{} ({})", ox.name, ox.direction.short_name()))
            .y_desc(format!("{} ({})", oy.name, oy.direction.short_name()))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .x_label_formatter(&|v| short(*v))
            .y_label_formatter(&|v| short(*v))
            .draw()?;
        let at = |p: &BTreeMap<String, f64>| (p[&ox.name], p[&oy.name]);
        let dominated = points.len() - front.len();
        chart
            .draw_series(
                points
                    .iter()
                    .zip(&on_front)
                    .filter(|(_, f)| !**f)
                    .map(|(p, _)| Circle::new(at(p), 4, BLUE_MARK.mix(0.7).filled())),
            )?
            .label(format!("dominated ({dominated})"))
            .legend(|(x, y)| Circle::new((x + 9, y), 4, BLUE_MARK.filled()));
        chart
            .draw_series(
                points
                    .iter()
                    .zip(&on_front)
                    .filter(|(_, f)| **f)
                    .map(|(p, _)| Circle::new(at(p), 5, RED_MARK.filled())),
            )?
            .label(format!("Pareto front ({})", front.len()))
            .legend(|(x, y)| Circle::new((x + 9, y), 5, RED_MARK.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(("sans-serif", 13))
            .draw()?;
    }
    Ok(())
}
