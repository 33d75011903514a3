#![no_main]
//! The two-streams-at-once SHA-256 of a push against the one-stream one:
//! a layer cut into parts (and fed between parts in pieces of any size)
//! must get the same layer digest as hashing it whole, and every part body
//! the SHA-256 of its bytes.

use arbitrary::Arbitrary;
use ecrkit::push::{LayerDigest, PartHeader};
use ecrkit::signing::sha256_hex;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Where each part (or directly fed piece) ends, as a share of the rest
    /// (the first 32 are used).
    cuts: Vec<(u16, bool)>,
    /// A length multiplier, so parts span many SHA-256 blocks.
    repeat: u8,
    repository_name: &'a str,
    layer: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let header = PartHeader {
        // At most the API's 256 characters, as a validated push passes:
        // longer names only make every part's JSON escaping slower.
        repository_name: input.repository_name.chars().take(256).collect(),
        registry_id: None,
        upload_id: "u".to_owned(),
    };
    let layer: Vec<u8> = input.layer.repeat(usize::from(input.repeat % 8) + 1);
    let mut digest = LayerDigest::new();
    let mut at = 0usize;
    let mut buf = Vec::new();
    // At most 32 pieces: every boundary case fits in them, and each part
    // serializes its request, so hundreds of parts only slow the run down.
    let cuts = input.cuts.iter().copied().take(32);
    for (cut, as_part) in cuts.chain([(u16::MAX, true)]) {
        let rest = layer.len() - at;
        let n = rest * usize::from(cut) / usize::from(u16::MAX);
        let piece = &layer[at..at + n];
        if as_part {
            let part = header
                .encode_with_digest(std::mem::take(&mut buf), at as u64, piece, &mut digest)
                .expect("the declaration streams");
            assert_eq!(part.body.sha256, sha256_hex(&part.body.bytes));
            assert_eq!(part.len, n as u64);
            buf = Vec::from(part.body.bytes);
        } else {
            digest.update(piece);
        }
        at += n;
        assert_eq!(digest.len(), at as u64);
    }
    assert_eq!(at, layer.len());
    assert_eq!(digest.finish(), format!("sha256:{}", sha256_hex(&layer)));
});
