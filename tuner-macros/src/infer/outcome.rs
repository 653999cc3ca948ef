//! What is known of the parameters where code runs: an exact AND of parent values
//! (`Outcome::Conds`) or a guard the macro cannot state (`Opaque`, with the reason), and how
//! they combine under `&&`, `||` and `!`.

use super::*;

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
    pub(super) fn plain() -> Analysis {
        Analysis {
            then: Outcome::always(),
            els: Outcome::always(),
            mentions: false,
        }
    }

    pub(super) fn exact(then: SymCond, els: SymCond) -> Analysis {
        Analysis {
            then: Outcome::Conds(vec![then]),
            els: Outcome::Conds(vec![els]),
            mentions: true,
        }
    }

    pub(super) fn opaque(o: Opaque) -> Analysis {
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

    pub(super) fn not(self) -> Analysis {
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
pub(super) fn exact_eq(a: &Lit, b: &Lit) -> bool {
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

pub(super) fn same_parent(a: &SymCond, b: &SymCond) -> bool {
    a.parent == b.parent && a.parent_loop == b.parent_loop && a.loop_frame == b.loop_frame
}

/// `a` holds whenever `b` holds (each condition of `a` is implied by one of `b`).
pub(super) fn implied(a: &[SymCond], b: &[SymCond]) -> bool {
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
}
