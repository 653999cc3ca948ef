//! `hp_*!(...)` arguments -> `HpCall`: syntax only; meaning is checked in `check`.

use crate::check::Ctxt;
use crate::model::{ChoiceValue, ExplicitParent, HpCall, Lit, MacroKind, Sampling, Spanned};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, Macro, RangeLimits, Token, UnOp};

/// The `hp_*` macro a path names, if any (`hp_int`, `tuner::hp_int`, ...).
pub fn hp_kind(mac: &Macro) -> Option<MacroKind> {
    let last = mac.path.segments.last()?;
    MacroKind::from_name(&last.ident.to_string())
}

/// Parses one call, reporting every syntax problem; `None` only when no name could be read.
pub fn call(kind: MacroKind, mac: &Macro, cx: &mut Ctxt) -> Option<HpCall> {
    let args = match mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
        Ok(args) => args,
        Err(e) => {
            cx.push(e);
            return None;
        }
    };
    let mut args = args.into_iter();
    let Some(first) = args.next() else {
        cx.error(
            mac,
            format!(
                "`{}!` needs a name first: `{}!(name, ...)`",
                kind.name(),
                kind.name()
            ),
        );
        return None;
    };
    let (name, index) = name(&first, kind, cx)?;
    let mut call = HpCall {
        kind,
        tokens: mac.to_token_stream(),
        span: mac.path.span(),
        name,
        index,
        range: None,
        values: None,
        fixed: None,
        step: None,
        sampling: None,
        default: None,
        ordered: None,
        parent: None,
    };
    let mut args = args.peekable();
    let positional = match kind {
        MacroKind::Int | MacroKind::Float => Some("a range `MIN..=MAX`"),
        MacroKind::Choice => Some("a list of values `[a, b, ...]`"),
        MacroKind::Fixed => Some("the value"),
        MacroKind::Bool => None,
    };
    if let Some(what) = positional {
        match args.peek() {
            Some(arg) if !is_option(arg) || (kind == MacroKind::Fixed && is_flag(arg)) => {
                let arg = args.next().expect("peeked");
                match kind {
                    MacroKind::Int | MacroKind::Float => call.range = range(&arg, kind, cx),
                    MacroKind::Choice => call.values = choice_values(&arg, cx),
                    _ if matches!(arg, Expr::Path(_)) => {
                        cx.error(
                            &arg,
                            format!(
                                "`hp_fixed!` takes a literal (int, float, string or bool), stored \
                                 with each trial; `{}` is an identifier: for a constant identifier \
                                 write `hp_choice!({}, [{}])` (a one-value choice, read as your \
                                 `{}`), or use `{}` directly",
                                shown(&arg),
                                call.name_str(),
                                shown(&arg),
                                shown(&arg),
                                shown(&arg)
                            ),
                        );
                        return None;
                    }
                    _ => call.fixed = literal(&arg, false, cx),
                }
            }
            _ => {
                cx.error(
                    mac,
                    format!(
                        "`{}!` needs {what} after the name, e.g. `{}`",
                        kind.name(),
                        example(kind)
                    ),
                );
                return None;
            }
        }
    }
    let mut parent_name = None;
    let mut parent_values = None;
    for arg in args {
        option(&arg, &mut call, &mut parent_name, &mut parent_values, cx);
    }
    match (parent_name, parent_values) {
        (Some(name), Some(values)) => call.parent = Some(ExplicitParent { name, values }),
        (None, None) => {}
        (Some(name), None) => cx.error(
            &name,
            "`parent_name` needs `parent_values = [..]` too: the parent values under which this one is live",
        ),
        (None, Some(values)) => cx.error(
            values.first().map(|v| v.tokens.clone()).unwrap_or_default(),
            "`parent_values` needs `parent_name = ..` too: the parameter these values belong to",
        ),
    }
    Some(call)
}

fn example(kind: MacroKind) -> &'static str {
    match kind {
        MacroKind::Int => "hp_int!(units, 32..=512, step = 32)",
        MacroKind::Float => "hp_float!(learning_rate, 1e-4..=1e-2, log)",
        MacroKind::Choice => "hp_choice!(activation, [Relu, Tanh])",
        MacroKind::Bool => "hp_bool!(use_dropout)",
        MacroKind::Fixed => "hp_fixed!(epochs, 10)",
    }
}

/// A bare identifier that is no option of `hp_fixed!` (it has no flags): the user's value.
fn is_flag(arg: &Expr) -> bool {
    matches!(arg, Expr::Path(p) if p.path.get_ident().is_some())
}

fn is_option(arg: &Expr) -> bool {
    match arg {
        Expr::Assign(_) => true,
        Expr::Path(p) => p.path.get_ident().is_some(),
        _ => false,
    }
}

