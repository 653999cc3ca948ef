//! The run time's rules, run at expansion: each call's definition and then the whole space
//! go through `tuner_space`'s own validation, and every problem it finds becomes an error
//! on the token the user wrote, with the run time's wording and, where the macro can say
//! it in the user's syntax, the fix. So a space that compiles is one the run time accepts.

use crate::check::Ctxt;
use crate::infer::Site;
use crate::model::{Hp, HpCall, Lit, MacroKind};
use proc_macro2::TokenStream;
use quote::ToTokens;
use tuner_space::{space_problems, Condition, Field, Param, ParamKind, Problem, Value};

/// The space parameters of the model, in order, after the run time's rules judged them
/// (every problem is reported on `cx`).
pub fn space(params: &[Hp], sites: &[Site], cx: &mut Ctxt) -> Vec<Param> {
    let mut space = Vec::new();
    let mut owners = Vec::new();
    for (i, hp) in params.iter().enumerate() {
        match &hp.index {
            None => {
                space.push(space_param(hp, None));
                owners.push(i);
            }
            Some(ix) => {
                space.extend((0..ix.count).map(|k| space_param(hp, Some(k))));
                owners.extend(std::iter::repeat_n(i, ix.count));
            }
        }
    }
    for problem in space_problems(&space) {
        let at = match &problem {
            Problem::DuplicateName { second, .. } => Some(*second),
            p => p
                .param()
                .and_then(|n| space.iter().position(|q| q.name == n)),
        };
        let Some(hp) = at.map(|at| &params[owners[at]]) else {
            cx.error_at(proc_macro2::Span::call_site(), &problem);
            continue;
        };
        let call = &sites
            .iter()
            .find(|s| s.call.name_str() == hp.name)
            .expect("every parameter is read")
            .call;
        let names = params.iter().map(|p| p.name.as_str());
        let (tokens, fix) = match (&problem, problem.field()) {
            (Problem::DuplicateName { .. }, _) => (
                call.name.to_token_stream(),
                ": an indexed parameter `x[i]` is stored as `x_0`, `x_1`, ...".to_owned(),
            ),
            (Problem::UnknownParent { parent, .. }, _) => {
                (explicit(call, None), similar(parent, names))
            }
            (_, Field::Condition(c)) if is_explicit(hp, c) => (explicit(call, None), String::new()),
            (_, Field::ConditionValue { condition, value }) if is_explicit(hp, condition) => {
                (explicit(call, Some(value)), String::new())
            }
            (_, field) => (field_tokens(call, field), String::new()),
        };
        cx.error(tokens, format!("{problem}{fix}"));
    }
    space
}

/// Reports a problem of one call's definition on its token; `base` is the definition
/// without its default, when that one is sound (for suggesting a default).
pub fn report_call(call: &HpCall, problem: &Problem, base: Option<&Param>, cx: &mut Ctxt) {
    let fix = match problem {
        Problem::MinAboveMax { .. } => call
            .range
            .as_ref()
            .map(|(min, max)| format!(": write the range as `{}..={}`", max.value, min.value))
            .unwrap_or_default(),
        Problem::MixedTypes {
            values,
            first_other,
            ..
        } => match (values.first(), values.get(*first_other)) {
            (Some(Value::Float(_)), Some(Value::Int(i))) => format!(": write `{i}.0`"),
            (Some(Value::Int(_)), Some(Value::Float(_))) => {
                ": write every value as a float (e.g. `1.0`)".to_owned()
            }
            _ => String::new(),
        },
        Problem::LogNeedsPositiveMin { .. } => {
            let example = if call.kind == MacroKind::Int {
                "1..="
            } else {
                "1e-4..="
            };
            format!(": start the range above zero, e.g. `{example}`")
        }
        Problem::DefaultWrongType { .. } => base
            .map(|b| format!(": e.g. `default = {}`", Lit::of(&b.default, false)))
            .unwrap_or_default(),
        Problem::DefaultNotAValue { default, .. } => base
            .and_then(|b| nearest(b, default))
            .map(|v| format!(": e.g. `default = {}`", Lit::of(&v, false)))
            .unwrap_or_default(),
        Problem::NotFinite { .. }
        | Problem::ChoiceNotFinite { .. }
        | Problem::FixedNotFinite { .. } => {
            let written = field_tokens(call, problem.field())
                .to_string()
                .replace(' ', "");
            format!(
                ": the literal `{written}` is too large for an f64 (it rounds to infinity); write \
                 a number below 1.8e308"
            )
        }
        _ => String::new(),
    };
    cx.error(
        field_tokens(call, problem.field()),
        format!("{problem}{fix}"),
    );
}

