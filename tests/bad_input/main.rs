//! The bad-input catalog, driven by botocore's ECR model (`service-2.json`
//! from the pinned botocore sdist that `scripts/setup.sh` extracts).
//!
//! For every constrained member of every operation input (recursively into
//! nested structures, list items and map values), the test builds a request
//! as an AWS CLI user would write it (`--cli-input-json`, blobs in base64)
//! that is valid except for exactly one broken constraint: a length below the
//! minimum or above the maximum, a number out of range, a string that does not
//! match the pattern, an unknown enum value, or a missing required member.
//! `ecrkit::ecr::validate_request_json` must reject it: with a
//! `ValidationError` whose violations all sit at the member's wire path
//! (`imageIds[0].imageTag`), or, for a missing required member, with a serde
//! error naming the member. The same request without the broken constraint
//! must pass, so no case can pass vacuously. No network.
//!
//! Patterns are not anchored (Smithy semantics): a value breaks a pattern
//! only when no substring of it matches. When no such value exists within the
//! member's length bounds, the case is skipped and listed with the reason.

use std::collections::BTreeSet;
use std::path::PathBuf;

use regex_lite::Regex;
use serde_json::{Map, Value};

fn model_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/oracles/botocore/botocore/data/ecr/2015-09-21/service-2.json")
}

fn load_model() -> Value {
    let path = model_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read botocore's ECR model at {}: {e}; run scripts/setup.sh first \
             (it fetches the pinned botocore sdist and extracts it under target/oracles)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("service-2.json is valid JSON")
}

mod catalog;
use catalog::*;

/// Applies the break at the end of `path`.
fn apply(request: &mut Value, path: &[Step], brk: Break) {
    let (last, parents) = path.split_last().expect("a member path");
    let mut at = request;
    for step in parents {
        at = match step {
            Step::Member(m) | Step::MapValue(m) => at.get_mut(m.as_str()).expect("ensured"),
            Step::Index => at.get_mut(0).expect("ensured"),
        };
    }
    match (last, brk) {
        (Step::Member(m), Break::Remove) => {
            at.as_object_mut().unwrap().remove(m);
        }
        (Step::Member(m) | Step::MapValue(m), Break::Set(v)) => {
            at.as_object_mut().unwrap().insert(m.clone(), v);
        }
        (Step::Index, Break::Set(v)) => at.as_array_mut().unwrap()[0] = v,
        (_, Break::Remove) => unreachable!("only members are removed"),
    }
}

/// The kind of a case, from its description.
fn classify(what: &str) -> &'static str {
    if what.starts_with("required") {
        "required"
    } else if what.starts_with("unknown") {
        "enum"
    } else if what.starts_with("mismatch") {
        "pattern"
    } else if ["length", "bytes", "items", "entries"]
        .iter()
        .any(|w| what.contains(w))
    {
        "length"
    } else {
        "range"
    }
}

fn member_name(path: &[Step]) -> &str {
    match path.last() {
        Some(Step::Member(m)) => m,
        _ => "",
    }
}

