#![no_main]
//! Success bodies: the output parser of every operation (the first byte
//! chooses which), then formatting and validating what parsed.

use ecrkit::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    ecr_fuzz::parse_output(usize::from(op), body);
    // Timestamps on their own, with every conversion a caller can make.
    if let Ok(times) = ecrkit::protocol::parse_output::<Vec<Timestamp>>(body) {
        for t in times {
            let _ = (t.to_system_time(), t.as_secs_f64(), t.to_string());
        }
    }
});
