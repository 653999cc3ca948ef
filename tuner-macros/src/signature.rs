//! A hypermodel's (or block's) configuration: its arguments and const generics, the values
//! that configure the model but are not searched. They become the fields and const
//! parameters of the generated model type; the rest of the signature is `check`'s to judge.

use crate::check::{self, Ctxt};
use syn::ext::IdentExt;
use syn::{FnArg, GenericParam, Ident, ItemFn, Pat, Type};

/// One argument: `classes: usize`.
pub struct Arg {
    pub ident: Ident,
    pub ty: Type,
}

/// What configures the model: its arguments and its const generic parameters.
pub struct Config {
    pub args: Vec<Arg>,
    pub consts: Vec<syn::ConstParam>,
}

impl Config {
    /// `<const C: usize, ..>` for an `impl` or a type definition (empty without consts).
    pub fn generics(&self) -> proc_macro2::TokenStream {
        let consts = &self.consts;
        if consts.is_empty() {
            quote::quote!()
        } else {
            quote::quote!(<#(#consts),*>)
        }
    }

    /// `::<C, ..>` where the function is called.
    pub fn turbofish(&self) -> proc_macro2::TokenStream {
        if self.consts.is_empty() {
            quote::quote!()
        } else {
            let a = self.arguments();
            quote::quote!(::#a)
        }
    }

    /// `<C, ..>` where the type is named.
    pub fn arguments(&self) -> proc_macro2::TokenStream {
        let names = self.consts.iter().map(|c| &c.ident);
        if self.consts.is_empty() {
            quote::quote!()
        } else {
            quote::quote!(<#(#names),*>)
        }
    }
}

/// Reads the arguments and const generics of `f`; `what` names the attribute in messages.
pub fn config(f: &ItemFn, what: &str, type_name: &Ident, cx: &mut Ctxt) -> Config {
    let mut args = Vec::new();
    for input in &f.sig.inputs {
        let FnArg::Typed(t) = input else { continue };
        match &*t.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let name = p.ident.unraw().to_string();
                if name.starts_with("__") {
                    cx.error(
                        &p.ident,
                        format!(
                            "argument names starting with `__` are reserved for the code \
                             #[{what}] generates: rename `{name}`"
                        ),
                    );
                }
                args.push(Arg {
                    ident: p.ident.clone(),
                    ty: (*t.ty).clone(),
                })
            }
            _ => cx.error(
                &t.pat,
                format!(
                    "a #[{what}] argument must be a plain name (`classes: usize`): each argument \
                     becomes a field of `{type_name}`; take the value whole and destructure it \
                     in the body"
                ),
            ),
        }
    }
    let mut consts = Vec::new();
    for g in &f.sig.generics.params {
        match g {
            GenericParam::Const(c) => consts.push(c.clone()),
            other => cx.error(
                other,
                format!(
                    "a #[{what}] function can only be generic over constants (`const N: usize`): \
                     its search space and params type must be known statically; use a const \
                     generic, an argument, or one #[{what}] per type"
                ),
            ),
        }
    }
    if let Some(w) = &f.sig.generics.where_clause {
        cx.error(
            w,
            format!("a #[{what}] function takes no `where` clause: its const generics need none"),
        );
    }
    // The rest of the signature (receiver, async, unsafe, const, `impl Trait`) is `check`'s.
    let mut rest = f.clone();
    rest.sig.inputs = rest
        .sig
        .inputs
        .into_iter()
        .filter(|i| matches!(i, FnArg::Receiver(_)))
        .collect();
    rest.sig.generics = syn::Generics::default();
    check::signature(&rest, cx);
    Config { args, consts }
}
