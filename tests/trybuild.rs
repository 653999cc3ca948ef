//! Compile-fail cases: each file in tests/ui breaks one rule of `#[hypermodel]`, and its
//! `.stderr` holds the one message (with its span) the macro must report.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
