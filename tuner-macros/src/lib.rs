//! The `#[hypermodel]` attribute and the `hp_*!` macros of the `tuner` crate.
extern crate proc_macro;
use proc_macro::TokenStream;

/// Turns a model-builder function into a HyperModel (being written).
#[proc_macro_attribute]
pub fn hypermodel(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}
macro_rules! outside {
    ($($name:ident),*) => {$(
        /// A hyperparameter; only valid inside a `#[hypermodel]` function.
        #[proc_macro]
        pub fn $name(_input: TokenStream) -> TokenStream {
            concat!("compile_error!(\"`", stringify!($name), "!` is only valid inside a `#[hypermodel]` function\")").parse().unwrap()
        }
    )*};
}
outside!(hp_int, hp_float, hp_choice, hp_bool, hp_fixed);
