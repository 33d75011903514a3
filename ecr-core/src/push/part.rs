//! Part bodies: each `UploadLayerPart` request built in one pass, from the
//! operation's own declaration.
//!
//! The body is what serde_json writes for [`UploadLayerPart`], with the
//! blob's base64 text streamed in between: the declaration is serialized
//! with an empty blob and cut at it ([`crate::wire::split_at_blob`]), the
//! head goes into the body buffer, each chunk of the source is encoded
//! straight after it, and the tail (which holds `partLastByte`, known only
//! once the part is read) closes it. Wire names, member order and the
//! blob's size limit are the declaration's; nothing here spells them.
//!
//! The body's SHA-256 (for SigV4) is computed on the way, and the layer's
//! digest beside it as a second stream (see `sha256`), while each chunk and
//! its text are still in cache.

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::client::PreparedBody;
use crate::ecr::UploadLayerPart;
use crate::schema::{Constraint, Kind, Schema};
use crate::sha256::{Sha256Stream, update_pair};
use crate::wire::{BlobSplitError, split_at_blob};

/// The largest part the API accepts: the `length` maximum of
/// `UploadLayerPart`'s blob member, read from its declaration.
pub const MAX_PART_SIZE: usize = blob_max_length(UploadLayerPart::SCHEMA);

/// The `length` maximum of a schema's blob member (usize::MAX if none).
const fn blob_max_length(schema: &Schema) -> usize {
    let mut i = 0;
    while i < schema.members.len() {
        let member = &schema.members[i];
        if matches!(member.kind, Kind::Blob) {
            let mut j = 0;
            while j < member.constraints.len() {
                if let Constraint::Length { max: Some(max), .. } = member.constraints[j] {
                    return max as usize;
                }
                j += 1;
            }
        }
        i += 1;
    }
    usize::MAX
}

/// The wire name of `UploadLayerPart`'s blob member, from its schema.
fn blob_wire_name() -> &'static str {
    UploadLayerPart::SCHEMA
        .members
        .iter()
        .find(|m| matches!(m.kind, Kind::Blob))
        .map_or("", |m| m.wire_name)
}

/// Raw bytes read and encoded at a time: a multiple of 3, so base64 needs
/// no padding between chunks, and of 64 (a SHA-256 block), so that with
/// parts of whole blocks the layer digest never buffers a partial one;
/// small enough that the chunk and its text (448 KiB together) stay in the
/// L2 cache of current server cores between encoding and hashing (768 KiB
/// chunks measured 3–5% more CPU per push).
pub(super) const CHUNK: usize = 3 * 64 * 1024;

/// The fixed members of every part's body.
#[derive(Debug, Clone)]
pub struct PartHeader {
    /// The repository.
    pub repository_name: String,
    /// The registry, if not the caller's.
    pub registry_id: Option<String>,
    /// The upload.
    pub upload_id: String,
}

/// One part's request body, built and hashed once.
#[derive(Debug)]
pub struct EncodedPart {
    /// The body and its SHA-256.
    pub body: PreparedBody,
    /// The first layer byte of the part.
    pub first: u64,
    /// Raw bytes in the part.
    pub len: u64,
    /// Where the base64 text starts in the body.
    blob_start: usize,
}

impl PartHeader {
    /// The part's request as declared, its blob empty.
    fn request(&self, first: u64, len: u64) -> UploadLayerPart {
        UploadLayerPart {
            layer_part_blob: Bytes::new(),
            part_first_byte: wire_offset(first),
            part_last_byte: wire_offset(first.saturating_add(len).saturating_sub(1)),
            repository_name: self.repository_name.clone(),
            upload_id: self.upload_id.clone(),
            registry_id: self.registry_id.clone(),
        }
    }

    /// The body's bytes before and after the blob's text.
    fn split(&self, first: u64, len: u64) -> Result<(Vec<u8>, Vec<u8>), BlobSplitError> {
        split_at_blob(&self.request(first, len), blob_wire_name())
    }

    /// The length of the longest tail a part of `len` bytes can have: with
    /// both offsets at their widest (19 digits). Every part's buffer is
    /// sized for it, so a buffer recycled from one part fits any other.
    fn widest_tail_len(&self, len: u64) -> Result<usize, BlobSplitError> {
        let widest = i64::MAX as u64;
        Ok(self.split(widest, len)?.1.len())
    }

    /// Checks that the bytes before the blob do not depend on the part's
    /// length, so that a part can be streamed before its length is known:
    /// true of the declaration, whose blob is its first member (a unit test
    /// and the start of every push check it).
    pub fn check_streamable(&self) -> Result<(), BlobSplitError> {
        let (short, _) = self.split(0, 1)?;
        let (long, _) = self.split(0, MAX_PART_SIZE as u64)?;
        if short == long {
            Ok(())
        } else {
            Err(BlobSplitError::new(
                "the members before the blob depend on the part's length",
            ))
        }
    }

