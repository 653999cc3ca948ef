//! Walks a `#[hypermodel]` body: records every `hp_*!` call with the conditions and loop it
//! sits in, and replaces each call by a numbered placeholder that `expand` turns into a read.
//!
//! Inference is sound by construction: params are immutable during one build, so code inside
//! `if x { .. }` can only run when `x` holds, whatever closures or loops surround it. Anything
//! not recognised adds no condition, which only makes a parameter live more often (safe).

mod control;

use crate::check::Ctxt;
use crate::model::{Lit, MacroKind};
use crate::parse;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use std::collections::HashMap;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{BinOp, Expr, Ident, Local, Macro, Pat, RangeLimits, Stmt, Token, UnOp};

/// Name of the placeholder macro left where each call was.
pub const PLACEHOLDER: &str = "__tuner_hp_site";

/// One `hp_*!` call with its context.
#[derive(Debug, Clone)]
pub struct Site {
    pub call: crate::model::HpCall,
    /// Conditions of the enclosing `if`/`match` arms, innermost last.
    pub conds: Vec<SymCond>,
    pub index: Option<SiteIndex>,
}

/// `name[var]` under `for var in 0..bound`.
#[derive(Debug, Clone)]
pub struct SiteIndex {
    pub var: Ident,
    pub bound: String,
}

/// A condition as seen in the source: `parent` takes one of `values`.
#[derive(Debug, Clone)]
pub struct SymCond {
    pub parent: String,
    /// The loop that indexes the parent (`use_bn[i]`), if any.
    pub parent_loop: Option<usize>,
    pub values: Vec<Lit>,
    /// The `if` condition or `match` arm pattern, for messages.
    pub tokens: TokenStream,
}

#[derive(Debug, Clone)]
struct ParamRef {
    name: String,
    loop_id: Option<usize>,
}

#[derive(Debug, Clone)]
enum Binding {
    Param(ParamRef),
    Loop(usize),
    Other,
}

/// What the walker needs of a parameter to read conditions on it.
#[derive(Debug, Clone)]
struct Domain {
    kind: MacroKind,
    /// Bool and choice values (conditions can only be on these).
    values: Vec<Lit>,
    ident: bool,
}

/// The walker's state: scopes of tracked locals, enclosing loops and conditions.
pub struct Walker<'a> {
    cx: &'a mut Ctxt,
    sites: Vec<Site>,
    scopes: Vec<HashMap<String, Binding>>,
    loops: Vec<(usize, Option<String>)>,
    conds: Vec<SymCond>,
    domains: HashMap<String, Domain>,
    next_loop: usize,
}

impl<'a> Walker<'a> {
    pub fn new(cx: &'a mut Ctxt) -> Self {
        Walker {
            cx,
            sites: Vec::new(),
            scopes: vec![HashMap::new()],
            loops: Vec::new(),
            conds: Vec::new(),
            domains: HashMap::new(),
            next_loop: 0,
        }
    }

    pub fn finish(self) -> Vec<Site> {
        self.sites
    }

