//! The timeline, as Optuna's `plot_timeline`: one bar per trial from its start to its
//! completion, coloured by how it ended, so overlapping workers, long trials and bursts of
//! failures show at a glance.
//!
//! The x axis is the time since the first trial started (the start itself is in the axis
//! name): plotters' date axes would need its time-zone feature, and elapsed time is what a
//! reader compares. A trial still running (or waiting for a retry) reaches the latest time the
//! study records, so the same study always draws the same picture.

use super::{whole, Failure, BLUE_MARK, GREY_MARK, RED_MARK};
use crate::report::StudyView;
use crate::trial::{seconds_between, NaiveDateTime, Trial, TrialState};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The orange of pruned (Stopped) trials, as Optuna's timeline draws PRUNED.
const ORANGE_MARK: RGBColor = RGBColor(255, 127, 14);
/// The green of running trials, as Optuna's timeline draws RUNNING.
const GREEN_MARK: RGBColor = RGBColor(44, 160, 44);

/// The colour of a trial's bar, by its state.
pub(super) fn state_colour(state: TrialState) -> RGBColor {
    match state {
        TrialState::Completed => BLUE_MARK,
        TrialState::Stopped => ORANGE_MARK,
        TrialState::Failed => RED_MARK,
        TrialState::Running => GREEN_MARK,
        TrialState::Invalid => GREY_MARK,
    }
}

/// The states in the order the legend lists them.
const STATES: [TrialState; 5] = [
    TrialState::Completed,
    TrialState::Stopped,
    TrialState::Failed,
    TrialState::Running,
    TrialState::Invalid,
];

/// One bar: the trial, and its start and end in seconds since the first start.
struct Bar<'a> {
    trial: &'a Trial,
    start: f64,
    end: f64,
}

/// The bars of the trials that have a start time, and the first start.
fn bars<'a>(study: &StudyView<'a>) -> Option<(NaiveDateTime, Vec<Bar<'a>>)> {
    let timed: Vec<(&Trial, NaiveDateTime)> = study
        .trials
        .iter()
        .filter_map(|t| Some((t, t.datetime_start?)))
        .collect();
    let first = timed.iter().map(|(_, s)| *s).min()?;
    let latest = timed
        .iter()
        .flat_map(|(t, s)| [Some(*s), t.datetime_complete])
        .flatten()
        .max()
        .unwrap_or(first);
    let bars = timed
        .into_iter()
        .map(|(trial, start)| {
            let end = trial.datetime_complete.unwrap_or(latest).max(start);
            Bar {
                trial,
                start: seconds_between(&first, &start),
                end: seconds_between(&first, &end),
            }
        })
        .collect();
    Some((first, bars))
}

/// Elapsed seconds as a tick: `12.5s` on a short axis, else `m:ss` or `h:mm:ss`.
fn elapsed(seconds: f64, span: f64) -> String {
    if span < 120.0 {
        return format!("{}s", super::short(seconds));
    }
    let s = seconds.round().max(0.0) as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The plot's height for `n` timed trials: room for each bar, within reason.
pub(super) fn height(study: &StudyView<'_>) -> u32 {
    let n = study
        .trials
        .iter()
        .filter(|t| t.datetime_start.is_some())
        .count() as u32;
    (150 + 14 * n).clamp(420, 1400)
}

/// One bar per trial with a start time, from start to completion, coloured by state.
pub(super) fn timeline<DB: DrawingBackend>(
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), Failure> {
    let Some((first, bars)) = bars(study) else {
        return Err(Failure::Empty(
            "no trial has a start time (the storage records them; trials built in a program \
             without one have none)"
                .to_owned(),
        ));
    };
    let span = bars.iter().map(|b| b.end).fold(0.0, f64::max);
    // A bar never thinner than a sliver of the axis, so an instant trial still shows.
    let sliver = (span * 0.004).max(1e-3);
    let x1 = (span + sliver) * 1.03;
    let last = bars.iter().map(|b| b.trial.number).max().unwrap_or(0) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(format!("Timeline · {}", study.name), ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..x1, -0.6..last + 0.6)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc(format!(
            "time since the first trial started ({} UTC)",
            first.format("%Y-%m-%d %H:%M:%S")
        ))
        .y_desc("trial")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .x_label_formatter(&|x| elapsed(*x, span))
        .y_label_formatter(&whole)
        .draw()?;
    for state in STATES {
        let of_state: Vec<&Bar<'_>> = bars.iter().filter(|b| b.trial.state == state).collect();
        if of_state.is_empty() {
            continue;
        }
        let colour = state_colour(state);
        chart
            .draw_series(of_state.iter().map(|b| {
                let y = b.trial.number as f64;
                Rectangle::new(
                    [(b.start, y - 0.38), (b.end.max(b.start + sliver), y + 0.38)],
                    colour.filled(),
                )
            }))?
            .label(format!("{state} ({})", of_state.len()))
            .legend(move |(x, y)| {
                Rectangle::new([(x + 3, y - 5), (x + 15, y + 5)], colour.filled())
            });
    }
    // Trial numbers grow with time, so the upper left is where no bar is.
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", 13))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_read_as_elapsed_time() {
        assert_eq!(elapsed(12.5, 60.0), "12.5s");
        assert_eq!(elapsed(95.0, 600.0), "1:35");
        assert_eq!(elapsed(3725.0, 7200.0), "1:02:05");
    }
}
