//! Code generation: the params struct and choice enums, the static space, the `HyperModel`
//! impl, and the body with every `hp_*!` replaced by a read of a typed field. Runtime items
//! are named only through `::tuner::__private`, so users depend on `tuner` alone.

use crate::assemble::{self, camel};
use crate::check::{self, Ctxt};
use crate::infer::{self, Walker, PLACEHOLDER};
use crate::model::{Cond, ElemType, Hp, Lit, Model, SiteRead};
use proc_macro2::{Literal, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, ItemFn, Stmt};
use tuner_space::{Param, ParamKind, Sampling, Value};

/// `#[hypermodel]` on `item`, with the attribute's arguments `attr`.
pub fn hypermodel(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    let name_override = attr_name(attr, &mut cx);
    let mut func: ItemFn = syn::parse2(item)?;
    check::signature(&func, &mut cx);
    let fn_name = func.sig.ident.unraw().to_string();
    let type_name =
        name_override.unwrap_or_else(|| Ident::new(&camel(&fn_name), func.sig.ident.span()));
    let mut walker = Walker::new(&mut cx);
    walker.visit_block_mut(&mut func.block);
    let sites = walker.finish();
    let model = assemble::model(&sites, &type_name, &mut cx);
    cx.finish()?;
    let model = model.expect("a model whenever no error was reported");
    Ok(generate(func, &fn_name, &type_name, &model))
}

/// `#[hypermodel(name = TypeName)]`.
fn attr_name(attr: TokenStream, cx: &mut Ctxt) -> Option<Ident> {
    let mut name = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            name = Some(meta.value()?.parse::<Ident>()?);
            Ok(())
        } else {
            Err(meta.error("unknown #[hypermodel] option: the only option is `name = TypeName`"))
        }
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, attr) {
        cx.push(e);
    }
    name
}

fn private() -> TokenStream {
    quote!(::tuner::__private)
}

