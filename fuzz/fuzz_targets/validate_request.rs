#![no_main]
//! `validate()` on requests read from arbitrary JSON: the first byte chooses
//! the operation, the rest is its `--cli-input-json` body.

use ecrkit::ecr::{OPERATIONS, validate_request_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    let schema = OPERATIONS[usize::from(op) % OPERATIONS.len()];
    match validate_request_json(schema.name, body) {
        None => panic!(
            "{} is declared but validate_request_json does not know it",
            schema.name
        ),
        Some(Ok(Ok(()))) => {}
        Some(Ok(Err(e))) => {
            assert!(
                !e.violations.is_empty(),
                "a validation error with no violation"
            );
            let _ = e.to_string();
        }
        Some(Err(e)) => {
            let _ = e.to_string();
        }
    }
});