    /// Builds a part body from bytes in memory, in one pass, into `buf`
    /// (cleared first; its capacity is reused).
    pub fn encode(
        &self,
        buf: Vec<u8>,
        first: u64,
        raw: &[u8],
    ) -> Result<EncodedPart, BlobSplitError> {
        self.encode_parts(buf, first, raw, None)
    }

    /// [`encode`](Self::encode), also adding the part's bytes to the
    /// layer's digest. The two SHA-256s are computed together, at about
    /// 1.25 times the cost of one where the CPU has SHA-NI.
    pub fn encode_with_digest(
        &self,
        buf: Vec<u8>,
        first: u64,
        raw: &[u8],
        layer: &mut LayerDigest,
    ) -> Result<EncodedPart, BlobSplitError> {
        self.encode_parts(buf, first, raw, Some(&mut layer.0))
    }

    fn encode_parts(
        &self,
        mut buf: Vec<u8>,
        first: u64,
        raw: &[u8],
        mut layer: Option<&mut Sha256Stream>,
    ) -> Result<EncodedPart, BlobSplitError> {
        let len = raw.len() as u64;
        let (head, tail) = self.split(first, len)?;
        let widest = self.widest_tail_len(len)?;
        let (mut body_hasher, blob_start) = start_body(&mut buf, &head, widest, raw.len());
        for chunk in raw.chunks(CHUNK) {
            encode_chunk(&mut buf, chunk, &mut body_hasher, layer.as_deref_mut());
        }
        Ok(finish(buf, body_hasher, &tail, first, len, blob_start))
    }
}

/// Clears `buf`, sizes it for the head, the text of `len` raw bytes and a
/// tail of up to `tail_len` bytes (so the buffer is not grown while the
/// part is written), and writes the head; returns the body's hasher (fed
/// the head) and where the text starts.
fn start_body(
    buf: &mut Vec<u8>,
    head: &[u8],
    tail_len: usize,
    len: usize,
) -> (Sha256Stream, usize) {
    buf.clear();
    buf.reserve_exact(head.len() + len.div_ceil(3) * 4 + tail_len);
    buf.extend_from_slice(head);
    let mut body_hasher = Sha256Stream::default();
    body_hasher.update(buf);
    (body_hasher, buf.len())
}

/// Appends the base64 of `chunk` to the body and hashes the new text, and
/// the chunk into the layer's digest, if given: both while in cache, and
/// as two streams at once.
fn encode_chunk(
    buf: &mut Vec<u8>,
    chunk: &[u8],
    body_hasher: &mut Sha256Stream,
    layer: Option<&mut Sha256Stream>,
) {
    let at = buf.len();
    append_base64(buf, chunk);
    match layer {
        Some(layer) => update_pair(layer, chunk, body_hasher, &buf[at..]),
        None => body_hasher.update(&buf[at..]),
    }
}

/// Appends the base64 text of `bytes` (standard alphabet, padded), encoding
/// into the buffer's spare capacity.
#[cfg(feature = "simd-base64")]
fn append_base64(buf: &mut Vec<u8>, bytes: &[u8]) {
    let encoded = base64_simd::STANDARD.encoded_length(bytes.len());
    buf.reserve(encoded);
    let start = buf.len();
    let spare = buf.spare_capacity_mut();
    let written = base64_simd::STANDARD
        .encode(
            bytes,
            base64_simd::Out::from_uninit_slice(&mut spare[..encoded]),
        )
        .len();
    // SAFETY: `encode` initialised exactly `written` bytes after `start`.
    unsafe { buf.set_len(start + written) };
}

/// Appends the base64 text of `bytes` (standard alphabet, padded).
#[cfg(not(feature = "simd-base64"))]
fn append_base64(buf: &mut Vec<u8>, bytes: &[u8]) {
    use base64::Engine as _;
    let engine = &base64::engine::general_purpose::STANDARD;
    let start = buf.len();
    let encoded = bytes.len().div_ceil(3) * 4;
    buf.resize(start + encoded, 0);
    let written = engine
        .encode_slice(bytes, &mut buf[start..])
        .unwrap_or_default();
    buf.truncate(start + written);
}

/// The running digest of a layer (`sha256:<hex>`), fed part by part by
/// [`PartHeader::encode_with_digest`] or directly.
#[derive(Clone, Default)]
pub struct LayerDigest(Sha256Stream);

impl LayerDigest {
    /// The digest of nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next bytes of the layer.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Bytes added so far.
    pub fn len(&self) -> u64 {
        self.0.len()
    }

