//! Run-time values as the tokens that build them: numbers, `Value`s, typed literals, and
//! whole space parameters. Runtime items are named only through `::tuner::__private`.

use crate::model::{ElemType, Hp, Lit};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use tuner_space::{Param, ParamKind, Sampling, Value};

thread_local! {
    /// The crate the generated code names (`#[hypermodel(crate = path)]`); one expansion runs
    /// at a time on the macro's thread, which sets it at its start.
    static CRATE: std::cell::RefCell<Option<syn::Path>> = const { std::cell::RefCell::new(None) };
}

/// Sets the crate the generated code names for this expansion (`None`: `::tuner`).
pub fn set_crate(path: Option<syn::Path>) {
    CRATE.with(|c| *c.borrow_mut() = path);
}

/// The paths generated code names: `::tuner::__private`, or `<crate>::__private`.
pub fn private() -> TokenStream {
    CRATE.with(|c| match &*c.borrow() {
        Some(path) => quote!(#path::__private),
        None => quote!(::tuner::__private),
    })
}

pub fn num_i64(v: i64) -> TokenStream {
    if v == i64::MIN {
        return quote!(::std::primitive::i64::MIN);
    }
    let lit = Literal::i64_suffixed(v.abs());
    if v < 0 {
        quote!(-#lit)
    } else {
        quote!(#lit)
    }
}

pub fn num_f64(v: f64) -> TokenStream {
    let lit = Literal::f64_suffixed(v.abs());
    if v.is_sign_negative() {
        quote!(-#lit)
    } else {
        quote!(#lit)
    }
}

/// A run-time `Value` as the tokens that build it.
pub fn value(v: &Value) -> TokenStream {
    let p = private();
    match v {
        Value::Int(v) => {
            let v = num_i64(*v);
            quote!(#p::Value::Int(#v))
        }
        Value::Float(v) => {
            let v = num_f64(*v);
            quote!(#p::Value::Float(#v))
        }
        Value::Str(s) => quote!(#p::Value::Str(::std::string::String::from(#s))),
        Value::Bool(b) => quote!(#p::Value::Bool(#b)),
    }
}

/// A literal as a value of the field's Rust type.
pub fn typed(lit: &Lit, hp: &Hp) -> TokenStream {
    match lit {
        Lit::Int(v) => num_i64(*v),
        Lit::Float(v) => num_f64(*v),
        Lit::Str(s) => quote!(#s),
        Lit::Bool(b) => quote!(#b),
        Lit::Ident(n) => {
            let e = hp
                .enum_ident
                .as_ref()
                .expect("identifier choices have an enum");
            let v = format_ident!("{}", n);
            quote!(#e::#v)
        }
    }
}

/// The tokens that build `param`, field for field: the generated space is the very one the
/// run time's rules accepted at expansion.
pub fn param_tokens(param: &Param) -> TokenStream {
    let p = private();
    let option = |t: Option<TokenStream>| match t {
        Some(t) => quote!(::std::option::Option::Some(#t)),
        None => quote!(::std::option::Option::None),
    };
    let sampling = |s: Sampling| match s {
        Sampling::Linear => quote!(#p::Sampling::Linear),
        Sampling::Log => quote!(#p::Sampling::Log),
        Sampling::ReverseLog => quote!(#p::Sampling::ReverseLog),
    };
    let kind = match &param.kind {
        ParamKind::Int {
            min,
            max,
            step,
            sampling: s,
        } => {
            let (min, max, s) = (num_i64(*min), num_i64(*max), sampling(*s));
            let step = option(step.map(num_i64));
            quote!(#p::ParamKind::Int { min: #min, max: #max, step: #step, sampling: #s })
        }
        ParamKind::Float {
            min,
            max,
            step,
            sampling: s,
        } => {
            let (min, max, s) = (num_f64(*min), num_f64(*max), sampling(*s));
            let step = option(step.map(num_f64));
            quote!(#p::ParamKind::Float { min: #min, max: #max, step: #step, sampling: #s })
        }
        ParamKind::Choice { values, ordered } => {
            let values = values.iter().map(value);
            quote!(#p::ParamKind::Choice { values: ::std::vec![#(#values),*], ordered: #ordered })
        }
        ParamKind::Boolean => quote!(#p::ParamKind::Boolean),
        ParamKind::Fixed { value: v } => {
            let v = value(v);
            quote!(#p::ParamKind::Fixed { value: #v })
        }
    };
    let conditions = param.conditions.iter().map(|c| {
        let (parent, values) = (&c.parent, c.values.iter().map(value));
        quote!(#p::Condition {
            parent: ::std::string::String::from(#parent),
            values: ::std::vec![#(#values),*],
        })
    });
    let (name, default) = (&param.name, value(&param.default));
    quote!(#p::Param {
        name: ::std::string::String::from(#name),
        kind: #kind,
        default: #default,
        conditions: ::std::vec![#(#conditions),*],
    })
}

/// The Rust type of one value of `hp` (its field's element).
pub fn elem_type(hp: &Hp) -> TokenStream {
    match hp.def.elem_type() {
        ElemType::Int => quote!(i64),
        ElemType::Float => quote!(f64),
        ElemType::Bool => quote!(bool),
        ElemType::Str => quote!(::std::string::String),
        ElemType::Enum => {
            let e = hp
                .enum_ident
                .as_ref()
                .expect("identifier choices have an enum");
            quote!(#e)
        }
    }
}

/// Grids up to this size are checked against their listed values in generated code.
const MAX_LISTED: usize = 64;

/// A closure `|&Value| -> bool` that accepts only values the parameter's own check accepts,
/// without formatting or allocating: generated `params_from` calls the run time's check (for
/// its wording) only on what this does not accept. Where no cheap test is exact enough it
/// accepts nothing, and every value goes through the run time's check.
pub fn fast_check(param: &Param) -> TokenStream {
    let p = private();
    let none = quote!(|_: &#p::Value| false);
    let float_near = |x: TokenStream, values: Vec<TokenStream>| quote!([#(#values),*].iter().any(|__c: &f64| #p::Value::Float(*__c).same_as(&#p::Value::Float(*#x))));
    match &param.kind {
        ParamKind::Int {
            min,
            max,
            step,
            sampling,
        } => {
            // The run time's geometric grid (log sampling with a step): listed, not tested here.
            if *sampling != Sampling::Linear && step.is_some_and(|s| s > 1) && *min > 0 {
                return none;
            }
            let (lo, hi) = (num_i64(*min), num_i64(*max));
            let step = step.unwrap_or(1).max(1);
            let on_grid = if step == 1 {
                quote!()
            } else {
                let (min128, step128) = (
                    Literal::i128_suffixed(i128::from(*min)),
                    Literal::i128_suffixed(i128::from(step)),
                );
                quote!(&& (i128::from(*__x) - #min128) % #step128 == 0)
            };
            quote!(|__v: &#p::Value| matches!(__v, #p::Value::Int(__x)
                if *__x >= #lo && *__x <= #hi #on_grid))
        }
        ParamKind::Float {
            min,
            max,
            step,
            sampling,
        } => {
            let (lo, hi) = (num_f64(*min), num_f64(*max));
            let range = quote!(__x.is_finite() && *__x >= #lo && *__x <= #hi);
            match step {
                None => quote!(|__v: &#p::Value| matches!(__v, #p::Value::Float(__x) if #range)),
                Some(step) if *sampling == Sampling::Linear => {
                    let Some(values) = param.values().filter(|v| v.len() <= MAX_LISTED) else {
                        return none;
                    };
                    let grid: Vec<TokenStream> = values
                        .iter()
                        .filter_map(|v| v.as_float())
                        .map(num_f64)
                        .collect();
                    let (n, step) = (grid.len(), num_f64(*step));
                    // The nearest grid point, as the run time's check takes it.
                    quote!(|__v: &#p::Value| matches!(__v, #p::Value::Float(__x) if #range && {
                        const GRID: [f64; #n] = [#(#grid),*];
                        let __k = ((*__x - #lo) / #step).round();
                        __k >= 0.0 && (__k as usize) < #n
                            && #p::Value::Float(GRID[__k as usize]).same_as(&#p::Value::Float(*__x))
                    }))
                }
                Some(_) => none,
            }
        }
        ParamKind::Choice { values, .. } => {
            let Some(first) = values.first() else {
                return none;
            };
            match first {
                Value::Int(_) => {
                    let vs = values.iter().filter_map(Value::as_int).map(num_i64);
                    quote!(|__v: &#p::Value| matches!(__v, #p::Value::Int(__x) if [#(#vs),*].contains(__x)))
                }
                Value::Float(_) => {
                    let vs = values
                        .iter()
                        .filter_map(Value::as_float)
                        .map(num_f64)
                        .collect();
                    let near = float_near(quote!(__x), vs);
                    quote!(|__v: &#p::Value| matches!(__v, #p::Value::Float(__x) if #near))
                }
                Value::Str(_) => {
                    let vs = values.iter().filter_map(Value::as_str);
                    quote!(|__v: &#p::Value| matches!(__v, #p::Value::Str(__x) if [#(#vs),*].contains(&__x.as_str())))
                }
                Value::Bool(_) => {
                    let vs = values.iter().filter_map(Value::as_bool);
                    quote!(|__v: &#p::Value| matches!(__v, #p::Value::Bool(__x) if [#(#vs),*].contains(__x)))
                }
            }
        }
        ParamKind::Boolean => quote!(|__v: &#p::Value| matches!(__v, #p::Value::Bool(_))),
        ParamKind::Fixed { value } => match value {
            Value::Int(i) => {
                let i = num_i64(*i);
                quote!(|__v: &#p::Value| matches!(__v, #p::Value::Int(__x) if *__x == #i))
            }
            Value::Float(f) => {
                let near = float_near(quote!(__x), vec![num_f64(*f)]);
                quote!(|__v: &#p::Value| matches!(__v, #p::Value::Float(__x) if #near))
            }
            Value::Str(s) => {
                quote!(|__v: &#p::Value| matches!(__v, #p::Value::Str(__x) if __x == #s))
            }
            Value::Bool(b) => {
                quote!(|__v: &#p::Value| matches!(__v, #p::Value::Bool(__x) if *__x == #b))
            }
        },
    }
}