/// `name` or `name[i]`.
fn name(expr: &Expr, kind: MacroKind, cx: &mut Ctxt) -> Option<(syn::Ident, Option<syn::Ident>)> {
    let plain = |e: &Expr| match e {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
        _ => None,
    };
    if let Some(ident) = plain(expr) {
        return Some((ident, None));
    }
    if let Expr::Index(ix) = expr {
        if let Some(ident) = plain(&ix.expr) {
            return match plain(&ix.index) {
                Some(var) => Some((ident, Some(var))),
                None => {
                    cx.error(
                        &ix.index,
                        format!(
                            "the index of `{ident}[..]` must be the variable of an enclosing \
                             `for i in 0..BOUND` loop, written as a plain identifier: `{ident}[i]`"
                        ),
                    );
                    None
                }
            };
        }
    }
    cx.error(
        expr,
        format!(
            "expected the hyperparameter's name (an identifier, or `name[i]` inside a loop), e.g. `{}`",
            example(kind)
        ),
    );
    None
}

/// A literal value; identifiers and paths only when `allow_path` (identifier choices).
pub fn literal(expr: &Expr, allow_path: bool, cx: &mut Ctxt) -> Option<Spanned<Lit>> {
    match lit_value(expr, allow_path) {
        Ok(value) => Some(Spanned {
            value,
            tokens: expr.to_token_stream(),
        }),
        Err(msg) => {
            cx.error(expr, msg);
            None
        }
    }
}

/// The literal an expression spells, or why it is not one.
pub fn lit_value(expr: &Expr, allow_path: bool) -> Result<Lit, String> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            syn::Lit::Int(_) | syn::Lit::Float(_) => number(lit, false),
            syn::Lit::Str(s) => Ok(Lit::Str(s.value())),
            syn::Lit::Bool(b) => Ok(Lit::Bool(b.value)),
            _ => Err("expected an int, float, string or bool literal".to_owned()),
        },
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => match &*u.expr {
            Expr::Lit(ExprLit { lit, .. }) => number(lit, true),
            _ => Err("expected a literal number after `-`".to_owned()),
        },
        Expr::Group(g) => lit_value(&g.expr, allow_path),
        Expr::Paren(p) => lit_value(&p.expr, allow_path),
        Expr::Path(p) if allow_path && p.qself.is_none() => {
            if let Some(why) = numeric_constant(&p.path) {
                return Err(why);
            }
            let last = p.path.segments.last().expect("paths have a segment");
            if !last.arguments.is_none() {
                return Err("an identifier choice is a plain path such as `Relu` or `Activation::Relu`".to_owned());
            }
            Ok(Lit::Ident(syn::ext::IdentExt::unraw(&last.ident).to_string()))
        }
        _ if allow_path => Err(
            "expected a literal (int, float, string, bool) or an identifier such as `Relu`: \
             the macro must know every value at compile time"
                .to_owned(),
        ),
        _ => Err(
            "expected a literal (int, float, string or bool): the macro must know every value at compile time"
                .to_owned(),
        ),
    }
}

/// A number literal, its suffix respected: `32f64` is the float 32.0; `i64`/`f64` are the
/// types of hyperparameters, so any other suffix is refused with the fix.
fn number(lit: &syn::Lit, neg: bool) -> Result<Lit, String> {
    let sign = if neg { "-" } else { "" };
    match lit {
        syn::Lit::Int(i) => {
            let digits = format!("{sign}{}", i.base10_digits());
            match i.suffix() {
                "" | "i64" => digits
                    .parse::<i64>()
                    .map(Lit::Int)
                    .map_err(|e| format!("`{sign}{i}` is not a valid i64: {e}")),
                "f64" => float(&digits, &format!("{sign}{i}")),
                suffix => Err(suffix_error(&format!("{sign}{i}"), &digits, suffix)),
            }
        }
        syn::Lit::Float(f) => {
            let digits = format!("{sign}{}", f.base10_digits());
            match f.suffix() {
                "" | "f64" => float(&digits, &format!("{sign}{f}")),
                suffix => Err(suffix_error(&format!("{sign}{f}"), &digits, suffix)),
            }
        }
        _ => Err("only numbers can be negated here".to_owned()),
    }
}

/// A float literal's value; one too large for an f64 is kept infinite, so that the run
/// time's rule on finite numbers reports it (with the literal named, see `rules`).
fn float(digits: &str, written: &str) -> Result<Lit, String> {
    digits
        .parse::<f64>()
        .map(Lit::Float)
        .map_err(|e| format!("`{written}` is not a valid f64: {e}"))
}

