//! Validation: every rule of a space, checked at compile time, each problem reported with a
//! span on the offending token and a fix; all problems are collected in `Ctxt` and reported
//! together (serde_derive's style).

use crate::infer::Site;
use crate::model::{
    int_grid, list, Cond, Def, ElemType, Hp, HpCall, Indexed, Lit, MacroKind, Model, ParamDef,
    Sampling, SiteRead, Spanned,
};
use proc_macro2::Span;
use quote::{format_ident, ToTokens};
use std::collections::HashMap;
use std::fmt::Display;
use syn::visit::Visit;

/// The most iterations an indexed parameter's loop may have (one space parameter each).
pub const MAX_INDEXED: i64 = 64;

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
    let before = cx.errors.len();
    let def = match call.kind {
        MacroKind::Int | MacroKind::Float => numeric(call, cx),
        MacroKind::Choice => choice(call, cx),
        MacroKind::Bool => {
            let default = match &call.default {
                None => Lit::Bool(false),
                Some(Spanned {
                    value: Lit::Bool(b),
                    ..
                }) => Lit::Bool(*b),
                Some(d) => {
                    wrong_default(cx, d, "a bool", "`default = true`");
                    return None;
                }
            };
            Some(ParamDef {
                def: Def::Bool,
                default,
            })
        }
        MacroKind::Fixed => call.fixed.as_ref().map(|v| ParamDef {
            def: Def::Fixed(v.value.clone()),
            default: v.value.clone(),
        }),
    };
    def.filter(|_| cx.errors.len() == before)
}

fn wrong_default(cx: &mut Ctxt, d: &Spanned<Lit>, expected: &str, example: &str) {
    cx.error(
        &d.tokens,
        format!(
            "default {} is {} but this parameter's values are {expected}: write e.g. {example}",
            d.value,
            d.value.type_name()
        ),
    );
}

