//! Pushing one layer file.

use std::path::Path;
use std::sync::{Arc, Mutex};

use ecrkit::push::{BlobEvent, LayerPush};
use serde::Serialize;

use super::{PushArgs, lock, style};
use crate::Context;
use crate::error::{Class, CliError};
use crate::output::{OutputFormat, mib, print, print_json};
use crate::progress::Display;
use crate::resume::{ResumeSpec, Session};

/// A layer pushed, as `--output json` prints it.
#[derive(Debug, Serialize)]
struct LayerRow {
    repository: String,
    digest: String,
    size_bytes: u64,
    parts_sent: u32,
    already_present: bool,
}

/// The name a layer file's upload goes by before its digest is known.
pub(super) fn layer_key(file: &Path) -> String {
    format!("layer {}", file.display())
}

pub(super) async fn push_layer(
    cx: &Context,
    args: &PushArgs,
    file: &Path,
    session: &Mutex<Session>,
) -> Result<(), CliError> {
    let unreadable =
        |e: std::io::Error| CliError::new(Class::Invalid, format!("{}: {e}", file.display()));
    let size = tokio::fs::metadata(file).await.map_err(unreadable)?.len();
    let key = layer_key(file);
    let mut layer = LayerPush::new(args.repository.clone());
    layer.known_size = Some(size);
    layer.max_part_size = args.max_part_size.map(|m| usize::from(m) << 20);
    // A layer goes through the API: a registry upload is not its.
    let resume = lock(session)
        .specs
        .get(&key)
        .filter(|s| !s.is_registry())
        .cloned();
    if let Some(spec) = &resume {
        let digest = match &spec.digest {
            Some(d) => d.clone(),
            None => {
                // A resumed upload does not read the bytes before the offset,
                // so the digest CompleteLayerUpload needs is computed first.
                if !cx.quiet {
                    eprintln!(
                        "hashing {} to resume upload {}",
                        file.display(),
                        spec.upload_id
                    );
                }
                hash_file(file).await.map_err(unreadable)?
            }
        };
        layer.known_digest = Some(digest);
        layer.resume = Some((spec.upload_id.clone(), spec.bytes));
    }
    let offset = resume.as_ref().map_or(0, |s| s.bytes.min(size));
    let mut display = Display::new(
        style(cx, args),
        format!("{} (layer {})", args.repository, file.display()),
    );
    if let Some(hook) = lock(session).journal_hook(layer.known_digest.clone()) {
        display = display.on_change(hook);
    }
    display.on(&key, &BlobEvent::Queued, offset, Some(size));
    let (shown, k) = (display.clone(), key.clone());
    layer.upload_started = Some(Arc::new(move |id: &str, from| {
        shown.on(
            &k,
            &BlobEvent::Started {
                upload_id: id.to_owned(),
            },
            from,
            Some(size),
        )
    }));
    let (shown, k) = (display.clone(), key.clone());
    layer.progress = Some(Arc::new(move |p| {
        shown.on(&k, &BlobEvent::Part, p.bytes_sent, p.bytes_total)
    }));
    lock(session).current = Some(display.clone());

    let mut reader = tokio::fs::File::open(file).await.map_err(unreadable)?;
    if offset > 0 {
        use tokio::io::AsyncSeekExt;
        reader
            .seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(unreadable)?;
    }
    let pushed = layer.push(&cx.client, reader).await;
    if pushed.is_ok() {
        display.on(&key, &BlobEvent::Finished, size, Some(size));
    }
    display.finish();
    let pushed = pushed.map_err(|e| {
        let mut s = lock(session);
        match (&e.upload_id, e.code.as_deref()) {
            (_, Some("UploadNotFoundException")) => {
                s.specs.remove(&key);
                display.forget_upload(&key);
            }
            (Some(id), _) => {
                let spec = ResumeSpec {
                    digest: None,
                    upload_id: id.clone(),
                    bytes: e.bytes_acknowledged,
                };
                s.specs.insert(key.clone(), spec);
            }
            (None, _) => {}
        }
        CliError::from(e)
    })?;
    lock(session).done.insert(key);
    let row = LayerRow {
        repository: args.repository.clone(),
        digest: pushed.digest,
        size_bytes: pushed.size,
        parts_sent: pushed.parts_sent,
        already_present: pushed.already_present,
    };
    match cx.output {
        OutputFormat::Json => print_json(&row),
        OutputFormat::Table => print(&format!(
            "pushed layer {} to {} ({} MiB, {} part(s))\n",
            row.digest,
            row.repository,
            mib(row.size_bytes),
            row.parts_sent
        )),
    }
    Ok(())
}

/// `sha256:<hex>` of a file, read on a blocking thread.
async fn hash_file(file: &Path) -> std::io::Result<String> {
    let file = file.to_owned();
    tokio::task::spawn_blocking(move || {
        use sha2::Digest;
        use std::io::Read;
        let mut f = std::fs::File::open(&file)?;
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
    })
    .await
    .map_err(std::io::Error::other)?
}
