//! One parameter as a chart axis: few values one per slot, numbers on the parameter's own
//! scale (log ranges in log space), for the slice, contour and rank plots.

use super::params::{discrete, numeric, scale_pos, scale_value};
use super::{short, value_label};
use crate::space::{Param, Sampling, Value};
use std::ops::Range;

/// A parameter's axis.
pub(super) enum Axis {
    /// One slot per value, at 0, 1, 2, ...
    Slots(Vec<Value>),
    /// The unit interval over the parameter's range and scale.
    Scale((f64, f64, Sampling)),
}

impl Axis {
    /// The axis of a parameter that is not fixed.
    pub(super) fn of(param: &Param) -> Option<Axis> {
        match (discrete(param), numeric(param)) {
            (Some(list), _) => Some(Axis::Slots(list)),
            (None, Some(range)) => Some(Axis::Scale(range)),
            (None, None) => None,
        }
    }

    /// Where a value sits on the axis.
    pub(super) fn coord(&self, v: &Value) -> Option<f64> {
        match self {
            Axis::Slots(list) => list.iter().position(|c| c.same_as(v)).map(|i| i as f64),
            Axis::Scale(range) => v.as_float().map(|f| scale_pos(*range, f)),
        }
    }

    /// The chart range of the axis, with a little room at the ends.
    pub(super) fn range(&self) -> Range<f64> {
        match self {
            Axis::Slots(list) => -0.5..list.len() as f64 - 0.5,
            Axis::Scale(_) => -0.03..1.03,
        }
    }

    /// The span of [`range`](Self::range), to compare distances across axes.
    pub(super) fn span(&self) -> f64 {
        let r = self.range();
        r.end - r.start
    }

    /// How many labels to ask plotters for.
    pub(super) fn labels(&self) -> usize {
        match self {
            Axis::Slots(list) => list.len() + 1,
            Axis::Scale(_) => 5,
        }
    }

    /// The label at a chart position: the slot's value, or the scale's value there.
    pub(super) fn label(&self, x: f64) -> String {
        match self {
            Axis::Slots(list) => {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < list.len() {
                    value_label(&list[i as usize])
                } else {
                    String::new()
                }
            }
            Axis::Scale(range) => short(scale_value(*range, x)),
        }
    }
}
