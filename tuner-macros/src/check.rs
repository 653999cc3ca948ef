//! What only the macro can check: the function's signature, and each call's literals as
//! Rust syntax (int bounds are integers, identifier choices are all identifiers). The rules
//! of spaces are not here: each call becomes a `ParamBuilder` and the run time's own
//! validation judges it (`rules` maps its problems to the tokens). All problems are
//! collected in `Ctxt` and reported together (serde_derive's style).

use crate::model::{HpCall, Lit, MacroKind, ParamDef, Spanned};
use crate::rules;
use proc_macro2::Span;
use quote::ToTokens;
use std::fmt::Display;
use syn::visit::Visit;
use tuner_space::{Param, ParamBuilder, SpaceError};

/// Errors found so far; reported together at the end.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// An error spanning `tokens`.
    pub fn error(&mut self, tokens: impl ToTokens, msg: impl Display) {
        self.errors.push(syn::Error::new_spanned(tokens, msg));
    }

    /// An error at one span.
    pub fn error_at(&mut self, span: Span, msg: impl Display) {
        self.errors.push(syn::Error::new(span, msg));
    }

    pub fn push(&mut self, e: syn::Error) {
        self.errors.push(e);
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// All errors as one (each keeps its span), or `Ok` if there were none.
    pub fn finish(self) -> syn::Result<()> {
        let mut errors = self.errors.into_iter();
        match errors.next() {
            None => Ok(()),
            Some(mut first) => {
                errors.for_each(|e| first.combine(e));
                Err(first)
            }
        }
    }
}

/// The annotated function must be a plain `fn name() -> T`: its inputs are its hyperparameters.
pub fn signature(f: &syn::ItemFn, cx: &mut Ctxt) {
    let sig = &f.sig;
    for input in &sig.inputs {
        match input {
            syn::FnArg::Receiver(r) => cx.error(
                r,
                "a #[hypermodel] function cannot take `self`: make it a free function \
                 (its inputs are the hyperparameters read with `hp_*!` in its body)",
            ),
            syn::FnArg::Typed(t) => cx.error(
                t,
                format!(
                    "a #[hypermodel] function takes no arguments: its inputs are the hyperparameters \
                     read with `hp_*!` in its body; remove `{}` (put data in the model you return, or \
                     use `hp_fixed!` for a constant)",
                    match &*t.pat {
                        syn::Pat::Ident(p) => p.ident.to_string(),
                        _ => "this argument".to_owned(),
                    }
                ),
            ),
        }
    }
    if let Some(v) = &sig.variadic {
        cx.error(
            v,
            "a #[hypermodel] function takes no arguments: remove `...`",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        cx.error(
            &sig.generics,
            "a #[hypermodel] function cannot be generic: its search space and params type must be \
             known statically; use concrete types (or one #[hypermodel] per type)",
        );
    }
    if let Some(a) = &sig.asyncness {
        cx.error(
            a,
            "a #[hypermodel] function cannot be async: it builds a model description; do async work \
             outside it",
        );
    }
    if let Some(u) = &sig.unsafety {
        cx.error(
            u,
            "a #[hypermodel] function cannot be unsafe: the tuner calls it from safe code; keep \
             the `unsafe` blocks inside its body",
        );
    }
    if let Some(c) = &sig.constness {
        cx.error(
            c,
            "a #[hypermodel] function cannot be const: remove `const`",
        );
    }
    if let syn::ReturnType::Type(_, ty) = &sig.output {
        struct ImplTrait(Option<syn::TypeImplTrait>);
        impl Visit<'_> for ImplTrait {
            fn visit_type_impl_trait(&mut self, t: &syn::TypeImplTrait) {
                self.0.get_or_insert_with(|| t.clone());
            }
        }
        let mut found = ImplTrait(None);
        found.visit_type(ty);
        if let Some(t) = found.0 {
            cx.error(
                t,
                "a #[hypermodel] function must return a concrete type (it becomes \
                 `HyperModel::Output`): name the type instead of `impl Trait`",
            );
        }
    }
}

/// Checks one call's definition; `None` if it broke a rule (already reported).
pub fn definition(call: &HpCall, cx: &mut Ctxt) -> Option<ParamDef> {
    let (builder, idents) = builder(call, cx)?;
    // The builder without the default: what a fix can suggest when only the default is wrong.
    let base = builder.clone();
    let builder = match &call.default {
        Some(d) => builder.default(d.value.value()),
        None => builder,
    };
    match builder.build() {
        Ok(param) => Some(ParamDef { param, idents }),
        Err(SpaceError::Invalid(problems)) => {
            let base = base.build().ok();
            for p in &problems {
                rules::report_call(call, p, base.as_ref(), cx);
            }
            None
        }
        Err(other) => {
            cx.error(&call.tokens, other);
            None
        }
    }
}

