//! The rules a space definition must follow (the same the `#[hypermodel]` macro checks at
//! compile time). Every problem is collected, each naming its parameter and the fix.

use super::domain::list;
use super::{Param, ParamKind, Sampling, Value, ValueType};
use std::collections::HashMap;

/// Every problem of `params` as a space, in declaration order.
pub(crate) fn space_problems(params: &[Param]) -> Vec<String> {
    space_problems_with(params, Vec::new())
}

/// Like `space_problems`, with problems found earlier (builder misuses) listed per
/// parameter, in front of its own.
pub(crate) fn space_problems_with(params: &[Param], mut earlier: Vec<Vec<String>>) -> Vec<String> {
    earlier.resize(params.len(), Vec::new());
    let mut problems = Vec::new();
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    let mut kind_ok = Vec::with_capacity(params.len());
    for ((i, p), before) in params.iter().enumerate().zip(earlier) {
        problems.extend(before);
        kind_ok.push(param_problems(p, &mut problems));
        if let Some(&earlier) = first_index.get(p.name.as_str()) {
            problems.push(format!(
                "`{}`: the name is declared twice (parameters #{} and #{}); names must be \
                 unique, rename one",
                p.name,
                earlier + 1,
                i + 1
            ));
        } else {
            first_index.insert(&p.name, i);
        }
        for condition in &p.conditions {
            let parent = first_index
                .get(condition.parent.as_str())
                .filter(|&&j| j < i)
                .map(|&j| (&params[j], kind_ok[j]));
            condition_problems(p, condition, parent, params, &mut problems);
        }
    }
    problems
}

/// The problems of one parameter on its own (kind, default, condition lists); returns
/// whether its kind is sound enough to check values against.
pub(crate) fn param_problems(p: &Param, problems: &mut Vec<String>) -> bool {
    let before = problems.len();
    let name = &p.name;
    if name.trim().is_empty() {
        problems.push("a parameter has an empty name; give every parameter a name".to_owned());
    }
    match &p.kind {
        ParamKind::Int {
            min,
            max,
            step,
            sampling,
        } => {
            let (min, max) = (*min as f64, *max as f64);
            numeric_problems(name, min, max, step.map(|s| s as f64), *sampling, problems);
        }
        ParamKind::Float {
            min,
            max,
            step,
            sampling,
        } => {
            for (what, v) in [("min", Some(*min)), ("max", Some(*max)), ("step", *step)] {
                if let Some(v) = v.filter(|v| !v.is_finite()) {
                    problems.push(format!(
                        "`{name}`: {what} {v:?} is not a finite number; give finite bounds and step"
                    ));
                }
            }
            if problems.len() == before {
                numeric_problems(name, *min, *max, *step, *sampling, problems);
            }
        }
        ParamKind::Choice { values, ordered } => choice_problems(name, values, *ordered, problems),
        ParamKind::Boolean => {}
        ParamKind::Fixed { value } => {
            if let Value::Float(v) = value {
                if !v.is_finite() {
                    problems.push(format!(
                        "`{name}`: the fixed value {v:?} is not a finite number; fix a finite value"
                    ));
                }
            }
        }
    }
    let kind_ok = problems.len() == before;
    if kind_ok {
        default_problems(p, problems);
    }
    for c in &p.conditions {
        if c.parent == p.name {
            problems.push(format!(
                "`{name}`: a condition names `{name}` itself as its parent; a parameter cannot \
                 depend on its own value, condition it on another parameter"
            ));
        }
        if c.values.is_empty() {
            problems.push(format!(
                "`{name}`: the condition on `{}` lists no values, so `{name}` could never be \
                 live; give the parent values under which it is live",
                c.parent
            ));
        }
    }
    kind_ok
}

fn numeric_problems(
    name: &str,
    min: f64,
    max: f64,
    step: Option<f64>,
    sampling: Sampling,
    problems: &mut Vec<String>,
) {
    if min > max {
        problems.push(format!(
            "`{name}`: min {min} is greater than max {max}; swap the bounds"
        ));
    }
    if let Some(step) = step.filter(|s| *s <= 0.0) {
        problems.push(format!(
            "`{name}`: step {step} is not positive; give a step greater than zero or none"
        ));
    }
    if sampling != Sampling::Linear {
        let how = sampling_name(sampling);
        if min <= 0.0 {
            problems.push(format!(
                "`{name}`: {how} sampling needs min > 0 (found {min}); raise min or use \
                 linear sampling"
            ));
        }
        if let Some(step) = step.filter(|s| *s > 0.0 && *s <= 1.0) {
            problems.push(format!(
                "`{name}`: with {how} sampling the step multiplies, so it must be greater \
                 than 1 (found {step}); use e.g. step = 2, or no step"
            ));
        }
    }
}