fn suffix_error(written: &str, digits: &str, suffix: &str) -> String {
    let (kind, plain) = if suffix.starts_with('f') {
        let plain = if digits.contains(['.', 'e', 'E']) {
            digits.to_owned()
        } else {
            format!("{digits}.0")
        };
        ("floats are `f64`", plain)
    } else {
        ("integers are `i64`", digits.to_owned())
    };
    format!(
        "`{written}` has the suffix `{suffix}`, but hyperparameter {kind}: write `{plain}` \
         (no suffix) and convert where you use the value (`x as {suffix}`)"
    )
}

/// Why a path is a numeric constant (`f64::NAN`, `i64::MAX`) rather than an identifier
/// choice: such values must be written as literals, and NaN or an infinity not at all.
fn numeric_constant(path: &syn::Path) -> Option<String> {
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let names: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .skip_while(|n| matches!(*n, "std" | "core"))
        .collect();
    const PRIMITIVES: &[&str] = &[
        "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64",
        "u128", "usize",
    ];
    let written = path.to_token_stream().to_string().replace(' ', "");
    let last = *names.last()?;
    let non_finite = matches!(last, "NAN" | "INFINITY" | "NEG_INFINITY");
    if non_finite && (names.len() == 1 || PRIMITIVES.contains(&names[0])) {
        return Some(format!(
            "`{written}` is not a finite number: a hyperparameter's values must be finite (NaN \
             never equals itself, and an infinity cannot be sampled or stored); remove it"
        ));
    }
    (names.len() > 1 && PRIMITIVES.contains(&names[0])).then(|| {
        format!(
            "`{written}` is a numeric constant, not an identifier choice: write its value as a \
             literal (e.g. `[0.5, 1.0]`), so that the macro knows it"
        )
    })
}

fn range(expr: &Expr, kind: MacroKind, cx: &mut Ctxt) -> Option<(Spanned<Lit>, Spanned<Lit>)> {
    let Expr::Range(r) = expr else {
        cx.error(
            expr,
            format!(
                "expected a range `MIN..=MAX` (max included), e.g. `{}`",
                example(kind)
            ),
        );
        return None;
    };
    let (Some(start), Some(end)) = (&r.start, &r.end) else {
        cx.error(
            expr,
            "the range needs both ends, `MIN..=MAX`: the macro samples between them",
        );
        return None;
    };
    if let RangeLimits::HalfOpen(_) = r.limits {
        cx.error(
            expr,
            format!(
                "`{}!` ranges include their max, as in KerasTuner: write `{start}..={end}` instead \
                 of `{start}..{end}`",
                kind.name(),
                start = shown(start),
                end = shown(end),
            ),
        );
        return None;
    }
    Some((literal(start, false, cx)?, literal(end, false, cx)?))
}

/// An expression as the user would write it (literals without token spacing).
fn shown(e: &Expr) -> String {
    match lit_value(e, false) {
        Ok(Lit::Float(_)) | Err(_) => e.to_token_stream().to_string().replace(' ', ""),
        Ok(lit) => lit.to_string(),
    }
}

fn choice_values(expr: &Expr, cx: &mut Ctxt) -> Option<Spanned<Vec<ChoiceValue>>> {
    let Expr::Array(a) = expr else {
        cx.error(
            expr,
            "expected the list of values in brackets, e.g. `[Relu, Tanh]` or `[\"mlp\", \"cnn\"]`",
        );
        return None;
    };
    let mut values = Vec::new();
    for e in &a.elems {
        let path = match e {
            Expr::Path(p) if p.qself.is_none() => Some(p.path.clone()),
            _ => None,
        };
        match literal(e, true, cx) {
            Some(lit) => values.push(ChoiceValue { lit, path }),
            // Judging the rest would report the list as it is not written.
            None => return None,
        }
    }
    Some(Spanned {
        value: values,
        tokens: expr.to_token_stream(),
    })
}

const KEYWORDS_NUMERIC: &str = "`step = ..`, `log`, `reverse_log`, `linear`, `sampling = ..`, \
                                `default = ..`, `parent_name = ..`, `parent_values = [..]`";
const KEYWORDS_CHOICE: &str =
    "`default = ..`, `ordered = ..`, `parent_name = ..`, `parent_values = [..]`";
const KEYWORDS_BOOL: &str = "`default = ..`, `parent_name = ..`, `parent_values = [..]`";
const KEYWORDS_FIXED: &str = "`parent_name = ..`, `parent_values = [..]`";

fn keywords(kind: MacroKind) -> &'static str {
    match kind {
        MacroKind::Int | MacroKind::Float => KEYWORDS_NUMERIC,
        MacroKind::Choice => KEYWORDS_CHOICE,
        MacroKind::Bool => KEYWORDS_BOOL,
        MacroKind::Fixed => KEYWORDS_FIXED,
    }
}

