#![no_main]
//! Manifests and indexes as registries and layouts hold them (read as the
//! pull, the copy and the registry push read them), and the references,
//! repository names, tags and digests users type.

use ecrkit::oci::{
    ManifestDoc, RawManifest, Reference, is_valid_repository, is_valid_tag, parse_digest,
};
use libfuzzer_sys::fuzz_target;

const MEDIA_TYPES: [Option<&str>; 5] = [
    None,
    Some("application/vnd.oci.image.index.v1+json"),
    Some("application/vnd.oci.image.manifest.v1+json"),
    Some("application/vnd.docker.distribution.manifest.list.v2+json"),
    Some("application/vnd.docker.distribution.manifest.v2+json"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    if let Ok(doc) = ManifestDoc::parse(body) {
        for blob in doc.blobs() {
            let _ = (blob.ref_name(), parse_digest(&blob.digest));
        }
    }
    let raw = RawManifest::new(
        bytes::Bytes::copy_from_slice(body),
        MEDIA_TYPES[usize::from(choice) % MEDIA_TYPES.len()],
    );
    let _ = (raw.is_index(), raw.descriptor());
    if let Ok(text) = std::str::from_utf8(body) {
        if let Some(reference) = Reference::parse(text) {
            let _ = (reference.as_str().len(), reference.tag().map(str::len));
        }
        let _ = (
            is_valid_repository(text),
            is_valid_tag(text),
            parse_digest(text),
        );
    }
});
