//! A study as one self-contained HTML page (feature `plots`): a summary, every plot that
//! applies inline as SVG (the timeline among them), and the trials table with start times. No script, no external file: the page opens
//! from disk without a server. It is well-formed XHTML, so XML tools read it as well.

use super::export::trial_records;
use super::importance::param_importances;
use super::plot::{self, PlotKind};
use super::{ReportError, StudyView};
use crate::trial::TrialState;
use std::fmt::Write;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;font-size:13px}\
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\
th{background:#f3f3f3}td.text{text-align:left}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto}\
p.missing{color:#777}nav a{margin-right:1em}";

/// The page: `location` is where the study is stored (shown in the summary).
pub fn html_report(study: &StudyView<'_>, location: &str) -> String {
    let mut out = String::new();
    let name = escape(study.name);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\
         <meta charset=\"utf-8\"/><title>Study {name}</title><style>{STYLE}</style></head>\n\
         <body>\n<h1>Study {name}</h1>\n<nav><a href=\"#summary\">Summary</a>\
         <a href=\"#plots\">Plots</a><a href=\"#trials\">Trials</a></nav>\n"
    );
    summary(&mut out, study, location);
    plots(&mut out, study);
    trials(&mut out, study);
    out.push_str("</body>\n</html>\n");
    out
}

/// Writes [`html_report`] to `path`.
pub fn write_html_report(
    study: &StudyView<'_>,
    location: &str,
    path: &std::path::Path,
) -> Result<(), ReportError> {
    super::export::write_file(path, &html_report(study, location))
}

fn summary(out: &mut String, study: &StudyView<'_>, location: &str) {
    let _ = write!(out, "<section id=\"summary\">\n<h2>Summary</h2>\n<table>\n");
    let row = |out: &mut String, k: &str, v: &str| {
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td class=\"text\">{}</td></tr>",
            escape(k),
            escape(v)
        );
    };
    row(out, "storage", location);
    let objectives: Vec<String> = study
        .objectives
        .list()
        .iter()
        .map(|o| format!("{} ({})", o.name, o.direction.short_name()))
        .collect();
    row(out, "objectives", &objectives.join(", "));
    row(out, "trials", &study.trials.len().to_string());
    let states = [
        TrialState::Completed,
        TrialState::Stopped,
        TrialState::Failed,
        TrialState::Running,
        TrialState::Invalid,
    ];
    for state in states {
        let n = study.trials.iter().filter(|t| t.state == state).count();
        if n > 0 {
            row(out, &format!("  {state}"), &n.to_string());
        }
    }
    if let Some(best) = study.best(1).first() {
        let score = best.score.map_or("-".to_owned(), |s| format!("{s}"));
        row(out, "best trial", &format!("{} (score {score})", best.id()));
        for (k, v) in best.values().iter() {
            row(out, &format!("  {k}"), &v.to_string());
        }
    }
    if study
        .trials
        .iter()
        .any(|t| t.state == TrialState::Completed)
    {
        let importances: Vec<String> = param_importances(study)
            .iter()
            .map(|(k, v)| format!("{k} {v:.3}"))
            .collect();
        row(out, "importance (PED-ANOVA)", &importances.join(", "));
    }
    out.push_str("</table>\n</section>\n");
}

fn plots(out: &mut String, study: &StudyView<'_>) {
    out.push_str("<section id=\"plots\">\n<h2>Plots</h2>\n");
    for kind in PlotKind::ALL.into_iter().filter(|k| k.applies_to(study)) {
        match plot::svg(kind, study) {
            Ok(svg) => {
                let _ = writeln!(
                    out,
                    "<figure id=\"plot-{kind}\">{}<figcaption>{kind}</figcaption></figure>",
                    svg.trim()
                );
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "<p class=\"missing\" id=\"plot-{kind}\">No {kind} plot: {}</p>",
                    escape(&e.to_string())
                );
            }
        }
    }
    out.push_str("</section>\n");
}

fn trials(out: &mut String, study: &StudyView<'_>) {
    let records = trial_records(study);
    let params: Vec<&str> = study
        .space
        .params()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let metrics: std::collections::BTreeSet<&String> =
        records.iter().flat_map(|r| r.metrics.keys()).collect();
    out.push_str("<section id=\"trials\">\n<h2>Trials</h2>\n<table>\n<tr>");
    let head = [
        "trial",
        "state",
        "score",
        "best epoch",
        "started (UTC)",
        "seconds",
    ];
    for h in head.iter().copied().chain(params.iter().copied()) {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    for m in &metrics {
        let _ = write!(out, "<th>best {}</th>", escape(m));
    }
    out.push_str("<th>message</th></tr>\n");
    let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    for r in &records {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{:.1}</td>",
            r.number,
            r.state,
            num(r.score),
            r.best_epoch.map_or(String::new(), |e| e.to_string()),
            r.datetime_start
                .map_or(String::new(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
            r.duration_s
        );
        for p in &params {
            let v = r.params.get(p).map_or(String::new(), |v| v.to_string());
            let _ = write!(out, "<td>{}</td>", escape(&v));
        }
        for m in &metrics {
            let _ = write!(out, "<td>{}</td>", num(r.metrics.get(*m).copied()));
        }
        let message = r.message.as_deref().unwrap_or("");
        let _ = writeln!(out, "<td class=\"text\">{}</td></tr>", escape(message));
    }
    out.push_str("</table>\n</section>\n");
}

/// Text made safe inside XHTML elements and attributes.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_escaped() {
        assert_eq!(super::escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