fn num_i64(v: i64) -> TokenStream {
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

fn num_f64(v: f64) -> TokenStream {
    let lit = Literal::f64_suffixed(v.abs());
    if v.is_sign_negative() {
        quote!(-#lit)
    } else {
        quote!(#lit)
    }
}

/// A run-time `Value` as the tokens that build it.
fn value(v: &Value) -> TokenStream {
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
fn typed(lit: &Lit, hp: &Hp) -> TokenStream {
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

fn elem_type(hp: &Hp) -> TokenStream {
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

fn field_type(hp: &Hp) -> TokenStream {
    let mut t = elem_type(hp);
    if hp.index.is_some() {
        if !hp.inner.is_empty() {
            t = quote!(::std::option::Option<#t>);
        }
        t = quote!(::std::vec::Vec<#t>);
    }
    if !hp.outer.is_empty() {
        t = quote!(::std::option::Option<#t>);
    }
    t
}

fn describe_conds(conds: &[Cond]) -> String {
    conds
        .iter()
        .map(Cond::describe)
        .collect::<Vec<_>>()
        .join(" and ")
}

fn field_doc(hp: &Hp) -> String {
    let mut doc = format!("`{}`: {}.", hp.name, hp.def.describe());
    if let Some(ix) = &hp.index {
        doc += &format!(
            " One value per iteration of `0..{}` (space names `{}_0`..`{}_{}`), the live prefix.",
            ix.bound,
            hp.name,
            hp.name,
            ix.count - 1
        );
    }
    if !hp.outer.is_empty() {
        doc += &format!(
            " Live only when {} (`None` otherwise).",
            describe_conds(&hp.outer)
        );
    }
    if !hp.inner.is_empty() {
        doc += &format!(
            " Each element live only when {} (`None` otherwise).",
            describe_conds(&hp.inner)
        );
    }
    doc
}

/// The tokens that build `param`, field for field: the generated space is the very one the
/// run time's rules accepted at expansion.
fn param_tokens(param: &Param) -> TokenStream {
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
fn params_from(model: &Model, params_ident: &Ident) -> TokenStream {
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
fn params_to(model: &Model, params_ident: &Ident) -> TokenStream {
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

/// The enum of an identifier choice: serialised as the variant name, readable from a `Value`.
fn choice_enum(hp: &Hp, vis: &syn::Visibility, fn_name: &str) -> TokenStream {
    let p = private();
    let Some(e) = &hp.enum_ident else {
        return TokenStream::new();
    };
    let values = hp.def.choices();
    let names: Vec<&str> = values
        .iter()
        .map(|v| match v {
            Lit::Ident(n) => n.as_str(),
            _ => unreachable!("identifier choices hold identifiers"),
        })
        .collect();
    let variants: Vec<Ident> = names.iter().map(|n| format_ident!("{}", n)).collect();
    let n = variants.len();
    let doc = format!(
        "The values of `{}` in `{fn_name}` (generated by `#[hypermodel]`).",
        hp.name
    );
    let variant_docs = names.iter().map(|n| format!("`{n}`"));
    let one_of = names.join(", ");
    let serde_crate = format!("{p}::serde").replace(' ', "");
    let name_lits = &names;
    quote! {
        #[doc = #doc]
        #[derive(
            ::std::fmt::Debug, ::std::clone::Clone, ::std::marker::Copy, ::std::cmp::PartialEq,
            ::std::cmp::Eq, ::std::hash::Hash, #p::serde::Serialize, #p::serde::Deserialize,
        )]
        #[serde(crate = #serde_crate)]
        #[allow(non_camel_case_types)]
        #vis enum #e {
            #( #[doc = #variant_docs] #variants, )*
        }

        impl #e {
            /// Every value, in declaration order.
            pub const ALL: [Self; #n] = [#(Self::#variants),*];

            /// The value's name, as stored in a trial's values.
            pub fn name(self) -> &'static str {
                match self {
                    #(Self::#variants => #name_lits,)*
                }
            }
        }

        impl #p::FromValue for #e {
            fn from_value(name: &str, value: &#p::Value) -> ::std::result::Result<Self, #p::SpaceError> {
                match value {
                    #p::Value::Str(s) => match s.as_str() {
                        #(#name_lits => ::std::result::Result::Ok(Self::#variants),)*
                        _ => ::std::result::Result::Err(#p::SpaceError::OutOfRange {
                            name: ::std::string::String::from(name),
                            value: s.clone(),
                            reason: ::std::string::String::from(concat!("not one of ", #one_of)),
                        }),
                    },
                    other => ::std::result::Result::Err(#p::SpaceError::WrongType {
                        name: ::std::string::String::from(name),
                        expected: #p::ValueType::Str,
                        found: other.value_type(),
                    }),
                }
            }

            fn to_value(&self) -> #p::Value {
                #p::Value::Str(::std::string::String::from(self.name()))
            }
        }
    }
}

/// What one `hp_*!` call becomes: a read of its field, in the user's scope.
fn read(model: &Model, site: &SiteRead) -> TokenStream {
    let hp = &model.params[site.param];
    let span = Span::call_site().located_at(site.span);
    let params = Ident::new("__params", Span::mixed_site().located_at(site.span));
    let field = &hp.field;
    let string = hp.def.elem_type() == ElemType::Str;
    let outer_msg = format!(
        "#[hypermodel]: hyperparameter `{}` was read while inactive: it is live only when {}",
        hp.name,
        describe_conds(&hp.outer)
    );
    let inner_msg = format!(
        "#[hypermodel]: hyperparameter `{}[i]` was read while inactive: it is live only when {}",
        hp.name,
        describe_conds(&hp.inner)
    );
    let unwrap = |e: TokenStream, msg: &str| {
        if string {
            quote_spanned!(span=> #e.as_deref().expect(#msg))
        } else {
            quote_spanned!(span=> #e.expect(#msg))
        }
    };
    let mut e = quote_spanned!(span=> #params.#field);
    match &site.index {
        None => {
            e = if !hp.outer.is_empty() {
                unwrap(e, &outer_msg)
            } else if string {
                quote_spanned!(span=> #e.as_str())
            } else {
                e
            };
        }
        Some(var) => {
            if !hp.outer.is_empty() {
                e = quote_spanned!(span=> #e.as_ref().expect(#outer_msg));
            }
            e = quote_spanned!(span=> #e[#var as usize]);
            if !hp.inner.is_empty() {
                e = unwrap(e, &inner_msg);
            } else if string {
                e = quote_spanned!(span=> #e.as_str());
            }
        }
    }
    if let Some(en) = &hp.enum_ident {
        let values = hp.def.choices();
        // The user's own identifiers, evaluated where they wrote them.
        let arms = values.iter().zip(&site.paths).map(|(v, path)| {
            let Lit::Ident(n) = v else {
                unreachable!("identifier choices hold identifiers")
            };
            let variant = format_ident!("{}", n);
            quote_spanned!(span=> #en::#variant => #path)
        });
        e = quote_spanned!(span=> (match #e { #(#arms,)* }));
    }
    e
}

/// Replaces each placeholder left by the walker with its read.
struct Rewriter {
    reads: Vec<TokenStream>,
}

fn placeholder_id(mac: &syn::Macro) -> Option<usize> {
    if !mac.path.is_ident(PLACEHOLDER) {
        return None;
    }
    mac.parse_body::<syn::LitInt>().ok()?.base10_parse().ok()
}

fn has_placeholder(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        TokenTree::Ident(i) => i == PLACEHOLDER,
        TokenTree::Group(g) => has_placeholder(&g.stream()),
        _ => false,
    })
}

impl VisitMut for Rewriter {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Expr::Macro(m) = e {
            if let Some(id) = placeholder_id(&m.mac) {
                *e = Expr::Verbatim(self.reads[id].clone());
            } else if has_placeholder(&m.mac.tokens) {
                infer::visit_macro_exprs(self, &mut m.mac);
            }
            return;
        }
        visit_mut::visit_expr_mut(self, e);
    }

    fn visit_stmt_mut(&mut self, s: &mut Stmt) {
        match s {
            Stmt::Macro(m) if has_placeholder(&m.mac.tokens) => {
                infer::visit_macro_exprs(self, &mut m.mac);
            }
            Stmt::Item(_) => {}
            _ => visit_mut::visit_stmt_mut(self, s),
        }
    }
}

fn generate(mut func: ItemFn, fn_name: &str, type_name: &Ident, model: &Model) -> TokenStream {
    let p = private();
    let vis = func.vis.clone();
    let params_ident = format_ident!("{}Params", type_name);
    let fn_ident = func.sig.ident.clone();
    let output = match &func.sig.output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, ty) => quote!(#ty),
    };

    let mut rewriter = Rewriter {
        reads: model.sites.iter().map(|s| read(model, s)).collect(),
    };
    rewriter.visit_block_mut(&mut func.block);
    let params_arg = Ident::new("__params", Span::mixed_site());
    func.sig
        .inputs
        .push(syn::parse_quote!(#params_arg: &#params_ident));

    let enums = model.params.iter().map(|hp| choice_enum(hp, &vis, fn_name));
    let fields = model.params.iter().map(|hp| {
        let doc = field_doc(hp);
        let (field, ty) = (&hp.field, field_type(hp));
        quote!(#[doc = #doc] pub #field: #ty)
    });
    let space_params = model.space.iter().map(param_tokens);
    let params_from = params_from(model, &params_ident);
    let params_to = params_to(model, &params_ident);
    let serde_crate = format!("{p}::serde").replace(' ', "");
    let params_doc = format!(
        "The hyperparameters of `{fn_name}`, one field per parameter (generated by `#[hypermodel]`)."
    );
    let model_doc = format!(
        "The `{fn_name}` model family: a `HyperModel` whose search space is known statically \
         (generated by `#[hypermodel]`)."
    );
    // Unreachable: the macro ran the run time's validation on this very space (`rules`).
    let invalid = format!(
        "#[hypermodel] `{fn_name}` produced a search space that the runtime rejects, although the macro \
         validated it: please report this as a bug"
    );

    quote! {
        #(#enums)*

        #[doc = #params_doc]
        #[derive(
            ::std::fmt::Debug, ::std::clone::Clone, ::std::cmp::PartialEq,
            #p::serde::Serialize, #p::serde::Deserialize,
        )]
        #[serde(crate = #serde_crate, deny_unknown_fields)]
        #vis struct #params_ident {
            #(#fields,)*
        }

        #[doc = #model_doc]
        #[derive(
            ::std::fmt::Debug, ::std::clone::Clone, ::std::marker::Copy, ::std::default::Default,
            ::std::cmp::PartialEq, ::std::cmp::Eq, ::std::hash::Hash,
        )]
        #vis struct #type_name;

        impl #p::HyperModel for #type_name {
            type Params = #params_ident;
            type Output = #output;

            fn name() -> &'static str {
                #fn_name
            }

            fn space() -> &'static #p::SearchSpace {
                static SPACE: ::std::sync::OnceLock<#p::SearchSpace> = ::std::sync::OnceLock::new();
                SPACE.get_or_init(|| {
                    #p::SearchSpace::from_params(::std::vec![#(#space_params),*]).expect(#invalid)
                })
            }

            #params_from

            #params_to

            fn build(params: &#params_ident) -> #output {
                #fn_ident(params)
            }
        }

        #func
    }
}
