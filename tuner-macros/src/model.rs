//! The data the macro passes between its stages: calls as written, validated definitions,
//! and the checked model that `expand` turns into code.

use proc_macro2::{Span, TokenStream};
use std::fmt;
use syn::Ident;

/// Which `hp_*!` macro a call names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroKind {
    Int,
    Float,
    Choice,
    Bool,
    Fixed,
}

impl MacroKind {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "hp_int" => MacroKind::Int,
            "hp_float" => MacroKind::Float,
            "hp_choice" => MacroKind::Choice,
            "hp_bool" => MacroKind::Bool,
            "hp_fixed" => MacroKind::Fixed,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            MacroKind::Int => "hp_int",
            MacroKind::Float => "hp_float",
            MacroKind::Choice => "hp_choice",
            MacroKind::Bool => "hp_bool",
            MacroKind::Fixed => "hp_fixed",
        }
    }
}

/// KerasTuner's `sampling` of a numeric range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    Linear,
    Log,
    ReverseLog,
}

impl Sampling {
    pub fn keyword(self) -> &'static str {
        match self {
            Sampling::Linear => "linear",
            Sampling::Log => "log",
            Sampling::ReverseLog => "reverse_log",
        }
    }
}

/// A literal written in an `hp_*!` call; `Ident` is an identifier choice (its last segment).
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Ident(String),
}

impl Lit {
    pub fn type_name(&self) -> &'static str {
        match self {
            Lit::Int(_) => "an int",
            Lit::Float(_) => "a float",
            Lit::Str(_) => "a string",
            Lit::Bool(_) => "a bool",
            Lit::Ident(_) => "an identifier",
        }
    }

    pub fn same_type(&self, other: &Lit) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Lit::Int(v) => Some(*v as f64),
            Lit::Float(v) => Some(*v),
            _ => None,
        }
    }
}

impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lit::Int(v) => write!(f, "{v}"),
            Lit::Float(v) => write!(f, "{v:?}"),
            Lit::Str(v) => write!(f, "{v:?}"),
            Lit::Bool(v) => write!(f, "{v}"),
            Lit::Ident(v) => write!(f, "{v}"),
        }
    }
}

/// Joins values for messages: `1, 2, 3`.
pub fn list(values: &[Lit]) -> String {
    values
        .iter()
        .map(Lit::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A piece of a call with the tokens it came from (errors point at them).
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub tokens: TokenStream,
}

/// One choice value: its literal, and for identifier choices the path the user wrote.
#[derive(Debug, Clone)]
pub struct ChoiceValue {
    pub lit: Spanned<Lit>,
    pub path: Option<syn::Path>,
}

/// `parent_name = p, parent_values = [..]` as written.
#[derive(Debug, Clone)]
pub struct ExplicitParent {
    pub name: Ident,
    pub values: Vec<Spanned<Lit>>,
}

/// One `hp_*!` call as written; `parse` fills it, `check` validates it.
#[derive(Debug, Clone)]
pub struct HpCall {
    pub kind: MacroKind,
    /// The whole call, for messages about the call as a whole.
    pub tokens: TokenStream,
    /// Where generated reads point (type errors in reads land on the call).
    pub span: Span,
    pub name: Ident,
    /// The `i` of `name[i]`.
    pub index: Option<Ident>,
    /// `(min, max)` of `hp_int!`/`hp_float!`.
    pub range: Option<(Spanned<Lit>, Spanned<Lit>)>,
    pub values: Option<Spanned<Vec<ChoiceValue>>>,
    pub fixed: Option<Spanned<Lit>>,
    pub step: Option<Spanned<Lit>>,
    pub sampling: Option<Spanned<Sampling>>,
    pub default: Option<Spanned<Lit>>,
    pub ordered: Option<Spanned<bool>>,
    pub parent: Option<ExplicitParent>,
}

impl HpCall {
    pub fn name_str(&self) -> String {
        syn::ext::IdentExt::unraw(&self.name).to_string()
    }
}

/// A validated parameter definition (what two calls must agree on to be one parameter).
#[derive(Debug, Clone, PartialEq)]
pub enum Def {
    Int {
        min: i64,
        max: i64,
        step: Option<i64>,
        sampling: Sampling,
    },
    Float {
        min: f64,
        max: f64,
        step: Option<f64>,
        sampling: Sampling,
    },
    Choice {
        values: Vec<Lit>,
        ordered: bool,
    },
    Bool,
    Fixed(Lit),
}

/// A definition with its resolved default.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    pub def: Def,
    pub default: Lit,
}

