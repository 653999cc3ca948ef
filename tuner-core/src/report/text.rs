//! Plain-text tables of studies for a terminal: the studies with their counts and best
//! scores, every trial of one study, and its best trials with their params.

use super::StudyView;
use crate::objective::Objectives;
use crate::space::Value;
use crate::trial::{Trial, TrialState};
use std::fmt::Write;

/// The objectives as `name (min)`, comma separated.
pub fn objectives_text(objectives: &Objectives) -> String {
    objectives
        .list()
        .iter()
        .map(|o| format!("{} ({})", o.name, o.direction.short_name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One table row per study (trials, completed, best score, objective, storage); `studies`
/// pairs each view with where it is stored.
pub fn studies_table(studies: &[(StudyView<'_>, String)]) -> String {
    let mut rows = vec![[
        "study",
        "trials",
        "completed",
        "best",
        "objective",
        "storage",
    ]
    .map(str::to_owned)
    .to_vec()];
    for (view, location) in studies {
        let best = view
            .best(1)
            .first()
            .and_then(|t| t.score)
            .map_or("-".to_owned(), |s| format!("{s:.6}"));
        let completed = view
            .trials
            .iter()
            .filter(|t| t.state == TrialState::Completed)
            .count();
        rows.push(vec![
            view.name.to_owned(),
            view.trials.len().to_string(),
            completed.to_string(),
            best,
            objectives_text(view.objectives),
            location.clone(),
        ]);
    }
    table(&rows)
}

/// Every trial of the study: number, state, score, seconds, then one column per parameter.
pub fn trials_table(study: &StudyView<'_>) -> String {
    let params: Vec<&str> = study
        .space
        .params()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let mut header = ["trial", "state", "score", "seconds"]
        .map(str::to_owned)
        .to_vec();
    header.extend(params.iter().map(|p| p.to_string()));
    let mut rows = vec![header];
    for t in study.trials {
        let mut row = vec![
            t.id(),
            t.state.to_string(),
            t.score.map_or("-".to_owned(), |s| format!("{s:.6}")),
            format!("{:.1}", t.seconds),
        ];
        row.extend(
            params
                .iter()
                .map(|p| t.values().get(p).map_or("-".to_owned(), cell)),
        );
        rows.push(row);
    }
    table(&rows)
}

/// The given best trials, each as `Trial NN: objective = score at epoch E` and its params.
pub fn best_text(objectives: &Objectives, best: &[Trial]) -> String {
    let name = objectives_text(objectives);
    let mut out = String::new();
    for (i, t) in best.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let epoch = t
            .best_epoch
            .map_or(String::new(), |e| format!(" at epoch {e}"));
        let _ = writeln!(
            out,
            "Trial {}: {name} = {}{epoch}",
            t.id(),
            t.score.unwrap_or(f64::NAN)
        );
        for (k, v) in t.values().iter() {
            let _ = writeln!(out, "  {k}: {v}");
        }
    }
    out
}

/// Left-aligned columns separated by two spaces.
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A value for a table: floats to six significant digits.
fn cell(v: &Value) -> String {
    match v {
        Value::Float(f) if *f != 0.0 && f.is_finite() => {
            let digits = (5 - f.abs().log10().floor() as i32).clamp(0, 12) as usize;
            let s = format!("{f:.digits$}");
            if s.contains('.') && !(f.abs() < 1e-4 || f.abs() >= 1e6) {
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                format!("{f:.5e}")
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_get_six_significant_digits_and_columns_align() {
        assert_eq!(cell(&Value::Float(0.000_312_345_678)), "0.000312346");
        assert_eq!(cell(&Value::Float(1234.5678)), "1234.57");
        assert_eq!(cell(&Value::Float(1e-7)), "1.00000e-7");
        let rows = vec![
            vec!["a".to_owned(), "bb".to_owned()],
            vec!["ccc".to_owned(), "d".to_owned()],
        ];
        assert_eq!(table(&rows), "a    bb\nccc  d\n");
    }
}