fn sampling_of(word: &str) -> Option<Sampling> {
    Some(match word {
        "linear" => Sampling::Linear,
        "log" => Sampling::Log,
        "reverse_log" => Sampling::ReverseLog,
        _ => return None,
    })
}

/// One `key = value` or flag argument.
fn option(
    arg: &Expr,
    call: &mut HpCall,
    parent_name: &mut Option<syn::Ident>,
    parent_values: &mut Option<Vec<Spanned<Lit>>>,
    cx: &mut Ctxt,
) {
    let kind = call.kind;
    let numeric = matches!(kind, MacroKind::Int | MacroKind::Float);
    let unknown = |cx: &mut Ctxt, key: &dyn ToTokens, word: &str| {
        cx.error(
            key,
            format!(
                "unknown option `{word}` for `{}!`: expected one of {}",
                kind.name(),
                keywords(kind)
            ),
        )
    };
    let twice = |cx: &mut Ctxt, key: &dyn ToTokens, word: &str| {
        cx.error(key, format!("option `{word}` is given twice: keep one"))
    };
    let (key, value) = match arg {
        Expr::Path(p) => match p.path.get_ident() {
            Some(flag) => {
                let word = flag.to_string();
                match sampling_of(&word) {
                    Some(s) if numeric => {
                        if call.sampling.is_some() {
                            twice(cx, flag, "sampling");
                        }
                        call.sampling = Some(Spanned {
                            value: s,
                            tokens: flag.to_token_stream(),
                        });
                    }
                    _ => unknown(cx, flag, &word),
                }
                return;
            }
            None => {
                cx.error(
                    arg,
                    format!("expected an option, one of {}", keywords(kind)),
                );
                return;
            }
        },
        Expr::Assign(a) => match &*a.left {
            Expr::Path(p) if p.path.get_ident().is_some() => {
                (p.path.get_ident().expect("checked").clone(), &*a.right)
            }
            _ => {
                cx.error(
                    &a.left,
                    format!("expected an option name, one of {}", keywords(kind)),
                );
                return;
            }
        },
        _ => {
            cx.error(
                arg,
                format!(
                    "expected an option (`key = value` or a flag such as `log`), one of {}",
                    keywords(kind)
                ),
            );
            return;
        }
    };
    let word = key.to_string();
    match word.as_str() {
        "step" if numeric => {
            if call.step.is_some() {
                twice(cx, &key, &word);
            }
            call.step = literal(value, false, cx);
        }
        "sampling" if numeric => {
            if call.sampling.is_some() {
                twice(cx, &key, &word);
            }
            let s = match value {
                Expr::Path(p) => p.path.get_ident().and_then(|i| sampling_of(&i.to_string())),
                Expr::Lit(ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => sampling_of(&s.value()),
                _ => None,
            };
            match s {
                Some(s) => {
                    call.sampling = Some(Spanned {
                        value: s,
                        tokens: value.to_token_stream(),
                    })
                }
                None => cx.error(
                    value,
                    "unknown sampling: expected `linear`, `log` or `reverse_log`",
                ),
            }
        }
        "default" if kind != MacroKind::Fixed => {
            if call.default.is_some() {
                twice(cx, &key, &word);
            }
            call.default = literal(value, kind == MacroKind::Choice, cx);
        }
        "ordered" if kind == MacroKind::Choice => {
            if call.ordered.is_some() {
                twice(cx, &key, &word);
            }
            match lit_value(value, false) {
                Ok(Lit::Bool(b)) => {
                    call.ordered = Some(Spanned {
                        value: b,
                        tokens: value.to_token_stream(),
                    })
                }
                _ => cx.error(value, "`ordered` takes `true` or `false`"),
            }
        }
        "parent_name" => {
            if parent_name.is_some() {
                twice(cx, &key, &word);
            }
            match value {
                Expr::Path(p) if p.path.get_ident().is_some() => {
                    *parent_name = p.path.get_ident().cloned();
                }
                _ => cx.error(
                    value,
                    "`parent_name` takes the parent's name as an identifier: `parent_name = model_type`",
                ),
            }
        }
        "parent_values" => {
            if parent_values.is_some() {
                twice(cx, &key, &word);
            }
            match value {
                Expr::Array(a) => {
                    let values = a
                        .elems
                        .iter()
                        .filter_map(|e| literal(e, true, cx))
                        .collect::<Vec<_>>();
                    *parent_values = Some(values);
                }
                _ => cx.error(
                    value,
                    "`parent_values` takes a list in brackets: `parent_values = [\"mlp\"]`",
                ),
            }
        }
        _ => unknown(cx, &key, &word),
    }
}
