#![no_main]
//! The push journal, read exactly as the command line reads its file
//! (`PushJournal::read` of the file's bytes, with the push the command
//! describes): it never panics, and what it accepts is that push's
//! journal, written back to the same uploads.

use ecrkit::push::journal::{JournalError, PushJournal};
use libfuzzer_sys::fuzz_target;

/// The push the seeds describe.
const PUSH: &str = "endpoint=http://127.0.0.1:5000/ region=us-east-1 profile= transport=registry \
                    registry=http://127.0.0.1:5001 repository=fuzz/app source=/tmp/layout layer= \
                    images=[] tags=[]";

fuzz_target!(|data: &[u8]| {
    let Ok(journal) = PushJournal::read(data, PUSH) else {
        return;
    };
    // Of this push, by its own words, and of no other.
    assert_eq!(journal.push, PUSH);
    let file: serde_json::Value = serde_json::from_slice(data).expect("accepted bytes are JSON");
    assert_eq!(file["push"].as_str(), Some(PUSH));
    assert_eq!(
        PushJournal::read(data, "another push"),
        Err(JournalError::AnotherPush)
    );
    // What was accepted writes back to a journal that reads the same.
    let again = PushJournal::read(&journal.to_bytes(), PUSH).expect("a written journal reads back");
    let (mut before, mut after) = (journal.uploads.clone(), again.uploads);
    before.sort_by(|a, b| a.key.cmp(&b.key));
    after.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(before, after);
});