fn numeric(call: &HpCall, cx: &mut Ctxt) -> Option<ParamDef> {
    let int = call.kind == MacroKind::Int;
    let (min, max) = call.range.as_ref()?;
    let bound = |cx: &mut Ctxt, b: &Spanned<Lit>| -> Option<f64> {
        match (&b.value, int) {
            (Lit::Int(_), _) | (Lit::Float(_), false) => b.value.as_f64(),
            (Lit::Float(_), true) => {
                cx.error(
                    &b.tokens,
                    format!(
                        "`hp_int!` bounds must be integer literals, found {}: use integers, or \
                         `hp_float!` for a float range",
                        b.value
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
    };
    let (lo, hi) = (bound(cx, min), bound(cx, max));
    let (lo, hi) = (lo?, hi?);
    let mut ok = true;
    if lo > hi {
        ok = false;
        let mut range = min.tokens.clone();
        range.extend(max.tokens.clone());
        cx.error(
            range,
            format!(
                "min {} is greater than max {}: write the range as `{}..={}`",
                min.value, max.value, max.value, min.value
            ),
        );
    }
    let step = match &call.step {
        None => None,
        Some(s) => match (&s.value, int) {
            (Lit::Int(_), _) | (Lit::Float(_), false) => s.value.as_f64().map(|v| (v, s)),
            (Lit::Float(_), true) => {
                cx.error(
                    &s.tokens,
                    format!(
                        "the step of `hp_int!` must be an integer, found {}: use an integer step, \
                         or `hp_float!` for a float range",
                        s.value
                    ),
                );
                return None;
            }
            (other, _) => {
                cx.error(
                    &s.tokens,
                    format!("`step` must be a number, found {}", other.type_name()),
                );
                return None;
            }
        },
    };
    let sampling = call.sampling.as_ref().map_or(Sampling::Linear, |s| s.value);
    if let Some((v, s)) = step {
        if v <= 0.0 {
            ok = false;
            cx.error(
                &s.tokens,
                format!(
                    "`step` must be positive, found {}: use a step > 0, or drop `step` to sample \
                     the whole range",
                    s.value
                ),
            );
        } else if sampling != Sampling::Linear && v <= 1.0 {
            ok = false;
            cx.error(
                &s.tokens,
                format!(
                    "with `{}` sampling the step multiplies (grid min, min*step, ...), so it must be \
                     greater than 1, found {}: use e.g. `step = 2` or `step = 10`",
                    sampling.keyword(),
                    s.value
                ),
            );
        }
    }
    if sampling != Sampling::Linear && lo <= 0.0 {
        ok = false;
        cx.error(
            &min.tokens,
            format!(
                "`{}` sampling needs min > 0, found {}: start the range above zero (e.g. `{}`) or \
                 use linear sampling",
                sampling.keyword(),
                min.value,
                if int { "1..=" } else { "1e-4..=" }
            ),
        );
    }
    let default = match &call.default {
        None => min.value.clone(),
        Some(d) => {
            let v = match (&d.value, int) {
                (Lit::Int(_), _) | (Lit::Float(_), false) => d.value.as_f64(),
                _ => {
                    let (what, example) = if int {
                        ("ints", format!("`default = {}`", min.value))
                    } else {
                        ("floats", format!("`default = {:?}`", lo))
                    };
                    wrong_default(cx, d, what, &example);
                    return None;
                }
            }
            .expect("numeric");
            if v < lo || v > hi {
                ok = false;
                cx.error(
                    &d.tokens,
                    format!(
                        "default {} is outside the range {}..={}: pick a default within the range, \
                         or drop it (the default is the min)",
                        d.value, min.value, max.value
                    ),
                );
            }
            d.value.clone()
        }
    };
    if !ok {
        return None;
    }
    let def = if int {
        let i = |l: &Lit| match l {
            Lit::Int(v) => *v,
            _ => unreachable!("int bounds checked above"),
        };
        Def::Int {
            min: i(&min.value),
            max: i(&max.value),
            step: call.step.as_ref().map(|s| i(&s.value)),
            sampling,
        }
    } else {
        Def::Float {
            min: lo,
            max: hi,
            step: step.map(|(v, _)| v),
            sampling,
        }
    };
    let default = if int {
        default
    } else {
        Lit::Float(default.as_f64().expect("numeric"))
    };
    Some(ParamDef { def, default })
}

fn choice(call: &HpCall, cx: &mut Ctxt) -> Option<ParamDef> {
    let values = call.values.as_ref()?;
    let Some(first) = values.value.first() else {
        cx.error(
            &values.tokens,
            "`hp_choice!` needs at least one value: list them as `[a, b, ...]`",
        );
        return None;
    };
    let mut ok = true;
    let mut seen: Vec<&Lit> = Vec::new();
    for v in &values.value {
        let lit = &v.lit.value;
        if !lit.same_type(&first.lit.value) {
            ok = false;
            let hint = match (&first.lit.value, lit) {
                (Lit::Float(_), Lit::Int(i)) => format!(": write `{i}.0`"),
                (Lit::Int(_), Lit::Float(_)) => {
                    ": write every value as a float (e.g. `1.0`)".to_owned()
                }
                _ => ": use one type for all values".to_owned(),
            };
            cx.error(
                &v.lit.tokens,
                format!(
                    "choice values must share one type: {lit} is {} but the first value {} is {}{hint}",
                    lit.type_name(),
                    first.lit.value,
                    first.lit.value.type_name()
                ),
            );
        } else if seen.contains(&lit) {
            ok = false;
            cx.error(
                &v.lit.tokens,
                format!(
                    "duplicate choice value {lit}: each value may appear once; remove the repeat"
                ),
            );
        }
        seen.push(lit);
    }
    let numeric = matches!(first.lit.value, Lit::Int(_) | Lit::Float(_));
    let ordered = match &call.ordered {
        Some(o) if o.value && !numeric => {
            cx.error(
                &o.tokens,
                format!(
                    "`ordered = true` needs numeric values, but these are {}s: drop `ordered`",
                    first
                        .lit
                        .value
                        .type_name()
                        .trim_start_matches("an ")
                        .trim_start_matches("a ")
                ),
            );
            return None;
        }
        Some(o) => o.value,
        None => numeric,
    };
    let default =
        match &call.default {
            None => first.lit.value.clone(),
            Some(d) if !d.value.same_type(&first.lit.value) => {
                let example = format!("`default = {}`", first.lit.tokens);
                let expected = match first.lit.value {
                    Lit::Ident(_) => "identifiers".to_owned(),
                    ref l => format!(
                        "{}s",
                        l.type_name()
                            .trim_start_matches("an ")
                            .trim_start_matches("a ")
                    ),
                };
                wrong_default(cx, d, &expected, &example);
                return None;
            }
            Some(d) => {
                if !seen.contains(&&d.value) {
                    ok = false;
                    cx.error(
                        &d.tokens,
                        format!(
                        "default {} is not one of the values [{}]: pick one of them, or drop it \
                         (the default is the first value)",
                        d.value,
                        list(&values.value.iter().map(|v| v.lit.value.clone()).collect::<Vec<_>>())
                    ),
                    );
                }
                d.value.clone()
            }
        };
    if !ok {
        return None;
    }
    Some(ParamDef {
        def: Def::Choice {
            values: values.value.iter().map(|v| v.lit.value.clone()).collect(),
            ordered,
        },
        default,
    })
}

/// One parameter while the model is assembled: its first definition and every read.
struct Group {
    name: String,
    sites: Vec<usize>,
    def: ParamDef,
    bound: Option<String>,
    parent: Option<(String, Vec<Lit>)>,
}

fn describe_site(
    def: &ParamDef,
    bound: &Option<String>,
    parent: &Option<(String, Vec<Lit>)>,
) -> String {
    let mut d = def.describe();
    if let Some(b) = bound {
        d += &format!(", indexed by a loop over `0..{b}`");
    }
    if let Some((p, vs)) = parent {
        d += &format!(", live when `{p}` is in [{}]", list(vs));
    }
    d
}

/// The conditions of one read: inferred ones, same-parent ones intersected.
fn site_conds(site: &Site, name: &str, cx: &mut Ctxt) -> Option<Vec<Cond>> {
    let mut conds: Vec<Cond> = Vec::new();
    for c in site.conds.iter().filter(|c| c.parent != name) {
        match conds.iter_mut().find(|k| k.parent == c.parent) {
            Some(k) => k.values.retain(|v| c.values.contains(v)),
            None => conds.push(Cond {
                parent: c.parent.clone(),
                indexed: c.parent_loop.is_some(),
                values: c.values.clone(),
            }),
        }
        if conds.iter().any(|k| k.values.is_empty()) {
            cx.error(
                &c.tokens,
                format!(
                    "`{name}` is read where `{}` can take none of its values (the enclosing \
                     conditions, branches or match arms leave none), so it could never be live: \
                     remove the dead code",
                    c.parent
                ),
            );
            return None;
        }
    }
    Some(conds)
}

/// `a` holds whenever `b` holds.
fn weaker(a: &[Cond], b: &[Cond]) -> bool {
    a.iter().all(|ca| {
        b.iter()
            .any(|cb| cb.parent == ca.parent && cb.values.iter().all(|v| ca.values.contains(v)))
    })
}

/// The condition under which a parameter read at two places is live, if one AND expresses it.
fn merge(a: &[Cond], b: &[Cond]) -> Option<Vec<Cond>> {
    if weaker(a, b) {
        return Some(a.to_vec());
    }
    if weaker(b, a) {
        return Some(b.to_vec());
    }
    let same_parents =
        a.len() == b.len() && a.iter().all(|ca| b.iter().any(|cb| cb.parent == ca.parent));
    if !same_parents {
        return None;
    }
    let differ: Vec<&Cond> = a
        .iter()
        .filter(|ca| {
            let cb = b
                .iter()
                .find(|cb| cb.parent == ca.parent)
                .expect("same parents");
            !(weaker(std::slice::from_ref(*ca), std::slice::from_ref(cb))
                && weaker(std::slice::from_ref(cb), std::slice::from_ref(*ca)))
        })
        .collect();
    let [d] = differ.as_slice() else { return None };
    let cb = b
        .iter()
        .find(|cb| cb.parent == d.parent)
        .expect("same parents");
    let mut merged = a.to_vec();
    let m = merged
        .iter_mut()
        .find(|c| c.parent == d.parent)
        .expect("present");
    m.values
        .extend(cb.values.iter().filter(|v| !d.values.contains(v)).cloned());
    Some(merged)
}

fn describe_conds(conds: &[Cond]) -> String {
    if conds.is_empty() {
        "always".to_owned()
    } else {
        format!(
            "when {}",
            conds
                .iter()
                .map(Cond::describe)
                .collect::<Vec<_>>()
                .join(" and ")
        )
    }
}

/// `activation` -> `Activation`, `learning_rate` -> `LearningRate`.
pub fn camel(s: &str) -> String {
    s.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Checks the calls against each other and assembles the model: one parameter per name,
/// conditions merged, explicit parents resolved, parents ordered before children.
pub fn model(sites: &[Site], type_name: &syn::Ident, cx: &mut Ctxt) -> Option<Model> {
    let defs: Vec<Option<ParamDef>> = sites.iter().map(|s| definition(&s.call, cx)).collect();
    let mut groups: Vec<Group> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut site_group: Vec<Option<usize>> = vec![None; sites.len()];
    let mut site_conds_of: Vec<Vec<Cond>> = vec![Vec::new(); sites.len()];

    for (i, (site, def)) in sites.iter().zip(&defs).enumerate() {
        let Some(def) = def else { continue };
        let call = &site.call;
        let name = call.name_str();
        let bound = site.index.as_ref().map(|ix| ix.bound.clone());
        let parent = call.parent.as_ref().map(|p| {
            (
                syn::ext::IdentExt::unraw(&p.name).to_string(),
                p.values.iter().map(|v| v.value.clone()).collect::<Vec<_>>(),
            )
        });
        if let Some(p) = &call.parent {
            if p.name == name.as_str() {
                cx.error(
                    &p.name,
                    format!(
                        "`{name}` names itself as its parent: a conditional parameter needs a \
                         parent of another name; rename one of them (e.g. `{name}_value`)"
                    ),
                );
                continue;
            }
        }
        match by_name.get(&name) {
            None => {
                if let Some(c) = site.conds.iter().find(|c| c.parent == name) {
                    // Registered after its parent of the same name: a different definition.
                    cx.error(
                        &call.name,
                        format!(
                            "`{name}` is read inside a condition on `{name}` ({}) but defined \
                             differently: a child needs its own name; rename it (e.g. `{name}_value`)",
                            c.tokens
                        ),
                    );
                    continue;
                }
                by_name.insert(name.clone(), groups.len());
                groups.push(Group {
                    name: name.clone(),
                    sites: vec![i],
                    def: def.clone(),
                    bound,
                    parent,
                });
            }
            Some(&g) => {
                let group = &groups[g];
                let same = group.def == *def && group.bound == bound && group.parent == parent;
                if !same {
                    if site.conds.iter().any(|c| c.parent == name) {
                        cx.error(
                            &call.name,
                            format!(
                                "`{name}` is read inside a condition on the parameter `{name}` but \
                                 defined differently ({}): a child needs its own name; rename it \
                                 (e.g. `{name}_value`)",
                                describe_site(def, &bound, &parent)
                            ),
                        );
                    } else {
                        let first = &sites[group.sites[0]].call;
                        let mut e = syn::Error::new_spanned(
                            &call.tokens,
                            format!(
                                "hyperparameter `{name}` is defined twice differently: here {}, but \
                                 first {}; make both definitions identical (then they read one \
                                 parameter) or give this one another name",
                                describe_site(def, &bound, &parent),
                                describe_site(&group.def, &group.bound, &group.parent)
                            ),
                        );
                        e.combine(syn::Error::new_spanned(
                            &first.tokens,
                            format!("`{name}` is first defined here"),
                        ));
                        cx.push(e);
                    }
                    continue;
                }
                groups[g].sites.push(i);
            }
        }
        site_group[i] = by_name.get(&name).copied();
        match site_conds(site, &name, cx) {
            Some(c) => site_conds_of[i] = c,
            None => site_group[i] = None,
        }
    }

    // Merge each parameter's conditions over its reads, then add the explicit parent.
    let mut params: Vec<Hp> = Vec::new();
    for g in &groups {
        let reads: Vec<usize> = g
            .sites
            .iter()
            .copied()
            .filter(|&i| site_group[i].is_some())
            .collect();
        let Some(&first) = reads.first() else {
            continue;
        };
        let mut conds = site_conds_of[first].clone();
        for &i in &reads[1..] {
            match merge(&conds, &site_conds_of[i]) {
                Some(m) => conds = m,
                None => cx.error(
                    &sites[i].call.tokens,
                    format!(
                        "`{}` is read here {} but elsewhere {}: a parameter's condition must be one \
                         AND of parent values; read it once before the branches (`let {} = {}!(..);`) \
                         or give each read its own name",
                        g.name,
                        describe_conds(&site_conds_of[i]),
                        describe_conds(&conds),
                        g.name,
                        sites[i].call.kind.name()
                    ),
                ),
            }
        }
        // A condition admitting every value of its parent always holds (`if b {x} else {x}`).
        conds.retain_mut(|c| {
            let Some(domain) = by_name.get(&c.parent).and_then(|&p| groups[p].def.domain()) else {
                return true;
            };
            c.values = domain
                .iter()
                .filter(|v| c.values.contains(v))
                .cloned()
                .collect();
            c.values.len() < domain.len()
        });
        let call = &sites[first].call;
        if let Some(p) = &call.parent {
            let pname = syn::ext::IdentExt::unraw(&p.name).to_string();
            match by_name.get(&pname).map(|&i| &groups[i]) {
                None => cx.error(
                    &p.name,
                    format!(
                        "`parent_name = {pname}`: no hyperparameter named `{pname}` is defined in \
                         this function; define it with an `hp_*!` call or fix the name{}",
                        similar(&pname, groups.iter().map(|g| g.name.as_str()))
                    ),
                ),
                Some(parent) if parent.bound.is_some() => cx.error(
                    &p.name,
                    format!(
                        "`{pname}` is indexed (one value per loop iteration), so it cannot be an \
                         explicit parent: put `{}` inside an `if` on `{pname}[i]` in the same loop",
                        g.name
                    ),
                ),
                Some(parent) if matches!(parent.def.def, Def::Float { .. }) => cx.error(
                    &p.name,
                    format!(
                        "`{pname}` is a float range, so listing its values cannot express a \
                         condition: condition `{}` on a choice, bool or int parameter",
                        g.name
                    ),
                ),
                Some(parent) => {
                    let values: Vec<Lit> = p.values.iter().map(|v| v.value.clone()).collect();
                    for v in &p.values {
                        if !parent.def.admits(&v.value) {
                            cx.error(
                                &v.tokens,
                                format!(
                                    "{} is not a value of `{pname}` ({}): the condition could never \
                                     hold; list values `{pname}` can take",
                                    v.value,
                                    parent.def.describe()
                                ),
                            );
                        }
                    }
                    match conds.iter_mut().find(|c| c.parent == pname) {
                        Some(c) => c.values.retain(|v| values.contains(v)),
                        None => conds.push(Cond {
                            parent: pname,
                            indexed: false,
                            values,
                        }),
                    }
                }
            }
        }
        let index = g
            .bound
            .as_ref()
            .and_then(|b| indexed(g, b, &groups, &by_name, call, cx));
        if g.bound.is_some() && index.is_none() {
            continue;
        }
        let (inner, outer) = conds.into_iter().partition(|c| c.indexed);
        let enum_ident = (g.def.elem_type() == ElemType::Enum)
            .then(|| format_ident!("{}{}", type_name, camel(&g.name)));
        params.push(Hp {
            name: g.name.clone(),
            field: call.name.clone(),
            def: g.def.clone(),
            outer,
            inner,
            index,
            enum_ident,
        });
    }

    space_names_unique(&params, sites, cx);
    let order = topo_order(&params, sites, cx)?;
    let params: Vec<Hp> = order.into_iter().map(|i| params[i].clone()).collect();
    let position: HashMap<&str, usize> = params
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let reads = sites
        .iter()
        .map(|s| SiteRead {
            param: position
                .get(s.call.name_str().as_str())
                .copied()
                .unwrap_or(usize::MAX),
            index: s.index.as_ref().map(|ix| ix.var.clone()),
            span: s.call.span,
            paths: s
                .call
                .values
                .iter()
                .flat_map(|v| v.value.iter().filter_map(|c| c.path.clone()))
                .collect(),
        })
        .collect();
    (!cx.has_errors()).then_some(Model {
        params,
        sites: reads,
    })
}

/// A hint naming a defined parameter close to a misspelt one.
fn similar<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> String {
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

/// The iterations of an indexed parameter, from its loop bound's values.
fn indexed(
    g: &Group,
    bound: &str,
    groups: &[Group],
    by_name: &HashMap<String, usize>,
    call: &HpCall,
    cx: &mut Ctxt,
) -> Option<Indexed> {
    let b = &groups[*by_name.get(bound)?];
    let Def::Int {
        min,
        max,
        step,
        sampling,
    } = b.def.def
    else {
        return None;
    };
    let Some(values) = int_grid(min, max, step, sampling) else {
        cx.error(
            &call.tokens,
            format!(
                "the loop bound `{bound}` has too many values to index `{}` by it",
                g.name
            ),
        );
        return None;
    };
    let top = values.iter().copied().max().unwrap_or(0);
    if top > MAX_INDEXED {
        cx.error(
            &call.tokens,
            format!(
                "`{}[..]` would need one parameter per iteration of `0..{bound}`, up to {top}: keep \
                 the bound's max at most {MAX_INDEXED}",
                g.name
            ),
        );
        return None;
    }
    if top < 1 {
        cx.error(
            &call.tokens,
            format!(
                "the loop `0..{bound}` never runs (`{bound}` is at most {top}), so `{}[..]` could \
                 never be live: give `{bound}` a max of at least 1",
                g.name
            ),
        );
        return None;
    }
    Some(Indexed {
        bound: bound.to_owned(),
        bound_values: values,
        count: top as usize,
    })
}

fn space_names_unique(params: &[Hp], sites: &[Site], cx: &mut Ctxt) {
    let mut owner: HashMap<String, &str> = HashMap::new();
    for p in params {
        let names: Vec<String> = match &p.index {
            None => vec![p.space_name(None)],
            Some(ix) => (0..ix.count).map(|k| p.space_name(Some(k))).collect(),
        };
        for n in names {
            if let Some(other) = owner.insert(n.clone(), &p.name) {
                let site = sites
                    .iter()
                    .find(|s| s.call.name_str() == p.name)
                    .expect("read");
                cx.error(
                    &site.call.name,
                    format!(
                        "the space name `{n}` is taken twice (by `{other}` and by `{}`; an indexed \
                         parameter `x[i]` is stored as `x_0`, `x_1`, ...): rename one of them",
                        p.name
                    ),
                );
            }
        }
    }
}

/// Parameter positions with every parent before its children (declaration order otherwise).
fn topo_order(params: &[Hp], sites: &[Site], cx: &mut Ctxt) -> Option<Vec<usize>> {
    let index: HashMap<&str, usize> = params
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let parents = |p: &Hp| -> Vec<usize> {
        p.outer
            .iter()
            .chain(&p.inner)
            .map(|c| c.parent.as_str())
            .chain(p.index.as_ref().map(|ix| ix.bound.as_str()))
            .filter_map(|n| index.get(n).copied())
            .collect()
    };
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; params.len()];
    let mut order = Vec::new();
    fn visit(
        i: usize,
        params: &[Hp],
        parents: &dyn Fn(&Hp) -> Vec<usize>,
        marks: &mut [Mark],
        order: &mut Vec<usize>,
    ) -> Result<(), usize> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Active => return Err(i),
            Mark::New => {}
        }
        marks[i] = Mark::Active;
        for p in parents(&params[i]) {
            visit(p, params, parents, marks, order)?;
        }
        marks[i] = Mark::Done;
        order.push(i);
        Ok(())
    }
    for i in 0..params.len() {
        if let Err(c) = visit(i, params, &parents, &mut marks, &mut order) {
            let name = &params[c].name;
            let site = sites
                .iter()
                .find(|s| &s.call.name_str() == name)
                .expect("read");
            cx.error(
                &site.call.tokens,
                format!(
                    "`{name}` is its own ancestor through `parent_name` conditions: conditions \
                     must form a tree; remove one `parent_name` from the cycle"
                ),
            );
            return None;
        }
    }
    Some(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(parent: &str, values: &[i64]) -> Cond {
        Cond {
            parent: parent.to_owned(),
            indexed: false,
            values: values.iter().map(|&v| Lit::Int(v)).collect(),
        }
    }

    #[test]
    fn merge_keeps_the_weaker_condition() {
        assert_eq!(merge(&[], &[c("a", &[1])]), Some(vec![]));
        assert_eq!(
            merge(&[c("a", &[1, 2])], &[c("a", &[1]), c("b", &[3])]),
            Some(vec![c("a", &[1, 2])])
        );
    }

    #[test]
    fn merge_unions_values_of_one_parent() {
        assert_eq!(
            merge(&[c("a", &[1]), c("b", &[3])], &[c("a", &[2]), c("b", &[3])]),
            Some(vec![c("a", &[1, 2]), c("b", &[3])])
        );
    }

    #[test]
    fn merge_refuses_an_or_of_two_parents() {
        assert_eq!(merge(&[c("a", &[1])], &[c("b", &[1])]), None);
        assert_eq!(
            merge(&[c("a", &[1]), c("b", &[1])], &[c("a", &[2]), c("b", &[2])]),
            None
        );
    }

    #[test]
    fn camel_joins_snake_case() {
        assert_eq!(camel("learning_rate"), "LearningRate");
        assert_eq!(camel("mlp2"), "Mlp2");
        assert_eq!(camel("_x__y"), "XY");
    }
}
