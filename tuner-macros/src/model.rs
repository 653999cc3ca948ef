//! The data the macro passes between its stages: calls as written, validated definitions,
//! and the checked model that `expand` turns into code.

use proc_macro2::{Span, TokenStream};
use std::fmt;
use syn::Ident;
pub use tuner_space::Sampling;
use tuner_space::{Param, ParamKind, Value, ValueType};

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

    /// The run-time value the literal stands for (an identifier is stored as its name).
    pub fn value(&self) -> Value {
        match self {
            Lit::Int(v) => Value::Int(*v),
            Lit::Float(v) => Value::Float(*v),
            Lit::Str(v) | Lit::Ident(v) => Value::Str(v.clone()),
            Lit::Bool(v) => Value::Bool(*v),
        }
    }

    /// The literal of a run-time value; strings are identifiers when `idents`.
    pub fn of(value: &Value, idents: bool) -> Lit {
        match value {
            Value::Int(v) => Lit::Int(*v),
            Value::Float(v) => Lit::Float(*v),
            Value::Str(v) if idents => Lit::Ident(v.clone()),
            Value::Str(v) => Lit::Str(v.clone()),
            Value::Bool(v) => Lit::Bool(*v),
        }
    }
}

/// As the run time writes values in messages; an identifier as itself.
impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lit::Ident(v) => f.write_str(v),
            other => f.write_str(&other.value().repr()),
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

/// A definition the run time's rules accepted (what two calls must agree on to be one
/// parameter): the space parameter without conditions, and whether its values are
/// identifiers (an enum field) rather than strings.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    pub param: Param,
    pub idents: bool,
}

/// Upper limit on enumerating a parameter's values (conditions list values explicitly).
const MAX_ENUMERATED: u64 = 100_000;

impl ParamDef {
    /// The values a parameter can take, when there are few enough to list.
    pub fn domain(&self) -> Option<Vec<Lit>> {
        let n = self.param.cardinality()?;
        (n <= MAX_ENUMERATED).then(|| {
            let values = self.param.values().unwrap_or_default();
            values.iter().map(|v| Lit::of(v, self.idents)).collect()
        })
    }

    /// The values of a choice as written (identifiers for an identifier choice).
    pub fn choices(&self) -> Vec<Lit> {
        match &self.param.kind {
            ParamKind::Choice { values, .. } => {
                values.iter().map(|v| Lit::of(v, self.idents)).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The default as written.
    pub fn default(&self) -> Lit {
        Lit::of(&self.param.default, self.idents)
    }

    /// What the field of the params struct holds.
    pub fn elem_type(&self) -> ElemType {
        match self.param.value_type() {
            ValueType::Int => ElemType::Int,
            ValueType::Float => ElemType::Float,
            ValueType::Bool => ElemType::Bool,
            ValueType::Str if self.idents => ElemType::Enum,
            ValueType::Str => ElemType::Str,
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
                d += &format!(", {s} sampling");
            }
            d
        };
        let body = match &self.param.kind {
            ParamKind::Int {
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
            ParamKind::Float {
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
            ParamKind::Choice { ordered, .. } => {
                format!(
                    "choice of [{}]{}",
                    list(&self.choices()),
                    if *ordered { ", ordered" } else { "" }
                )
            }
            ParamKind::Boolean => "bool".to_owned(),
            ParamKind::Fixed { value } => format!("fixed {}", Lit::of(value, false)),
        };
        format!("{body}, default {}", self.default())
    }
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
/// loop as the child (then it means `parent_k` for the child's `k`), and the live values;
/// `explicit` when written as `parent_name = .., parent_values = [..]` (kept apart, so that
/// the run time's rules see its values as written).
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    pub parent: String,
    pub indexed: bool,
    pub values: Vec<Lit>,
    pub explicit: bool,
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

/// One block scope of a caller (`hp_block!(encoder, dense_block(net))`): one field of the
/// params struct holding the block's params, live under the conditions of where it is called.
#[derive(Debug, Clone)]
pub struct BlockUse {
    /// The scope, as in space names (`encoder/units`; `layer_0/units` when indexed).
    pub scope: String,
    pub field: Ident,
    /// The block function as called; a `#[hyperblock]` also names its params type so.
    pub path: syn::Path,
    pub outer: Vec<Cond>,
    pub inner: Vec<Cond>,
    pub index: Option<Indexed>,
}

impl BlockUse {
    /// The scope of iteration `k` (or the plain scope).
    pub fn scope_name(&self, k: Option<usize>) -> String {
        match k {
            Some(k) => format!("{}_{k}", self.scope),
            None => self.scope.clone(),
        }
    }
}

/// What a site reads, after checking: which parameter (or block), with which index variable.
#[derive(Debug, Clone)]
pub struct SiteRead {
    /// The block a `hp_block!` site calls, and the call as written.
    pub block: Option<(usize, syn::ExprCall)>,
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
    /// The space the run time builds, in order, already accepted by its rules (without the
    /// blocks' parameters, which follow it in the order of `blocks`).
    pub space: Vec<Param>,
    pub blocks: Vec<BlockUse>,
}

impl Model {
    /// The declaration position of the space parameter `name`.
    pub fn position(&self, name: &str) -> usize {
        self.space
            .iter()
            .position(|p| p.name == name)
            .expect("every parameter is in the space")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(param: tuner_space::ParamBuilder) -> ParamDef {
        ParamDef {
            param: param.build().unwrap(),
            idents: false,
        }
    }

    #[test]
    fn domains_are_the_run_times_values() {
        let ints = |v: &[i64]| Some(v.iter().map(|&v| Lit::Int(v)).collect::<Vec<_>>());
        assert_eq!(
            def(Param::int("n", 6, 13).step(3)).domain(),
            ints(&[6, 9, 12])
        );
        assert_eq!(
            def(Param::int("n", 2, 32).step(2).log()).domain(),
            ints(&[2, 4, 8, 16, 32])
        );
        assert_eq!(def(Param::int("n", 1, 3).log()).domain(), ints(&[1, 2, 3]));
        assert_eq!(def(Param::int("n", 0, i64::MAX)).domain(), None);
        assert_eq!(def(Param::float("x", 0.0, 1.0)).domain(), None);
    }

    #[test]
    fn identifier_choices_read_back_as_identifiers() {
        let d = ParamDef {
            param: Param::choice("act", ["Relu", "Tanh"]).build().unwrap(),
            idents: true,
        };
        assert_eq!(d.elem_type(), ElemType::Enum);
        assert_eq!(d.default(), Lit::Ident("Relu".into()));
        assert_eq!(d.describe(), "choice of [Relu, Tanh], default Relu");
    }
}