    /// Whether no byte was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `sha256:<hex>` of the bytes added.
    pub fn finish(self) -> String {
        format!("sha256:{}", hex::encode(self.0.finalize()))
    }
}

impl std::fmt::Debug for LayerDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerDigest")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// A layer offset as the API's `long`: offsets past `i64::MAX`, which no
/// layer reaches and the API cannot express, are clamped (the service then
/// refuses the part) rather than wrapped.
fn wire_offset(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}

/// Writes and hashes the body's tail, and wraps up the part.
fn finish(
    mut buf: Vec<u8>,
    mut hasher: Sha256Stream,
    tail: &[u8],
    first: u64,
    len: u64,
    blob_start: usize,
) -> EncodedPart {
    buf.extend_from_slice(tail);
    hasher.update(tail);
    let sha256 = hex::encode(hasher.finalize());
    EncodedPart {
        body: PreparedBody {
            bytes: Bytes::from(buf),
            sha256,
        },
        first,
        len,
        blob_start,
    }
}

/// Reads up to `part_size` bytes from `reader` in chunks, feeding each chunk
/// to the layer digest and encoding it straight into the part body. The
/// header must be [streamable](PartHeader::check_streamable).
pub(super) async fn read_and_encode<R: AsyncRead + Unpin>(
    reader: &mut R,
    header: &PartHeader,
    part_size: usize,
    first: u64,
    mut buf: Vec<u8>,
    chunk: &mut Vec<u8>,
    layer: &mut LayerDigest,
) -> std::io::Result<EncodedPart> {
    let split_failed = |e: BlobSplitError| std::io::Error::other(e.to_string());
    // The head does not depend on the length (checked at the push's start),
    // so it is written before the part's length is known.
    let (head, _) = header
        .split(first, part_size as u64)
        .map_err(split_failed)?;
    let widest = header
        .widest_tail_len(part_size as u64)
        .map_err(split_failed)?;
    let (mut body_hasher, blob_start) = start_body(&mut buf, &head, widest, part_size);
    let mut len = 0usize;
    if chunk.len() < CHUNK {
        chunk.resize(CHUNK, 0);
    }
    while len < part_size {
        // Fill a whole chunk (a multiple of 3 bytes) unless the source or
        // the part ends: base64 then needs no padding between chunks.
        let want = CHUNK.min(part_size - len);
        let mut filled = 0;
        while filled < want {
            let n = reader.read(&mut chunk[filled..want]).await?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        encode_chunk(
            &mut buf,
            &chunk[..filled],
            &mut body_hasher,
            Some(&mut layer.0),
        );
        len += filled;
        if filled < want {
            break;
        }
    }
    let (_, tail) = header.split(first, len as u64).map_err(split_failed)?;
    Ok(finish(
        buf,
        body_hasher,
        &tail,
        first,
        len as u64,
        blob_start,
    ))
}

/// The body for the part's bytes from `from` on: the blob is decoded back
/// from the part's body (a rare path, taken only after a partial failure).
pub(super) fn tail_body(
    header: &PartHeader,
    part: &EncodedPart,
    from: u64,
) -> Result<PreparedBody, BlobSplitError> {
    use base64::Engine as _;
    let text_len = part.len.div_ceil(3) as usize * 4;
    let text = part
        .body
        .bytes
        .get(part.blob_start..part.blob_start + text_len)
        .unwrap_or_default();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| BlobSplitError::new("the part's own text does not decode"))?;
    let skip = usize::try_from(from.saturating_sub(part.first))
        .unwrap_or(usize::MAX)
        .min(raw.len());
    Ok(header.encode(Vec::new(), from, &raw[skip..])?.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> PartHeader {
        PartHeader {
            repository_name: "repo".into(),
            registry_id: None,
            upload_id: "u-1".into(),
        }
    }

    #[test]
    fn the_limit_and_wire_name_are_the_declarations() {
        assert_eq!(MAX_PART_SIZE, 20_971_520);
        assert_eq!(blob_wire_name(), "layerPartBlob");
        header()
            .check_streamable()
            .expect("the blob comes before the length");
    }

    #[test]
    fn a_part_body_is_the_declaration_serialized() {
        let raw: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let part = header().encode(Vec::new(), 5, &raw).unwrap();
        let declared = UploadLayerPart {
            layer_part_blob: Bytes::from(raw.clone()),
            part_first_byte: 5,
            part_last_byte: 1004,
            repository_name: "repo".into(),
            upload_id: "u-1".into(),
            registry_id: None,
        };
        let mut expected = Vec::new();
        crate::Operation::write_body(&declared, &mut expected).unwrap();
        assert_eq!(
            part.body.bytes, expected,
            "byte for byte what serde_json writes"
        );
        assert_eq!(
            part.body.sha256,
            crate::signing::sha256_hex(&part.body.bytes)
        );
        // And with a registry id, an escaped repository name, an empty part.
        let mut h = header();
        h.registry_id = Some("123456789012".into());
        h.repository_name = "a\"b\\c".into();
        let part = h.encode(Vec::new(), 0, b"").unwrap();
        let declared = UploadLayerPart {
            layer_part_blob: Bytes::new(),
            part_first_byte: 0,
            part_last_byte: 0,
            repository_name: "a\"b\\c".into(),
            upload_id: "u-1".into(),
            registry_id: Some("123456789012".into()),
        };
        let mut expected = Vec::new();
        crate::Operation::write_body(&declared, &mut expected).unwrap();
        assert_eq!(part.body.bytes, expected);
    }

    #[tokio::test]
    async fn streamed_encoding_matches_in_memory_encoding() {
        // 1 MiB + 1 byte, read through a reader that returns odd-sized pieces.
        let raw: Vec<u8> = (0..(1 << 20) + 1).map(|i: u32| (i % 251) as u8).collect();
        let mut reader = odd_reader(&raw);
        let mut layer = LayerDigest::new();
        let mut chunk = Vec::new();
        let streamed = read_and_encode(
            &mut reader,
            &header(),
            1 << 20,
            0,
            Vec::new(),
            &mut chunk,
            &mut layer,
        )
        .await
        .unwrap();
        let direct = header().encode(Vec::new(), 0, &raw[..1 << 20]).unwrap();
        assert_eq!(streamed.len, 1 << 20);
        assert_eq!(streamed.body.bytes, direct.body.bytes);
        assert_eq!(streamed.body.sha256, direct.body.sha256);
        let tail = tail_body(&header(), &streamed, 1000).unwrap();
        let expected = header()
            .encode(Vec::new(), 1000, &raw[1000..1 << 20])
            .unwrap();
        assert_eq!(tail.bytes, expected.body.bytes);
        // The layer digest, computed two streams at a time, is the digest
        // of the bytes read; and the in-memory path computes the same.
        assert_eq!(layer.len(), 1 << 20);
        let expected_digest = format!("sha256:{}", crate::signing::sha256_hex(&raw[..1 << 20]));
        assert_eq!(layer.clone().finish(), expected_digest);
        let mut in_memory = LayerDigest::new();
        let first = header()
            .encode_with_digest(Vec::new(), 0, &raw[..300_007], &mut in_memory)
            .unwrap();
        let second = header()
            .encode_with_digest(Vec::new(), 300_007, &raw[300_007..1 << 20], &mut in_memory)
            .unwrap();
        assert_eq!(in_memory.finish(), expected_digest);
        assert_eq!(
            first.body.bytes,
            header()
                .encode(Vec::new(), 0, &raw[..300_007])
                .unwrap()
                .body
                .bytes
        );
        assert_eq!(
            second.body.sha256,
            crate::signing::sha256_hex(&second.body.bytes)
        );
        // A short last part: the tail carries its real last byte.
        let mut reader = odd_reader(&raw[..10]);
        let short = read_and_encode(
            &mut reader,
            &header(),
            1 << 20,
            7,
            Vec::new(),
            &mut chunk,
            &mut LayerDigest::new(),
        )
        .await
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&short.body.bytes).unwrap();
        assert_eq!(
            (v["partFirstByte"].as_i64(), v["partLastByte"].as_i64()),
            (Some(7), Some(16))
        );
    }

    #[test]
    fn offsets_past_the_apis_long_are_clamped_not_wrapped() {
        let part = header().encode(Vec::new(), u64::MAX - 1, b"abc").unwrap();
        let v: serde_json::Value = serde_json::from_slice(&part.body.bytes).unwrap();
        assert_eq!(v["partFirstByte"], i64::MAX);
        assert_eq!(v["partLastByte"], i64::MAX);
    }

    /// A reader that hands out 7, 1000, 7, 1000, ... bytes per read.
    fn odd_reader(data: &[u8]) -> impl AsyncRead + Unpin + '_ {
        struct Odd<'a>(&'a [u8], bool);
        impl AsyncRead for Odd<'_> {
            fn poll_read(
                mut self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let n = if self.1 { 7 } else { 1000 }
                    .min(self.0.len())
                    .min(buf.remaining());
                self.1 = !self.1;
                let (head, rest) = self.0.split_at(n);
                buf.put_slice(head);
                self.0 = rest;
                std::task::Poll::Ready(Ok(()))
            }
        }
        Odd(data, true)
    }
}
