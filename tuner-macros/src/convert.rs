//! `params_from` and `params_to`: the typed params struct read from, and written to, a
//! trial's `HyperParameters` by position. The space puts each value in the slot of its
//! parameter's declaration position (names drawn from the space match by address), so no
//! name is compared here; each value is checked against its parameter, parents first, each
//! parameter's liveness checked. A block's parameters follow the caller's own, contiguously.

use crate::model::{BlockUse, Cond, ElemType, Hp, Indexed, Model};
use crate::tokens::{elem_type, fast_check, private, typed};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

fn local(space_name: &str) -> Ident {
    format_ident!("__v_{}", space_name)
}

fn live_local(space_name: &str) -> Ident {
    format_ident!("__live_{}", space_name)
}

fn block_local(scope: &str) -> Ident {
    format_ident!("__b_{}", scope)
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

fn conds(params: &[Hp], conds: &[Cond], k: Option<usize>) -> TokenStream {
    all(conds.iter().map(|c| holds(params, c, k)).collect())
}

fn missing(name: &str) -> TokenStream {
    let p = private();
    quote!(.ok_or_else(|| #p::SpaceError::Missing(::std::string::String::from(#name)))?)
}

/// The position where each block use's parameters start: after the caller's own, each use
/// (each iteration of an indexed one) `LEN` long.
pub fn block_offsets(model: &Model) -> Vec<Vec<TokenStream>> {
    let p = private();
    let mut at = {
        let n = model.space.len();
        quote!(#n)
    };
    model
        .blocks
        .iter()
        .map(|b| {
            let path = &b.path;
            let count = b.index.as_ref().map_or(1, |ix| ix.count);
            (0..count)
                .map(|_| {
                    let here = at.clone();
                    at = quote!((#at + <#path as #p::HyperBlock>::LEN));
                    here
                })
                .collect()
        })
        .collect()
}

/// The number of space parameters, blocks included, as a constant expression.
pub fn total_len(model: &Model) -> TokenStream {
    let p = private();
    let n = model.space.len();
    let blocks = model.blocks.iter().map(|b| {
        let path = &b.path;
        let count = b.index.as_ref().map_or(1, |ix| ix.count);
        quote!(#count * <#path as #p::HyperBlock>::LEN)
    });
    quote!(#n #(+ #blocks)*)
}

/// An indexed field: the live prefix of its iterations, each read by `elem(k)`.
fn indexed_field(
    model: &Model,
    name: &str,
    outer: &[Cond],
    inner: &[Cond],
    ix: &Indexed,
    reads: &mut Vec<TokenStream>,
    mut elem: impl FnMut(usize, &Ident, &mut Vec<TokenStream>) -> TokenStream,
) -> TokenStream {
    let outer_live = format_ident!("__outer_{}", name);
    let outer_conds = conds(&model.params, outer, None);
    reads.push(quote!(let #outer_live: bool = __live && #outer_conds;));
    let bound = local(&ix.bound);
    let mut pushes = Vec::new();
    for k in 0..ix.count {
        let in_loop = format_ident!("__loop_{}_{}", name, k);
        let live = format_ident!("__live_{}_{}", name, k);
        let kk = k as i64;
        let inner = conds(&model.params, inner, Some(k));
        reads.push(quote! {
            let #in_loop: bool = #outer_live && #bound.is_some_and(|__b| __b > #kk);
            let #live: bool = #in_loop && #inner;
        });
        let e = elem(k, &live, reads);
        pushes.push(quote!(if #in_loop { __vec.push(#e); }));
    }
    let vec = quote!({
        let mut __vec = ::std::vec::Vec::new();
        #(#pushes)*
        __vec
    });
    if outer.is_empty() {
        vec
    } else {
        quote!(if #outer_live { ::std::option::Option::Some(#vec) } else { ::std::option::Option::None })
    }
}

/// The statements that read and check every value (using `__params`, `__slots` and
/// `__live`), and the struct's field initialisers.
pub fn reads(model: &Model) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let p = private();
    let mut reads = Vec::new();
    let mut fields = Vec::new();
    for hp in &model.params {
        let ty = elem_type(hp);
        let field = &hp.field;
        match &hp.index {
            None => {
                let name = hp.space_name(None);
                let (v, live) = (local(&name), live_local(&name));
                let pos = model.position(&name);
                let outer = conds(&model.params, &hp.outer, None);
                let fast = fast_check(&model.space[pos]);
                reads.push(quote! {
                    let #live: bool = __live && #outer;
                    let #v: ::std::option::Option<#ty> =
                        #p::read_slot(&__params[#pos], __slots[#pos], #live, #fast)?;
                });
                let missing = missing(&name);
                fields.push(if hp.outer.is_empty() {
                    quote!(#field: #v #missing)
                } else {
                    quote!(#field: #v)
                });
            }
            Some(ix) => {
                let vec = indexed_field(
                    model,
                    &hp.name,
                    &hp.outer,
                    &hp.inner,
                    ix,
                    &mut reads,
                    |k, live, reads| {
                        let name = hp.space_name(Some(k));
                        let v = local(&name);
                        let pos = model.position(&name);
                        let fast = fast_check(&model.space[pos]);
                        reads.push(quote! {
                            let #v: ::std::option::Option<#ty> =
                                #p::read_slot(&__params[#pos], __slots[#pos], #live, #fast)?;
                        });
                        if hp.inner.is_empty() {
                            let missing = missing(&name);
                            quote!(#v #missing)
                        } else {
                            quote!(#v)
                        }
                    },
                );
                fields.push(quote!(#field: #vec));
            }
        }
    }
    let offsets = block_offsets(model);
    for (b, offsets) in model.blocks.iter().zip(offsets) {
        let field = &b.field;
        let read = |at: &TokenStream, live: &TokenStream| {
            let path = &b.path;
            quote! {
                <#path as #p::HyperBlock>::read(&__params[#at..], &__slots[#at..], #live)?
            }
        };
        match &b.index {
            None => {
                let v = block_local(&b.scope);
                let outer = conds(&model.params, &b.outer, None);
                let r = read(&offsets[0], &quote!(__live && #outer));
                reads.push(quote!(let #v = #r;));
                let missing = missing(&b.scope);
                fields.push(if b.outer.is_empty() {
                    quote!(#field: #v #missing)
                } else {
                    quote!(#field: #v)
                });
            }
            Some(ix) => {
                let vec = indexed_field(
                    model,
                    &b.scope,
                    &b.outer,
                    &b.inner,
                    ix,
                    &mut reads,
                    |k, live, reads| {
                        let v = block_local(&b.scope_name(Some(k)));
                        let r = read(&offsets[k], &quote!(#live));
                        reads.push(quote!(let #v = #r;));
                        if b.inner.is_empty() {
                            let missing = missing(&b.scope_name(Some(k)));
                            quote!(#v #missing)
                        } else {
                            quote!(#v)
                        }
                    },
                );
                fields.push(quote!(#field: #vec));
            }
        }
    }
    (reads, fields)
}

/// `params_from` of a hypermodel: every value in its slot, then read by position.
pub fn params_from(model: &Model, params_ident: &Ident) -> TokenStream {
    let p = private();
    let (reads, fields) = reads(model);
    let len = total_len(model);
    quote! {
        fn params_from(__values: &#p::HyperParameters) -> ::std::result::Result<#params_ident, #p::SpaceError> {
            let __space = <Self as #p::HyperModel>::space();
            let mut __slots: [::std::option::Option<&#p::Value>; #len] = [::std::option::Option::None; #len];
            __space.slots(__values, &mut __slots)?;
            let __params = __space.params();
            let __live = true;
            #(#reads)*
            ::std::result::Result::Ok(#params_ident { #(#fields),* })
        }
    }
}

/// The statements that write every live value of `__p` into `__hp` under its parameter's name.
pub fn writes(model: &Model) -> Vec<TokenStream> {
    let p = private();
    let put = |pos: TokenStream, x: TokenStream| quote!(__hp.insert(__params[#pos].name.as_str(), #p::FromValue::to_value(#x)););
    let mut out: Vec<TokenStream> = model
        .params
        .iter()
        .map(|hp| {
            let field = &hp.field;
            match &hp.index {
                None => {
                    let pos = model.position(&hp.space_name(None));
                    if hp.outer.is_empty() {
                        put(quote!(#pos), quote!(&__p.#field))
                    } else {
                        let put = put(quote!(#pos), quote!(__x));
                        quote!(if let ::std::option::Option::Some(__x) = &__p.#field { #put })
                    }
                }
                Some(ix) => {
                    let positions = (0..ix.count).map(|k| model.position(&hp.space_name(Some(k))));
                    let n = ix.count;
                    let put = put(quote!(*__at), quote!(__x));
                    let elem = if hp.inner.is_empty() {
                        put
                    } else {
                        quote!(if let ::std::option::Option::Some(__x) = __x { #put })
                    };
                    let each = quote! {
                        const AT: [usize; #n] = [#(#positions),*];
                        for (__at, __x) in AT.iter().zip(__vec) { #elem }
                    };
                    if hp.outer.is_empty() {
                        quote!({ let __vec = &__p.#field; #each })
                    } else {
                        quote!(if let ::std::option::Option::Some(__vec) = &__p.#field { #each })
                    }
                }
            }
        })
        .collect();
    for (b, offsets) in model.blocks.iter().zip(block_offsets(model)) {
        out.push(block_writes(b, &offsets));
    }
    out
}

fn block_writes(b: &BlockUse, offsets: &[TokenStream]) -> TokenStream {
    let p = private();
    let (field, path) = (&b.field, &b.path);
    let write = |x: TokenStream, at: &TokenStream| quote!(<#path as #p::HyperBlock>::write(#x, &__params[#at..], __hp););
    match &b.index {
        None => {
            let w = write(quote!(__x), &offsets[0]);
            if b.outer.is_empty() {
                quote!({ let __x = &__p.#field; #w })
            } else {
                quote!(if let ::std::option::Option::Some(__x) = &__p.#field { #w })
            }
        }
        Some(_) => {
            let each = offsets.iter().enumerate().map(|(k, at)| {
                let w = write(quote!(__x), at);
                let elem = if b.inner.is_empty() {
                    w
                } else {
                    quote!(if let ::std::option::Option::Some(__x) = __x { #w })
                };
                quote!(if let ::std::option::Option::Some(__x) = __vec.get(#k) { #elem })
            });
            if b.outer.is_empty() {
                quote!({ let __vec = &__p.#field; #(#each)* })
            } else {
                quote!(if let ::std::option::Option::Some(__vec) = &__p.#field { #(#each)* })
            }
        }
    }
}

/// `params_to`: the live values, under their space names.
pub fn params_to(model: &Model, params_ident: &Ident) -> TokenStream {
    let p = private();
    let writes = writes(model);
    quote! {
        fn params_to(__p: &#params_ident) -> #p::HyperParameters {
            let __params = <Self as #p::HyperModel>::space().params();
            let mut __values = #p::HyperParameters::new();
            let __hp = &mut __values;
            #(#writes)*
            __values
        }
    }
}
