//! The names the macro generates never collide silently: a keyword written as a name, a
//! choice enum named like the params struct or like another choice's enum, each reported on
//! the user's token with the fix. (Collisions with items outside the macro are rustc's to
//! report; every generated type carries the span of the name it comes from, so rustc's
//! "defined multiple times" points at the user's `fn` or choice name.)

use crate::check::Ctxt;
use crate::model::Model;
use proc_macro2::{Ident, TokenStream, TokenTree};
use std::collections::HashMap;
use syn::visit_mut::VisitMut;

/// Keywords that `r#` makes usable as names.
const RAW_OK: &[&str] = &[
    "as", "break", "const", "continue", "else", "enum", "extern", "fn", "for", "if", "impl", "in",
    "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static", "struct",
    "trait", "type", "unsafe", "use", "where", "while", "async", "await", "dyn", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual",
    "yield", "try", "gen",
];

/// Keywords no `r#` can turn into a name.
const NEVER: &[&str] = &["self", "Self", "super", "crate", "_", "true", "false"];

const MACROS: &[&str] = &[
    "hp_int",
    "hp_float",
    "hp_choice",
    "hp_bool",
    "hp_fixed",
    "hp_block",
];

struct Keywords<'a> {
    cx: &'a mut Ctxt,
}

impl Keywords<'_> {
    /// Rewrites a keyword name (the first token of the call) so that parsing goes on, and
    /// reports it with the fix.
    fn name(&mut self, tokens: &mut TokenStream) {
        let mut trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let Some(TokenTree::Ident(first)) = trees.first() else {
            return;
        };
        let word = first.to_string();
        let span = first.span();
        let replacement = if RAW_OK.contains(&word.as_str()) {
            self.cx.error_at(
                span,
                format!(
                    "`{word}` is a Rust keyword, so it cannot name a field of the params struct: \
                     write `r#{word}` (the field is `r#{word}`, the space name stays `{word}`)"
                ),
            );
            Ident::new_raw(&word, span)
        } else if NEVER.contains(&word.as_str()) {
            self.cx.error_at(
                span,
                format!(
                    "`{word}` is a Rust keyword that cannot be a field name, not even as \
                     `r#{word}`: rename the parameter (e.g. `{}_value`)",
                    word.to_lowercase().trim_start_matches('_')
                ),
            );
            Ident::new("__tuner_keyword", span)
        } else {
            return;
        };
        trees[0] = TokenTree::Ident(replacement);
        *tokens = trees.into_iter().collect();
    }
}

impl VisitMut for Keywords<'_> {
    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        let ours = m
            .path
            .segments
            .last()
            .is_some_and(|s| MACROS.contains(&s.ident.to_string().as_str()));
        if !ours {
            return;
        }
        self.name(&mut m.tokens);
        if crate::block::is_call(m) {
            // Calls nested in a block call's arguments.
            let parsed: syn::Result<syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>> =
                m.parse_body_with(syn::punctuated::Punctuated::parse_terminated);
            if let Ok(mut args) = parsed {
                for a in args.iter_mut() {
                    self.visit_expr_mut(a);
                }
                m.tokens = quote::ToTokens::to_token_stream(&args);
            }
        }
    }
}

/// Reports (and rewrites, so that the other checks go on) every keyword used as a name.
pub fn keywords(func: &mut syn::ItemFn, cx: &mut Ctxt) {
    Keywords { cx }.visit_block_mut(&mut func.block);
}

/// The type a `#[hypermodel]`/`#[hyperblock]` fn makes: `name = ..` if given, else its name in
/// CamelCase. Only a plain snake_case name is converted, because the conversion forgets
/// underscores and case (`mlp`, `mlp_` and `Mlp` would all make `Mlp`, and two such models
/// in one module would collide in rustc's words, far from the cause); a name ending in
/// `_params` would make the params struct of another model's name.
pub fn type_name(func: &syn::ItemFn, given: Option<Ident>, what: &str, cx: &mut Ctxt) -> Ident {
    let ident = &func.sig.ident;
    let fn_name = syn::ext::IdentExt::unraw(ident).to_string();
    let camel = crate::assemble::camel(&fn_name);
    if let Some(given) = given {
        return given;
    }
    let plain = !fn_name.starts_with('_')
        && !fn_name.ends_with('_')
        && !fn_name.contains("__")
        && fn_name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && fn_name
            .split('_')
            .skip(1)
            .all(|seg| !seg.starts_with(|c: char| c.is_ascii_digit()));
    if !plain {
        cx.error(
            ident,
            format!(
                "`{fn_name}` makes the type `{camel}`, which other function names make too (the \
                 CamelCase conversion drops underscores and case), so two such {what}s would \
                 collide: name the function in plain snake_case (e.g. `{}`) or give the type \
                 its own name with `#[{what}(name = {camel}Model)]`",
                snake(&camel)
            ),
        );
    } else if fn_name == "params" || fn_name.ends_with("_params") {
        cx.error(
            ident,
            format!(
                "`{fn_name}` makes the type `{camel}`, the name of the params struct of a {what} \
                 `fn {}`: rename the function or give the type its own name with \
                 `#[{what}(name = ...)]`",
                fn_name.trim_end_matches("params").trim_end_matches('_')
            ),
        );
    }
    Ident::new(&camel, ident.span())
}

/// The plain snake_case name whose CamelCase is `camel`.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Checks that the types generated for `model` do not collide with each other.
pub fn check(type_name: &Ident, params_ident: &Ident, model: Option<&Model>, cx: &mut Ctxt) {
    let Some(model) = model else { return };
    let mut taken: HashMap<String, String> = HashMap::new();
    taken.insert(type_name.to_string(), "the model type".to_owned());
    taken.insert(params_ident.to_string(), "the params struct".to_owned());
    for hp in &model.params {
        let Some(e) = &hp.enum_ident else { continue };
        let name = e.to_string();
        match taken.get(&name) {
            Some(owner) => cx.error(
                &hp.field,
                format!(
                    "the choice `{}` makes the enum `{name}`, which is already the name of \
                     {owner}: rename the choice (e.g. `{}_kind`), or the model with \
                     `#[hypermodel(name = ...)]`",
                    hp.name, hp.name
                ),
            ),
            None => {
                taken.insert(name, format!("the enum of the choice `{}`", hp.name));
            }
        }
    }
}
