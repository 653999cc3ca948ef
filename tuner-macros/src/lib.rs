//! The `#[hypermodel]` attribute and the `hp_*!` macros of the `tuner` crate.
//!
//! Stages, as in serde_derive: `parse` reads each `hp_*!` call, `infer` walks the body for
//! the conditions and loops around each call, `check` checks what is syntax, `assemble`
//! builds the model, `rules` runs the run time's own validation of the space on it (all
//! errors at once, each with its span), `expand` generates the params type, space and impl.

extern crate proc_macro;

mod assemble;
mod block;
mod check;
mod convert;
mod expand;
mod infer;
mod model;
mod names;
mod parse;
mod rules;
#[cfg(test)]
mod rules_tests;
mod signature;
mod tokens;

use proc_macro::TokenStream;

/// Turns a model-builder function into a `HyperModel` with a static, checked search space.
///
/// `#[hypermodel] fn mlp() -> T` generates `struct Mlp` (the `HyperModel`), `struct
/// MlpParams` (one typed field per hyperparameter), an enum `Mlp<Name>` per identifier
/// choice, and rewrites `mlp` to `fn mlp(&MlpParams) -> T`. `#[hypermodel(name = Foo)]`
/// names the types `Foo` and `FooParams`.
///
/// Arguments and const generics configure the model without being searched: `fn
/// mlp<const IN: usize>(classes: usize) -> T` makes `struct Mlp<const IN: usize> { pub
/// classes: usize }` with `Mlp::new(classes)`, whose `HyperModel::build(&self, &params)`
/// calls `mlp::<IN>(self.classes.clone(), &params)` (arguments are `Clone + Debug`). Without
/// arguments `Mlp` is a unit struct and `Mlp::build(&params)` needs no value.
///
/// Inside the function:
/// - `hp_int!(name, MIN..=MAX [, step = S] [, log | reverse_log | sampling = ..] [, default = D])`
///   (`i64`); `hp_float!` likewise (`f64`); `hp_choice!(name, [a, b, ..] [, default = a]
///   [, ordered = bool])` of int, float, string (`&str` when read), bool literals or
///   identifiers/paths (`[Relu, Tanh]`, evaluated in your scope); `hp_bool!(name [, default = b])`;
///   `hp_fixed!(name, literal)`. Any of them takes `parent_name = p, parent_values = [..]`.
/// - Conditions are inferred from `if x`, `if !x`, `if x == LIT`, `if x != LIT`, `else`,
///   `&&`, and `match x { LIT | LIT => .., _ => .. }` where `x` is a bool or choice call or an
///   immutable `let x = hp_*!(..)`; nested conditions AND together. A conditional parameter
///   is an `Option` field (`None` when inactive). Unrecognised guards add no condition (the
///   parameter is then always live, never wrongly absent).
/// - `name[i]` inside `for i in 0..BOUND`, BOUND an `hp_int!` (or a `let` bound to one), is
///   one space parameter per iteration, `name_0 ..`, and a `Vec` field of the live prefix.
///   `name_k` always carries the condition `BOUND in {values > k}`, even when it always holds,
///   so that it follows BOUND's own conditions. Non-indexed calls in a loop are one shared
///   parameter. The same call written twice reads one parameter.
///
/// The space is checked at compile time by the run time's own validation (`tuner_space`), so
/// a space that compiles is one `Model::space()` accepts; all problems are reported together,
/// each on the token it is about.
#[proc_macro_attribute]
pub fn hypermodel(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::hypermodel(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Turns a function into a reusable block of hyperparameters: `#[hyperblock] fn
/// dense_block(net: NetSpec, ..) -> NetSpec` with `hp_*!` in its body, called from a
/// `#[hypermodel]` (or another block) as `hp_block!(encoder, dense_block(net, ..))`.
///
/// The block's parameters join the caller's space under the scope: `encoder/units`
/// (KerasTuner's `hp.name_scope`); `hp_block!(layer[i], ..)` in `for i in 0..BOUND` is one
/// scope per iteration (`layer_0/units`); under an `if` or a `match` arm every parameter of
/// the block is live only when that condition holds, ANDed with its own. Blocks nest. The
/// block's space is validated at its definition by the run time's rules; it generates
/// `DenseBlockParams` (a field of the caller's params: `Option` when conditional, `Vec` in a
/// loop) and rewrites the function to take `&DenseBlockParams` last.
/// `#[hyperblock(name = Foo)]` names the params `FooParams`.
#[proc_macro_attribute]
pub fn hyperblock(attr: TokenStream, item: TokenStream) -> TokenStream {
    block::hyperblock(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

macro_rules! outside {
    ($($name:ident),*) => {$(
        /// A hyperparameter; only valid inside a `#[hypermodel]` function, which rewrites it.
        #[proc_macro]
        pub fn $name(_input: TokenStream) -> TokenStream {
            let msg = concat!(
                "`", stringify!($name), "!` is only valid inside a `#[hypermodel]` function: ",
                "annotate the function that builds the model with `#[hypermodel]` ",
                "(`use tuner::prelude::*;`), or, for a space defined at run time, ",
                "build a `SearchSpace` from `Param`s"
            );
            format!("::core::compile_error!({msg:?})").parse().expect("valid tokens")
        }
    )*};
}
outside!(hp_int, hp_float, hp_choice, hp_bool, hp_fixed, hp_block);
