//! The walker on branches and loops: `if`, `match` arms (each narrowing its parent's
//! values), guard clauses (the rest of a block after `if c { return .. }` runs when `c` does
//! not hold), `for i in 0..BOUND` and `(0..BOUND).map(|i| ..)`, closures run conditionally.

use super::patterns::PatValues;
use super::*;
use syn::RangeLimits;

/// Methods whose closure argument runs only sometimes, or a number of times, depending on
/// the receiver (`Option::map`, `bool::then`, iterator adapters).
const CONDITIONAL: &[&str] = &[
    "then",
    "map",
    "and_then",
    "or_else",
    "unwrap_or_else",
    "map_or",
    "map_or_else",
    "filter",
    "filter_map",
    "flat_map",
    "for_each",
    "try_for_each",
    "take_while",
    "skip_while",
    "map_while",
    "find",
    "find_map",
    "any",
    "all",
    "position",
    "is_some_and",
    "is_none_or",
    "is_ok_and",
    "is_err_and",
    "ok_or_else",
    "get_or_insert_with",
    "inspect",
    "fold",
];

/// Whether control never reaches the end of `block` (it returns, breaks, continues, panics).
fn diverges(block: &syn::Block) -> bool {
    block.stmts.iter().any(|s| match s {
        Stmt::Expr(e, _) => expr_diverges(e),
        Stmt::Macro(m) => is_panic(&m.mac),
        _ => false,
    })
}

fn expr_diverges(e: &Expr) -> bool {
    match e {
        Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => true,
        Expr::Macro(m) => is_panic(&m.mac),
        Expr::Block(b) => diverges(&b.block),
        Expr::If(i) => {
            diverges(&i.then_branch)
                && i.else_branch
                    .as_ref()
                    .is_some_and(|(_, e)| expr_diverges(e))
        }
        Expr::Paren(p) => expr_diverges(&p.expr),
        _ => false,
    }
}

fn is_panic(mac: &Macro) -> bool {
    mac.path.segments.last().is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "panic" | "unreachable" | "todo" | "unimplemented"
        )
    })
}

