//! Blocks: `#[hyperblock] fn dense_block(net: NetSpec) -> NetSpec` is a reusable part of a
//! space, and `hp_block!(encoder, dense_block(net))` calls it from a hypermodel or another
//! block (KerasTuner's `hp.name_scope`): its parameters join the caller's space as
//! `encoder/units`, one scope per iteration in a loop (`layer[i]`: `layer_0/units`), each
//! live only where the call is (the caller's conditions are ANDed onto them).
//!
//! A block validates its own parameters at its definition, as a hypermodel does; in a caller
//! its names all start with `scope/`, scopes are identifiers unique among the caller's
//! fields, and a parameter's name has no `/`, so no scoped name can collide with another.

use crate::check::Ctxt;
use crate::convert;
use crate::expand::{self, Parts};
use crate::infer::Site;
use crate::model::{BlockUse, Cond, HpCall, Indexed, Lit, MacroKind, Model, SiteRead, Spanned};
use crate::tokens::{param_tokens, private, value};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprCall, Ident, ItemFn, Token};

/// The macro that calls a block.
pub const MACRO: &str = "hp_block";

/// Marks the synthetic call that stands for a block scope among the walker's sites.
const MARKER: &str = "\u{0}hp_block";

/// Whether `mac` is `hp_block!`.
pub fn is_call(mac: &syn::Macro) -> bool {
    mac.path.segments.last().is_some_and(|s| s.ident == MACRO)
}

/// Parses `hp_block!(scope[i]?, block(args..))` into the scope, as a call the walker
/// registers like any other (so it gets the conditions and the loop of where it is), and
/// the block call, whose arguments the walker visits.
pub fn call(mac: &syn::Macro) -> syn::Result<(HpCall, ExprCall)> {
    let parser = |input: ParseStream| {
        let name = input.call(Ident::parse_any)?;
        let index = if input.peek(syn::token::Bracket) {
            let inner;
            syn::bracketed!(inner in input);
            Some(inner.parse::<Ident>()?)
        } else {
            None
        };
        input.parse::<Token![,]>()?;
        let e: Expr = input.parse()?;
        input.parse::<Option<Token![,]>>()?;
        Ok((name, index, e))
    };
    let (name, index, e) = parser.parse2(mac.tokens.clone()).map_err(|e| {
        syn::Error::new(
            e.span(),
            format!(
                "{e}: write `hp_block!(scope, block(args..))` (or `scope[i]` in a loop over \
                 `0..BOUND`), `block` a `#[hyperblock]` function"
            ),
        )
    })?;
    let call = match e {
        Expr::Call(c) if matches!(&*c.func, Expr::Path(_)) => c,
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "`hp_block!` calls a `#[hyperblock]` function by its path: write \
                 `hp_block!(scope, dense_block(net))`",
            ))
        }
    };
    if crate::model::MacroKind::from_name(&name.to_string()).is_some() {
        return Err(syn::Error::new_spanned(
            &name,
            "a block scope is a plain name",
        ));
    }
    Ok((
        HpCall {
            kind: MacroKind::Fixed,
            tokens: mac.to_token_stream(),
            span: mac.path.segments.last().expect("a path").ident.span(),
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
        },
        call,
    ))
}

/// The scope's call once the walker has visited the block call's arguments.
pub fn with_call(mut scope: HpCall, call: ExprCall) -> HpCall {
    scope.fixed = Some(Spanned {
        value: Lit::Str(MARKER.to_owned()),
        tokens: call.to_token_stream(),
    });
    scope
}

/// The block call of a site that is a block scope.
pub fn site_call(site: &Site) -> Option<ExprCall> {
    let fixed = site.call.fixed.as_ref()?;
    if fixed.value != Lit::Str(MARKER.to_owned()) {
        return None;
    }
    Some(syn::parse2(fixed.tokens.clone()).expect("stored as a call"))
}

fn path_of(call: &ExprCall) -> syn::Path {
    match &*call.func {
        Expr::Path(p) => p.path.clone(),
        _ => unreachable!("checked when parsed"),
    }
}