    fn lookup(&self, name: &str) -> Option<Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name)).cloned()
    }

    fn bind(&mut self, ident: &Ident, binding: Binding) {
        self.scopes
            .last_mut()
            .expect("a scope is always open")
            .insert(ident.to_string(), binding);
    }

    /// Every name a pattern binds now hides any tracked local of that name.
    fn shadow(&mut self, pat: &Pat) {
        struct Names(Vec<Ident>);
        impl Visit<'_> for Names {
            fn visit_pat_ident(&mut self, p: &syn::PatIdent) {
                self.0.push(p.ident.clone());
                syn::visit::visit_pat_ident(self, p);
            }
        }
        let mut names = Names(Vec::new());
        names.visit_pat(pat);
        for ident in names.0 {
            self.bind(&ident, Binding::Other);
        }
    }

    fn scoped<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        self.scopes.push(HashMap::new());
        let r = f(self);
        self.scopes.pop();
        r
    }

    fn with_conds<R>(&mut self, conds: Vec<SymCond>, f: impl FnOnce(&mut Self) -> R) -> R {
        let depth = self.conds.len();
        self.conds.extend(conds);
        let r = f(self);
        self.conds.truncate(depth);
        r
    }

    /// Records the call in `e` (an `hp_*!` macro) and replaces it by its placeholder.
    fn hp_expr(&mut self, e: &mut Expr) -> Option<ParamRef> {
        let Expr::Macro(m) = e else { return None };
        let call = if crate::block::is_call(&m.mac) {
            // A block's scope is registered like a call: it gets the conditions and the loop
            // of where the block is called; the hp_*! in its arguments are read there too.
            let (scope, mut call) = crate::block::call(&m.mac)
                .map_err(|e| self.cx.push(e))
                .ok()?;
            self.visit_expr_call_mut(&mut call);
            crate::block::with_call(scope, call)
        } else {
            let kind = parse::hp_kind(&m.mac)?;
            parse::call(kind, &m.mac, self.cx)?
        };
        let span = call.span;
        let (id, r) = self.register(call)?;
        let id = proc_macro2::Literal::usize_unsuffixed(id);
        let placeholder = Ident::new(PLACEHOLDER, span);
        *e = syn::parse_quote_spanned!(span=> #placeholder!(#id));
        Some(r)
    }

    fn register(&mut self, call: crate::model::HpCall) -> Option<(usize, ParamRef)> {
        let name = call.name_str();
        let mut index = None;
        let mut loop_id = None;
        if let Some(var) = &call.index {
            match self.lookup(&var.to_string()) {
                Some(Binding::Loop(id)) => {
                    let bound = self
                        .loops
                        .iter()
                        .find(|l| l.0 == id)
                        .and_then(|l| l.1.clone());
                    match bound {
                        Some(bound) => {
                            index = Some(SiteIndex {
                                var: var.clone(),
                                bound,
                            });
                            loop_id = Some(id);
                        }
                        None => {
                            self.cx.error(
                                var,
                                format!(
                                    "indexed hyperparameter `{name}[{var}]` needs a loop bound that is a \
                                     hyperparameter: write the loop as `for {var} in 0..BOUND` (or \
                                     `(0..BOUND).map(|{var}| ..)`) where BOUND is \
                                     `hp_int!(..)` or a `let BOUND = hp_int!(..);` (not `mut`), so that \
                                     `{name}_k` is live exactly when k < BOUND"
                                ),
                            );
                            return None;
                        }
                    }
                }
                _ => {
                    self.cx.error(
                        var,
                        format!(
                            "`{var}` in `{name}[{var}]` is not the variable of an enclosing \
                             `for {var} in 0..BOUND` loop: index with the loop variable (not shadowed, \
                             not `mut`), or drop the index for a single shared parameter"
                        ),
                    );
                    return None;
                }
            }
        }
        for c in &self.conds {
            if c.parent_loop.is_some() && c.parent_loop != loop_id {
                self.cx.error(
                    &call.tokens,
                    format!(
                        "`{name}` is read under a condition on the indexed `{}[..]`, which differs per \
                         iteration: index `{name}` by the same loop variable, or move it out of the condition",
                        c.parent
                    ),
                );
                return None;
            }
        }
        self.domains.entry(name.clone()).or_insert_with(|| Domain {
            kind: call.kind,
            values: match call.kind {
                MacroKind::Bool => vec![Lit::Bool(true), Lit::Bool(false)],
                MacroKind::Choice => call
                    .values
                    .iter()
                    .flat_map(|v| v.value.iter().map(|c| c.lit.value.clone()))
                    .collect(),
                _ => Vec::new(),
            },
            ident: call
                .values
                .as_ref()
                .and_then(|v| v.value.first())
                .is_some_and(|c| matches!(c.lit.value, Lit::Ident(_))),
        });
        self.sites.push(Site {
            call,
            conds: self.conds.clone(),
            index,
        });
        Some((self.sites.len() - 1, ParamRef { name, loop_id }))
    }

    /// The parameter `e` reads (a call or a tracked local), visiting `e` either way.
    fn param_ref_of(&mut self, e: &mut Expr) -> Option<ParamRef> {
        match e {
            Expr::Paren(p) => self.param_ref_of(&mut p.expr),
            Expr::Group(g) => self.param_ref_of(&mut g.expr),
            Expr::Macro(m) if parse::hp_kind(&m.mac).is_some() => self.hp_expr(e),
            Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                let ident = p.path.get_ident().expect("checked");
                match self.lookup(&ident.to_string()) {
                    Some(Binding::Param(r)) => Some(r),
                    _ => None,
                }
            }
            _ => {
                self.visit_expr_mut(e);
                None
            }
        }
    }

    /// A bool/choice parameter's domain, for conditions on it.
    fn domain(&self, r: &ParamRef) -> Option<&Domain> {
        self.domains.get(&r.name).filter(|d| {
            matches!(d.kind, MacroKind::Bool | MacroKind::Choice) && !d.values.is_empty()
        })
    }

    fn cond(&self, r: &ParamRef, values: Vec<Lit>, tokens: TokenStream) -> SymCond {
        SymCond {
            parent: r.name.clone(),
            parent_loop: r.loop_id,
            values,
            tokens,
        }
    }

    fn complement(&self, c: &SymCond) -> Option<SymCond> {
        let domain = self.domains.get(&c.parent)?;
        Some(SymCond {
            values: domain
                .values
                .iter()
                .filter(|v| !c.values.contains(v))
                .cloned()
                .collect(),
            ..c.clone()
        })
    }

    /// A value compared with (or matched against) `r`, checked to be one of its values.
    fn value_for(&mut self, r: &ParamRef, expr: &Expr) -> Option<Lit> {
        let domain = self.domain(r)?.clone();
        if let Expr::Path(p) = expr {
            let last = p.path.segments.last()?.ident.to_string();
            // A path is a value only for identifier choices, and then only if it looks like a
            // variant (consts such as `DEFAULT_ACT` are left alone: no condition, still safe).
            let variant_like = last.starts_with(|c: char| c.is_ascii_uppercase())
                && last.chars().any(|c| c.is_ascii_lowercase());
            if !domain.ident || !variant_like {
                return None;
            }
        }
        let lit = parse::lit_value(expr, domain.ident).ok()?;
        if !domain.values.first().is_some_and(|v| v.same_type(&lit)) {
            return None;
        }
        if !domain.values.contains(&lit) {
            self.not_a_value(r, &lit, expr);
            return None;
        }
        Some(lit)
    }

    fn not_a_value(&mut self, r: &ParamRef, lit: &Lit, tokens: &dyn ToTokens) {
        let values = self
            .domains
            .get(&r.name)
            .map(|d| d.values.clone())
            .unwrap_or_default();
        self.cx.error(
            tokens,
            format!(
                "{lit} is not one of the values of `{}` ({}): this condition could never hold; \
                 use one of those values or add {lit} to the parameter's values",
                r.name,
                crate::model::list(&values)
            ),
        );
    }

    /// Conditions that hold whenever `e` is true, and whether they are equivalent to `e`
    /// (only then does the `else` branch get the complement); visits `e` exactly once.
    fn cond_of(&mut self, e: &mut Expr) -> Option<(Vec<SymCond>, bool)> {
        let tokens = e.to_token_stream();
        match e {
            Expr::Paren(p) => self.cond_of(&mut p.expr),
            Expr::Group(g) => self.cond_of(&mut g.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Not(_)) => match self.cond_of(&mut u.expr)? {
                (inner, true) if inner.len() == 1 => {
                    self.complement(&inner[0]).map(|c| (vec![c], true))
                }
                _ => None,
            },
            Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
                let left = self.cond_of(&mut b.left);
                let right = self.cond_of(&mut b.right);
                if left.is_none() && right.is_none() {
                    return None;
                }
                let conds = left.into_iter().chain(right).flat_map(|(c, _)| c).collect();
                Some((conds, false))
            }
            Expr::Binary(b) if matches!(b.op, BinOp::Eq(_) | BinOp::Ne(_)) => {
                let left = self.param_ref_of(&mut b.left);
                let right = self.param_ref_of(&mut b.right);
                let (r, other) = match (left, right) {
                    (Some(r), None) => (r, &*b.right),
                    (None, Some(r)) => (r, &*b.left),
                    _ => return None,
                };
                let lit = self.value_for(&r, other)?;
                let c = self.cond(&r, vec![lit], tokens);
                if matches!(b.op, BinOp::Ne(_)) {
                    self.complement(&c).map(|c| (vec![c], true))
                } else {
                    Some((vec![c], true))
                }
            }
            Expr::Let(_) => {
                self.visit_expr_mut(e);
                None
            }
            _ => {
                let r = self.param_ref_of(e)?;
                let domain = self.domain(&r)?;
                domain
                    .values
                    .contains(&Lit::Bool(true))
                    .then(|| (vec![self.cond(&r, vec![Lit::Bool(true)], tokens)], true))
            }
        }
    }
}

