//! Generates the awsJson1.1 protocol-conformance cases for `tests/protocol.rs`.
//!
//! Runs `tools/protocol_gen.py` over botocore's suites (extracted by
//! `scripts/setup.sh` into `target/oracles/botocore`, or `$ECR_BOTOCORE_DIR`)
//! and writes `$OUT_DIR/protocol_json.rs`. Nothing derived from the suites is
//! committed. When the suites or Python are missing the build still succeeds:
//! the file then holds only the reason, and the protocol test fails with it.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest.clone());
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("protocol_json.rs");
    let generator = root.join("tools/protocol_gen.py");
    println!("cargo:rerun-if-changed={}", generator.display());
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("protocol/build.rs").display()
    );
    println!("cargo:rerun-if-env-changed=ECR_BOTOCORE_DIR");
    println!("cargo:rerun-if-env-changed=PYTHON");

    let custom = env::var_os("ECR_BOTOCORE_DIR").map(PathBuf::from);
    let botocore = custom
        .clone()
        .unwrap_or_else(|| root.join("target/oracles/botocore"));
    let suites = [
        botocore.join("tests/unit/protocols/input/json.json"),
        botocore.join("tests/unit/protocols/output/json.json"),
        botocore.join("tests/unit/protocols/input/json_1_0.json"),
        botocore.join("tests/unit/protocols/output/json_1_0.json"),
        botocore.join("tests/unit/protocols/input/json_1_0-query-compatible.json"),
        botocore.join("tests/unit/protocols/output/json_1_0-query-compatible.json"),
    ];
    if let Some(missing) = suites.iter().find(|p| !p.is_file()) {
        // Rebuild once scripts/setup.sh has fetched the suites. The default
        // oracles directory is created (empty, under the ignored target/) so
        // that it can be watched without rerunning this script on every build.
        if custom.is_none() {
            let oracles = root.join("target/oracles");
            let _ = fs::create_dir_all(&oracles);
            println!("cargo:rerun-if-changed={}", oracles.display());
        } else {
            println!("cargo:rerun-if-changed={}", missing.display());
        }
        return fallback(
            &out,
            &botocore,
            &format!(
                "botocore's awsJson protocol suite {} was not found when the tests were built: \
                 run scripts/setup.sh (it fetches the pinned botocore sdist), then run the test again",
                missing.display()
            ),
        );
    }
    for suite in &suites {
        println!("cargo:rerun-if-changed={}", suite.display());
    }

    let python = env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let run = Command::new(&python)
        .arg(&generator)
        .arg("--botocore")
        .arg(&botocore)
        .arg("--out")
        .arg(&out)
        .output();
    match run {
        Ok(o) if o.status.success() => {}
        Ok(o) => fallback(
            &out,
            &botocore,
            &format!(
                "tools/protocol_gen.py failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            ),
        ),
        Err(e) => fallback(
            &out,
            &botocore,
            &format!(
                "could not run {} tools/protocol_gen.py ({e}): install Python 3.11 or set $PYTHON",
                python.to_string_lossy()
            ),
        ),
    }
}

/// A generated file with no cases, only the reason.
fn fallback(out: &Path, botocore: &Path, problem: &str) {
    let text = format!(
        "// Written by tests/protocol/build.rs: the cases could not be generated.\n\
         pub const PROBLEM: Option<&str> = Some({problem:?});\n\
         pub const BOTOCORE_DIR: &str = {dir:?};\n\
         pub static SUITES: &[crate::harness::Suite] = &[];\n",
        dir = botocore.display().to_string(),
    );
    fs::write(out, text).expect("write the generated protocol cases");
}
