#![no_main]
//! The serde path both ways: a body that parses as an operation's output
//! (the first byte chooses which) is written back with serde_json and read
//! again, and must come back the same. Exercises every generated
//! `Serialize` and `Deserialize`, the awsJson adapters (blobs, floats as
//! `"NaN"`/`"Infinity"`, epoch-second timestamps) and unknown enum values.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    ecr_fuzz::roundtrip_output(usize::from(op), body);
});
