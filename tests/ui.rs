//! Compile-time diagnostics of the DSL macros, one directory per error
//! class, and programs that must compile (and run) in `ui/pass/`.
//!
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test -p ecr-tests --test ui`,
//! then read the diff: each message should point at the offending token
//! and say what to write instead.

#[test]
fn ui() {
    // trybuild builds in a project of its own, without the workspace's
    // profiles: without this, its seven linked programs and their
    // dependencies carry full debug info (some 2 GB of disk).
    // SAFETY: this binary's only test; nothing else reads the environment.
    unsafe { std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false") };
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/unknown-argument/*.rs");
    t.compile_fail("ui/operation-args/*.rs");
    t.compile_fail("ui/field-type/*.rs");
    t.compile_fail("ui/bounds/*.rs");
    t.compile_fail("ui/regex/*.rs");
    t.compile_fail("ui/malformed-attribute/*.rs");
    t.compile_fail("ui/duplicate/*.rs");
    t.compile_fail("ui/unsupported-item/*.rs");
    t.compile_fail("ui/enum/*.rs");
    t.compile_fail("ui/multiple-errors/*.rs");
    t.compile_fail("ui/timestamp-format/*.rs");
    t.compile_fail("ui/endpoint-trait/*.rs");
    t.compile_fail("ui/constraint-sets/*.rs");
    t.compile_fail("ui/request-compression/*.rs");
    t.pass("ui/pass/*.rs");
}
