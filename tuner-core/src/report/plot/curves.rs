//! Plots along a line: scores by trial (optimisation history), the objective by epoch
//! (learning curves) and the scores' empirical distribution (EDF).

use super::colour::with_bar;
use super::{
    colour_bar, completed, objective_label, padded, scored, short, viridis, whole, Failure,
    BLUE_MARK, GREY_MARK, RED_MARK,
};
use crate::report::StudyView;
use crate::trial::TrialState;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Score per trial (a dot each: blue completed, grey pruned) and the best completed score so
/// far as a red line.
pub(super) fn history<DB: DrawingBackend>(
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), Failure> {
    let trials = scored(study);
    if trials.is_empty() {
        return Err(Failure::Empty("no trial has a score yet".to_owned()));
    }
    let objective = study.objectives.scalar();
    let last = trials.iter().map(|t| t.number).max().unwrap_or(0) as f64;
    let (mut lo, mut hi) = padded(trials.iter().filter_map(|t| t.score));
    // Room for the legend on the side away from the best scores.
    if study.objectives.direction().smaller_is_better() {
        hi += (hi - lo) * 0.15;
    } else {
        lo -= (hi - lo) * 0.15;
    }
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("Optimisation history · {}", study.name),
            ("sans-serif", 22),
        )
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(-0.5..last + 0.5, lo..hi)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc("trial")
        .y_desc(objective_label(study))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .x_label_formatter(&whole)
        .y_label_formatter(&|y| short(*y))
        .draw()?;

    // The best-so-far line steps at each improvement and runs on to the last trial.
    let mut best: Option<f64> = None;
    let mut line: Vec<(f64, f64)> = Vec::new();
    let mut done = Vec::new();
    let mut pruned = Vec::new();
    for t in &trials {
        let (x, s) = (t.number as f64, t.score.unwrap_or(f64::NAN));
        if t.state == TrialState::Completed {
            done.push((x, s));
            if best.is_none_or(|b| objective.better(s, b)) {
                if let Some(b) = best {
                    line.push((x, b));
                }
                best = Some(s);
                line.push((x, s));
            }
        } else {
            pruned.push((x, s));
        }
    }
    if let Some(b) = best {
        line.push((last, b));
        chart
            .draw_series(LineSeries::new(line, RED_MARK.stroke_width(2)))?
            .label("best so far")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED_MARK.stroke_width(2)));
    }
    chart
        .draw_series(
            done.iter()
                .map(|p| Circle::new(*p, 4, BLUE_MARK.mix(0.85).filled())),
        )?
        .label("completed")
        .legend(|(x, y)| Rectangle::new([(x + 5, y - 4), (x + 13, y + 4)], BLUE_MARK.filled()));
    if !pruned.is_empty() {
        chart
            .draw_series(
                pruned
                    .iter()
                    .map(|p| Circle::new(*p, 4, GREY_MARK.filled())),
            )?
            .label("pruned")
            .legend(|(x, y)| Rectangle::new([(x + 5, y - 4), (x + 13, y + 4)], GREY_MARK.filled()));
    }
    // The legend goes where the best scores are not.
    let corner = if study.objectives.direction().smaller_is_better() {
        SeriesLabelPosition::UpperRight
    } else {
        SeriesLabelPosition::LowerRight
    };
    chart
        .configure_series_labels()
        .position(corner)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", 14))
        .draw()?;
    Ok(())
}

/// One trial's learning curve: its number, whether it was pruned, its (epoch, value) points.
type Curve = (u64, bool, Vec<(f64, f64)>);

/// Each trial's objective by epoch, coloured by trial number; each curve ends in a dot, or a
/// red cross when a pruner stopped the trial.
pub(super) fn curves<DB: DrawingBackend>(
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), Failure> {
    let curves: Vec<Curve> = study
        .trials
        .iter()
        .filter_map(|t| {
            let points: Vec<(f64, f64)> = t
                .history
                .iter()
                .filter_map(|(e, m)| {
                    let v = study.objectives.score(m)?;
                    v.is_finite().then_some((*e as f64, v))
                })
                .collect();
            let pruned = t.state == TrialState::Stopped;
            (!points.is_empty()).then_some((t.number, pruned, points))
        })
        .collect();
    if curves.is_empty() {
        return Err(Failure::Empty(
            "no trial has reported an epoch of its objective yet".to_owned(),
        ));
    }
    let all = || curves.iter().flat_map(|(_, _, p)| p.iter());
    let (x0, x1) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(p.0), b.max(p.0))
    });
    let (lo, hi) = padded(all().map(|p| p.1));
    let last = curves.iter().map(|c| c.0).max().unwrap_or(0).max(1) as f64;
    let (plot, bar) = with_bar(root);
    let mut chart = ChartBuilder::on(&plot)
        .caption(
            format!(
                "Learning curves · {}   (grey ending in ×: pruned)",
                study.name
            ),
            ("sans-serif", 22),
        )
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(x0 - 0.3..x1 + 0.3, lo..hi)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc("epoch")
        .y_desc(objective_label(study))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .x_label_formatter(&whole)
        .y_label_formatter(&|y| short(*y))
        .draw()?;
    for (number, pruned, points) in &curves {
        let colour = if *pruned {
            GREY_MARK
        } else {
            viridis(*number as f64 / last)
        };
        if points.len() > 1 {
            chart.draw_series(LineSeries::new(
                points.iter().copied(),
                colour.mix(0.8).stroke_width(2),
            ))?;
        }
        let end = *points.last().unwrap_or(&(0.0, 0.0));
        if *pruned {
            chart.draw_series(std::iter::once(Cross::new(
                end,
                5,
                RED_MARK.stroke_width(2),
            )))?;
        } else {
            chart.draw_series(std::iter::once(Circle::new(end, 3, colour.filled())))?;
        }
    }
    colour_bar(&bar, "trial", "0", &format!("{}", last as u64))
}

/// The empirical distribution of the completed trials' scores: a step line rising by 1/n at
/// each score, and a dot per trial at its score and the share of trials scoring at most it.
pub(super) fn edf<DB: DrawingBackend>(
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), Failure> {
    let mut scores: Vec<f64> = completed(study).iter().filter_map(|t| t.score).collect();
    if scores.is_empty() {
        return Err(Failure::Empty("no completed trial yet".to_owned()));
    }
    scores.sort_by(f64::total_cmp);
    let n = scores.len() as f64;
    let (lo, hi) = padded(scores.iter().copied());
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("Empirical distribution of scores · {}", study.name),
            ("sans-serif", 22),
        )
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(lo..hi, 0.0..1.05)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc(objective_label(study))
        .y_desc("share of trials scoring at most x")
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .x_label_formatter(&|x| short(*x))
        .y_label_formatter(&|y| short(*y))
        .draw()?;
    // Tied scores share one step, to the share of all of them.
    let share = |i: usize| (scores.partition_point(|s| *s <= scores[i])) as f64 / n;
    let mut line = vec![(lo, 0.0)];
    for (i, s) in scores.iter().enumerate() {
        line.push((*s, i as f64 / n));
        line.push((*s, share(i)));
    }
    line.push((hi, 1.0));
    let label = format!("{} completed trials", scores.len());
    chart
        .draw_series(LineSeries::new(line, BLUE_MARK.stroke_width(2)))?
        .label(label)
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE_MARK.stroke_width(2)));
    chart.draw_series(
        scores
            .iter()
            .enumerate()
            .map(|(i, s)| Circle::new((*s, share(i)), 3, BLUE_MARK.filled())),
    )?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", 14))
        .draw()?;
    Ok(())
}