#[test]
fn bad_input_catalog() {
    let model = load_model();
    let shapes = model["shapes"].as_object().expect("model shapes");
    let ops = model["operations"].as_object().expect("model operations");
    let mut cat = Catalog {
        shapes,
        cases: Vec::new(),
        skipped: Vec::new(),
        notes: BTreeSet::new(),
        errors: BTreeSet::new(),
    };
    let mut failures = Vec::new();

    let mut inputs = Vec::new();
    for (op, o) in ops {
        let Some(input) = o.get("input").and_then(|i| i["shape"].as_str()) else {
            continue;
        };
        inputs.push((op.clone(), input.to_string()));
        // The smallest valid request of every operation passes.
        let base = cat.valid(input, 0);
        let json = serde_json::to_vec(&base).unwrap();
        match ecrkit::ecr::validate_request_json(op, &json) {
            None => failures.push(format!(
                "{op}: validate_request_json does not know the operation"
            )),
            Some(Ok(Ok(()))) => {}
            Some(other) => failures.push(format!(
                "{op}: the valid base request {base} is rejected: {other:?}"
            )),
        }
        cat.descend(op, &[], input, &mut Vec::new());
    }

    let cases = std::mem::take(&mut cat.cases);
    let total = cases.len();
    // What kind of violation each case is, and a few cases that must be in
    // the catalog (so that a walk that misses a level cannot pass).
    let classes: Vec<String> = cases
        .iter()
        .map(|c| classify(&c.what).to_string())
        .collect();
    let built: BTreeSet<String> = cases
        .iter()
        .zip(&classes)
        .map(|(c, class)| format!("{}: {} ({class})", c.op, path_string(&c.path)))
        .collect();
    for expected in [
        "BatchGetImage: imageIds[0].imageTag (length)",
        "BatchGetImage: imageIds (length)",
        "BatchCheckLayerAvailability: layerDigests[0] (length)",
        "CompleteLayerUpload: layerDigests[0] (pattern)",
        "UploadLayerPart: layerPartBlob (length)",
        "UploadLayerPart: partFirstByte (range)",
        "UploadLayerPart: uploadId (pattern)",
        "UploadLayerPart: layerPartBlob (required)",
        "DescribeImages: filter.tagStatus (enum)",
        "DescribeImages: maxResults (range)",
        "PutReplicationConfiguration: replicationConfiguration.rules[0].destinations[0].region (pattern)",
    ] {
        assert!(built.contains(expected), "the catalog lacks {expected}");
    }
    let mut rejected = 0;
    for case in cases {
        let input = &inputs.iter().find(|(op, _)| *op == case.op).unwrap().1;
        let where_ = format!("{}: {} ({})", case.op, path_string(&case.path), case.what);
        let mut base = cat.valid(input, 0);
        cat.ensure(&mut base, input, &case.path);
        let base_json = serde_json::to_vec(&base).unwrap();
        match ecrkit::ecr::validate_request_json(&case.op, &base_json) {
            Some(Ok(Ok(()))) => {}
            other => {
                failures.push(format!(
                    "{where_}: the otherwise-valid request is rejected: {other:?}"
                ));
                continue;
            }
        }
        let missing = matches!(case.brk, Break::Remove);
        let mut bad = base;
        apply(&mut bad, &case.path, case.brk);
        let json = serde_json::to_vec(&bad).unwrap();
        let expected = path_string(&case.path);
        let outcome = ecrkit::ecr::validate_request_json(&case.op, &json);
        let ok = match (&outcome, missing) {
            (Some(Err(e)), true) => e
                .to_string()
                .contains(&format!("`{}`", member_name(&case.path))),
            (Some(Ok(Err(e))), false) => {
                !e.violations.is_empty() && e.violations.iter().all(|v| v.path == expected)
            }
            _ => false,
        };
        if ok {
            rejected += 1;
        } else {
            let shown = match &outcome {
                Some(Ok(Ok(()))) => "accepted".to_string(),
                Some(Ok(Err(e))) => format!("violations {:?}", e.violations),
                Some(Err(e)) => format!("serde error: {e}"),
                None => "unknown operation".to_string(),
            };
            failures.push(format!(
                "{where_}: not rejected as expected ({}): {shown}",
                if missing {
                    "a serde error naming the member".to_string()
                } else {
                    format!("violations at {expected}")
                }
            ));
        }
    }

    for s in &cat.skipped {
        println!("skipped: {s}");
    }
    for n in &cat.notes {
        println!("note: {n}");
    }
    let mut tally = std::collections::BTreeMap::new();
    for class in &classes {
        *tally.entry(class.as_str()).or_insert(0usize) += 1;
    }
    println!("cases by kind: {tally:?}");
    println!("bad-input catalog: {rejected} violations rejected of {total}");
    failures.extend(cat.errors.iter().cloned());
    assert!(total > 0, "no cases were built");
    assert!(
        failures.is_empty() && rejected == total,
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
