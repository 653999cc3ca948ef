//! The `#[hypermodel]` attribute and the `hp_*!` macros of the `tuner` crate.
//!
//! Stages, as in serde_derive: `parse` reads each `hp_*!` call, `infer` walks the body for
//! the conditions and loops around each call, `check` validates everything (all errors at
//! once, each with its span), `expand` generates the params type, space and impl.

extern crate proc_macro;

mod check;
mod expand;
mod infer;
mod model;
mod parse;

use proc_macro::TokenStream;

/// Turns a model-builder function into a `HyperModel` with a static, checked search space.
///
/// `#[hypermodel] fn mlp() -> T` generates `struct Mlp` (the `HyperModel`), `struct
/// MlpParams` (one typed field per hyperparameter), an enum per identifier choice, and
/// rewrites `mlp` to `fn mlp(&MlpParams) -> T`. `#[hypermodel(name = Foo)]` names the type
/// `Foo` (and `FooParams`).
#[proc_macro_attribute]
pub fn hypermodel(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::hypermodel(attr.into(), item.into())
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
outside!(hp_int, hp_float, hp_choice, hp_bool, hp_fixed);
