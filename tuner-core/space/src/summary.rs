//! `summary()`: KerasTuner's `search_space_summary` layout, one `name (Kind)` line and one
//! Python-style config dict per parameter.

use super::{Condition, Param, ParamKind, Sampling, SearchSpace, Value};
use std::fmt::Write;

impl SearchSpace {
    /// The space as KerasTuner's `search_space_summary` prints it.
    pub fn summary(&self) -> String {
        let mut out = String::from("Search space summary\n");
        let _ = writeln!(out, "Default search space size: {}", self.len());
        for p in self.params() {
            let _ = writeln!(out, "{} ({})", p.name, kind_name(&p.kind));
            let _ = writeln!(out, "{}", config(p));
        }
        out
    }
}

fn kind_name(kind: &ParamKind) -> &'static str {
    match kind {
        ParamKind::Int { .. } => "Int",
        ParamKind::Float { .. } => "Float",
        ParamKind::Choice { .. } => "Choice",
        ParamKind::Boolean => "Boolean",
        ParamKind::Fixed { .. } => "Fixed",
    }
}

/// The parameter's `get_config()` without its name, as Python prints a dict.
fn config(p: &Param) -> String {
    let mut entries: Vec<(&str, String)> = Vec::new();
    if !matches!(p.kind, ParamKind::Fixed { .. }) {
        entries.push(("default", py(&p.default)));
    }
    entries.push(("conditions", conditions(&p.conditions)));
    match &p.kind {
        ParamKind::Int {
            min,
            max,
            step,
            sampling,
        } => {
            // KerasTuner stores step 1 for a linear Int given none.
            let step = match (step, sampling) {
                (None, Sampling::Linear) => Some(1),
                _ => *step,
            };
            entries.push(("min_value", min.to_string()));
            entries.push(("max_value", max.to_string()));
            entries.push(("step", step.map_or("None".to_owned(), |s| s.to_string())));
            entries.push(("sampling", py_str(&sampling.to_string())));
        }
        ParamKind::Float {
            min,
            max,
            step,
            sampling,
        } => {
            entries.push(("min_value", py_float(*min)));
            entries.push(("max_value", py_float(*max)));
            entries.push(("step", step.map_or("None".to_owned(), py_float)));
            entries.push(("sampling", py_str(&sampling.to_string())));
        }
        ParamKind::Choice { values, ordered } => {
            entries.push(("values", py_list(values)));
            entries.push(("ordered", py_bool(*ordered).to_owned()));
        }
        ParamKind::Boolean => {}
        ParamKind::Fixed { value } => entries.push(("value", py(value))),
    }
    let body: Vec<String> = entries
        .into_iter()
        .map(|(k, v)| format!("{}: {v}", py_str(k)))
        .collect();
    format!("{{{}}}", body.join(", "))
}

fn conditions(conditions: &[Condition]) -> String {
    let items: Vec<String> = conditions
        .iter()
        .map(|c| {
            format!(
                "{{'class_name': 'Parent', 'config': {{'name': {}, 'values': {}}}}}",
                py_str(&c.parent),
                py_list(&c.values)
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

fn py(value: &Value) -> String {
    match value {
        Value::Int(v) => v.to_string(),
        Value::Float(v) => py_float(*v),
        Value::Str(v) => py_str(v),
        Value::Bool(v) => py_bool(*v).to_owned(),
    }
}

fn py_list(values: &[Value]) -> String {
    format!("[{}]", values.iter().map(py).collect::<Vec<_>>().join(", "))
}

fn py_bool(v: bool) -> &'static str {
    if v {
        "True"
    } else {
        "False"
    }
}

/// Python's `repr` of a str: single quotes unless the text holds one and no double quote.
fn py_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr` of a float: shortest round-trip digits, exponent as `1e-05`.
fn py_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let exponent = if v == 0.0 {
        0
    } else {
        v.abs().log10().floor() as i32
    };
    if (-4..16).contains(&exponent) {
        return format!("{v:?}");
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

#[cfg(test)]
mod tests {
    use super::py_float;

    #[test]
    fn floats_print_as_python_repr() {
        assert_eq!(py_float(0.0001), "0.0001");
        assert_eq!(py_float(1e-5), "1e-05");
        assert_eq!(py_float(0.5), "0.5");
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(2.5e16), "2.5e+16");
        assert_eq!(py_float(123.0), "123.0");
    }
}