/// The block uses of a caller: one per scope, its conditions merged over its calls.
pub fn uses(
    sites: &[Site],
    conds_of: &dyn Fn(usize, &mut Ctxt) -> Option<Vec<Cond>>,
    params: &[crate::model::Hp],
    cx: &mut Ctxt,
) -> (Vec<BlockUse>, Vec<Option<usize>>) {
    let mut uses: Vec<BlockUse> = Vec::new();
    let mut site_use = vec![None; sites.len()];
    for (i, site) in sites.iter().enumerate() {
        let Some(call) = site_call(site) else {
            continue;
        };
        let scope = site.call.name_str();
        let path = path_of(&call);
        if let Some(hp) = params.iter().find(|p| p.name == scope) {
            cx.error(
                &site.call.name,
                format!(
                    "`{scope}` names both the hyperparameter `{}` and this block scope: the params \
                     struct would have two fields `{scope}`; rename the scope (e.g. `{scope}_block`)",
                    hp.name
                ),
            );
            continue;
        }
        let Some(conds) = conds_of(i, cx) else {
            continue;
        };
        let bound = site.index.as_ref().map(|ix| ix.bound.clone());
        if let Some(u) = uses.iter().position(|u| u.scope == scope) {
            let same_path =
                uses[u].path.to_token_stream().to_string() == path.to_token_stream().to_string();
            let same_index = uses[u].index.as_ref().map(|ix| &ix.bound) == bound.as_ref();
            if !same_path || !same_index {
                cx.error(
                    &site.call.name,
                    format!(
                        "the block scope `{scope}` is used twice with different blocks or loops: \
                         each scope names one block's parameters; give this call its own scope"
                    ),
                );
                continue;
            }
            let mut prev = uses[u].outer.clone();
            prev.extend(uses[u].inner.iter().cloned());
            match crate::assemble::merge(&prev, &conds) {
                Some(m) => {
                    let (inner, outer) = m.into_iter().partition(|c| c.indexed);
                    uses[u].inner = inner;
                    uses[u].outer = outer;
                }
                None => cx.error(
                    &site.call.tokens,
                    format!(
                        "the block scope `{scope}` is called under conditions that one AND of \
                         parent values cannot express: call it once before the branches or give \
                         each call its own scope"
                    ),
                ),
            }
            site_use[i] = Some(u);
            continue;
        }
        let index = match &bound {
            None => None,
            Some(b) => match loop_index(&scope, b, params, &site.call, cx) {
                Some(ix) => Some(ix),
                None => continue,
            },
        };
        let (inner, outer) = conds.into_iter().partition(|c| c.indexed);
        site_use[i] = Some(uses.len());
        uses.push(BlockUse {
            scope,
            field: site.call.name.clone(),
            path,
            outer,
            inner,
            index,
        });
    }
    // A condition admitting every value of its parent always holds (`if b {x} else {x}`).
    for u in &mut uses {
        for conds in [&mut u.outer, &mut u.inner] {
            conds.retain(|c| {
                let domain = params
                    .iter()
                    .find(|p| p.name == c.parent)
                    .and_then(|p| p.def.domain());
                domain.is_none_or(|d| d.iter().any(|v| !c.values.contains(v)))
            });
        }
    }
    (uses, site_use)
}

fn loop_index(
    scope: &str,
    bound: &str,
    params: &[crate::model::Hp],
    call: &HpCall,
    cx: &mut Ctxt,
) -> Option<Indexed> {
    let hp = params.iter().find(|p| p.name == bound)?;
    let values: Vec<i64> = hp
        .def
        .domain()?
        .iter()
        .filter_map(|v| match v {
            Lit::Int(v) => Some(*v),
            _ => None,
        })
        .collect();
    let top = values.iter().copied().max().unwrap_or(0);
    if !(1..=crate::assemble::MAX_INDEXED).contains(&top) {
        cx.error(
            &call.tokens,
            format!(
                "`{scope}[..]` needs one scope per iteration of `0..{bound}`, whose max is {top}: \
                 keep it between 1 and {}",
                crate::assemble::MAX_INDEXED
            ),
        );
        return None;
    }
    Some(Indexed {
        bound: bound.to_owned(),
        bound_values: values,
        count: top as usize,
    })
}

