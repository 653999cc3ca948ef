//! The walker on branches and loops: `if`, `match` arms (each narrowing its parent's
//! values), `for i in 0..BOUND` and `(0..BOUND).map(|i| ..)`, and other macros' bodies.

use super::*;

impl Walker<'_> {
    pub(super) fn visit_if(&mut self, i: &mut syn::ExprIf) {
        let conds = self.cond_of(&mut i.cond);
        let lets = let_patterns(&i.cond);
        let then = conds.as_ref().map(|c| c.0.clone()).unwrap_or_default();
        self.with_conds(then, |w| {
            w.scoped(|w| {
                for pat in &lets {
                    w.shadow(pat);
                }
                w.visit_block_mut(&mut i.then_branch);
            })
        });
        if let Some((_, else_branch)) = &mut i.else_branch {
            let negated = match &conds {
                Some((c, true)) if c.len() == 1 => self.complement(&c[0]).into_iter().collect(),
                _ => Vec::new(),
            };
            self.with_conds(negated, |w| w.visit_expr_mut(else_branch));
        }
    }

    pub(super) fn visit_match(&mut self, m: &mut syn::ExprMatch) {
        let r = self.param_ref_of(&mut m.expr);
        let domain = r.as_ref().and_then(|r| self.domain(r)).cloned();
        let mut remaining = domain
            .as_ref()
            .map(|d| d.values.clone())
            .unwrap_or_default();
        for arm in &mut m.arms {
            let cond = match (&r, &domain) {
                (Some(r), Some(d)) => match self.pat_values(r, d, &arm.pat) {
                    PatValues::Values(values) => {
                        if arm.guard.is_none() {
                            remaining.retain(|v| !values.contains(v));
                        }
                        Some(self.cond(r, values, arm.pat.to_token_stream()))
                    }
                    PatValues::All => {
                        let c = self.cond(r, remaining.clone(), arm.pat.to_token_stream());
                        if arm.guard.is_none() {
                            remaining.clear();
                        }
                        Some(c)
                    }
                    PatValues::Unknown => None,
                },
                _ => None,
            };
            let variants = domain
                .as_ref()
                .filter(|d| d.ident)
                .map(|d| d.values.clone());
            self.with_conds(cond.into_iter().collect(), |w| {
                w.scoped(|w| {
                    bind_arm(w, &arm.pat, variants.as_deref());
                    if let Some((_, guard)) = &mut arm.guard {
                        w.visit_expr_mut(guard);
                    }
                    w.visit_expr_mut(&mut arm.body);
                })
            });
        }
    }

    fn pat_values(&mut self, r: &ParamRef, d: &Domain, pat: &Pat) -> PatValues {
        match pat {
            Pat::Wild(_) => PatValues::All,
            Pat::Paren(p) => self.pat_values(r, d, &p.pat),
            Pat::Or(o) => {
                let mut all = Vec::new();
                for case in &o.cases {
                    match self.pat_values(r, d, case) {
                        PatValues::Values(v) => all.extend(v),
                        other => return other,
                    }
                }
                PatValues::Values(all)
            }
            Pat::Ident(p) => {
                if let Some((_, sub)) = &p.subpat {
                    return self.pat_values(r, d, sub);
                }
                let name = p.ident.to_string();
                if d.ident && d.values.contains(&Lit::Ident(name.clone())) {
                    PatValues::Values(vec![Lit::Ident(name)])
                } else if name.chars().all(|c| !c.is_ascii_lowercase()) {
                    // `MLP`, `Swish`-less consts: could be a constant, not a binding.
                    PatValues::Unknown
                } else if name.starts_with(|c: char| c.is_ascii_uppercase()) && d.ident {
                    self.not_a_value(r, &Lit::Ident(name), &p.ident);
                    PatValues::Unknown
                } else {
                    PatValues::All
                }
            }
            Pat::Lit(lit) => match self.value_for(r, &Expr::Lit(lit.clone())) {
                Some(v) => PatValues::Values(vec![v]),
                None => PatValues::Unknown,
            },
            Pat::Path(p) => match self.value_for(r, &Expr::Path(p.clone())) {
                Some(v) => PatValues::Values(vec![v]),
                None => PatValues::Unknown,
            },
            _ => PatValues::Unknown,
        }
    }

    pub(super) fn visit_for(&mut self, f: &mut syn::ExprForLoop) {
        let bound = self.loop_bound(&mut f.expr);
        let id = self.next_loop;
        self.next_loop += 1;
        self.loops.push((id, bound));
        self.scoped(|w| {
            match &*f.pat {
                Pat::Ident(p)
                    if p.mutability.is_none() && p.by_ref.is_none() && p.subpat.is_none() =>
                {
                    w.bind(&p.ident, Binding::Loop(id))
                }
                pat => w.shadow(pat),
            }
            w.visit_block_mut(&mut f.body);
        });
        self.loops.pop();
    }

    /// `(0..BOUND).map(|i| ..)` and similar: the closure only ever sees `i` in `0..BOUND`,
    /// so its argument indexes like a `for` loop variable.
    pub(super) fn visit_range_closure(&mut self, mc: &mut syn::ExprMethodCall) -> bool {
        const ADAPTERS: &[&str] = &[
            "map",
            "for_each",
            "flat_map",
            "filter_map",
            "try_for_each",
            "any",
            "all",
            "find_map",
            "map_while",
        ];
        let mut receiver = &mut *mc.receiver;
        while let Expr::Paren(p) = receiver {
            receiver = &mut p.expr;
        }
        let arg_ok = matches!(mc.args.first(), Some(Expr::Closure(c)) if c.inputs.len() == 1);
        if !ADAPTERS.contains(&mc.method.to_string().as_str())
            || mc.args.len() != 1
            || !arg_ok
            || !matches!(receiver, Expr::Range(_))
        {
            return false;
        }
        let bound = self.loop_bound(receiver);
        let Some(Expr::Closure(c)) = mc.args.first_mut() else {
            unreachable!("checked")
        };
        let id = self.next_loop;
        self.next_loop += 1;
        self.loops.push((id, bound));
        self.scoped(|w| {
            let input = match &c.inputs[0] {
                Pat::Type(t) => &*t.pat,
                p => p,
            };
            match input {
                Pat::Ident(p)
                    if p.mutability.is_none() && p.by_ref.is_none() && p.subpat.is_none() =>
                {
                    w.bind(&p.ident, Binding::Loop(id))
                }
                pat => w.shadow(pat),
            }
            w.visit_expr_mut(&mut c.body);
        });
        self.loops.pop();
        true
    }

    /// The int parameter bounding `0..BOUND`, visiting the range either way.
    pub(super) fn loop_bound(&mut self, e: &mut Expr) -> Option<String> {
        let Expr::Range(r) = e else {
            self.visit_expr_mut(e);
            return None;
        };
        let zero = r
            .start
            .as_deref()
            .is_some_and(|s| parse::lit_value(s, false) == Ok(Lit::Int(0)));
        if !zero || !matches!(r.limits, RangeLimits::HalfOpen(_)) || r.end.is_none() {
            self.visit_expr_mut(e);
            return None;
        }
        let mut end = r.end.as_deref_mut().expect("checked");
        loop {
            end = match end {
                Expr::Cast(c) => &mut c.expr,
                Expr::Paren(p) => &mut p.expr,
                _ => break,
            };
        }
        let p = self.param_ref_of(end)?;
        let int = self
            .domains
            .get(&p.name)
            .is_some_and(|d| d.kind == MacroKind::Int);
        (int && p.loop_id.is_none()).then_some(p.name)
    }

    /// An `hp_*!` call hidden in another macro's tokens: reachable only if they parse as
    /// expressions; otherwise say how to fix it.
    pub(super) fn foreign_macro(&mut self, mac: &mut Macro) {
        let Some(hidden) = find_hp(mac.tokens.clone()) else {
            return;
        };
        if !visit_macro_exprs(self, mac) {
            let name = mac
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            self.cx.error_at(
                hidden.0,
                format!(
                    "`{}!` inside `{name}!(..)` is hidden from #[hypermodel] (its arguments are not \
                     expressions): bind it to a local first, `let x = {}!(..);`, and use `x` there",
                    hidden.1, hidden.1
                ),
            );
        }
    }
}

enum PatValues {
    Values(Vec<Lit>),
    All,
    Unknown,
}

/// Binds an arm's pattern names, except identifier-choice variants (not bindings).
fn bind_arm(w: &mut Walker<'_>, pat: &Pat, variants: Option<&[Lit]>) {
    match (pat, variants) {
        (Pat::Ident(p), Some(vs))
            if p.subpat.is_none() && vs.contains(&Lit::Ident(p.ident.to_string())) => {}
        (Pat::Or(o), Some(_)) => o.cases.iter().for_each(|c| bind_arm(w, c, variants)),
        _ => w.shadow(pat),
    }
}
