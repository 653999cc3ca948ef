//! Plots of parameters against the score: parallel coordinates and one slice per parameter.

use super::axis::Axis;
use super::colour::with_bar;
use super::{colour_bar, completed, objective_label, padded, short, value_label, viridis, Failure};
use crate::report::StudyView;
use crate::space::{Param, ParamKind, Sampling, Value};
use crate::trial::Trial;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The parameters worth an axis: all but fixed ones.
pub(super) fn plotted<'a>(study: &StudyView<'a>) -> Vec<&'a Param> {
    study
        .space
        .params()
        .iter()
        .filter(|p| !matches!(p.kind, ParamKind::Fixed { .. }))
        .collect()
}

/// How good each trial's score is among the trials, by rank: 0 for the worst, 1 for the best
/// (ranks spread the colours even when most scores crowd near the best).
pub(super) fn goodness(study: &StudyView<'_>, trials: &[&Trial]) -> Vec<f64> {
    let direction = study.objectives.direction();
    let mut order: Vec<usize> = (0..trials.len()).collect();
    // Worst first, so the rank is the goodness; an unscored trial counts as the worst.
    order.sort_by(|&a, &b| {
        let score = |i: usize| trials[i].score.unwrap_or(f64::NAN);
        direction.best_first(score(b), score(a))
    });
    let mut out = vec![1.0; trials.len()];
    let n = (trials.len().max(2) - 1) as f64;
    for (rank, i) in order.into_iter().enumerate() {
        out[i] = rank as f64 / n;
    }
    out
}

/// A numeric parameter's range and sampling: its axis runs from min to max on that scale.
pub(super) fn numeric(param: &Param) -> Option<(f64, f64, Sampling)> {
    match &param.kind {
        ParamKind::Int {
            min, max, sampling, ..
        } => Some((*min as f64, *max as f64, *sampling)),
        ParamKind::Float {
            min, max, sampling, ..
        } => Some((*min, *max, *sampling)),
        _ => None,
    }
}

/// Where `v` sits on the axis of a range, in [0, 1] (0.5 for a single-value range).
pub(super) fn scale_pos((min, max, sampling): (f64, f64, Sampling), v: f64) -> f64 {
    if max <= min {
        return 0.5;
    }
    match sampling {
        Sampling::Linear => (v - min) / (max - min),
        Sampling::Log => (v / min).ln() / (max / min).ln(),
        Sampling::ReverseLog => 1.0 - ((max + min - v) / min).ln() / (max / min).ln(),
    }
}

/// The value at `u` on the axis of a range (the inverse of [`scale_pos`]).
pub(super) fn scale_value((min, max, sampling): (f64, f64, Sampling), u: f64) -> f64 {
    match sampling {
        Sampling::Linear => min + u * (max - min),
        Sampling::Log => min * (max / min).powf(u),
        Sampling::ReverseLog => max + min - min * (max / min).powf(1.0 - u),
    }
}

/// The few values of a parameter shown one per slot (choices, booleans, small grids).
pub(super) fn discrete(param: &Param) -> Option<Vec<Value>> {
    match &param.kind {
        ParamKind::Choice { values, .. } => Some(values.clone()),
        ParamKind::Boolean => Some(vec![Value::Bool(false), Value::Bool(true)]),
        _ => param.values().filter(|v| v.len() <= 8),
    }
}

/// Where a value sits on a parameter's axis in [0, 1]: its slot's centre for few values,
/// else its place on the parameter's own scale (log ranges in log space).
fn axis_pos(param: &Param, v: &Value) -> Option<f64> {
    if let Some(list) = discrete(param) {
        let i = list.iter().position(|c| c.same_as(v))?;
        return Some((i as f64 + 0.5) / list.len() as f64);
    }
    let range = numeric(param)?;
    Some(scale_pos(range, v.as_float()?)).filter(|u| u.is_finite())
}

/// The values labelled on a parameter's axis, with their positions: every value when there
/// are few, else five values evenly spread over the parameter's scale.
fn ticks(param: &Param) -> Vec<(f64, String)> {
    if let Some(list) = discrete(param) {
        let n = list.len() as f64;
        return list
            .iter()
            .enumerate()
            .map(|(i, v)| ((i as f64 + 0.5) / n, value_label(v)))
            .collect();
    }
    let Some(range) = numeric(param) else {
        return Vec::new();
    };
    let int = matches!(param.kind, ParamKind::Int { .. });
    [0.0, 0.25, 0.5, 0.75, 1.0]
        .into_iter()
        .map(|u| {
            let v = scale_value(range, u);
            let v = if int { v.round() } else { v };
            (scale_pos(range, v), short(v))
        })
        .collect()
}

/// A trial's position on a parameter's axis in [0, 1], if the parameter is live in it.
fn position(param: &Param, trial: &Trial) -> Option<f64> {
    axis_pos(param, trial.values().get(&param.name)?)
}