/// The patterns of `let` expressions in an `if` condition (`if let`, let chains).
fn let_patterns(e: &Expr) -> Vec<Pat> {
    match e {
        Expr::Let(l) => vec![(*l.pat).clone()],
        Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
            let mut v = let_patterns(&b.left);
            v.extend(let_patterns(&b.right));
            v
        }
        Expr::Paren(p) => let_patterns(&p.expr),
        _ => Vec::new(),
    }
}

/// The first `hp_*` name in a token stream, with its span.
fn find_hp(tokens: TokenStream) -> Option<(Span, String)> {
    tokens.into_iter().find_map(|t| match t {
        TokenTree::Ident(i) if MacroKind::from_name(&i.to_string()).is_some() => {
            Some((i.span(), i.to_string()))
        }
        TokenTree::Group(g) => find_hp(g.stream()),
        _ => None,
    })
}

/// Visits the arguments of a macro whose tokens are expressions (`format!`, `vec!`, ...),
/// writing the visited expressions back; false if they are not expressions.
pub fn visit_macro_exprs<V: VisitMut>(v: &mut V, mac: &mut Macro) -> bool {
    if let Ok(mut args) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
        args.iter_mut().for_each(|a| v.visit_expr_mut(a));
        mac.tokens = args.to_token_stream();
        return true;
    }
    let repeat = |input: ParseStream| -> syn::Result<(Expr, Token![;], Expr)> {
        Ok((input.parse()?, input.parse()?, input.parse()?))
    };
    if let Ok((mut a, semi, mut b)) = mac.parse_body_with(repeat) {
        v.visit_expr_mut(&mut a);
        v.visit_expr_mut(&mut b);
        mac.tokens = quote!(#a #semi #b);
        return true;
    }
    false
}

