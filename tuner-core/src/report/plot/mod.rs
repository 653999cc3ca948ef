//! Plots of a study (feature `plots`), as SVG or PNG: the kinds Optuna users know
//! (optimisation history, learning curves, parallel coordinates, slices, importance, contour,
//! rank, EDF, Pareto front, timeline). Every plot whose colour carries a value has a colour bar naming it.
//!
//! Text is measured with the DejaVu Sans subset shipped in `tuner-core/assets` (no system font
//! is read) and, in PNG, drawn with it glyph by glyph (`glyphs.rs`); SVG files name the
//! `sans-serif` family, so viewers use their own.
//!
//! ```
//! use tuner_core::objective::Objective;
//! use tuner_core::report::plot::{self, PlotKind};
//! use tuner_core::report::StudyView;
//! use tuner_core::space::{HyperParameters, Param, SearchSpace};
//! use tuner_core::trial::{Metrics, Trial, TrialPlan, TrialState};
//!
//! let space = SearchSpace::builder().param(Param::float("x", -1.0, 1.0)).build()?;
//! let objectives = Objective::minimize("loss").into();
//! let trials: Vec<Trial> = (0..5u64)
//!     .map(|n| {
//!         let x = n as f64 / 2.0 - 1.0;
//!         let mut values = HyperParameters::new();
//!         values.insert("x", x);
//!         let mut t = Trial::new(n, TrialPlan { values, ..TrialPlan::default() });
//!         t.history = vec![(0, Metrics::from([("loss".to_owned(), x * x)]))].into();
//!         t.rescore(&objectives);
//!         t.state = TrialState::Completed;
//!         t
//!     })
//!     .collect();
//! let study = StudyView::new("demo", &space, &objectives, &trials);
//! let svg = plot::svg(PlotKind::History, &study)?;
//! assert!(svg.starts_with("<svg") && svg.matches("<circle").count() >= 5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod axis;
mod bars;
mod colour;
mod curves;
mod glyphs;
mod pairs;
mod params;
mod pareto;
mod timeline;

use super::{ReportError, StudyView};
use crate::space::Value;
use crate::trial::{Trial, TrialState};
use colour::{colour_bar, viridis};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

/// The font the plots' text is measured (and, in PNG, drawn) with.
const FONT: &[u8] = include_bytes!("../../../assets/DejaVuSans-subset.ttf");

/// Which plot to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlotKind {
    /// Each scored trial's score by trial number, with the best score so far as a line.
    History,
    /// Each trial's objective per epoch (its learning curve); pruned trials end in a cross.
    Curves,
    /// One line per completed trial through one axis per parameter and the score.
    Parallel,
    /// One panel per parameter: score against the parameter's value, a dot per trial.
    Slice,
    /// PED-ANOVA importance of each parameter, as bars.
    Importance,
    /// Pairs of the most important parameters: the score interpolated over each pair's plane,
    /// with the trials as dots.
    Contour,
    /// Pairs of the most important parameters: a dot per trial coloured by its score's rank.
    Rank,
    /// The empirical distribution of the scores: the share of trials scoring at most x.
    Edf,
    /// Multi-objective studies: each trial's objectives, the Pareto front marked; three or more
    /// objectives are drawn as one panel per pair (the front is the full front, projected).
    Pareto,
    /// One bar per trial from its start to its completion, coloured by its state.
    Timeline,
}

impl PlotKind {
    /// Every kind, in the order the CLI lists them.
    pub const ALL: [PlotKind; 10] = [
        PlotKind::History,
        PlotKind::Curves,
        PlotKind::Parallel,
        PlotKind::Slice,
        PlotKind::Importance,
        PlotKind::Contour,
        PlotKind::Rank,
        PlotKind::Edf,
        PlotKind::Pareto,
        PlotKind::Timeline,
    ];

