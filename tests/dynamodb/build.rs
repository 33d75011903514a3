//! Generates DynamoDB's API from botocore's model (`dynamodb/2012-08-10`
//! in the pinned botocore sdist that `scripts/setup.sh` extracts, or
//! `$ECR_BOTOCORE_DIR`) with `tools/gen_service.py`, into `OUT_DIR`.
//! Nothing derived from the model is committed. Without the model or
//! Python the build fails, saying how to get them.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .expect("the workspace root");
    let botocore = env::var_os("ECR_BOTOCORE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/oracles/botocore"));
    let model = botocore.join("botocore/data/dynamodb/2012-08-10/service-2.json");
    let generator = root.join("tools/gen_service.py");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("dynamodb.rs");
    println!("cargo:rerun-if-changed={}", generator.display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("tools/gen_ecr.py").display()
    );
    println!("cargo:rerun-if-changed={}", model.display());
    println!("cargo:rerun-if-env-changed=ECR_BOTOCORE_DIR");
    if !model.is_file() {
        panic!(
            "botocore's DynamoDB model {} is missing: run scripts/setup.sh (it fetches the pinned botocore sdist)",
            model.display()
        );
    }
    let python = env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let status = Command::new(&python)
        .arg(&generator)
        .arg(&model)
        .arg(&out)
        .args(["--service-type", "DynamoDb"])
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "could not run {} ({e}): install Python 3.11 or set $PYTHON",
                generator.display()
            )
        });
    assert!(
        status.success(),
        "{} failed ({status})",
        generator.display()
    );
}
