//! What a search prints on a console, made to fit its width: each finished trial's lines, the
//! search space as a table, and the number of trials the search will run when the oracle
//! knows it (Hyperband's brackets), for the display's total and ETA.

use crate::oracle::{Hyperband, OracleConfig};
use crate::space::{ParamKind, SearchSpace, Value};
use crate::trial::Trial;
use std::time::Duration;

/// The width lines are made for when the terminal's is not known (a log, a pipe): 80 columns.
pub const DEFAULT_WIDTH: usize = 80;

/// A metric value as the console writes it: four decimals, or scientific when tiny or huge.
pub fn short_float(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

/// A parameter value as the console writes it: floats to four significant digits.
fn short_value(v: &Value) -> String {
    match v {
        Value::Float(f) => format!("{f:.4e}")
            .parse::<f64>()
            .map_or_else(|_| f.to_string(), |x| format!("{x}")),
        other => other.to_string(),
    }
}

/// How many trials the search runs in all: `max_trials`, or for Hyperband (or BOHB) without one
/// the trials of all its brackets and iterations (KerasTuner's arithmetic), else unknown.
pub fn planned_trials(max_trials: Option<u64>, oracle: &OracleConfig) -> Option<u64> {
    let brackets = match oracle {
        OracleConfig::Hyperband {
            max_epochs,
            factor,
            hyperband_iterations,
        }
        | OracleConfig::Bohb {
            max_epochs,
            factor,
            hyperband_iterations,
            ..
        } => {
            let schedule = Hyperband::new(*max_epochs).factor(*factor).schedule();
            let per_iteration: u64 = schedule
                .table()
                .iter()
                .flatten()
                .map(|&(size, _)| u64::from(size))
                .sum();
            Some(per_iteration * u64::from(*hyperband_iterations))
        }
        _ => None,
    };
    match (max_trials, brackets) {
        (Some(m), Some(b)) => Some(m.min(b)),
        (m, b) => m.or(b),
    }
}

/// `words` joined by spaces into lines of at most `width` characters, lines after the first
/// indented by `indent` spaces; a word longer than a line is cut.
pub fn wrap(words: &[String], width: usize, indent: usize) -> Vec<String> {
    let width = width.max(indent + 8);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in words {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let start = if lines.is_empty() { 0 } else { indent };
            let gap = usize::from(len > start);
            if len + gap + word.len() <= width {
                if gap == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                len += gap + word.len();
                break;
            }
            if len > start {
                lines.push(std::mem::take(&mut line));
                line = " ".repeat(indent);
                len = indent;
                continue;
            }
            // A word wider than a whole line: as much as fits, the rest on the next.
            let room = width - len;
            line.extend(word.drain(..room));
            lines.push(std::mem::take(&mut line));
            line = " ".repeat(indent);
            len = indent;
        }
    }
    if len > if lines.is_empty() { 0 } else { indent } {
        lines.push(line);
    }
    lines
}

/// A finished trial's lines, each at most `width` characters: its number (of the total when
/// known), state, time, epochs, score or failure and the best so far, then its params and the
/// search's elapsed time on indented lines.
pub fn trial_lines(
    trial: &Trial,
    total: Option<u64>,
    best: Option<&Trial>,
    elapsed: Duration,
    width: usize,
) -> String {
    let of = total.map_or(String::new(), |m| format!("/{m}"));
    let mut head = vec![format!(
        "Trial {}{of} {} {:.1}s",
        trial.id(),
        trial.state,
        trial.seconds
    )];
    if let Some(epochs) = trial.plan.epochs {
        head.push(format!("epochs {}..{}", trial.plan.initial_epoch, epochs));
    }
    match (trial.score, &trial.message) {
        (Some(s), _) => head.push(format!("score {}", short_float(s))),
        (None, Some(m)) => head.extend(format!("({m})").split_whitespace().map(str::to_owned)),
        _ => {}
    }
    if let Some(best) = best {
        if let Some(last) = head.last_mut() {
            last.push(',');
        }
        head.push(format!(
            "best {} (trial {})",
            short_float(best.score.unwrap_or(f64::NAN)),
            best.id()
        ));
    }
    let mut lines = wrap(&head, width, 4);
    // Params on lines of their own, indented alike so they read as one block, then the time
    // the search has taken.
    let mut words: Vec<String> = trial
        .values()
        .iter()
        .map(|(k, v)| format!("{k}={}", short_value(v)))
        .collect();
    words.push(format!("[{:.0}s elapsed]", elapsed.as_secs_f64()));
    let mut block = wrap(&words, width.saturating_sub(2), 2);
    if let Some(first) = block.first_mut() {
        first.insert_str(0, "  ");
    }
    lines.extend(block);
    lines.join("\n")
}

