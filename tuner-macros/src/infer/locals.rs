//! Locals: a `let` bound to a parameter reads it, one bound to a condition on parameters
//! is that condition, and one computed from parameters (or assigned from them later) taints
//! any guard that tests it.

use super::*;

impl Walker<'_> {
    /// A `let`: what it binds its names to (a parameter, a condition, a value computed from
    /// parameters), visiting its initialiser once.
    pub(super) fn local(&mut self, l: &mut Local) {
        let pat = match &l.pat {
            Pat::Type(t) => (*t.pat).clone(),
            p => p.clone(),
        };
        let plain = matches!(&pat, Pat::Ident(p)
            if p.mutability.is_none() && p.by_ref.is_none() && p.subpat.is_none());
        let mut binding = Binding::Other;
        if let Some(init) = &mut l.init {
            binding = self.binding_of(&mut init.expr);
            if let Some((_, diverge)) = &mut init.diverge {
                self.visit_expr_mut(diverge);
            }
        }
        self.shadow(&l.pat.clone());
        match (&pat, binding) {
            (Pat::Ident(p), b @ (Binding::Param(_) | Binding::Cond(_))) if plain => {
                self.bind(&p.ident, b)
            }
            (_, b @ (Binding::Param(_) | Binding::Cond(_) | Binding::Derived(_))) => {
                let written = outcome::shown(&l.pat.to_token_stream());
                struct Names(Vec<Ident>);
                impl Visit<'_> for Names {
                    fn visit_pat_ident(&mut self, p: &syn::PatIdent) {
                        self.0.push(p.ident.clone());
                    }
                }
                let mut names = Names(Vec::new());
                names.visit_pat(&pat);
                for ident in names.0 {
                    let why = match &b {
                        Binding::Derived(why) if plain => format!("`{ident}` {why}"),
                        _ => format!(
                            "`{ident}` is bound by `let {written}`, not a plain `let {ident} = ..;`, \
                             so the macro does not follow its value: bind the hyperparameter with \
                             a plain `let` (no `mut`) and test that"
                        ),
                    };
                    self.bind(&ident, Binding::Derived(why));
                }
            }
            _ => {}
        }
    }

    /// Marks an existing local as computed from parameters (an assignment changed it).
    pub(super) fn taint(&mut self, ident: &Ident, tokens: TokenStream) {
        let name = ident.to_string();
        let why = format!(
            "`{name}` is assigned from hyperparameters (`{}`), so the macro does not know its \
             value where it is tested: compare the hyperparameter itself with literals",
            outcome::shown(&tokens)
        );
        if let Some(scope) = self.scopes.iter_mut().rev().find(|s| s.contains_key(&name)) {
            scope.insert(name, Binding::Derived(why));
        }
    }

    /// What a `let` binds its name to, visiting the initialiser once.
    fn binding_of(&mut self, init: &mut Expr) -> Binding {
        let mut inner = &*init;
        while let Expr::Paren(p) = inner {
            inner = &p.expr;
        }
        let is_ref = match inner {
            Expr::Macro(m) => parse::hp_kind(&m.mac).is_some(),
            Expr::Path(p) => p
                .path
                .get_ident()
                .is_some_and(|i| matches!(self.lookup(&i.to_string()), Some(Binding::Param(_)))),
            _ => false,
        };
        if is_ref {
            return match self.param_ref_of(init) {
                Some(r) => Binding::Param(r),
                None => Binding::Other,
            };
        }
        let a = self.cond_of(init);
        if !a.mentions {
            Binding::Other
        } else if a.is_condition() {
            Binding::Cond(Box::new(a))
        } else {
            Binding::Derived(format!(
                "is computed from hyperparameters (`{}`), not one itself: compare the \
                 hyperparameter itself with literals",
                outcome::shown(&init.to_token_stream())
            ))
        }
    }

    /// `x = e` or `x += e` with `e` computed from parameters: `x` now is too.
    pub(super) fn assigned(&mut self, left: &Expr, right: &Expr) {
        if let Expr::Path(p) = left {
            if let Some(ident) = p.path.get_ident() {
                if self.mentions(right) {
                    self.taint(ident, right.to_token_stream());
                }
            }
        }
    }
}

pub(super) fn is_compound_assign(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}
