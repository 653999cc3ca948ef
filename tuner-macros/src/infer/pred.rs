//! Guards as conditions: what an `if` condition or a comparison says about the
//! parameters, for the branch that runs and for the one that does not.

use super::outcome::*;
use super::*;
use syn::{BinOp, UnOp};

impl Walker<'_> {
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
    pub(super) fn values_of(
        &mut self,
        r: &ParamRef,
        tokens: &dyn ToTokens,
    ) -> Result<Vec<Lit>, Opaque> {
        match self.domains.get(&r.name).map(|d| d.values.clone()) {
            Some(Ok(values)) => Ok(values),
            Some(Err(why)) => Err(self.opaque(tokens, why)),
            None => Err(self.opaque(tokens, format!("`{}` is not a parameter here", r.name))),
        }
    }

    /// `r` takes one of `values` (then) or one of the others (else).
    pub(super) fn split(
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
    pub(super) fn value_for(&mut self, r: &ParamRef, expr: &Expr) -> Result<Option<Lit>, String> {
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
    pub(super) fn comparison(&mut self, b: &mut syn::ExprBinary, tokens: &TokenStream) -> Analysis {
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
    pub(super) fn leaf_visited(&mut self, e: &dyn ToTokens, tokens: &TokenStream) -> Analysis {
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
    pub(super) fn derived_in(&self, tokens: TokenStream) -> Option<String> {
        tokens.into_iter().find_map(|t| match t {
            TokenTree::Ident(i) => match self.lookup(&i.to_string()) {
                Some(Binding::Derived(why)) => Some(why),
                _ => None,
            },
            TokenTree::Group(g) => self.derived_in(g.stream()),
            _ => None,
        })
    }

    pub(super) fn bool_param(&mut self, r: &ParamRef, tokens: &TokenStream) -> Analysis {
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
}