/// Turns `hp_int!(..);` in statement position into an expression statement.
pub fn stmt_macro_as_expr(s: &mut Stmt, is_ours: impl Fn(&Macro) -> bool) {
    if let Stmt::Macro(m) = s {
        if is_ours(&m.mac) {
            let expr = Expr::Macro(syn::ExprMacro {
                attrs: std::mem::take(&mut m.attrs),
                mac: m.mac.clone(),
            });
            *s = Stmt::Expr(expr, m.semi_token);
        }
    }
}

impl VisitMut for Walker<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Macro(m) if parse::hp_kind(&m.mac).is_some() || crate::block::is_call(&m.mac) => {
                self.hp_expr(e);
            }
            Expr::Macro(m) => self.foreign_macro(&mut m.mac),
            Expr::If(i) => self.visit_if(i),
            Expr::Match(m) => self.visit_match(m),
            Expr::ForLoop(f) => self.visit_for(f),
            Expr::MethodCall(mc) => {
                if !self.visit_range_closure(mc) {
                    visit_mut::visit_expr_mut(self, e);
                }
            }
            Expr::Closure(c) => self.scoped(|w| {
                for input in &c.inputs {
                    w.shadow(input);
                }
                w.visit_expr_mut(&mut c.body);
            }),
            Expr::While(wl) => {
                let lets = let_patterns(&wl.cond);
                self.visit_expr_mut(&mut wl.cond);
                self.scoped(|w| {
                    for pat in &lets {
                        w.shadow(pat);
                    }
                    w.visit_block_mut(&mut wl.body);
                });
            }
            _ => visit_mut::visit_expr_mut(self, e),
        }
    }

    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        self.scoped(|w| visit_mut::visit_block_mut(w, b));
    }

    fn visit_stmt_mut(&mut self, s: &mut Stmt) {
        stmt_macro_as_expr(s, |m| {
            parse::hp_kind(m).is_some() || crate::block::is_call(m)
        });
        match s {
            Stmt::Macro(m) => self.foreign_macro(&mut m.mac),
            // Nested items are separate functions: `hp_*!` there is an error of its own.
            Stmt::Item(_) => {}
            _ => visit_mut::visit_stmt_mut(self, s),
        }
    }

    fn visit_local_mut(&mut self, l: &mut Local) {
        let mut bound = None;
        if let Some(init) = &mut l.init {
            bound = self.param_ref_of(&mut init.expr);
            if let Some((_, diverge)) = &mut init.diverge {
                self.visit_expr_mut(diverge);
            }
        }
        let pat = match &l.pat {
            Pat::Type(t) => &*t.pat,
            p => p,
        };
        match (pat, bound) {
            (Pat::Ident(p), Some(r))
                if p.mutability.is_none() && p.by_ref.is_none() && p.subpat.is_none() =>
            {
                let ident = p.ident.clone();
                self.bind(&ident, Binding::Param(r));
            }
            _ => self.shadow(&l.pat.clone()),
        }
    }
}