/// Upper limit on enumerating an int range (conditions list values explicitly).
const MAX_ENUMERATED: usize = 100_000;

impl ParamDef {
    /// The values a parameter can take, when there are few enough to list.
    pub fn domain(&self) -> Option<Vec<Lit>> {
        match &self.def {
            Def::Bool => Some(vec![Lit::Bool(true), Lit::Bool(false)]),
            Def::Choice { values, .. } => Some(values.clone()),
            Def::Fixed(v) => Some(vec![v.clone()]),
            Def::Int {
                min,
                max,
                step,
                sampling,
            } => int_grid(*min, *max, *step, *sampling)
                .map(|v| v.into_iter().map(Lit::Int).collect()),
            Def::Float { .. } => None,
        }
    }

    /// Whether `lit` is one of the values this parameter can take.
    pub fn admits(&self, lit: &Lit) -> bool {
        match (&self.def, lit) {
            (Def::Int { min, max, .. }, Lit::Int(v)) if v < min || v > max => false,
            (Def::Int { .. }, Lit::Int(_)) => self.domain().is_none_or(|d| d.contains(lit)),
            (Def::Float { min, max, .. }, Lit::Float(v)) => v >= min && v <= max,
            (Def::Float { .. }, _) | (Def::Int { .. }, _) => false,
            _ => self.domain().is_some_and(|d| d.contains(lit)),
        }
    }

    /// What the field of the params struct holds.
    pub fn elem_type(&self) -> ElemType {
        let lit = match &self.def {
            Def::Int { .. } => return ElemType::Int,
            Def::Float { .. } => return ElemType::Float,
            Def::Bool => return ElemType::Bool,
            Def::Choice { values, .. } => values.first().unwrap_or(&self.default),
            Def::Fixed(v) => v,
        };
        match lit {
            Lit::Int(_) => ElemType::Int,
            Lit::Float(_) => ElemType::Float,
            Lit::Str(_) => ElemType::Str,
            Lit::Bool(_) => ElemType::Bool,
            Lit::Ident(_) => ElemType::Enum,
        }
    }

    /// One line for docs and messages: `int in 1..=3, step 1, log sampling, default 1`.
    pub fn describe(&self) -> String {
        let numeric = |kind: &str, min: String, max: String, step: Option<String>, s: Sampling| {
            let mut d = format!("{kind} in {min}..={max}");
            if let Some(step) = step {
                d += &format!(", step {step}");
            }
            if s != Sampling::Linear {
                d += &format!(", {} sampling", s.keyword());
            }
            d
        };
        let body = match &self.def {
            Def::Int {
                min,
                max,
                step,
                sampling,
            } => numeric(
                "int",
                min.to_string(),
                max.to_string(),
                step.map(|s| s.to_string()),
                *sampling,
            ),
            Def::Float {
                min,
                max,
                step,
                sampling,
            } => numeric(
                "float",
                format!("{min:?}"),
                format!("{max:?}"),
                step.map(|s| format!("{s:?}")),
                *sampling,
            ),
            Def::Choice { values, ordered } => {
                format!(
                    "choice of [{}]{}",
                    list(values),
                    if *ordered { ", ordered" } else { "" }
                )
            }
            Def::Bool => "bool".to_owned(),
            Def::Fixed(v) => format!("fixed {v}"),
        };
        format!("{body}, default {}", self.default)
    }
}