/// One vertical axis per parameter and one for the score; one line per completed trial,
/// coloured by how good its score is (yellow best, named by the colour bar), best trials
/// drawn last. A trial's line skips the axes of parameters inactive in it. Axis names that
/// would run into their neighbours alternate between two rows.
pub(super) fn parallel<DB: DrawingBackend>(
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), Failure> {
    let trials = completed(study);
    if trials.is_empty() {
        return Err(Failure::Empty("no completed trial yet".to_owned()));
    }
    let params = plotted(study);
    let scores: Vec<f64> = trials.iter().filter_map(|t| t.score).collect();
    let good = goodness(study, &trials);
    let (lo, hi) = padded(scores.iter().copied());
    let score_u = |s: f64| (s - lo) / (hi - lo);
    let n_axes = params.len() + 1;
    let (plot, bar) = with_bar(root);
    let names: Vec<String> = params
        .iter()
        .map(|p| p.name.clone())
        .chain(std::iter::once(objective_label(study)))
        .collect();
    let width = |n: &str| super::glyphs::text_size(n, 15.0).0;
    let widest = names.iter().map(|n| width(n)).fold(0.0, f64::max);
    // Pixels between neighbouring axes, to tell whether names fit side by side; the first
    // axis sits far enough in for its name to be whole.
    let spacing = f64::from(plot.dim_in_pixel().0.saturating_sub(40)) / (n_axes as f64 + 0.5);
    let left = (width(&names[0]) / 2.0 / spacing + 0.05).max(0.3);
    let stagger = widest > spacing - 8.0;
    let mut chart = ChartBuilder::on(&plot)
        .caption(
            format!("Parallel coordinates · {}", study.name),
            ("sans-serif", 22),
        )
        .margin(20)
        .margin_top(30)
        .build_cartesian_2d(-left..(n_axes - 1) as f64 + 0.7, -0.1..1.16)?;

    // The best lines are drawn last, on top.
    let mut order: Vec<usize> = (0..trials.len()).collect();
    order.sort_by(|&a, &b| good[a].total_cmp(&good[b]));
    for i in order {
        let t = trials[i];
        let score = t.score.unwrap_or(f64::NAN);
        let mut points: Vec<(f64, f64)> = params
            .iter()
            .enumerate()
            .filter_map(|(i, p)| position(p, t).map(|u| (i as f64, u)))
            .collect();
        points.push(((n_axes - 1) as f64, score_u(score)));
        chart.draw_series(std::iter::once(PathElement::new(
            points,
            viridis(good[i]).mix(0.75).stroke_width(2),
        )))?;
    }

    let name_style = ("sans-serif", 15)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    let tick_style = ("sans-serif", 12).into_font().color(&BLACK.mix(0.8));
    let axis_line = BLACK.stroke_width(1);
    for (i, name) in names.iter().enumerate() {
        let x = i as f64;
        chart.draw_series(std::iter::once(PathElement::new(
            [(x, 0.0), (x, 1.0)],
            axis_line,
        )))?;
        let y = if stagger && i % 2 == 1 { 1.11 } else { 1.04 };
        chart.draw_series(std::iter::once(Text::new(
            name.clone(),
            (x, y),
            name_style.clone(),
        )))?;
        let ticks = match params.get(i) {
            Some(p) => ticks(p),
            None => {
                let (s_lo, s_hi) = scores
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| {
                        (a.min(*s), b.max(*s))
                    });
                [s_lo, (s_lo + s_hi) / 2.0, s_hi]
                    .into_iter()
                    .map(|s| (score_u(s), short(s)))
                    .collect()
            }
        };
        for (u, label) in ticks {
            chart.draw_series(std::iter::once(Text::new(
                label,
                (x + 0.03, u + 0.012),
                tick_style.clone(),
            )))?;
        }
    }
    let direction = study.objectives.direction();
    let (worst, best) = if direction.smaller_is_better() {
        (
            scores.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            scores.iter().copied().fold(f64::INFINITY, f64::min),
        )
    } else {
        (
            scores.iter().copied().fold(f64::INFINITY, f64::min),
            scores.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    colour_bar(
        &bar,
        "score rank",
        &format!("worst {}", short(worst)),
        &format!("best {}", short(best)),
    )
}

/// One panel per parameter: the score of each completed trial in which it is live, against
/// its value (on the parameter's own scale), coloured by trial number.
pub(super) fn slice<DB: DrawingBackend>(
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), Failure> {
    let trials = completed(study);
    if trials.is_empty() {
        return Err(Failure::Empty("no completed trial yet".to_owned()));
    }
    let params = plotted(study);
    if params.is_empty() {
        return Err(Failure::Empty(
            "the search space has no parameter to vary".to_owned(),
        ));
    }
    let (lo, hi) = padded(trials.iter().filter_map(|t| t.score));
    let last = trials.iter().map(|t| t.number).max().unwrap_or(0).max(1) as f64;
    let cols = params.len().min(3);
    let rows = params.len().div_ceil(cols);
    let (plot, bar) = with_bar(root);
    let body = plot.titled(&format!("Slice plot · {}", study.name), ("sans-serif", 22))?;
    let panels = body.split_evenly((rows, cols));
    for (param, panel) in params.iter().zip(&panels) {
        let Some(axis) = Axis::of(param) else {
            continue;
        };
        let mut chart = ChartBuilder::on(panel)
            .caption(param.name.clone(), ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(56)
            .build_cartesian_2d(axis.range(), lo..hi)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_labels(axis.labels())
            .y_labels(5)
            .x_label_formatter(&|x| axis.label(*x))
            .y_label_formatter(&|y| short(*y))
            .y_desc(objective_label(study))
            .axis_desc_style(("sans-serif", 12))
            .draw()?;
        chart.draw_series(trials.iter().filter_map(|t| {
            let x = axis.coord(t.values().get(&param.name)?)?;
            let score = t.score?;
            Some(Circle::new(
                (x, score),
                4,
                viridis(t.number as f64 / last).mix(0.85).filled(),
            ))
        }))?;
    }
    colour_bar(&bar, "trial", "0", &format!("{}", last as u64))
}
