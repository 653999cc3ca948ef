//! The rules a space definition must follow: the one place they are written. The run time
//! applies them when a space is built, and the `#[hypermodel]` macro runs this very code at
//! expansion. Every problem is collected, each naming its parameter and part (`Problem`).

use super::{Field, Param, ParamKind, Problem, Sampling, Value};
use std::collections::HashMap;

/// Every problem of `params` as a space, in declaration order.
pub fn space_problems(params: &[Param]) -> Vec<Problem> {
    space_problems_with(params, Vec::new())
}

/// Like `space_problems`, with problems found earlier (builder misuses) listed per
/// parameter, in front of its own.
pub(crate) fn space_problems_with(
    params: &[Param],
    mut earlier: Vec<Vec<Problem>>,
) -> Vec<Problem> {
    earlier.resize(params.len(), Vec::new());
    let mut problems = Vec::new();
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    let mut kind_ok = Vec::with_capacity(params.len());
    for ((i, p), before) in params.iter().enumerate().zip(earlier) {
        problems.extend(before);
        kind_ok.push(param_problems(p, &mut problems));
        if let Some(&earlier) = first_index.get(p.name.as_str()) {
            problems.push(Problem::DuplicateName {
                name: p.name.clone(),
                first: earlier,
                second: i,
            });
        } else {
            first_index.insert(&p.name, i);
        }
        for (at, condition) in p.conditions.iter().enumerate() {
            let parent = first_index
                .get(condition.parent.as_str())
                .filter(|&&j| j < i)
                .map(|&j| (&params[j], kind_ok[j]));
            condition_problems(p, at, condition, parent, params, &mut problems);
        }
    }
    if problems.is_empty() {
        never_live(params, &mut problems);
    }
    problems
}

/// Parameters whose conditions, with those of their ancestors, need one ancestor to take
/// values from two lists that share none. Runs on a space whose conditions are otherwise
/// sound (every parent exists and comes first).
fn never_live(params: &[Param], problems: &mut Vec<Problem>) {
    let index: HashMap<&str, usize> = params
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    // What each parameter needs of each ancestor to be live.
    let mut needs: Vec<Vec<(String, Vec<Value>)>> = Vec::with_capacity(params.len());
    for p in params {
        let mut mine: Vec<(String, Vec<Value>)> = Vec::new();
        let mut conflict = None;
        for (at, c) in p.conditions.iter().enumerate() {
            let inherited = index
                .get(c.parent.as_str())
                .and_then(|&j| needs.get(j))
                .cloned()
                .unwrap_or_default();
            let own = (c.parent.clone(), c.values.clone());
            for (ancestor, values) in inherited.into_iter().chain([own]) {
                match mine.iter_mut().find(|m| m.0 == ancestor) {
                    Some(m) => {
                        let both: Vec<Value> =
                            m.1.iter()
                                .filter(|v| values.iter().any(|w| w.same_as(v)))
                                .cloned()
                                .collect();
                        if both.is_empty() {
                            conflict.get_or_insert(Problem::NeverLive {
                                name: p.name.clone(),
                                condition: at,
                                parent: c.parent.clone(),
                                ancestor: ancestor.clone(),
                                first: m.1.clone(),
                                second: values,
                            });
                        } else {
                            m.1 = both;
                        }
                    }
                    None => mine.push((ancestor, values)),
                }
            }
        }
        problems.extend(conflict);
        needs.push(mine);
    }
}