/// The values of an int range, if at most `MAX_ENUMERATED` (KerasTuner's grids).
pub fn int_grid(min: i64, max: i64, step: Option<i64>, sampling: Sampling) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    match (step, sampling) {
        (Some(s), Sampling::Log | Sampling::ReverseLog) if s > 1 && min > 0 => {
            let mut v = min;
            while v <= max {
                out.push(v);
                v = v.checked_mul(s)?;
            }
        }
        (Some(s), Sampling::Linear) if s > 0 => {
            let mut v = min;
            while v <= max {
                out.push(v);
                if out.len() > MAX_ENUMERATED {
                    return None;
                }
                v = v.checked_add(s)?;
            }
        }
        _ => {
            if max.checked_sub(min)? >= MAX_ENUMERATED as i64 {
                return None;
            }
            out.extend(min..=max);
        }
    }
    Some(out)
}

/// The Rust type of one value of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElemType {
    Int,
    Float,
    Bool,
    Str,
    Enum,
}

/// A condition as inferred at a call: the parent's name, whether it is indexed by the same
/// loop as the child (then it means `parent_k` for the child's `k`), and the live values.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    pub parent: String,
    pub indexed: bool,
    pub values: Vec<Lit>,
}

impl Cond {
    pub fn describe(&self) -> String {
        let parent = if self.indexed {
            format!("{}[i]", self.parent)
        } else {
            self.parent.clone()
        };
        match self.values.as_slice() {
            [v] => format!("`{parent}` is {v}"),
            vs => format!("`{parent}` is one of {}", list(vs)),
        }
    }
}

/// `units[i]` under `for i in 0..depth`: one space parameter per possible iteration.
#[derive(Debug, Clone)]
pub struct Indexed {
    pub bound: String,
    /// The loop bound's values; `units_k` is live iff the bound takes a value `> k`.
    pub bound_values: Vec<i64>,
    /// How many space parameters (`units_0 .. units_{count-1}`).
    pub count: usize,
}

/// One hyperparameter of the checked model: one field of the params struct.
#[derive(Debug, Clone)]
pub struct Hp {
    pub name: String,
    pub field: Ident,
    pub def: ParamDef,
    /// Conditions on non-indexed parents: the field is `Option<_>` when non-empty.
    pub outer: Vec<Cond>,
    /// Conditions on parents indexed like this one: elements are `Option<_>` when non-empty.
    pub inner: Vec<Cond>,
    pub index: Option<Indexed>,
    /// The generated enum of an identifier choice.
    pub enum_ident: Option<Ident>,
}

impl Hp {
    /// The space name of iteration `k` (or the plain name).
    pub fn space_name(&self, k: Option<usize>) -> String {
        match k {
            Some(k) => format!("{}_{k}", self.name),
            None => self.name.clone(),
        }
    }
}

/// What a site reads, after checking: which parameter, with which index variable.
#[derive(Debug, Clone)]
pub struct SiteRead {
    pub param: usize,
    pub index: Option<Ident>,
    pub span: Span,
    /// Identifier-choice paths as written at this site, in the parameter's value order.
    pub paths: Vec<syn::Path>,
}

/// The checked model of one `#[hypermodel]` function.
#[derive(Debug)]
pub struct Model {
    pub params: Vec<Hp>,
    pub sites: Vec<SiteRead>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_grids_follow_keras_tuner() {
        assert_eq!(
            int_grid(6, 13, Some(3), Sampling::Linear),
            Some(vec![6, 9, 12])
        );
        assert_eq!(
            int_grid(2, 32, Some(2), Sampling::Log),
            Some(vec![2, 4, 8, 16, 32])
        );
        assert_eq!(int_grid(1, 3, None, Sampling::Log), Some(vec![1, 2, 3]));
        assert_eq!(int_grid(0, i64::MAX, None, Sampling::Linear), None);
    }

    #[test]
    fn admits_checks_range_and_grid() {
        let def = ParamDef {
            def: Def::Int {
                min: 6,
                max: 13,
                step: Some(3),
                sampling: Sampling::Linear,
            },
            default: Lit::Int(6),
        };
        assert!(def.admits(&Lit::Int(9)));
        assert!(!def.admits(&Lit::Int(10)));
        assert!(!def.admits(&Lit::Int(15)));
        assert!(!def.admits(&Lit::Str("9".into())));
    }
}