/// The value of `param` nearest to a numeric `default` (its grid point, or the range end).
fn nearest(param: &Param, default: &Value) -> Option<Value> {
    let d = default.as_float()?;
    let distance = |v: &Value| v.as_float().map_or(f64::INFINITY, |v| (v - d).abs());
    match param.cardinality() {
        Some(n) if n <= 100_000 => param
            .values()?
            .into_iter()
            .min_by(|a, b| distance(a).total_cmp(&distance(b))),
        _ => match param.kind {
            ParamKind::Float { min, max, .. } => Some(Value::Float(d.clamp(min, max))),
            ParamKind::Int { min, max, .. } => Some(Value::Int((d as i64).clamp(min, max))),
            _ => None,
        },
    }
}

/// The tokens of the part of a call a problem is about (the whole call when that part was
/// not written, e.g. an implicit default).
fn field_tokens(call: &HpCall, field: Field) -> TokenStream {
    let range = call.range.as_ref();
    let tokens = match field {
        Field::Name => Some(call.name.to_token_stream()),
        Field::Min => range.map(|r| r.0.tokens.clone()),
        Field::Max => range.map(|r| r.1.tokens.clone()),
        Field::Range => range.map(|(min, max)| {
            let mut both = min.tokens.clone();
            both.extend(max.tokens.clone());
            both
        }),
        Field::Step => call.step.as_ref().map(|s| s.tokens.clone()),
        Field::Sampling => call.sampling.as_ref().map(|s| s.tokens.clone()),
        Field::Default => call.default.as_ref().map(|d| d.tokens.clone()),
        Field::Values => call.values.as_ref().map(|v| v.tokens.clone()),
        Field::Value(i) => match (&call.values, &call.fixed) {
            (Some(values), _) => values.value.get(i).map(|v| v.lit.tokens.clone()),
            (None, fixed) => fixed.as_ref().map(|f| f.tokens.clone()),
        },
        Field::Ordered => call.ordered.as_ref().map(|o| o.tokens.clone()),
        Field::Condition(_) | Field::ConditionValue { .. } => None,
    };
    tokens.unwrap_or_else(|| call.tokens.clone())
}

/// Whether condition `c` of the parameter is its `parent_name = ..` (the outer conditions
/// come first in the space parameter, see `space_param`).
fn is_explicit(hp: &Hp, c: usize) -> bool {
    hp.outer.get(c).is_some_and(|c| c.explicit)
}

/// The explicit parent's name, or its `value`-th value.
fn explicit(call: &HpCall, value: Option<usize>) -> TokenStream {
    match &call.parent {
        Some(p) => value
            .and_then(|v| p.values.get(v))
            .map_or_else(|| p.name.to_token_stream(), |v| v.tokens.clone()),
        None => call.tokens.clone(),
    }
}

/// The space parameter of `hp` (`k` is the iteration of an indexed one): its definition,
/// the conditions of where it is read and its explicit parent, then its loop bound's
/// condition and those on parents indexed like it.
fn space_param(hp: &Hp, k: Option<usize>) -> Param {
    let condition = |parent: String, values: &[Lit]| Condition {
        parent,
        values: values.iter().map(Lit::value).collect(),
    };
    let mut param = hp.def.param.clone();
    param.name = hp.space_name(k);
    param.conditions = hp
        .outer
        .iter()
        .map(|c| condition(c.parent.clone(), &c.values))
        .collect();
    if let (Some(ix), Some(k)) = (&hp.index, k) {
        let live: Vec<Lit> = ix
            .bound_values
            .iter()
            .filter(|&&v| v > k as i64)
            .map(|&v| Lit::Int(v))
            .collect();
        param.conditions.push(condition(ix.bound.clone(), &live));
        param.conditions.extend(
            hp.inner
                .iter()
                .map(|c| condition(format!("{}_{k}", c.parent), &c.values)),
        );
    }
    param
}

/// A hint naming a defined parameter close to a misspelt one.
pub fn similar<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> String {
    let distance = |a: &str, b: &str| {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for j in 0..b.len() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != b[j]))
                    .min(row[j] + 1)
                    .min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    };
    names
        .filter(|n| distance(name, n) <= 2)
        .map(|n| format!(" (did you mean `{n}`?)"))
        .next()
        .unwrap_or_default()
}
