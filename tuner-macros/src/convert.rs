//! `params_from` and `params_to`: the typed params struct read from, and written to, a
//! trial's `HyperParameters`, parents first, each parameter's liveness checked.

use crate::model::{Cond, ElemType, Hp, Model};
use crate::tokens::{elem_type, private, typed};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

fn local(space_name: &str) -> Ident {
    format_ident!("__v_{}", space_name)
}

fn live_local(space_name: &str) -> Ident {
    format_ident!("__live_{}", space_name)
}

/// `parent` (a local `Option<T>` of the parent's type) holds one of `values`.
fn holds(params: &[Hp], c: &Cond, k: Option<usize>) -> TokenStream {
    let parent = params
        .iter()
        .find(|p| p.name == c.parent)
        .expect("parents are params");
    let v = local(&parent.space_name(k.filter(|_| c.indexed)));
    let values = c.values.iter().map(|l| typed(l, parent));
    match parent.def.elem_type() {
        ElemType::Str => quote!(#v.as_deref().is_some_and(|__x| [#(#values),*].contains(&__x))),
        // Floats compare as the run time's conditions do: up to grid rounding noise.
        ElemType::Float => {
            let p = private();
            quote!(#v.is_some_and(|__x| [#(#values),*].iter().any(|__c| {
                #p::Value::Float(*__c).same_as(&#p::Value::Float(__x))
            })))
        }
        _ => quote!(#v.is_some_and(|__x| [#(#values),*].contains(&__x))),
    }
}

fn all(parts: Vec<TokenStream>) -> TokenStream {
    if parts.is_empty() {
        quote!(true)
    } else {
        quote!(#(#parts)&&*)
    }
}

/// `params_from`: reads each space parameter in order (parents first), checking liveness.
pub fn params_from(model: &Model, params_ident: &Ident) -> TokenStream {
    let p = private();
    let mut reads = Vec::new();
    let mut fields = Vec::new();
    for hp in &model.params {
        let ty = elem_type(hp);
        let outer = all(hp
            .outer
            .iter()
            .map(|c| holds(&model.params, c, None))
            .collect());
        let field = &hp.field;
        let missing = |name: &str| quote!(.ok_or_else(|| #p::SpaceError::Missing(::std::string::String::from(#name)))?);
        match &hp.index {
            None => {
                let name = hp.space_name(None);
                let (v, live) = (local(&name), live_local(&name));
                reads.push(quote! {
                    let #live: bool = #outer;
                    let #v: ::std::option::Option<#ty> = __read(__values, #name, #live)?;
                });
                let missing = missing(&name);
                fields.push(if hp.outer.is_empty() {
                    quote!(#field: #v #missing)
                } else {
                    quote!(#field: #v)
                });
            }
            Some(ix) => {
                let outer_live = format_ident!("__outer_{}", hp.name);
                reads.push(quote!(let #outer_live: bool = #outer;));
                let bound = local(&ix.bound);
                let mut pushes = Vec::new();
                for k in 0..ix.count {
                    let name = hp.space_name(Some(k));
                    let (v, live) = (local(&name), live_local(&name));
                    let in_loop = format_ident!("__loop_{}", name);
                    let kk = k as i64;
                    let inner = all(hp
                        .inner
                        .iter()
                        .map(|c| holds(&model.params, c, Some(k)))
                        .collect());
                    reads.push(quote! {
                        let #in_loop: bool = #outer_live && #bound.is_some_and(|__b| __b > #kk);
                        let #live: bool = #in_loop && #inner;
                        let #v: ::std::option::Option<#ty> = __read(__values, #name, #live)?;
                    });
                    let elem = if hp.inner.is_empty() {
                        let missing = missing(&name);
                        quote!(#v #missing)
                    } else {
                        quote!(#v)
                    };
                    pushes.push(quote!(if #in_loop { __vec.push(#elem); }));
                }
                let vec = quote!({
                    let mut __vec = ::std::vec::Vec::new();
                    #(#pushes)*
                    __vec
                });
                fields.push(if hp.outer.is_empty() {
                    quote!(#field: #vec)
                } else {
                    quote!(#field: if #outer_live { ::std::option::Option::Some(#vec) } else { ::std::option::Option::None })
                });
            }
        }
    }
    quote! {
        fn params_from(__values: &#p::HyperParameters) -> ::std::result::Result<#params_ident, #p::SpaceError> {
            fn __read<T: #p::FromValue>(
                values: &#p::HyperParameters,
                name: &str,
                live: bool,
            ) -> ::std::result::Result<::std::option::Option<T>, #p::SpaceError> {
                match (live, values.get(name)) {
                    (true, ::std::option::Option::Some(v)) => T::from_value(name, v).map(::std::option::Option::Some),
                    (true, ::std::option::Option::None) => {
                        ::std::result::Result::Err(#p::SpaceError::Missing(::std::string::String::from(name)))
                    }
                    (false, ::std::option::Option::None) => ::std::result::Result::Ok(::std::option::Option::None),
                    (false, ::std::option::Option::Some(_)) => {
                        ::std::result::Result::Err(#p::SpaceError::Inactive(::std::string::String::from(name)))
                    }
                }
            }
            #(#reads)*
            ::std::result::Result::Ok(#params_ident { #(#fields),* })
        }
    }
}

/// `params_to`: the live values, under their space names.
pub fn params_to(model: &Model, params_ident: &Ident) -> TokenStream {
    let p = private();
    let inserts = model.params.iter().map(|hp| {
        let field = &hp.field;
        let put = |name: TokenStream, x: TokenStream| quote!(__hp.insert(#name, #p::FromValue::to_value(#x));)
        ;
        match &hp.index {
            None => {
                let name = hp.space_name(None);
                if hp.outer.is_empty() {
                    put(quote!(#name), quote!(&__p.#field))
                } else {
                    let put = put(quote!(#name), quote!(__x));
                    quote!(if let ::std::option::Option::Some(__x) = &__p.#field { #put })
                }
            }
            Some(ix) => {
                let names = (0..ix.count).map(|k| hp.space_name(Some(k)));
                let n = ix.count;
                let put = put(quote!(*__name), quote!(__x));
                let elem = if hp.inner.is_empty() {
                    put
                } else {
                    quote!(if let ::std::option::Option::Some(__x) = __x { #put })
                };
                let each = quote! {
                    const NAMES: [&str; #n] = [#(#names),*];
                    for (__name, __x) in NAMES.iter().zip(__vec) { #elem }
                };
                if hp.outer.is_empty() {
                    quote!({ let __vec = &__p.#field; #each })
                } else {
                    quote!(if let ::std::option::Option::Some(__vec) = &__p.#field { #each })
                }
            }
        }
    });
    quote! {
        fn params_to(__p: &#params_ident) -> #p::HyperParameters {
            let mut __hp = #p::HyperParameters::new();
            #(#inserts)*
            __hp
        }
    }
}
