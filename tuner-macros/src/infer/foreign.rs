//! What the walker cannot see into: other macros' bodies and nested items. Calls there are
//! errors that say what the macro reads (the annotated function's own body, and the
//! arguments of macros that take expressions) and how to move the call where it is read.

use super::*;

/// Macros of `std` whose arguments are expressions evaluated once, in order, every time
/// (their `hp_*!` calls are read where the macro is). Any other macro may run its tokens
/// conditionally, repeatedly or not at all, which the macro cannot see.
const TRANSPARENT: &[&str] = &[
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "vec",
    "dbg",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "panic",
    "todo",
    "unimplemented",
    "unreachable",
];

impl Walker<'_> {
    /// An `hp_*!` call in another macro's tokens: read where the macro is when it is a `std`
    /// macro of expressions, an error naming the fix otherwise.
    pub(super) fn foreign_macro(&mut self, mac: &mut Macro) {
        let Some(hidden) = find_hp(mac.tokens.clone()) else {
            return;
        };
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if TRANSPARENT.contains(&name.as_str()) {
            if !visit_macro_exprs(self, mac) {
                self.cx.error_at(
                    hidden.0,
                    format!(
                        "`{}!` inside `{name}!(..)` is hidden from #[hypermodel] (its arguments \
                         are not expressions): bind it to a local first, `let x = {}!(..);`, and \
                         use `x` there",
                        hidden.1, hidden.1
                    ),
                );
            }
            return;
        }
        self.cx.error_at(
            hidden.0,
            format!(
                "`{}!` inside `{name}!(..)` is hidden from #[hypermodel]: the macro reads the body \
                 of the #[hypermodel] function and the arguments of `std` macros such as `format!` \
                 and `vec!`, but not what `{name}!` does with its tokens (it may run them once, \
                 never, or under a condition); bind the value to a local before the call, \
                 `let x = {}!(..);`, and pass `x` to `{name}!`",
                hidden.1, hidden.1
            ),
        );
    }

    /// An item inside the body (a nested `fn`, `macro_rules!`, `impl`, `const`): its
    /// `hp_*!` calls are not part of the model.
    pub(super) fn nested_item(&mut self, item: &syn::Item) {
        let Some((span, hp)) = find_hp(item.to_token_stream()) else {
            return;
        };
        let what = match item {
            syn::Item::Fn(f) => format!("the nested `fn {}`", f.sig.ident),
            syn::Item::Macro(m) if m.mac.path.is_ident("macro_rules") => format!(
                "the body of `macro_rules! {}`",
                m.ident.as_ref().map(|i| i.to_string()).unwrap_or_default()
            ),
            syn::Item::Impl(_) => "an `impl` block".to_owned(),
            syn::Item::Const(c) => format!("`const {}`", c.ident),
            syn::Item::Static(s) => format!("`static {}`", s.ident),
            _ => "a nested item".to_owned(),
        };
        self.cx.error_at(
            span,
            format!(
                "`{hp}!` in {what} is not read by #[hypermodel]: it reads the statements and \
                 expressions of the annotated function's body (closures included), not items \
                 declared inside it, which are separate functions or macros; call `{hp}!` in the \
                 body and pass the value in as an argument (or use a closure)"
            ),
        );
    }
}
