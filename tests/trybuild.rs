//! Compile-fail cases: each file in tests/ui breaks one rule of `#[hypermodel]`, and its
//! `.stderr` holds the one message (with its span) the macro must report. This is the test of
//! the package `tests/ui/Cargo.toml`, so its paths are relative to `tests/ui/`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("*.rs");
}
