//! Walks a `#[hypermodel]` body: records every `hp_*!` call with the conditions and loop it
//! sits in, and replaces each call by a numbered placeholder that `expand` turns into a read.
//!
//! Inference is exact or an error: params are immutable during one build, so code inside
//! `if x > 1 { .. }` runs exactly when `x` takes one of the values above 1, whatever closures
//! or loops surround it. A guard that depends on hyperparameters in a way no AND of parent
//! values states (an OR over two parameters, a continuous float, a value computed from
//! parameters, a user function) is an error on the guard when a call sits under it, unless
//! the call states its condition with `parent_name`. Guards on anything else (data, config)
//! restrict no parameter, which is KerasTuner's meaning: a parameter is live when reached.

mod control;
mod explicit;
mod foreign;
mod locals;
mod outcome;
mod patterns;
mod pred;

use crate::check::Ctxt;
use crate::model::{Lit, MacroKind};
use crate::parse;
use locals::is_compound_assign;
pub use outcome::{lit_eq, Opaque, SymCond};
use outcome::{Analysis, Outcome};

/// When code completes normally (reaches its end): `None` never, `Some(o)` when `o` holds.
type Exit = Option<Outcome>;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use std::collections::{HashMap, HashSet};
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Local, Macro, Pat, Stmt, Token};

/// Name of the placeholder macro left where each call was.
pub const PLACEHOLDER: &str = "__tuner_hp_site";

/// One `hp_*!` call with its context.
#[derive(Debug, Clone)]
pub struct Site {
    pub call: crate::model::HpCall,
    /// Conditions of the enclosing `if`/`match` arms, guards and loops, innermost last.
    pub conds: Vec<SymCond>,
    pub index: Option<SiteIndex>,
    /// Enclosing guards the macro could not state (allowed only with an explicit parent).
    pub opaque: Vec<Opaque>,
}

/// `name[var]` under `for var in 0..bound`.
#[derive(Debug, Clone)]
pub struct SiteIndex {
    pub var: Ident,
    pub bound: String,
}

#[derive(Debug, Clone)]
struct ParamRef {
    name: String,
    loop_id: Option<usize>,
}

#[derive(Debug, Clone)]
enum Binding {
    Param(ParamRef),
    /// A local holding a condition on parameters (`let is_mlp = kind == "mlp";`).
    Cond(Box<Analysis>),
    /// A local computed from parameters in a way conditions cannot follow (and why).
    Derived(String),
    /// A loop variable; its loop's bound, or why it cannot index.
    Loop(usize),
    Other,
}

/// What the walker needs of a parameter to read conditions on it.
#[derive(Debug, Clone)]
struct Domain {
    kind: MacroKind,
    /// Every value, when there are few enough to list; otherwise why not.
    values: Result<Vec<Lit>, String>,
    ident: bool,
}

/// One enclosing loop: its id and, when it can index, its bound's name.
#[derive(Debug, Clone)]
struct Loop {
    id: usize,
    bound: Result<String, String>,
}

/// The walker's state: scopes of tracked locals, enclosing loops and conditions.
pub struct Walker<'a> {
    cx: &'a mut Ctxt,
    sites: Vec<Site>,
    scopes: Vec<HashMap<String, Binding>>,
    loops: Vec<Loop>,
    frames: Vec<Outcome>,
    domains: HashMap<String, Domain>,
    next_loop: usize,
    next_opaque: usize,
    reported: HashSet<usize>,
    /// How the expression just visited completes, when it can exit early (a guard clause):
    /// `Some(None)` never, `Some(Some(o))` exactly when `o` holds; `None` when it says nothing.
    rest: Option<Exit>,
}

impl<'a> Walker<'a> {
    pub fn new(cx: &'a mut Ctxt) -> Self {
        Walker {
            cx,
            sites: Vec::new(),
            scopes: vec![HashMap::new()],
            loops: Vec::new(),
            frames: Vec::new(),
            domains: HashMap::new(),
            next_loop: 0,
            next_opaque: 0,
            reported: HashSet::new(),
            rest: None,
        }
    }