    /// The kind's name, as `tuner plot --kind` takes it.
    pub fn name(self) -> &'static str {
        match self {
            PlotKind::History => "history",
            PlotKind::Curves => "curves",
            PlotKind::Parallel => "parallel",
            PlotKind::Slice => "slice",
            PlotKind::Importance => "importance",
            PlotKind::Contour => "contour",
            PlotKind::Rank => "rank",
            PlotKind::Edf => "edf",
            PlotKind::Pareto => "pareto",
            PlotKind::Timeline => "timeline",
        }
    }

    /// Whether the kind can be drawn for this study (Pareto needs two objectives or more).
    pub fn applies_to(self, study: &StudyView<'_>) -> bool {
        match self {
            PlotKind::Pareto => study.objectives.is_multi(),
            _ => true,
        }
    }
}

impl fmt::Display for PlotKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PlotKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.name()).collect();
                format!("unknown plot kind `{s}`: use {}", names.join(", "))
            })
    }
}

/// The plot as an SVG document.
pub fn svg(kind: PlotKind, study: &StudyView<'_>) -> Result<String, ReportError> {
    register_font()?;
    let size = size(kind, study);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        render(kind, study, &root, "svg")?;
        root.present().map_err(|e| draw_error("svg", e))?;
    }
    Ok(out)
}

/// Draws the plot into `path`: SVG or PNG, by the file's extension.
pub fn write(kind: PlotKind, study: &StudyView<'_>, path: &Path) -> Result<(), ReportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("svg") => super::export::write_file(path, &svg(kind, study)?),
        Some("png") => {
            register_font()?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
            }
            let name = path.display().to_string();
            let root =
                glyphs::Glyphs(BitMapBackend::new(path, size(kind, study))).into_drawing_area();
            render(kind, study, &root, &name)?;
            root.present().map_err(|e| draw_error(&name, e))
        }
        _ => Err(ReportError::Format(path.display().to_string())),
    }
}

fn size(kind: PlotKind, study: &StudyView<'_>) -> (u32, u32) {
    match kind {
        PlotKind::History | PlotKind::Edf => (900, 540),
        PlotKind::Curves => (990, 540),
        // Room for each axis' ticks and name, and the colour bar.
        PlotKind::Parallel => {
            let axes = params::plotted(study).len() as u32 + 1;
            ((axes * 120 + 220).max(1000), 560)
        }
        PlotKind::Contour | PlotKind::Rank => {
            let n = pairs::pairs(study).len().max(1) as u32;
            let cols = n.min(3);
            (380 * cols + 100, 60 + 340 * n.div_ceil(cols))
        }
        PlotKind::Pareto => {
            let n = study.objectives.list().len();
            let panels = (n * n.saturating_sub(1) / 2).max(1) as u32;
            let cols = panels.min(3);
            (460 * cols, 60 + 440 * panels.div_ceil(cols))
        }
        PlotKind::Slice => {
            let n = params::plotted(study).len().max(1) as u32;
            let cols = n.min(3);
            (360 * cols + 100, 60 + 300 * n.div_ceil(cols))
        }
        PlotKind::Importance => {
            let n = study.space.len().max(1) as u32;
            (820, 130 + 42 * n)
        }
        PlotKind::Timeline => (960, timeline::height(study)),
    }
}

fn render<DB: DrawingBackend>(
    kind: PlotKind,
    study: &StudyView<'_>,
    root: &DrawingArea<DB, Shift>,
    name: &str,
) -> Result<(), ReportError> {
    root.fill(&WHITE).map_err(|e| draw_error(name, e))?;
    let drawn = match kind {
        PlotKind::History => curves::history(study, root),
        PlotKind::Curves => curves::curves(study, root),
        PlotKind::Parallel => params::parallel(study, root),
        PlotKind::Slice => params::slice(study, root),
        PlotKind::Importance => bars::importance(study, root),
        PlotKind::Contour => pairs::contour(study, root),
        PlotKind::Rank => pairs::rank(study, root),
        PlotKind::Edf => curves::edf(study, root),
        PlotKind::Pareto => pareto::pareto(study, root),
        PlotKind::Timeline => timeline::timeline(study, root),
    };
    drawn.map_err(|e| match e {
        Failure::Empty(what) => ReportError::Empty {
            study: study.name.to_owned(),
            what,
        },
        Failure::Draw(message) => ReportError::Draw {
            path: name.to_owned(),
            message,
        },
    })
}

