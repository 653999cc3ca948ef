//! Guards as conditions: what an `if` condition, a `matches!`, a `match` arm's pattern or a
//! comparison says about the parameters, for the branch that runs and for the one that does
//! not. Each is an exact AND of parent values, or `Opaque` with the reason.

use super::*;
use syn::{BinOp, RangeLimits, UnOp};

/// A condition as seen in the source: `parent` takes one of `values`.
#[derive(Debug, Clone)]
pub struct SymCond {
    pub parent: String,
    /// The loop that indexes the parent (`use_bn[i]`), if any.
    pub parent_loop: Option<usize>,
    pub values: Vec<Lit>,
    /// The `if` condition or `match` arm pattern, for messages.
    pub tokens: TokenStream,
    /// Set on "this loop runs at least once": implied for calls indexed by that loop.
    pub loop_frame: Option<usize>,
}

/// A guard that depends on parameters in a way no AND of parent values states.
#[derive(Debug, Clone)]
pub struct Opaque {
    /// Reported once however many calls sit under it.
    pub id: usize,
    pub tokens: TokenStream,
    /// Why, and the fix.
    pub why: String,
    /// What is known besides (`x > 1 && f(y)`: `x > 1`).
    pub known: Vec<SymCond>,
    /// The code is after the guard (it exits early), not inside it.
    pub after: bool,
}

/// What is known of the parameters where some code runs.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Exactly when every one holds (none: whatever the parameters are).
    Conds(Vec<SymCond>),
    Opaque(Opaque),
}

impl Outcome {
    pub fn always() -> Outcome {
        Outcome::Conds(Vec::new())
    }
}

/// A boolean expression seen as a guard: when its `true` branch runs, when its `false`
/// branch runs, and whether it reads parameters at all.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub then: Outcome,
    pub els: Outcome,
    pub mentions: bool,
}

impl Analysis {
    fn plain() -> Analysis {
        Analysis {
            then: Outcome::always(),
            els: Outcome::always(),
            mentions: false,
        }
    }

    fn exact(then: SymCond, els: SymCond) -> Analysis {
        Analysis {
            then: Outcome::Conds(vec![then]),
            els: Outcome::Conds(vec![els]),
            mentions: true,
        }
    }

    fn opaque(o: Opaque) -> Analysis {
        Analysis {
            then: Outcome::Opaque(o.clone()),
            els: Outcome::Opaque(o),
            mentions: true,
        }
    }

    /// Whether it states a condition in at least one branch (it is a guard on parameters).
    pub fn is_condition(&self) -> bool {
        let some = |o: &Outcome| matches!(o, Outcome::Conds(c) if !c.is_empty());
        some(&self.then) || some(&self.els)
    }

    fn not(self) -> Analysis {
        Analysis {
            then: self.els,
            els: self.then,
            mentions: self.mentions,
        }
    }
}

/// Values equal as the run time compares them (floats up to grid rounding noise).
pub fn lit_eq(a: &Lit, b: &Lit) -> bool {
    match (a, b) {
        (Lit::Ident(x), Lit::Ident(y)) => x == y,
        (Lit::Ident(_), _) | (_, Lit::Ident(_)) => false,
        _ => a.value().same_as(&b.value()),
    }
}

/// Values equal as the user's code compares them when it runs: floats exactly (grid
/// points are tidied decimals, so `lr == 0.3` holds for the grid point 0.3).
fn exact_eq(a: &Lit, b: &Lit) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => lit_eq(a, b),
    }
}

/// Tokens as the user wrote them, for messages (no spaces around `.`, `::`, parentheses).
pub fn shown(tokens: &TokenStream) -> String {
    tokens
        .to_string()
        .replace(" . ", ".")
        .replace(" (", "(")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
        .replace(" :: ", "::")
        .replace("& ", "&")
        .replace(" ..= ", "..=")
        .replace(" .. ", "..")
}