fn choice_problems(name: &str, values: &[Value], ordered: bool, problems: &mut Vec<String>) {
    let Some(first) = values.first() else {
        problems.push(format!(
            "`{name}`: the choice list is empty; give at least one value"
        ));
        return;
    };
    let mut types: Vec<String> = Vec::new();
    for v in values {
        let t = v.value_type().to_string();
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.len() > 1 {
        problems.push(format!(
            "`{name}`: choice values mix types ({}) in [{}]; use one type for every value",
            types.join(", "),
            list(values)
        ));
    }
    for v in values {
        if matches!(v, Value::Float(f) if !f.is_finite()) {
            problems.push(format!(
                "`{name}`: choice value {} is not a finite number; remove it",
                v.repr()
            ));
        }
    }
    for (i, v) in values.iter().enumerate() {
        let seen_before = values[..i]
            .iter()
            .any(|w| w.value_type() == v.value_type() && w.same_as(v));
        if seen_before {
            problems.push(format!(
                "`{name}`: choice value {} appears more than once; remove the duplicate",
                v.repr()
            ));
        }
    }
    if ordered && !first.is_number() {
        problems.push(format!(
            "`{name}`: ordered = true needs number values, these are {}; set ordered = false",
            first.value_type()
        ));
    }
}

fn default_problems(p: &Param, problems: &mut Vec<String>) {
    let name = &p.name;
    if let ParamKind::Fixed { value } = &p.kind {
        if !(value.value_type() == p.default.value_type() && value.same_as(&p.default)) {
            problems.push(format!(
                "`{name}`: the default of a fixed parameter is its value {}, found {}; drop the \
                 default or make it equal",
                value.repr(),
                p.default.repr()
            ));
        }
        return;
    }
    if p.default.value_type() != p.value_type() {
        problems.push(format!(
            "`{name}`: the default {} is {} value, expected {} value; give a default of \
             the parameter's type",
            p.default.repr(),
            a(p.default.value_type()),
            a(p.value_type())
        ));
    } else if let Some(reason) = p.rejection(&p.default) {
        problems.push(format!(
            "`{name}`: the default {} is {reason}; pick a default among the parameter's values",
            p.default.repr()
        ));
    }
}

/// Problems of one condition of `p`; `parent` is the parent if it is declared before `p`
/// (with whether its kind is sound).
fn condition_problems(
    p: &Param,
    condition: &super::Condition,
    parent: Option<(&Param, bool)>,
    params: &[Param],
    problems: &mut Vec<String>,
) {
    let name = &p.name;
    let parent_name = &condition.parent;
    if parent_name == name {
        return; // reported by `param_problems`
    }
    let Some((parent, parent_ok)) = parent else {
        let later = params.iter().any(|q| &q.name == parent_name);
        problems.push(if later {
            format!(
                "`{name}`: its condition parent `{parent_name}` is declared after it; declare \
                 parents before the parameters that depend on them"
            )
        } else {
            format!(
                "`{name}`: its condition parent `{parent_name}` is not a parameter of this \
                 space; declare it first or fix the name"
            )
        });
        return;
    };
    if !parent_ok {
        return; // the parent's own problems are reported; its values are unknown
    }
    if parent.cardinality().is_none() {
        problems.push(format!(
            "`{name}`: its condition parent `{parent_name}` is a float without step, which \
             has no finite set of values to condition on; give `{parent_name}` a step or \
             condition on a choice, boolean, int or fixed parameter"
        ));
        return;
    }
    for v in &condition.values {
        if v.value_type() != parent.value_type() {
            problems.push(format!(
                "`{name}`: condition value {} is {} value but `{parent_name}` holds {} \
                 values; use one of `{parent_name}`'s values",
                v.repr(),
                a(v.value_type()),
                parent.value_type()
            ));
        } else if let Some(reason) = parent.rejection(v) {
            problems.push(format!(
                "`{name}`: condition value {} can never be taken by `{parent_name}` ({reason}); \
                 use one of `{parent_name}`'s values",
                v.repr()
            ));
        }
    }
}

/// The type with its article: "an int", "a str".
fn a(t: ValueType) -> String {
    match t {
        ValueType::Int => "an int".to_owned(),
        other => format!("a {other}"),
    }
}

fn sampling_name(sampling: Sampling) -> &'static str {
    match sampling {
        Sampling::Linear => "linear",
        Sampling::Log => "log",
        Sampling::ReverseLog => "reverse_log",
    }
}
