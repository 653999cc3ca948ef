//! Plots of parameter pairs: contour (the score interpolated over each pair's plane) and rank
//! (each trial a dot coloured by its score's rank), as Optuna's `plot_contour`/`plot_rank`.
//!
//! A space of 13 parameters has 78 pairs; these plots show the pairs of the (up to) four most
//! important parameters by PED-ANOVA, six panels at most.

use super::axis::Axis;
use super::colour::with_bar;
use super::params::{goodness, plotted};
use super::{colour_bar, completed, short, viridis, Failure};
use crate::report::importance::param_importances;
use crate::report::StudyView;
use crate::space::Param;
use crate::trial::Trial;
use plotters::coord::Shift;
use plotters::prelude::*;

/// How many of the most important parameters are paired.
const PAIRED: usize = 4;
/// Cells per side of a contour panel's interpolation grid.
const CELLS: usize = 30;

/// The pairs drawn, most important first.
pub(super) fn pairs<'a>(study: &StudyView<'a>) -> Vec<(&'a Param, &'a Param)> {
    let params = plotted(study);
    let ranked: Vec<&Param> = if params.len() > PAIRED && !completed(study).is_empty() {
        param_importances(study)
            .iter()
            .filter_map(|(name, _)| params.iter().find(|p| p.name == *name).copied())
            .take(PAIRED)
            .collect()
    } else {
        params.into_iter().take(PAIRED).collect()
    };
    let mut out = Vec::new();
    for (i, a) in ranked.iter().enumerate() {
        for b in &ranked[i + 1..] {
            out.push((*a, *b));
        }
    }
    out
}

/// A trial's place in a pair's plane, if both parameters are live in it.
fn place(x: &Axis, y: &Axis, a: &Param, b: &Param, t: &Trial) -> Option<(f64, f64)> {
    Some((
        x.coord(t.values().get(&a.name)?)?,
        y.coord(t.values().get(&b.name)?)?,
    ))
}

/// Score interpolated over each pair's plane (inverse-distance weighting of the trials'
/// scores, distances in shares of each axis), coloured yellow best; trials as black dots.
pub(super) fn contour<DB: DrawingBackend>(
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), Failure> {
    panels(study, root, "Contour", true)
}

/// A dot per trial in each pair's plane, coloured by its score's rank (yellow best).
pub(super) fn rank<DB: DrawingBackend>(
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), Failure> {
    panels(study, root, "Rank", false)
}

fn panels<DB: DrawingBackend>(
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
    title: &str,
    contour: bool,
) -> Result<(), Failure> {
    let trials = completed(study);
    if trials.is_empty() {
        return Err(Failure::Empty("no completed trial yet".to_owned()));
    }
    let pairs = pairs(study);
    if pairs.is_empty() {
        return Err(Failure::Empty(
            "a pair plot needs two parameters that vary".to_owned(),
        ));
    }
    let scores: Vec<f64> = trials.iter().filter_map(|t| t.score).collect();
    let (lo, hi) = scores
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| {
            (a.min(*s), b.max(*s))
        });
    let smaller = study.objectives.direction().smaller_is_better();
    // 1 for the best score, 0 for the worst.
    let goodness_of = |s: f64| {
        let u = if hi > lo { (s - lo) / (hi - lo) } else { 1.0 };
        if smaller {
            1.0 - u
        } else {
            u
        }
    };
    let ranks = goodness(study, &trials);
    let cols = pairs.len().min(3);
    let rows = pairs.len().div_ceil(cols);
    let (plot, bar) = with_bar(root);
    let body = plot.titled(&format!("{title} · {}", study.name), ("sans-serif", 22))?;
    for ((a, b), panel) in pairs.iter().zip(&body.split_evenly((rows, cols))) {
        let (Some(x), Some(y)) = (Axis::of(a), Axis::of(b)) else {
            continue;
        };
        let mut chart = ChartBuilder::on(panel)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x.range(), y.range())?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_labels(x.labels())
            .y_labels(y.labels())
            .x_label_formatter(&|v| x.label(*v))
            .y_label_formatter(&|v| y.label(*v))
            .x_desc(a.name.clone())
            .y_desc(b.name.clone())
            .axis_desc_style(("sans-serif", 13))
            .draw()?;
        let points: Vec<(usize, (f64, f64))> = trials
            .iter()
            .enumerate()
            .filter_map(|(i, t)| place(&x, &y, a, b, t).map(|p| (i, p)))
            .collect();
        if contour && !points.is_empty() {
            let (xr, yr) = (x.range(), y.range());
            let (dx, dy) = (x.span() / CELLS as f64, y.span() / CELLS as f64);
            let mut cells = Vec::with_capacity(CELLS * CELLS);
            for i in 0..CELLS {
                for j in 0..CELLS {
                    let (cx, cy) = (
                        xr.start + (i as f64 + 0.5) * dx,
                        yr.start + (j as f64 + 0.5) * dy,
                    );
                    let (mut num, mut den) = (0.0, 0.0);
                    for (k, (px, py)) in &points {
                        let d2 = ((px - cx) / x.span()).powi(2) + ((py - cy) / y.span()).powi(2);
                        let w = 1.0 / (d2 + 1e-4);
                        num += w * scores[*k];
                        den += w;
                    }
                    let colour = viridis(goodness_of(num / den));
                    cells.push(Rectangle::new(
                        [
                            (xr.start + i as f64 * dx, yr.start + j as f64 * dy),
                            (
                                xr.start + (i + 1) as f64 * dx,
                                yr.start + (j + 1) as f64 * dy,
                            ),
                        ],
                        colour.filled(),
                    ));
                }
            }
            chart.draw_series(cells)?;
        }
        chart.draw_series(points.iter().map(|(i, p)| {
            let fill = if contour {
                BLACK.mix(0.8).filled()
            } else {
                viridis(ranks[*i]).filled()
            };
            Circle::new(*p, 4, fill)
        }))?;
    }
    let (worst, best) = if smaller { (hi, lo) } else { (lo, hi) };
    let bar_title = if contour { "score" } else { "score rank" };
    colour_bar(
        &bar,
        bar_title,
        &format!("worst {}", short(worst)),
        &format!("best {}", short(best)),
    )
}
