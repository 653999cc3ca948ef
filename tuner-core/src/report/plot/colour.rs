//! What colour means: the viridis scale and the colour bar that names it.

use super::Failure;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Viridis, from dark purple (0) to yellow (1), by linear steps between its anchor colours.
pub(super) fn viridis(t: f64) -> RGBColor {
    const ANCHORS: [(u8, u8, u8); 6] = [
        (68, 1, 84),
        (65, 68, 135),
        (42, 120, 142),
        (34, 168, 132),
        (122, 209, 81),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (ANCHORS.len() - 1) as f64;
    let i = (x.floor() as usize).min(ANCHORS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// How many bands the colour bar is drawn in (tests count them).
pub(super) const BAR_BANDS: usize = 32;

/// The width of the strip a colour bar takes on the right of a plot.
pub(super) const BAR_WIDTH: u32 = 130;

/// Splits the strip for a colour bar off the right of `root`, returning the rest.
pub(super) fn with_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let width = root.dim_in_pixel().0;
    root.split_horizontally(width.saturating_sub(BAR_WIDTH))
}

/// A vertical viridis bar in `area`: `title` above it, `low` at the purple end (bottom) and
/// `high` at the yellow end (top).
pub(super) fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    low: &str,
    high: &str,
) -> Result<(), Failure> {
    let (_, h) = area.dim_in_pixel();
    let (top, bottom) = (70, h as i32 - 70);
    let (left, right) = (14, 36);
    let band = (bottom - top) as f64 / BAR_BANDS as f64;
    for i in 0..BAR_BANDS {
        let t = (i as f64 + 0.5) / BAR_BANDS as f64;
        let y1 = bottom - (i as f64 * band).round() as i32;
        let y0 = bottom - ((i + 1) as f64 * band).round() as i32;
        area.draw(&Rectangle::new(
            [(left, y0), (right, y1)],
            viridis(t).filled(),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        BLACK.mix(0.5),
    ))?;
    let style = |v: VPos| {
        ("sans-serif", 13)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, v))
    };
    area.draw(&Text::new(
        title.to_owned(),
        (4, top - 24),
        style(VPos::Bottom),
    ))?;
    area.draw(&Text::new(
        high.to_owned(),
        (right + 4, top),
        style(VPos::Center),
    ))?;
    area.draw(&Text::new(
        low.to_owned(),
        (right + 4, bottom),
        style(VPos::Center),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_from_purple_to_yellow() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(f64::NAN), RGBColor(68, 1, 84));
    }
}