pub(super) fn and_outcomes(a: Outcome, b: Outcome) -> Outcome {
    match (a, b) {
        (Outcome::Opaque(mut o), Outcome::Conds(k))
        | (Outcome::Conds(k), Outcome::Opaque(mut o)) => {
            if let Outcome::Conds(known) = and_outcomes(
                Outcome::Conds(std::mem::take(&mut o.known)),
                Outcome::Conds(k),
            ) {
                o.known = known;
            }
            Outcome::Opaque(o)
        }
        (Outcome::Opaque(o), Outcome::Opaque(_)) => Outcome::Opaque(o),
        (Outcome::Conds(x), Outcome::Conds(y)) => {
            let mut all: Vec<SymCond> = Vec::new();
            for c in x.into_iter().chain(y) {
                match all.iter_mut().find(|k| same_parent(k, &c)) {
                    Some(k) => k.values.retain(|v| c.values.iter().any(|w| lit_eq(v, w))),
                    None => all.push(c),
                }
            }
            Outcome::Conds(all)
        }
    }
}

fn same_parent(a: &SymCond, b: &SymCond) -> bool {
    a.parent == b.parent && a.parent_loop == b.parent_loop && a.loop_frame == b.loop_frame
}

/// `a` holds whenever `b` holds (each condition of `a` is implied by one of `b`).
fn implied(a: &[SymCond], b: &[SymCond]) -> bool {
    a.iter().all(|ca| {
        b.iter().any(|cb| {
            cb.parent == ca.parent
                && cb.parent_loop == ca.parent_loop
                && cb
                    .values
                    .iter()
                    .all(|v| ca.values.iter().any(|w| lit_eq(v, w)))
        })
    })
}

