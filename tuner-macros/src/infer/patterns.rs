//! Patterns as conditions: `matches!`, `if let`, `match` arm patterns (`|`, ranges,
//! literals, bindings) and `contains` on literal ranges and arrays.

use super::outcome::*;
use super::*;
use syn::RangeLimits;

impl Walker<'_> {
    /// `if let PAT = x` and `matches!(x, PAT)`: the values `PAT` matches.
    pub(super) fn pattern_guard(
        &mut self,
        r: &ParamRef,
        pat: &Pat,
        tokens: &TokenStream,
    ) -> Analysis {
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
    pub(super) fn matches(&mut self, mac: &mut Macro, tokens: &TokenStream) -> Analysis {
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
    pub(super) fn contains(
        &mut self,
        mc: &mut syn::ExprMethodCall,
        tokens: &TokenStream,
    ) -> Analysis {
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
pub(super) fn in_range(v: &Lit, lo: Option<&Lit>, hi: Option<&Lit>, inclusive: bool) -> bool {
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