    /// The sites, after checking every explicit parent against where its call is read.
    pub fn finish(mut self) -> Vec<Site> {
        let sites = std::mem::take(&mut self.sites);
        self.explicit_parents(&sites);
        sites
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

    fn with_frame<R>(&mut self, frame: Outcome, f: impl FnOnce(&mut Self) -> R) -> R {
        let depth = self.frames.len();
        self.frames.push(frame);
        let r = f(self);
        self.frames.truncate(depth);
        r
    }

    fn opaque(&mut self, tokens: &dyn ToTokens, why: String) -> Opaque {
        self.next_opaque += 1;
        Opaque {
            id: self.next_opaque,
            tokens: tokens.to_token_stream(),
            why,
            known: Vec::new(),
            after: false,
        }
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

    /// The loop a call's index names, or the error that it cannot index.
    fn site_index(
        &mut self,
        call: &crate::model::HpCall,
    ) -> Result<Option<(SiteIndex, usize)>, ()> {
        let name = call.name_str();
        let Some(var) = &call.index else {
            return Ok(None);
        };
        let Some(Binding::Loop(id)) = self.lookup(&var.to_string()) else {
            self.cx.error(
                var,
                format!(
                    "`{var}` in `{name}[{var}]` is not the variable of an enclosing \
                     `for {var} in 0..BOUND` loop: index with the loop variable (not shadowed, \
                     not `mut`), or drop the index for a single shared parameter"
                ),
            );
            return Err(());
        };
        let bound = self
            .loops
            .iter()
            .find(|l| l.id == id)
            .map(|l| l.bound.clone())
            .unwrap_or_else(|| Err(String::new()));
        match bound {
            Ok(bound) => Ok(Some((
                SiteIndex {
                    var: var.clone(),
                    bound,
                },
                id,
            ))),
            Err(why) => {
                self.cx.error(
                    var,
                    format!(
                        "indexed hyperparameter `{name}[{var}]` needs a loop bound that is a \
                         hyperparameter{why}: write the loop as `for {var} in 0..BOUND` (or \
                         `(0..BOUND).map(|{var}| ..)`), from 0 with the end excluded, where BOUND is \
                         `hp_int!(..)`, an int `hp_choice!(..)` or a `let BOUND = ..;` of one (not \
                         `mut`, casts allowed), so that `{name}_k` is live exactly when k < BOUND"
                    ),
                );
                Err(())
            }
        }
    }

    fn register(&mut self, call: crate::model::HpCall) -> Option<(usize, ParamRef)> {
        let name = call.name_str();
        let (index, loop_id) = match self.site_index(&call).ok()? {
            Some((ix, id)) => (Some(ix), Some(id)),
            None => (None, None),
        };
        let mut conds = Vec::new();
        let mut opaque = Vec::new();
        for frame in &self.frames {
            match frame {
                Outcome::Conds(cs) => conds.extend(
                    cs.iter()
                        // The per-iteration condition of `x[i]` implies its loop runs.
                        .filter(|c| c.loop_frame.is_none() || c.loop_frame != loop_id)
                        .cloned(),
                ),
                Outcome::Opaque(o) => {
                    conds.extend(o.known.iter().cloned());
                    opaque.push(o.clone());
                }
            }
        }
        for c in &conds {
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
        if call.parent.is_none() {
            if let Some(o) = opaque.first() {
                if self.reported.insert(o.id) {
                    self.cx.error(
                        &o.tokens,
                        format!(
                            "`{name}` is read {} `{}`, which depends on hyperparameters in a way a \
                             search space cannot state: {}; or, if you know the condition, state it on \
                             the call with `parent_name = P, parent_values = [..]`",
                            if o.after { "after the early exit under" } else { "under" },
                            outcome::shown(&o.tokens),
                            o.why
                        ),
                    );
                }
            }
        }
        if !self.domains.contains_key(&name) {
            let domain = Domain::of(&call);
            self.domains.insert(name.clone(), domain);
        }
        self.sites.push(Site {
            call,
            conds,
            index,
            opaque,
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

    /// Calls read inside a `move` closure (sites from `before` on): the closure is made to
    /// outlive the build (returned, stored), which a read of the trial's params cannot.
    fn moved_reads(&mut self, before: usize) {
        let Some(site) = self.sites.get(before) else {
            return;
        };
        let (span, name, kind) = (site.call.span, site.call.name_str(), site.call.kind.name());
        self.cx.error_at(
            span,
            format!(
                "`{kind}!` inside a `move` closure: its value is read from the trial's params \
                 while the closure runs, so a closure that outlives the build (returned, boxed, \
                 stored) would borrow them past it; read the value before the closure, \
                 `let {name} = {kind}!(..);`, and move `{name}` into it (or drop `move`)"
            ),
        );
    }

    /// Whether an expression (already visited) reads a parameter or a local computed from one.
    fn mentions(&self, e: &dyn ToTokens) -> bool {
        fn scan(w: &Walker<'_>, tokens: TokenStream) -> bool {
            tokens.into_iter().any(|t| match t {
                TokenTree::Ident(i) => {
                    i == PLACEHOLDER
                        || matches!(
                            w.lookup(&i.to_string()),
                            Some(Binding::Param(_) | Binding::Cond(_) | Binding::Derived(_))
                        )
                }
                TokenTree::Group(g) => scan(w, g.stream()),
                _ => false,
            })
        }
        scan(self, e.to_token_stream())
    }
}

impl Domain {
    /// The values a call's parameter takes, from its definition as the run time builds it
    /// (problems of the definition are reported where the model is assembled).
    fn of(call: &crate::model::HpCall) -> Domain {
        let mut scratch = Ctxt::default();
        let def = crate::check::definition(call, &mut scratch);
        let name = call.name_str();
        let values = match &def {
            None => Err(String::new()),
            Some(def) => def.domain().ok_or_else(|| {
                if def.param.cardinality().is_none() {
                    format!(
                        "`{name}` is a continuous float, so a condition on it has no list of values \
                         (a parent has finitely many, as in KerasTuner): give `{name}` a `step`, or \
                         make it an `hp_choice!`"
                    )
                } else {
                    format!(
                        "`{name}` has too many values to list in a condition: narrow its range or \
                         give it a coarser `step`"
                    )
                }
            }),
        };
        Domain {
            kind: call.kind,
            values,
            ident: def.as_ref().is_some_and(|d| d.idents),
        }
    }
}

/// The patterns of `let` expressions in an `if` condition (`if let`, let chains).
fn let_patterns(e: &Expr) -> Vec<Pat> {
    match e {
        Expr::Let(l) => vec![(*l.pat).clone()],
        Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
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
            Expr::Macro(m) if m.mac.path.is_ident("matches") => {
                self.cond_of(e);
            }
            Expr::Macro(m) => self.foreign_macro(&mut m.mac),
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
                // The right operand runs only when the left one decides so.
                self.cond_of(e);
            }
            Expr::Assign(a) => {
                self.visit_expr_mut(&mut a.left);
                self.visit_expr_mut(&mut a.right);
                self.assigned(&a.left.clone(), &a.right.clone());
            }
            Expr::Binary(b) if is_compound_assign(&b.op) => {
                self.visit_expr_mut(&mut b.left);
                self.visit_expr_mut(&mut b.right);
                self.assigned(&b.left.clone(), &b.right.clone());
            }
            Expr::If(i) => self.visit_if(i),
            Expr::Match(m) => self.visit_match(m),
            Expr::ForLoop(f) => self.visit_for(f),
            Expr::MethodCall(mc) => self.visit_method_call(mc),
            Expr::Closure(c) => self.scoped(|w| {
                for input in &c.inputs {
                    w.shadow(input);
                }
                let before = w.sites.len();
                w.visit_expr_mut(&mut c.body);
                // A `return` in the closure leaves the closure, not the enclosing block.
                w.rest = None;
                if c.capture.is_some() {
                    w.moved_reads(before);
                }
            }),
            Expr::While(wl) => self.visit_while(wl),
            Expr::Loop(_) | Expr::Async(_) => {
                visit_mut::visit_expr_mut(self, e);
                // Exits inside end the loop or the future, not the block around them.
                self.rest = None;
            }
            _ => visit_mut::visit_expr_mut(self, e),
        }
    }

    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        self.scoped(|w| w.visit_stmts(&mut b.stmts));
    }

    fn visit_stmt_mut(&mut self, s: &mut Stmt) {
        stmt_macro_as_expr(s, |m| {
            parse::hp_kind(m).is_some() || crate::block::is_call(m)
        });
        match s {
            Stmt::Macro(m) => self.foreign_macro(&mut m.mac),
            Stmt::Item(item) => self.nested_item(item),
            _ => visit_mut::visit_stmt_mut(self, s),
        }
    }

    fn visit_local_mut(&mut self, l: &mut Local) {
        self.local(l);
    }
}