/// The search space as a table for a console: one parameter a line, its kind and range, its
/// default and when it is live; a line too wide continues indented. (`SearchSpace::summary`
/// is KerasTuner's layout, kept for those who compare with it.)
pub fn space_text(space: &SearchSpace, width: usize) -> String {
    let name_width = space
        .params()
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("Search space: {} parameters\n", space.len());
    for p in space.params() {
        let mut words = vec![format!("  {:<name_width$}", p.name)];
        words.extend(kind_text(&p.kind).split(' ').map(str::to_owned));
        if !matches!(p.kind, ParamKind::Fixed { .. }) {
            words.push(format!("(default {})", short_value(&p.default)));
        }
        for c in &p.conditions {
            let values: Vec<String> = c.values.iter().map(short_value).collect();
            words.push(format!("if {} in {{{}}}", c.parent, values.join(", ")));
        }
        for line in wrap(&words, width, name_width + 4) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// A parameter's kind in a few words: `int 32..=512 step 32`, `float 1e-4..=0.01 log`,
/// `choice relu|tanh|gelu`, `bool`, `fixed 3`.
fn kind_text(kind: &ParamKind) -> String {
    let sampling = |s: &crate::space::Sampling| match s.to_string().as_str() {
        "linear" => String::new(),
        other => format!(" {other}"),
    };
    match kind {
        ParamKind::Int {
            min,
            max,
            step,
            sampling: s,
        } => {
            let step = step.map_or(String::new(), |st| format!(" step {st}"));
            format!("int {min}..={max}{step}{}", sampling(s))
        }
        ParamKind::Float {
            min,
            max,
            step,
            sampling: s,
        } => {
            let (min, max) = (
                short_value(&Value::Float(*min)),
                short_value(&Value::Float(*max)),
            );
            let step = step.map_or(String::new(), |st| {
                format!(" step {}", short_value(&Value::Float(st)))
            });
            format!("float {min}..={max}{step}{}", sampling(s))
        }
        ParamKind::Choice { values, .. } => {
            let values: Vec<String> = values.iter().map(short_value).collect();
            format!("choice {}", values.join("|"))
        }
        ParamKind::Boolean => "bool".to_owned(),
        ParamKind::Fixed { value } => format!("fixed {}", short_value(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::Oracle;
    use crate::space::{HyperParameters, Param};
    use crate::trial::{TrialPlan, TrialState};

    fn widest(text: &str) -> usize {
        text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    fn hyperband_trial() -> Trial {
        let mut values = HyperParameters::new();
        values.insert("depth", 3i64);
        for (i, u) in [288i64, 160, 480].into_iter().enumerate() {
            values.insert(format!("units_{i}"), u);
        }
        values.insert("activation", "gelu");
        values.insert("dropout", 0.1);
        values.insert("learning_rate", 0.002_345_678_9);
        let mut t = Trial::new(
            12,
            TrialPlan {
                values,
                initial_epoch: 4,
                epochs: Some(10),
                ..TrialPlan::default()
            },
        );
        t.state = TrialState::Completed;
        t.score = Some(0.887_812_5);
        t.seconds = 23.456;
        t
    }

    #[test]
    fn a_finished_trial_fits_80_columns() {
        let t = hyperband_trial();
        let text = trial_lines(&t, Some(30), Some(&t), Duration::from_secs(1234), 80);
        assert!(widest(&text) <= 80, "{text}");
        let first = text.lines().next().unwrap();
        assert_eq!(
            first,
            "Trial 12/30 COMPLETED 23.5s epochs 4..10 score 0.8878, best 0.8878 (trial 12)"
        );
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.ends_with("[1234s elapsed]"), "{text}");
        assert!(text.contains("units_2=480"), "{text}");
        assert!(text.contains("learning_rate=0.0023457"), "{text}");

        let mut failed = hyperband_trial();
        failed.state = TrialState::Failed;
        failed.score = None;
        failed.message = Some(format!(
            "the model could not be built: {} and more",
            "a_very_long_word_".repeat(8)
        ));
        let text = trial_lines(&failed, None, Some(&t), Duration::from_secs(5), 80);
        assert!(widest(&text) <= 80, "{text}");
        assert!(text.contains("could not be built"), "{text}");
        assert!(text.lines().count() >= 4, "the message wraps: {text}");
    }

    #[test]
    fn wrapping_keeps_every_word_and_the_width() {
        let words: Vec<String> = "one two three four five six"
            .split(' ')
            .map(str::to_owned)
            .collect();
        let lines = wrap(&words, 12, 2);
        assert_eq!(lines, vec!["one two", "  three four", "  five six"]);
        let long = vec!["x".repeat(25)];
        let lines = wrap(&long, 10, 2);
        assert!(lines.iter().all(|l| l.chars().count() <= 10), "{lines:?}");
        assert_eq!(lines.concat().replace(' ', ""), "x".repeat(25));
    }

    #[test]
    fn hyperband_knows_its_total() {
        let hb = Hyperband::new(10).factor(3).config();
        assert_eq!(planned_trials(None, &hb), Some(30));
        assert_eq!(planned_trials(Some(12), &hb), Some(12));
        let twice = Hyperband::new(10).factor(3).iterations(2).config();
        assert_eq!(planned_trials(None, &twice), Some(60));
        let random = crate::oracle::RandomSearch::new().config();
        assert_eq!(planned_trials(None, &random), None);
        assert_eq!(planned_trials(Some(7), &random), Some(7));
    }

    #[test]
    fn the_space_reads_as_a_table_within_80_columns() {
        let space = SearchSpace::builder()
            .param(Param::int("depth", 1, 3))
            .param(
                Param::int("units_0", 32, 512)
                    .step(32)
                    .when("depth", [1i64, 2, 3]),
            )
            .param(Param::choice("activation", ["relu", "tanh", "gelu"]))
            .param(Param::float("learning_rate", 1e-4, 1e-2).sampling(crate::space::Sampling::Log))
            .build()
            .unwrap();
        let text = space_text(&space, 80);
        assert!(widest(&text) <= 80, "{text}");
        assert!(
            !text.contains('{') || text.contains("if depth in {1, 2, 3}"),
            "{text}"
        );
        assert!(!text.contains("'min_value'"), "no Python dicts: {text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Search space: 4 parameters");
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            ["depth", "int", "1..=3", "(default", "1)"]
        );
        assert!(
            lines[2].contains("int 32..=512 step 32 (default 32) if depth in {1, 2, 3}"),
            "{text}"
        );
        assert!(
            lines[3].contains("choice relu|tanh|gelu (default relu)"),
            "{text}"
        );
        assert!(lines[4].contains("float 0.0001..=0.01 log"), "{text}");
    }
}