/// The field of a block use: its params, `Option` when conditional, `Vec` in a loop.
pub fn field_type(b: &BlockUse) -> TokenStream {
    let mut t = b.path.to_token_stream();
    if b.index.is_some() {
        if !b.inner.is_empty() {
            t = quote!(::std::option::Option<#t>);
        }
        t = quote!(::std::vec::Vec<#t>);
    }
    if !b.outer.is_empty() {
        t = quote!(::std::option::Option<#t>);
    }
    t
}

pub fn field_doc(b: &BlockUse) -> String {
    let path = b.path.to_token_stream().to_string().replace(' ', "");
    let mut doc = format!("The block `{path}` under the scope `{}/`.", b.scope);
    if let Some(ix) = &b.index {
        doc += &format!(
            " One per iteration of `0..{}` (scopes `{}_0/`..`{}_{}/`), the live prefix.",
            ix.bound,
            b.scope,
            b.scope,
            ix.count - 1
        );
    }
    if !b.outer.is_empty() {
        doc += &format!(
            " Live only when {} (`None` otherwise).",
            expand::describe_conds(&b.outer)
        );
    }
    doc
}

/// What a `hp_block!` site becomes: the block call with the scope's params appended.
pub fn read(b: &BlockUse, call: &ExprCall, site: &SiteRead) -> Expr {
    let span = Span::call_site().located_at(site.span);
    let params = Ident::new("__params", Span::mixed_site().located_at(site.span));
    let field = &b.field;
    let inactive = format!(
        "#[hypermodel]: the block scope `{}` was called while inactive: it is live only when {}",
        b.scope,
        expand::describe_conds(&b.outer)
    );
    let inactive_inner = format!(
        "#[hypermodel]: the block scope `{}[i]` was called while inactive: it is live only when {}",
        b.scope,
        expand::describe_conds(&b.inner)
    );
    let mut e = quote_spanned!(span=> #params.#field);
    if !b.outer.is_empty() {
        e = quote_spanned!(span=> #e.as_ref().expect(#inactive));
    }
    e = match (&site.index, b.inner.is_empty()) {
        (None, _) => quote_spanned!(span=> &#e),
        (Some(var), true) => quote_spanned!(span=> &#e[#var as usize]),
        (Some(var), false) => {
            quote_spanned!(span=> #e[#var as usize].as_ref().expect(#inactive_inner))
        }
    };
    let mut call = call.clone();
    call.args.push(Expr::Verbatim(e));
    Expr::Call(call)
}

/// `Condition`s of the tokens of one block use (iteration `k`), parents named as in the
/// caller's space: plain in a hypermodel, under `__scope` in a block.
fn conditions(model: &Model, b: &BlockUse, k: Option<usize>, scoped: bool) -> Vec<TokenStream> {
    let p = private();
    let name = |n: String| {
        if scoped {
            quote!(::std::format!("{}/{}", __scope, #n))
        } else {
            quote!(::std::string::String::from(#n))
        }
    };
    let cond = |parent: String, values: Vec<TokenStream>| {
        let parent = name(parent);
        quote!(#p::Condition { parent: #parent, values: ::std::vec![#(#values),*] })
    };
    let of = |c: &Cond, k: Option<usize>| {
        let hp = model
            .params
            .iter()
            .find(|h| h.name == c.parent)
            .expect("parents are params");
        let parent = hp.space_name(k.filter(|_| c.indexed));
        cond(parent, c.values.iter().map(|v| value(&v.value())).collect())
    };
    let mut out: Vec<TokenStream> = b.outer.iter().map(|c| of(c, None)).collect();
    if let (Some(ix), Some(k)) = (&b.index, k) {
        let values = ix
            .bound_values
            .iter()
            .filter(|&&v| v > k as i64)
            .map(|&v| value(&tuner_space::Value::Int(v)))
            .collect();
        out.push(cond(ix.bound.clone(), values));
        out.extend(b.inner.iter().map(|c| of(c, Some(k))));
    }
    out
}

/// Statements that extend `__space` with each block use's parameters (in a block, under
/// `__scope` and with the caller's `__conditions`).
pub fn space_extensions(model: &Model, scoped: bool) -> Vec<TokenStream> {
    let p = private();
    let mut out = Vec::new();
    for b in &model.blocks {
        let path = &b.path;
        let ks: Vec<Option<usize>> = match &b.index {
            None => vec![None],
            Some(ix) => (0..ix.count).map(Some).collect(),
        };
        for k in ks {
            let scope = b.scope_name(k);
            let conds = conditions(model, b, k, scoped);
            let (scope, caller) = if scoped {
                (
                    quote!(&::std::format!("{}/{}", __scope, #scope)),
                    quote!(__conditions.iter().cloned()),
                )
            } else {
                (quote!(#scope), quote!(::std::iter::empty()))
            };
            out.push(quote! {
                {
                    let __c: ::std::vec::Vec<#p::Condition> =
                        #caller.chain([#(#conds),*]).collect();
                    __space.extend(<#path as #p::HyperBlock>::params(#scope, &__c));
                }
            });
        }
    }
    out
}

/// `#[hyperblock]` on `item`.
pub fn hyperblock(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    let name_override = expand::attr_name(attr, "hyperblock", &mut cx);
    let func: ItemFn = syn::parse2(item)?;
    let fn_name = func.sig.ident.unraw().to_string();
    let type_name = crate::names::type_name(&func, name_override, "hyperblock", &mut cx);
    let config = crate::signature::config(&func, "hyperblock", &type_name, &mut cx);
    if let Some(c) = config.consts.first() {
        cx.error(
            c,
            "a #[hyperblock] cannot be generic: pass the value as an argument of the block call",
        );
    }
    let mut func = func;
    crate::names::keywords(&mut func, &mut cx);
    let mut walker = crate::infer::Walker::new(&mut cx);
    syn::visit_mut::VisitMut::visit_block_mut(&mut walker, &mut func.block);
    let sites = walker.finish();
    let model = crate::assemble::model(&sites, &type_name, &mut cx);
    let params_ident = format_ident!("{}Params", type_name);
    crate::names::check(&type_name, &params_ident, model.as_ref(), &mut cx);
    cx.finish()?;
    let model = model.expect("a model whenever no error was reported");
    Ok(generate(func, &fn_name, &type_name, &model))
}

fn generate(func: ItemFn, fn_name: &str, type_name: &Ident, model: &Model) -> TokenStream {
    let p = private();
    let vis = func.vis.clone();
    let params_ident = format_ident!("{}Params", type_name);
    let alias = func.sig.ident.clone();
    let Parts { items, func } = expand::parts(func, fn_name, &params_ident, model);
    let own = model.space.iter().map(|param| {
        let t = param_tokens(param);
        quote!(#p::scoped(#t, __scope, __conditions))
    });
    let blocks = space_extensions(model, true);
    let len = convert::total_len(model);
    let (reads, fields) = convert::reads(model);
    let writes = convert::writes(model);
    let alias_doc = format!("The params of the block `{fn_name}`, named as the function is (so `hp_block!` finds them).");
    quote! {
        #items

        #[doc = #alias_doc]
        #[allow(non_camel_case_types)]
        #vis type #alias = #params_ident;

        impl #p::HyperBlock for #params_ident {
            const LEN: usize = #len;

            fn params(__scope: &str, __conditions: &[#p::Condition]) -> ::std::vec::Vec<#p::Param> {
                #[allow(unused_mut)]
                let mut __space: ::std::vec::Vec<#p::Param> = ::std::vec![#(#own),*];
                #(#blocks)*
                __space
            }

            fn read(
                __params: &[#p::Param],
                __slots: &[::std::option::Option<&#p::Value>],
                __live: bool,
            ) -> ::std::result::Result<::std::option::Option<Self>, #p::SpaceError> {
                #(#reads)*
                if !__live {
                    return ::std::result::Result::Ok(::std::option::Option::None);
                }
                ::std::result::Result::Ok(::std::option::Option::Some(Self { #(#fields),* }))
            }

            fn write(&self, __params: &[#p::Param], __hp: &mut #p::HyperParameters) {
                let __p = self;
                #(#writes)*
            }
        }

        #func
    }
}