impl Walker<'_> {
    /// A block's statements; after a guard clause the rest runs under its complement. Leaves
    /// in `rest` when the block completes (an exit in it shapes the code after it too).
    pub(super) fn visit_stmts(&mut self, stmts: &mut [Stmt]) {
        let depth = self.frames.len();
        let mut exit: Exit = Some(Outcome::always());
        for s in stmts {
            self.rest = None;
            self.visit_stmt_mut(s);
            let own = match s {
                Stmt::Expr(e, _) if expr_diverges(e) => Some(None),
                Stmt::Macro(m) if is_panic(&m.mac) => Some(None),
                _ => self.rest.take(),
            };
            match own {
                Some(Some(rest)) => {
                    exit = exit.map(|e| outcome::and_outcomes(e, rest.clone()));
                    self.frames.push(rest);
                }
                Some(None) => exit = None,
                None => {}
            }
        }
        self.frames.truncate(depth);
        self.rest = Some(exit);
    }

    /// When an `if` or `match` completes: some branch ran and completed.
    fn completion(&mut self, branches: Vec<(Outcome, Exit)>, tokens: &TokenStream) -> Exit {
        let always = |e: &Exit| matches!(e, Some(Outcome::Conds(c)) if c.is_empty());
        if branches.iter().all(|(_, e)| always(e)) {
            return Some(Outcome::always());
        }
        let before = self.next_opaque;
        let mut done: Exit = None;
        for (frame, exit) in branches {
            let Some(exit) = exit else { continue };
            let this = outcome::and_outcomes(frame, exit);
            done = Some(match done {
                None => this,
                Some(d) => self.or_outcomes(d, this, tokens),
            });
        }
        if let Some(Outcome::Opaque(o)) = &mut done {
            o.after = true;
            if o.id > before {
                o.why = format!(
                    "the code after it runs when it does not exit early ({}), which no AND of \
                     parent values states: put that code in the branch that does not exit, or \
                     exit under one condition",
                    o.why.split(", and a parameter").next().unwrap_or_default()
                );
            }
        }
        done
    }

    /// How an expression just visited completes, from `rest` (and its own divergence).
    fn exit_of(&mut self, e: &Expr) -> Exit {
        let rest = self.rest.take();
        if expr_diverges(e) {
            return None;
        }
        rest.unwrap_or(Some(Outcome::always()))
    }

    pub(super) fn visit_if(&mut self, i: &mut syn::ExprIf) {
        let tokens = i.cond.to_token_stream();
        let a = self.cond_of(&mut i.cond);
        let lets = let_patterns(&i.cond);
        let then_exit = self.with_frame(a.then.clone(), |w| {
            w.scoped(|w| {
                for pat in &lets {
                    w.shadow(pat);
                }
                w.rest = None;
                w.visit_block_mut(&mut i.then_branch);
                let rest = w.rest.take();
                if diverges(&i.then_branch) {
                    None
                } else {
                    rest.unwrap_or(Some(Outcome::always()))
                }
            })
        });
        let else_exit = match &mut i.else_branch {
            Some((_, else_branch)) => self.with_frame(a.els.clone(), |w| {
                w.rest = None;
                w.visit_expr_mut(else_branch);
                w.exit_of(else_branch)
            }),
            None => Some(Outcome::always()),
        };
        let done = self.completion(vec![(a.then, then_exit), (a.els, else_exit)], &tokens);
        self.rest = Some(done);
    }

    pub(super) fn visit_match(&mut self, m: &mut syn::ExprMatch) {
        let r = self.operand_of_match(&mut m.expr);
        let scrutinee_tokens = m.expr.to_token_stream();
        let opaque_scrutinee = r.is_none() && self.mentions(&m.expr);
        let mut remaining: Option<Vec<Lit>> = r.as_ref().and_then(|r| {
            self.domains
                .get(&r.name)
                .and_then(|d| d.values.clone().ok())
        });
        let mut poisoned: Option<Opaque> = match (&r, &remaining) {
            (Some(r), None) => {
                let why = self
                    .domains
                    .get(&r.name)
                    .and_then(|d| d.values.clone().err())
                    .unwrap_or_default();
                Some(self.opaque(&scrutinee_tokens, why))
            }
            _ if opaque_scrutinee => Some(
                self.opaque(
                    &scrutinee_tokens,
                    "a `match` on a value computed from hyperparameters: match on the \
                 hyperparameter itself, with literal patterns"
                        .to_owned(),
                ),
            ),
            _ => None,
        };
        let mut branches = Vec::new();
        for arm in &mut m.arms {
            let pat_tokens = arm.pat.to_token_stream();
            let frame = match (&r, &mut remaining, &poisoned) {
                (_, _, Some(o)) => Outcome::Opaque(o.clone()),
                (Some(r), Some(rem), None) => match self.pat_values(r, &arm.pat) {
                    PatValues::Values(values) => {
                        let values: Vec<Lit> =
                            rem.iter().filter(|v| values.contains(v)).cloned().collect();
                        if arm.guard.is_none() {
                            rem.retain(|v| !values.contains(v));
                        }
                        Outcome::Conds(vec![self.cond(r, values, &pat_tokens)])
                    }
                    PatValues::All => {
                        let c = self.cond(r, rem.clone(), &pat_tokens);
                        if arm.guard.is_none() {
                            rem.clear();
                        }
                        Outcome::Conds(vec![c])
                    }
                    PatValues::Unknown(why) => {
                        // Later arms depend on what this one takes, which is unknown.
                        let o = self.opaque(&pat_tokens, why);
                        poisoned = Some(o.clone());
                        Outcome::Opaque(o)
                    }
                },
                _ => Outcome::always(),
            };
            let variants = r
                .as_ref()
                .and_then(|r| self.domains.get(&r.name))
                .filter(|d| d.ident)
                .and_then(|d| d.values.clone().ok());
            let arm_frame = self.with_frame(frame.clone(), |w| {
                w.scoped(|w| {
                    bind_arm(w, &arm.pat, variants.as_deref(), r.as_ref());
                    let mut arm_frame = frame.clone();
                    if let Some((_, guard)) = &mut arm.guard {
                        let g = w.cond_of(guard);
                        arm_frame = outcome::and_outcomes(frame.clone(), g.then);
                    }
                    w.with_frame(arm_frame.clone(), |w| {
                        w.rest = None;
                        w.visit_expr_mut(&mut arm.body);
                        let exit = w.exit_of(&arm.body);
                        (arm_frame, exit)
                    })
                })
            });
            branches.push(arm_frame);
        }
        let done = self.completion(branches, &scrutinee_tokens);
        self.rest = Some(done);
    }

    /// The parameter a `match` is on (through parentheses, `*`, `&` and value-keeping casts).
    fn operand_of_match(&mut self, e: &mut Expr) -> Option<ParamRef> {
        self.operand_pub(e)
    }

    pub(super) fn visit_while(&mut self, wl: &mut syn::ExprWhile) {
        let lets = let_patterns(&wl.cond);
        let a = self.cond_of(&mut wl.cond);
        self.with_frame(a.then, |w| {
            w.scoped(|w| {
                for pat in &lets {
                    w.shadow(pat);
                }
                w.visit_block_mut(&mut wl.body);
            })
        });
        self.rest = None;
    }

    pub(super) fn visit_for(&mut self, f: &mut syn::ExprForLoop) {
        let (bound, frame) = self.loop_bound(&mut f.expr);
        let id = self.next_loop;
        self.next_loop += 1;
        self.loops.push(Loop { id, bound });
        let frame = tag_loop(frame, id);
        self.with_frame(frame, |w| {
            w.scoped(|w| {
                match &*f.pat {
                    Pat::Ident(p)
                        if p.mutability.is_none() && p.by_ref.is_none() && p.subpat.is_none() =>
                    {
                        w.bind(&p.ident, Binding::Loop(id))
                    }
                    pat => w.shadow(pat),
                }
                w.visit_block_mut(&mut f.body);
            })
        });
        self.loops.pop();
        // An exit in the body (a `break`) ends the loop, not the block around it.
        self.rest = None;
    }

    /// Method calls: `(0..BOUND).map(|i| ..)` indexes like a `for` loop; `c.then(|| ..)` runs
    /// its closure when `c` holds; other closures that run depending on parameters (`map`
    /// on an `Option` computed from them) are guards the macro cannot state.
    pub(super) fn visit_method_call(&mut self, mc: &mut syn::ExprMethodCall) {
        let method = mc.method.to_string();
        let closure_arg = matches!(mc.args.first(), Some(Expr::Closure(_))) && mc.args.len() == 1;
        let mut receiver = &mut *mc.receiver;
        while let Expr::Paren(p) = receiver {
            receiver = &mut p.expr;
        }
        if closure_arg
            && matches!(receiver, Expr::Range(_))
            && CONDITIONAL.contains(&method.as_str())
        {
            let (bound, frame) = self.loop_bound(receiver);
            let Some(Expr::Closure(c)) = mc.args.first_mut() else {
                unreachable!("checked")
            };
            let id = self.next_loop;
            self.next_loop += 1;
            self.loops.push(Loop { id, bound });
            let frame = tag_loop(frame, id);
            self.with_frame(frame, |w| {
                w.scoped(|w| {
                    for (k, input) in c.inputs.iter().enumerate() {
                        let input = match input {
                            Pat::Type(t) => &*t.pat,
                            p => p,
                        };
                        match input {
                            Pat::Ident(p)
                                if k == 0
                                    && c.inputs.len() == 1
                                    && p.mutability.is_none()
                                    && p.by_ref.is_none()
                                    && p.subpat.is_none() =>
                            {
                                w.bind(&p.ident, Binding::Loop(id))
                            }
                            pat => w.shadow(pat),
                        }
                    }
                    w.visit_expr_mut(&mut c.body);
                    w.rest = None;
                })
            });
            self.loops.pop();
            return;
        }
        if closure_arg && method == "then" {
            let a = self.cond_of(&mut mc.receiver);
            if a.mentions {
                let Some(arg) = mc.args.first_mut() else {
                    unreachable!("checked")
                };
                self.with_frame(a.then, |w| w.visit_expr_mut(arg));
                return;
            }
            mc.args.iter_mut().for_each(|a| self.visit_expr_mut(a));
            return;
        }
        self.visit_expr_mut(&mut mc.receiver);
        let conditional = CONDITIONAL.contains(&method.as_str()) && self.mentions(&mc.receiver);
        if conditional {
            let o = self.opaque(
                &mc.receiver,
                format!(
                    "the closure passed to `.{method}(..)` runs depending on this value, computed \
                     from hyperparameters: read the parameter outside the closure (`let x = \
                     hp_..!(..);`), or branch with `if`/`match` on a hyperparameter"
                ),
            );
            self.with_frame(Outcome::Opaque(o), |w| {
                mc.args.iter_mut().for_each(|a| w.visit_expr_mut(a))
            });
        } else {
            mc.args.iter_mut().for_each(|a| self.visit_expr_mut(a));
        }
    }

    /// The int parameter bounding `0..BOUND` (or why it cannot index), and the condition
    /// under which the loop runs at all; visits the range either way.
    pub(super) fn loop_bound(&mut self, e: &mut Expr) -> (Result<String, String>, Outcome) {
        let tokens = e.to_token_stream();
        let Expr::Range(r) = e else {
            self.visit_expr_mut(e);
            let frame =
                if self.mentions(e) {
                    Outcome::Opaque(self.opaque(
                    &tokens,
                    "the loop runs a number of times computed from hyperparameters: loop over \
                     `0..BOUND` (or `START..BOUND`) where BOUND is an int hyperparameter"
                        .to_owned(),
                ))
                } else {
                    Outcome::always()
                };
            return (Err(String::new()), frame);
        };
        let start = match r.start.as_deref() {
            None => None,
            Some(s) => match parse::lit_value(s, false) {
                Ok(Lit::Int(v)) => Some(v),
                _ => {
                    self.visit_expr_mut(e);
                    let frame = if self.mentions(e) {
                        Outcome::Opaque(self.opaque(
                            &tokens,
                            "the loop's start is not an integer literal".to_owned(),
                        ))
                    } else {
                        Outcome::always()
                    };
                    return (Err(String::new()), frame);
                }
            },
        };
        let inclusive = matches!(r.limits, RangeLimits::Closed(_));
        let Some(end) = r.end.as_deref_mut() else {
            return (Err(String::new()), Outcome::always());
        };
        let bound = self.operand_pub(end);
        let Some(bound) = bound else {
            let frame =
                if self.mentions(end) {
                    Outcome::Opaque(self.opaque(
                    &tokens,
                    "the loop's end is computed from hyperparameters: write the bound as the \
                     parameter itself (`0..depth`, casts allowed), or bind it first"
                        .to_owned(),
                ))
                } else {
                    Outcome::always()
                };
            return (Err(String::new()), frame);
        };
        let values = self.domains.get(&bound.name).map(|d| d.values.clone());
        let ints: Option<Vec<i64>> = match &values {
            Some(Ok(vs)) => vs
                .iter()
                .map(|v| match v {
                    Lit::Int(i) => Some(*i),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        let Some(ints) = ints else {
            let why = match values {
                Some(Err(why)) if !why.is_empty() => why,
                _ => format!("`{}` is not an int parameter", bound.name),
            };
            return (
                Err(format!(" (`{}` is not one)", bound.name)),
                Outcome::Opaque(self.opaque(&tokens, why)),
            );
        };
        let s = start.unwrap_or(0);
        let runs: Vec<Lit> = ints
            .iter()
            .filter(|&&v| if inclusive { v >= s } else { v > s })
            .map(|&v| Lit::Int(v))
            .collect();
        let frame = Outcome::Conds(vec![self.cond(&bound, runs, &tokens)]);
        let index = if bound.loop_id.is_some() {
            Err(format!(" (`{}` is itself indexed)", bound.name))
        } else if s != 0 || inclusive {
            Err(String::new())
        } else {
            Ok(bound.name)
        };
        (index, frame)
    }
}

/// Marks a loop's "runs at least once" condition as implied for calls it indexes.
fn tag_loop(frame: Outcome, id: usize) -> Outcome {
    match frame {
        Outcome::Conds(cs) => Outcome::Conds(
            cs.into_iter()
                .map(|mut c| {
                    c.loop_frame = Some(id);
                    c
                })
                .collect(),
        ),
        o => o,
    }
}

/// Binds an arm's pattern names, except identifier-choice variants (not bindings); a plain
/// binding of a parameter (`d if d > 1 =>`) reads that parameter.
fn bind_arm(w: &mut Walker<'_>, pat: &Pat, variants: Option<&[Lit]>, r: Option<&ParamRef>) {
    match (pat, variants) {
        (Pat::Ident(p), Some(vs))
            if p.subpat.is_none() && vs.contains(&Lit::Ident(p.ident.to_string())) => {}
        (Pat::Or(o), Some(_)) => o.cases.iter().for_each(|c| bind_arm(w, c, variants, r)),
        (Pat::Ident(p), _) if p.by_ref.is_none() && p.mutability.is_none() && r.is_some() => {
            if let Some((_, sub)) = &p.subpat {
                w.shadow(sub);
            }
            w.bind(&p.ident, Binding::Param(r.cloned().expect("checked")));
        }
        _ => w.shadow(pat),
    }
}