impl Walker<'_> {
    /// `a || b` where both are conditions: one AND when they differ in one parent only.
    pub(super) fn or_outcomes(&mut self, a: Outcome, b: Outcome, tokens: &dyn ToTokens) -> Outcome {
        let (x, y) = match (a, b) {
            (Outcome::Conds(x), _) if x.is_empty() => return Outcome::always(),
            (_, Outcome::Conds(y)) if y.is_empty() => return Outcome::always(),
            (Outcome::Opaque(mut o), _) | (_, Outcome::Opaque(mut o)) => {
                o.known.clear();
                return Outcome::Opaque(o);
            }
            (Outcome::Conds(x), Outcome::Conds(y)) => (x, y),
        };
        if implied(&x, &y) {
            return Outcome::Conds(x);
        }
        if implied(&y, &x) {
            return Outcome::Conds(y);
        }
        // Same parents, equal but for one: that one takes the union.
        let same_parents =
            x.len() == y.len() && x.iter().all(|cx| y.iter().any(|cy| same_parent(cx, cy)));
        if same_parents {
            let equal = |a: &SymCond, b: &SymCond| {
                implied(std::slice::from_ref(a), std::slice::from_ref(b))
                    && implied(std::slice::from_ref(b), std::slice::from_ref(a))
            };
            let differ: Vec<usize> = (0..x.len())
                .filter(|&i| {
                    let cy = y
                        .iter()
                        .find(|cy| same_parent(&x[i], cy))
                        .expect("same parents");
                    !equal(&x[i], cy)
                })
                .collect();
            if let [i] = differ.as_slice() {
                let mut merged = x.clone();
                let cy = y
                    .iter()
                    .find(|cy| same_parent(&x[*i], cy))
                    .expect("same parents");
                let c = &mut merged[*i];
                let extra: Vec<Lit> = cy
                    .values
                    .iter()
                    .filter(|v| !c.values.iter().any(|w| lit_eq(v, w)))
                    .cloned()
                    .collect();
                c.values.extend(extra);
                c.tokens = tokens.to_token_stream();
                return Outcome::Conds(merged);
            }
        }
        let names: Vec<String> = x
            .iter()
            .chain(&y)
            .map(|c| format!("`{}`", c.parent))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        Outcome::Opaque(self.opaque(
            tokens,
            format!(
                "it is an OR over {}, and a parameter's condition is one AND of parent values: \
                 nest the `if`s so that each branch is one AND, or read the parameter before the \
                 `if` (then it is always live)",
                names.join(" and ")
            ),
        ))
    }

    pub(super) fn cond(&self, r: &ParamRef, values: Vec<Lit>, tokens: &dyn ToTokens) -> SymCond {
        SymCond {
            parent: r.name.clone(),
            parent_loop: r.loop_id,
            values,
            tokens: tokens.to_token_stream(),
            loop_frame: None,
        }
    }

    /// The values of `r`, or why a condition on it cannot list them.
    fn values_of(&mut self, r: &ParamRef, tokens: &dyn ToTokens) -> Result<Vec<Lit>, Opaque> {
        match self.domains.get(&r.name).map(|d| d.values.clone()) {
            Some(Ok(values)) => Ok(values),
            Some(Err(why)) => Err(self.opaque(tokens, why)),
            None => Err(self.opaque(tokens, format!("`{}` is not a parameter here", r.name))),
        }
    }

    /// `r` takes one of `values` (then) or one of the others (else).
    fn split(
        &mut self,
        r: &ParamRef,
        keep: impl Fn(&Lit) -> bool,
        tokens: &dyn ToTokens,
    ) -> Analysis {
        match self.values_of(r, tokens) {
            Err(o) => Analysis::opaque(o),
            Ok(all) => {
                let (yes, no): (Vec<Lit>, Vec<Lit>) = all.into_iter().partition(|v| keep(v));
                Analysis::exact(self.cond(r, yes, tokens), self.cond(r, no, tokens))
            }
        }
    }

    /// A value compared with (or matched against) `r`: `Ok(None)` when the types differ
    /// (rustc reports that), an error when it cannot be known at compile time.
    fn value_for(&mut self, r: &ParamRef, expr: &Expr) -> Result<Option<Lit>, String> {
        let Some(domain) = self.domains.get(&r.name).cloned() else {
            return Err(String::new());
        };
        if let Expr::Path(p) = expr {
            let last = p.path.segments.last().map(|s| s.ident.to_string());
            let variant_like = last.as_deref().is_some_and(|l| {
                l.starts_with(|c: char| c.is_ascii_uppercase())
                    && l.chars().any(|c| c.is_ascii_lowercase())
            });
            if !domain.ident || !variant_like {
                return Err(format!(
                    "`{}` is not a literal, so the macro cannot know which values of `{}` it \
                     selects: compare with a literal",
                    expr.to_token_stream().to_string().replace(' ', ""),
                    r.name
                ));
            }
        }
        let lit = parse::lit_value(expr, domain.ident).map_err(|_| {
            format!(
                "`{}` is not a literal, so the macro cannot know which values of `{}` it selects: \
                 compare with a literal",
                shown(&expr.to_token_stream()),
                r.name
            )
        })?;
        let Ok(values) = &domain.values else {
            return Ok(Some(lit));
        };
        let same_type = values.first().is_some_and(|v| v.same_type(&lit))
            || (domain.kind == MacroKind::Float && matches!(lit, Lit::Int(_)));
        if !same_type {
            return Ok(None);
        }
        // A number need not be a value (`depth > 0`); a string, bool or variant must be.
        if lit.as_f64().is_some() || values.iter().any(|v| lit_eq(v, &lit)) {
            return Ok(Some(lit));
        }
        self.not_a_value(r, &lit, expr);
        Ok(None)
    }

    pub(super) fn not_a_value(&mut self, r: &ParamRef, lit: &Lit, tokens: &dyn ToTokens) {
        let values = self
            .domains
            .get(&r.name)
            .and_then(|d| d.values.clone().ok())
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

    /// The parameter an operand reads, through parentheses, `*`, `&` and numeric casts.
    pub(super) fn operand_pub(&mut self, e: &mut Expr) -> Option<ParamRef> {
        match e {
            Expr::Paren(p) => self.operand_pub(&mut p.expr),
            Expr::Group(g) => self.operand_pub(&mut g.expr),
            Expr::Reference(r) => self.operand_pub(&mut r.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => self.operand_pub(&mut u.expr),
            Expr::Cast(c) => {
                let r = self.operand_pub(&mut c.expr)?;
                // A cast keeps every value only when none is negative or fractional.
                let keeps = self.domains.get(&r.name).is_some_and(|d| match &d.values {
                    Ok(vs) => vs.iter().all(|v| matches!(v, Lit::Int(i) if *i >= 0)),
                    Err(_) => false,
                });
                keeps.then_some(r)
            }
            _ => self.param_ref_of(e),
        }
    }

    /// `x OP lit` (either side) for `==`, `!=`, `<`, `<=`, `>`, `>=`.
    fn comparison(&mut self, b: &mut syn::ExprBinary, tokens: &TokenStream) -> Analysis {
        let left = self.operand_pub(&mut b.left);
        let right = self.operand_pub(&mut b.right);
        let (r, other, flipped) = match (left, right) {
            (Some(r), None) => (r, (*b.right).clone(), false),
            (None, Some(r)) => (r, (*b.left).clone(), true),
            (Some(_), Some(_)) => {
                let o = self.opaque(
                    tokens,
                    "it compares two hyperparameters with each other; conditions compare one \
                     with literals: branch on each separately"
                        .to_owned(),
                );
                return Analysis::opaque(o);
            }
            (None, None) => return self.leaf_visited(&Expr::Binary(b.clone()), tokens),
        };
        let lit = match self.value_for(&r, &other) {
            Ok(Some(lit)) => lit,
            Ok(None) => {
                return Analysis {
                    mentions: true,
                    ..Analysis::plain()
                }
            }
            Err(why) => return Analysis::opaque(self.opaque(tokens, why)),
        };
        let op = b.op;
        let numeric = lit.as_f64();
        let keep = move |v: &Lit| -> bool {
            let ord = match (v.as_f64(), numeric) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => None,
            };
            let (lt, gt) = match (ord, flipped) {
                (Some(o), false) => (o.is_lt(), o.is_gt()),
                (Some(o), true) => (o.is_gt(), o.is_lt()),
                (None, _) => (false, false),
            };
            match op {
                BinOp::Eq(_) => exact_eq(v, &lit),
                BinOp::Ne(_) => !exact_eq(v, &lit),
                BinOp::Lt(_) => lt,
                BinOp::Le(_) => lt || exact_eq(v, &lit),
                BinOp::Gt(_) => gt,
                BinOp::Ge(_) => gt || exact_eq(v, &lit),
                _ => false,
            }
        };
        let ordered = !matches!(op, BinOp::Eq(_) | BinOp::Ne(_));
        if ordered && numeric.is_none() {
            let o = self.opaque(
                tokens,
                format!(
                    "`{}` orders a non-number; compare `{}` with `==`, `!=` or `matches!`",
                    shown(tokens),
                    r.name
                ),
            );
            return Analysis::opaque(o);
        }
        self.split(&r, keep, tokens)
    }

    /// An expression already visited that is no recognised form.
    fn leaf_visited(&mut self, e: &dyn ToTokens, tokens: &TokenStream) -> Analysis {
        if !self.mentions(e) {
            return Analysis::plain();
        }
        if let Some(why) = self.derived_in(e.to_token_stream()) {
            return Analysis::opaque(self.opaque(tokens, why));
        }
        let o = self.opaque(
            tokens,
            "the macro reads conditions only as comparisons of a hyperparameter with literals \
             (`x == 2`, `x > 1`, `x != \"cnn\"`), `matches!(x, ..)`, `(a..=b).contains(&x)`, \
             `match x { .. }`, `if let PAT = x`, a bool parameter, and `!`/`&&`/`||` of these: \
             write the guard in one of those forms"
                .to_owned(),
        );
        Analysis::opaque(o)
    }

    /// What `e` says about the parameters as a guard; visits `e` exactly once.
    pub(super) fn cond_of(&mut self, e: &mut Expr) -> Analysis {
        let tokens = e.to_token_stream();
        match e {
            Expr::Paren(p) => self.cond_of(&mut p.expr),
            Expr::Group(g) => self.cond_of(&mut g.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Not(_)) => self.cond_of(&mut u.expr).not(),
            Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
                let left = self.cond_of(&mut b.left);
                let right = self.with_frame(left.then.clone(), |w| w.cond_of(&mut b.right));
                let then = and_outcomes(left.then.clone(), right.then);
                let right_false = and_outcomes(left.then, right.els);
                let els = self.or_outcomes(left.els, right_false, &tokens);
                Analysis {
                    then,
                    els,
                    mentions: left.mentions || right.mentions,
                }
            }
            Expr::Binary(b) if matches!(b.op, BinOp::Or(_)) => {
                let left = self.cond_of(&mut b.left);
                let right = self.with_frame(left.els.clone(), |w| w.cond_of(&mut b.right));
                let right_true = and_outcomes(left.els.clone(), right.then);
                let then = self.or_outcomes(left.then, right_true, &tokens);
                let els = and_outcomes(left.els, right.els);
                Analysis {
                    then,
                    els,
                    mentions: left.mentions || right.mentions,
                }
            }
            Expr::Binary(b)
                if matches!(
                    b.op,
                    BinOp::Eq(_)
                        | BinOp::Ne(_)
                        | BinOp::Lt(_)
                        | BinOp::Le(_)
                        | BinOp::Gt(_)
                        | BinOp::Ge(_)
                ) =>
            {
                self.comparison(b, &tokens)
            }
            Expr::Let(l) => {
                let r = self.operand_pub(&mut l.expr);
                match r {
                    Some(r) => self.pattern_guard(&r, &l.pat.clone(), &tokens),
                    None => self.leaf_visited(&l.expr, &tokens),
                }
            }
            Expr::Macro(m) if m.mac.path.is_ident("matches") => self.matches(&mut m.mac, &tokens),
            Expr::MethodCall(mc) if mc.method == "contains" && mc.args.len() == 1 => {
                self.contains(mc, &tokens)
            }
            Expr::Path(p) if p.path.get_ident().is_some() => {
                let ident = p.path.get_ident().expect("checked").to_string();
                match self.lookup(&ident) {
                    Some(Binding::Cond(a)) => *a,
                    Some(Binding::Param(r)) => self.bool_param(&r, &tokens),
                    Some(Binding::Derived(why)) => {
                        let o = self.opaque(&tokens, why);
                        Analysis::opaque(o)
                    }
                    _ => Analysis::plain(),
                }
            }
            _ => match self.param_ref_of(e) {
                Some(r) => self.bool_param(&r, &tokens),
                None => self.leaf_visited(e, &tokens),
            },
        }
    }

    /// Why the first local computed from parameters in `tokens` cannot be followed.
    fn derived_in(&self, tokens: TokenStream) -> Option<String> {
        tokens.into_iter().find_map(|t| match t {
            TokenTree::Ident(i) => match self.lookup(&i.to_string()) {
                Some(Binding::Derived(why)) => Some(why),
                _ => None,
            },
            TokenTree::Group(g) => self.derived_in(g.stream()),
            _ => None,
        })
    }

    fn bool_param(&mut self, r: &ParamRef, tokens: &TokenStream) -> Analysis {
        let is_bool = self.domains.get(&r.name).is_some_and(|d| {
            d.kind == MacroKind::Bool
                || d.values
                    .as_ref()
                    .is_ok_and(|vs| vs.contains(&Lit::Bool(true)))
        });
        match is_bool {
            true => self.split(r, |v| *v == Lit::Bool(true), tokens),
            _ => Analysis {
                mentions: true,
                ..Analysis::plain()
            },
        }
    }

    /// `if let PAT = x` and `matches!(x, PAT)`: the values `PAT` matches.
    fn pattern_guard(&mut self, r: &ParamRef, pat: &Pat, tokens: &TokenStream) -> Analysis {
        match self.pat_values(r, pat) {
            PatValues::Values(vs) => self.split(r, |v| vs.iter().any(|w| exact_eq(v, w)), tokens),
            PatValues::All => Analysis {
                mentions: true,
                ..Analysis::plain()
            },
            PatValues::Unknown(why) => Analysis::opaque(self.opaque(tokens, why)),
        }
    }

    /// `matches!(x, PAT)` or `matches!(x, PAT if guard)`, its tokens written back visited.
    fn matches(&mut self, mac: &mut Macro, tokens: &TokenStream) -> Analysis {
        type Parts = (Expr, Token![,], Pat, Option<(Token![if], Expr)>);
        let parts = mac.parse_body_with(|input: ParseStream| -> syn::Result<Parts> {
            let e = input.parse()?;
            let comma = input.parse()?;
            let pat = Pat::parse_multi_with_leading_vert(input)?;
            let guard = if input.peek(Token![if]) {
                Some((input.parse()?, input.parse()?))
            } else {
                None
            };
            let _: Option<Token![,]> = input.parse()?;
            Ok((e, comma, pat, guard))
        });
        let Ok((mut e, comma, pat, mut guard)) = parts else {
            return Analysis::plain();
        };
        let r = self.operand_pub(&mut e);
        let mut a = match &r {
            Some(r) => self.pattern_guard(r, &pat, tokens),
            None => self.leaf_visited(&e, tokens),
        };
        if let Some((_, g)) = &mut guard {
            let ga = self.with_frame(a.then.clone(), |w| {
                w.scoped(|w| {
                    w.shadow(&pat);
                    w.cond_of(g)
                })
            });
            let then = and_outcomes(a.then.clone(), ga.then);
            let els = if ga.mentions {
                let right_false = and_outcomes(a.then, ga.els);
                self.or_outcomes(a.els, right_false, tokens)
            } else {
                Outcome::always()
            };
            a = Analysis {
                then,
                els,
                mentions: a.mentions || ga.mentions,
            };
        }
        let guard = guard.map(|(i, g)| quote!(#i #g));
        mac.tokens = quote!(#e #comma #pat #guard);
        a
    }

    /// `(2..=4).contains(&x)` and `[1, 2].contains(&x)`.
    fn contains(&mut self, mc: &mut syn::ExprMethodCall, tokens: &TokenStream) -> Analysis {
        let r = self.operand_pub(&mut mc.args[0]);
        let Some(r) = r else {
            self.visit_expr_mut(&mut mc.receiver);
            return self.leaf_visited(&mc.clone(), tokens);
        };
        let mut recv = (*mc.receiver).clone();
        while let Expr::Paren(p) = recv {
            recv = *p.expr;
        }
        let lits = |w: &mut Self, es: Vec<&Expr>| -> Result<Vec<Lit>, String> {
            es.into_iter()
                .map(|e| w.value_for(&r, e)?.ok_or_else(String::new))
                .collect()
        };
        match &recv {
            Expr::Range(range) => {
                let lo = range.start.as_deref().map(|e| lits(self, vec![e]));
                let hi = range.end.as_deref().map(|e| lits(self, vec![e]));
                let (lo, hi) = match (lo.transpose(), hi.transpose()) {
                    (Ok(lo), Ok(hi)) => (lo.map(|v| v[0].clone()), hi.map(|v| v[0].clone())),
                    (Err(why), _) | (_, Err(why)) => {
                        return Analysis::opaque(self.opaque(tokens, why))
                    }
                };
                let inclusive = matches!(range.limits, RangeLimits::Closed(_));
                self.split(
                    &r,
                    |v| in_range(v, lo.as_ref(), hi.as_ref(), inclusive),
                    tokens,
                )
            }
            Expr::Array(a) => match lits(self, a.elems.iter().collect()) {
                Ok(vs) => self.split(&r, |v| vs.iter().any(|w| exact_eq(v, w)), tokens),
                Err(why) => Analysis::opaque(self.opaque(tokens, why)),
            },
            _ => {
                self.visit_expr_mut(&mut mc.receiver);
                let o = self.opaque(
                    tokens,
                    "`.contains(..)` on something other than a literal range or array".to_owned(),
                );
                Analysis::opaque(o)
            }
        }
    }

    /// The values of `r` a pattern matches.
    pub(super) fn pat_values(&mut self, r: &ParamRef, pat: &Pat) -> PatValues {
        let Some(d) = self.domains.get(&r.name).cloned() else {
            return PatValues::Unknown(String::new());
        };
        let unknown = |pat: &Pat| {
            PatValues::Unknown(format!(
                "the pattern `{}` is not a literal, a range of literals, `_` or a binding, so the \
                 macro cannot tell which values of `{}` it matches",
                shown(&pat.to_token_stream()),
                r.name
            ))
        };
        match pat {
            Pat::Wild(_) => PatValues::All,
            Pat::Paren(p) => self.pat_values(r, &p.pat),
            Pat::Or(o) => {
                let mut all = Vec::new();
                for case in &o.cases {
                    match self.pat_values(r, case) {
                        PatValues::Values(v) => all.extend(v),
                        other => return other,
                    }
                }
                PatValues::Values(all)
            }
            Pat::Ident(p) => {
                if let Some((_, sub)) = &p.subpat {
                    return self.pat_values(r, sub);
                }
                let name = p.ident.to_string();
                if d.ident
                    && d.values
                        .as_ref()
                        .is_ok_and(|vs| vs.contains(&Lit::Ident(name.clone())))
                {
                    PatValues::Values(vec![Lit::Ident(name)])
                } else if name.chars().all(|c| !c.is_ascii_lowercase()) {
                    unknown(pat)
                } else if name.starts_with(|c: char| c.is_ascii_uppercase()) && d.ident {
                    self.not_a_value(r, &Lit::Ident(name), &p.ident);
                    PatValues::Values(Vec::new())
                } else {
                    PatValues::All
                }
            }
            Pat::Lit(lit) => match self.value_for(r, &Expr::Lit(lit.clone())) {
                Ok(Some(v)) => PatValues::Values(vec![v]),
                Ok(None) => PatValues::Values(Vec::new()),
                Err(_) => unknown(pat),
            },
            Pat::Path(p) => match self.value_for(r, &Expr::Path(p.clone())) {
                Ok(Some(v)) => PatValues::Values(vec![v]),
                Ok(None) => PatValues::Values(Vec::new()),
                Err(_) => unknown(pat),
            },
            Pat::Range(range) => {
                let end = |w: &mut Self, e: Option<&Expr>| -> Result<Option<Lit>, ()> {
                    match e {
                        None => Ok(None),
                        Some(e) => match w.value_for(r, e) {
                            Ok(Some(v)) => Ok(Some(v)),
                            _ => Err(()),
                        },
                    }
                };
                let (Ok(lo), Ok(hi)) = (
                    end(self, range.start.as_deref()),
                    end(self, range.end.as_deref()),
                ) else {
                    return unknown(pat);
                };
                let Ok(values) = &d.values else {
                    return PatValues::Unknown(d.values.clone().err().unwrap_or_default());
                };
                let inclusive = matches!(range.limits, RangeLimits::Closed(_));
                PatValues::Values(
                    values
                        .iter()
                        .filter(|v| in_range(v, lo.as_ref(), hi.as_ref(), inclusive))
                        .cloned()
                        .collect(),
                )
            }
            _ => unknown(pat),
        }
    }
}

/// `v` in `lo..hi` or `lo..=hi` (an open end is unbounded), compared exactly.
fn in_range(v: &Lit, lo: Option<&Lit>, hi: Option<&Lit>, inclusive: bool) -> bool {
    let Some(x) = v.as_f64() else { return false };
    let above = lo.and_then(Lit::as_f64).is_none_or(|l| x >= l);
    let below = hi
        .and_then(Lit::as_f64)
        .is_none_or(|h| if inclusive { x <= h } else { x < h });
    above && below
}

/// What a pattern matches of a parameter's values.
pub(super) enum PatValues {
    Values(Vec<Lit>),
    All,
    Unknown(String),
}