/// Why a drawing function stopped.
pub(super) enum Failure {
    /// Nothing to draw.
    Empty(String),
    /// The backend failed.
    Draw(String),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for Failure {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        Failure::Draw(e.to_string())
    }
}

fn draw_error(name: &str, e: impl fmt::Display) -> ReportError {
    ReportError::Draw {
        path: name.to_owned(),
        message: e.to_string(),
    }
}

fn register_font() -> Result<(), ReportError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        ["sans-serif", "serif", "monospace"]
            .iter()
            .all(|family| plotters::style::register_font(family, FontStyle::Normal, FONT).is_ok())
    });
    if ok {
        Ok(())
    } else {
        Err(ReportError::Draw {
            path: "assets/DejaVuSans-subset.ttf".to_owned(),
            message: "the bundled font could not be read".to_owned(),
        })
    }
}

/// The trials that have a finite score (Completed, or Stopped by a pruner with a score).
fn scored<'a>(study: &StudyView<'a>) -> Vec<&'a Trial> {
    study
        .trials
        .iter()
        .filter(|t| matches!(t.state, TrialState::Completed | TrialState::Stopped))
        .filter(|t| t.score.is_some_and(f64::is_finite))
        .collect()
}

/// The Completed trials with a finite score.
fn completed<'a>(study: &StudyView<'a>) -> Vec<&'a Trial> {
    scored(study)
        .into_iter()
        .filter(|t| t.state == TrialState::Completed)
        .collect()
}

/// The objective's name and direction, for an axis.
fn objective_label(study: &StudyView<'_>) -> String {
    let o = study.objectives.scalar();
    format!("{} ({})", o.name, study.objectives.direction().short_name())
}

/// A range around the values with a 6% margin (a unit one around a single value).
fn padded(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * 0.06
    } else {
        (lo.abs() * 0.1).max(0.5)
    };
    (lo - pad, hi + pad)
}

/// A number for a tick or label: few digits, scientific when tiny or huge.
fn short(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    if v.abs() < 1e-3 || v.abs() >= 1e5 {
        return format!("{v:.1e}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 4) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// A whole-number tick (a trial or an epoch): its number at whole positions, nothing between
/// (so a narrow range never reads `-0 -0 0 0`).
fn whole(x: &f64) -> String {
    let r = x.round();
    if (x - r).abs() < 1e-6 {
        format!("{}", r as i64)
    } else {
        String::new()
    }
}

/// A parameter value as a label.
fn value_label(v: &Value) -> String {
    match v {
        Value::Float(f) => short(*f),
        other => other.to_string(),
    }
}

/// The blue of scored points and bars.
const BLUE_MARK: RGBColor = RGBColor(31, 119, 180);
/// The red of best-so-far lines and pruned marks.
const RED_MARK: RGBColor = RGBColor(214, 39, 40);
/// The grey of pruned trials.
const GREY_MARK: RGBColor = RGBColor(150, 150, 150);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers_keep_three_or_four_digits() {
        assert_eq!(short(0.87312), "0.8731");
        assert_eq!(short(12.5), "12.5");
        assert_eq!(short(0.00012), "1.2e-4");
        assert_eq!(short(256.0), "256");
        assert_eq!(short(0.0), "0");
    }

    #[test]
    fn whole_ticks_never_read_minus_zero() {
        assert_eq!(whole(&-0.0), "0");
        assert_eq!(whole(&-1e-9), "0");
        assert_eq!(whole(&-0.2), "");
        assert_eq!(whole(&3.0), "3");
    }

    #[test]
    fn kinds_parse_by_name() {
        for kind in PlotKind::ALL {
            assert_eq!(kind.name().parse::<PlotKind>(), Ok(kind));
        }
        let err = "pie".parse::<PlotKind>().unwrap_err();
        assert!(err.contains("history") && err.contains("pareto"), "{err}");
    }
}