/// The run-time builder of a call's definition (default aside), and whether its values are
/// identifiers; `None` when a literal is of a kind Rust syntax rules out (reported).
fn builder(call: &HpCall, cx: &mut Ctxt) -> Option<(ParamBuilder, bool)> {
    let name = call.name_str();
    let mut idents = false;
    let mut b = match call.kind {
        MacroKind::Int | MacroKind::Float => {
            let (min, max) = call.range.as_ref()?;
            let (lo, hi) = (bound(call, min, cx), bound(call, max, cx));
            match (lo?, hi?) {
                (Lit::Int(lo), Lit::Int(hi)) if call.kind == MacroKind::Int => {
                    Param::int(name, lo, hi)
                }
                (lo, hi) => Param::float(name, lo.as_f64()?, hi.as_f64()?),
            }
        }
        MacroKind::Choice => {
            let values = call.values.as_ref()?;
            idents = identifiers(call, cx)?;
            Param::choice(name, values.value.iter().map(|v| v.lit.value.value()))
        }
        MacroKind::Bool => Param::boolean(name),
        MacroKind::Fixed => Param::fixed(name, call.fixed.as_ref()?.value.value()),
    };
    if let Some(s) = &call.step {
        match (&s.value, call.kind) {
            (Lit::Float(_), MacroKind::Int) => {
                cx.error(
                    &s.tokens,
                    format!(
                        "the step of `hp_int!` must be an integer, found {}: use an integer \
                         step, or `hp_float!` for a float range",
                        s.value
                    ),
                );
                return None;
            }
            (Lit::Int(_) | Lit::Float(_), _) => b = b.step(s.value.value()),
            (other, _) => {
                let found = other.type_name();
                cx.error(&s.tokens, format!("`step` must be a number, found {found}"));
                return None;
            }
        }
    }
    if let Some(s) = &call.sampling {
        b = b.sampling(s.value);
    }
    if let Some(o) = &call.ordered {
        b = b.ordered(o.value);
    }
    Some((b, idents))
}

/// A bound of `hp_int!` (an integer literal) or `hp_float!` (any number).
fn bound(call: &HpCall, b: &Spanned<Lit>, cx: &mut Ctxt) -> Option<Lit> {
    match (&b.value, call.kind) {
        (Lit::Int(_), _) | (Lit::Float(_), MacroKind::Float) => Some(b.value.clone()),
        (Lit::Float(_), _) => {
            cx.error(
                &b.tokens,
                format!(
                    "`hp_int!` bounds must be integer literals, found the float `{}`: use \
                     integers (no `.`, `e` or `f64` suffix), or `hp_float!` for a float range",
                    b.tokens.to_string().replace(' ', "")
                ),
            );
            None
        }
        (other, _) => {
            cx.error(
                &b.tokens,
                format!(
                    "the bounds of `{}!` must be numbers, found {}",
                    call.kind.name(),
                    other.type_name()
                ),
            );
            None
        }
    }
}

/// Whether a choice's values are identifiers (an enum field). Identifiers and strings both
/// are strings to the run time, so only the macro can tell them apart: they may not mix,
/// in the values or in the default.
fn identifiers(call: &HpCall, cx: &mut Ctxt) -> Option<bool> {
    let values = &call.values.as_ref()?.value;
    let is_ident = |l: &Lit| matches!(l, Lit::Ident(_));
    let Some(first) = values.first() else {
        return Some(false);
    };
    let idents = is_ident(&first.lit.value);
    let mut ok = true;
    let written = |l: &Lit| {
        if is_ident(l) {
            "an identifier"
        } else {
            l.type_name()
        }
    };
    for v in values.iter().filter(|v| is_ident(&v.lit.value) != idents) {
        ok = false;
        cx.error(
            &v.lit.tokens,
            format!(
                "choice values must share one type: {} is {} but the first value {} is {}: \
                 use one type for all values",
                v.lit.value,
                written(&v.lit.value),
                first.lit.value,
                written(&first.lit.value)
            ),
        );
    }
    if let Some(d) = call
        .default
        .as_ref()
        .filter(|d| is_ident(&d.value) != idents)
    {
        ok = false;
        let expected = if idents { "identifiers" } else { "literals" };
        cx.error(
            &d.tokens,
            format!(
                "default {} is {} but this parameter's values are {expected}: write e.g. \
                 `default = {}`",
                d.value,
                written(&d.value),
                first.lit.tokens
            ),
        );
    }
    ok.then_some(idents)
}
