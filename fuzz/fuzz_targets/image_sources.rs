#![no_main]
//! OCI image layouts and docker archives read from disk, as `push` and
//! `copy` read them: the input becomes a layout (its `index.json` up to the
//! first NUL byte, the rest one blob under its digest) or an archive's
//! bytes; the source then lists its images and plans a push of each.

use std::path::PathBuf;
use std::sync::OnceLock;

use ecrkit::oci::sha256_digest;
use ecrkit::push::ImageSource;
use libfuzzer_sys::fuzz_target;

/// A scratch folder of this process, reused by every input.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ecr-fuzz-sources-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let dir = scratch();
    let source = if kind % 2 == 0 {
        let layout = dir.join("layout");
        let _ = std::fs::remove_dir_all(&layout);
        let blobs = layout.join("blobs/sha256");
        if std::fs::create_dir_all(&blobs).is_err() {
            return;
        }
        let (index, blob) = match rest.iter().position(|&b| b == 0) {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, &[][..]),
        };
        let digest = sha256_digest(blob);
        let hex = digest.trim_start_matches("sha256:");
        let written = std::fs::write(
            layout.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .and_then(|()| std::fs::write(layout.join("index.json"), index))
        .and_then(|()| std::fs::write(blobs.join(hex), blob));
        if written.is_err() {
            return;
        }
        ImageSource::OciLayout(layout)
    } else {
        let archive = dir.join("archive.tar");
        if std::fs::write(&archive, rest).is_err() {
            return;
        }
        ImageSource::DockerArchive(archive)
    };
    if let Ok(images) = source.images() {
        for image in &images {
            let _ = image.tags();
        }
    }
    let _ = source.plan(None, None);
});