/// The problems of one parameter on its own (kind, default, condition lists); returns
/// whether its kind is sound enough to check values against.
pub(crate) fn param_problems(p: &Param, problems: &mut Vec<Problem>) -> bool {
    let before = problems.len();
    let name = &p.name;
    if name.trim().is_empty() {
        problems.push(Problem::EmptyName);
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
            let parts = [(Field::Min, Some(*min)), (Field::Max, Some(*max))];
            for (field, v) in parts.into_iter().chain([(Field::Step, *step)]) {
                if let Some(value) = v.filter(|v| !v.is_finite()) {
                    problems.push(Problem::NotFinite {
                        name: name.clone(),
                        field,
                        value,
                    });
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
                    problems.push(Problem::FixedNotFinite {
                        name: name.clone(),
                        value: *v,
                    });
                }
            }
        }
    }
    let kind_ok = problems.len() == before;
    if kind_ok {
        default_problems(p, problems);
    }
    for (condition, c) in p.conditions.iter().enumerate() {
        if c.parent == p.name {
            problems.push(Problem::ParentIsSelf {
                name: name.clone(),
                condition,
            });
        }
        if c.values.is_empty() {
            problems.push(Problem::ConditionEmpty {
                name: name.clone(),
                condition,
                parent: c.parent.clone(),
            });
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
    problems: &mut Vec<Problem>,
) {
    let name = name.to_owned();
    if min > max {
        let name = name.clone();
        problems.push(Problem::MinAboveMax { name, min, max });
    }
    if let Some(step) = step.filter(|s| *s <= 0.0) {
        let name = name.clone();
        problems.push(Problem::StepNotPositive { name, step });
    }
    if sampling != Sampling::Linear {
        if min <= 0.0 {
            let name = name.clone();
            problems.push(Problem::LogNeedsPositiveMin {
                name,
                sampling,
                min,
            });
        }
        if let Some(step) = step.filter(|s| *s > 0.0 && *s <= 1.0) {
            problems.push(Problem::LogStepNotAboveOne {
                name,
                sampling,
                step,
            });
        }
    }
}

fn choice_problems(name: &str, values: &[Value], ordered: bool, problems: &mut Vec<Problem>) {
    let name = name.to_owned();
    let Some(first) = values.first() else {
        problems.push(Problem::EmptyChoice { name });
        return;
    };
    let mut types = Vec::new();
    for v in values {
        if !types.contains(&v.value_type()) {
            types.push(v.value_type());
        }
    }
    if types.len() > 1 {
        let first_other = values
            .iter()
            .position(|v| v.value_type() != first.value_type())
            .unwrap_or(0);
        problems.push(Problem::MixedTypes {
            name: name.clone(),
            types,
            values: values.to_vec(),
            first_other,
        });
    }
    for (index, v) in values.iter().enumerate() {
        if matches!(v, Value::Float(f) if !f.is_finite()) {
            problems.push(Problem::ChoiceNotFinite {
                name: name.clone(),
                index,
                value: v.clone(),
            });
        }
    }
    for (index, v) in values.iter().enumerate() {
        let seen_before = values[..index]
            .iter()
            .any(|w| w.value_type() == v.value_type() && w.same_as(v));
        if seen_before {
            problems.push(Problem::DuplicateChoice {
                name: name.clone(),
                index,
                value: v.clone(),
            });
        }
    }
    if ordered && !first.is_number() {
        problems.push(Problem::OrderedNonNumeric {
            name,
            found: first.value_type(),
        });
    }
}

fn default_problems(p: &Param, problems: &mut Vec<Problem>) {
    let name = p.name.clone();
    if let ParamKind::Fixed { value } = &p.kind {
        if !(value.value_type() == p.default.value_type() && value.same_as(&p.default)) {
            problems.push(Problem::FixedDefaultDiffers {
                name,
                value: value.clone(),
                default: p.default.clone(),
            });
        }
        return;
    }
    if p.default.value_type() != p.value_type() {
        problems.push(Problem::DefaultWrongType {
            name,
            default: p.default.clone(),
            expected: p.value_type(),
        });
    } else if let Some(reason) = p.rejection(&p.default) {
        problems.push(Problem::DefaultNotAValue {
            name,
            default: p.default.clone(),
            reason,
        });
    }
}

/// Problems of condition `at` of `p`; `parent` is the parent if it is declared before `p`
/// (with whether its kind is sound).
fn condition_problems(
    p: &Param,
    at: usize,
    condition: &super::Condition,
    parent: Option<(&Param, bool)>,
    params: &[Param],
    problems: &mut Vec<Problem>,
) {
    let name = p.name.clone();
    let parent_name = condition.parent.clone();
    if parent_name == name {
        return; // reported by `param_problems`
    }
    let Some((parent, parent_ok)) = parent else {
        let later = params.iter().any(|q| q.name == parent_name);
        problems.push(if later {
            Problem::ParentDeclaredAfter {
                name,
                condition: at,
                parent: parent_name,
            }
        } else {
            Problem::UnknownParent {
                name,
                condition: at,
                parent: parent_name,
            }
        });
        return;
    };
    if !parent_ok {
        return; // the parent's own problems are reported; its values are unknown
    }
    if parent.cardinality().is_none() {
        problems.push(Problem::ParentNotFinite {
            name,
            condition: at,
            parent: parent_name,
        });
        return;
    }
    for (index, v) in condition.values.iter().enumerate() {
        if v.value_type() != parent.value_type() {
            problems.push(Problem::ConditionValueWrongType {
                name: name.clone(),
                condition: at,
                index,
                value: v.clone(),
                parent: parent_name.clone(),
                parent_type: parent.value_type(),
            });
        } else if let Some(reason) = parent.rejection(v) {
            problems.push(Problem::ConditionValueNever {
                name: name.clone(),
                condition: at,
                index,
                value: v.clone(),
                parent: parent_name.clone(),
                reason,
            });
        }
    }
}
