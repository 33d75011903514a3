//! The pull's writer: one blocking thread that hashes and writes every
//! blob in flight, two blobs' bytes hashed together wherever two have some
//! waiting. With SHA-NI a core hashes two streams interleaved in little
//! more than the time of one (`crate::sha256`), and hashing was 40% of a
//! pull's CPU.
//!
//! Memory is bounded by the channel from the downloads (`QUEUED` batches of
//! about 1 MiB) and what the writer takes out of it ahead of writing, to
//! have two blobs' bytes to pair (`AHEAD`).

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::sha256::{Sha256Stream, update_pair};

/// Batches waiting in the channel, for every blob together.
const QUEUED: usize = 12;

/// Bytes the writer takes out of the channel before writing them.
const AHEAD: usize = 8 << 20;

/// Bytes hashed and then written at a time, per blob (with two blobs, half
/// of an L2 cache): the bytes the hash read are still in cache when the
/// kernel copies them into the file.
const GROUP: usize = 256 << 10;

/// What became of one blob's file: the hash and length of what was
/// written, and the write error that stopped it, if any.
pub(crate) struct Written {
    /// The hash of the file's bytes.
    pub(crate) hasher: Sha256Stream,
    /// The file's length.
    pub(crate) have: u64,
    /// Why writing stopped early.
    pub(crate) error: Option<std::io::Error>,
}

enum Message {
    Open {
        id: u64,
        path: PathBuf,
        hasher: Sha256Stream,
        have: u64,
        size: u64,
        failed: Arc<AtomicBool>,
        done: oneshot::Sender<Written>,
    },
    Data {
        id: u64,
        batch: Vec<Bytes>,
    },
    Close {
        id: u64,
    },
}

/// The writer of one pull (cheap to clone); its thread ends when the last
/// clone and the last [`BlobFile`] are gone.
#[derive(Clone)]
pub(crate) struct BlobWriter {
    tx: mpsc::Sender<Message>,
    next_id: Arc<AtomicU64>,
}

/// One blob's file, being written by the [`BlobWriter`].
pub(crate) struct BlobFile {
    id: u64,
    tx: mpsc::Sender<Message>,
    /// Set by the thread when a write failed: nothing more is worth
    /// downloading.
    failed: Arc<AtomicBool>,
    done: oneshot::Receiver<Written>,
}

impl BlobWriter {
    /// Starts the writer's thread (on the runtime's blocking pool).
    pub(crate) fn start() -> BlobWriter {
        let (tx, rx) = mpsc::channel(QUEUED);
        tokio::task::spawn_blocking(move || run(rx));
        BlobWriter {
            tx,
            next_id: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Opens the partial file `path` to append after its first `have`
    /// bytes, which `hasher` has hashed; `size` is the blob's. `None` when
    /// the writer is gone.
    pub(crate) async fn open(
        &self,
        path: &Path,
        hasher: Sha256Stream,
        have: u64,
        size: u64,
    ) -> Option<BlobFile> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (done_tx, done) = oneshot::channel();
        let failed = Arc::new(AtomicBool::new(false));
        let open = Message::Open {
            id,
            path: path.to_owned(),
            hasher,
            have,
            size,
            failed: failed.clone(),
            done: done_tx,
        };
        self.tx.send(open).await.ok()?;
        Some(BlobFile {
            id,
            tx: self.tx.clone(),
            failed,
            done,
        })
    }
}

impl BlobFile {
    /// Appends `batch`; `false` when the file cannot take more (a write
    /// failed, `close` says why) or the writer is gone.
    pub(crate) async fn write(&self, batch: Vec<Bytes>) -> bool {
        if self.failed.load(Ordering::Relaxed) {
            return false;
        }
        let id = self.id;
        self.tx.send(Message::Data { id, batch }).await.is_ok()
    }

    /// Waits until everything sent is written; `None` when the writer is
    /// gone (it panicked).
    pub(crate) async fn close(self) -> Option<Written> {
        let _ = self.tx.send(Message::Close { id: self.id }).await;
        self.done.await.ok()
    }
}

/// A blob the thread has open.
struct Open {
    file: Option<std::fs::File>,
    hasher: Sha256Stream,
    have: u64,
    error: Option<std::io::Error>,
    queue: VecDeque<Vec<Bytes>>,
    queued: usize,
    closing: bool,
    failed: Arc<AtomicBool>,
    done: oneshot::Sender<Written>,
}

impl Open {
    fn reply(self) {
        let _ = self.done.send(Written {
            hasher: self.hasher,
            have: self.have,
            error: self.error,
        });
    }

    /// Whether bytes still go to the file (no write has failed).
    fn writable(&self) -> bool {
        self.file.is_some() && self.error.is_none()
    }

    /// Writes one group the hasher has taken in.
    fn write_group(&mut self, group: &[Bytes]) {
        let Some(file) = self.file.as_mut() else {
            return;
        };
        match write_batch(file, group) {
            Ok(()) => self.have += group.iter().map(|c| c.len() as u64).sum::<u64>(),
            Err(e) => {
                self.error = Some(e);
                self.failed.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Hashes and writes one group of this blob alone.
    fn one(&mut self, group: &[Bytes]) {
        if !self.writable() {
            return;
        }
        for chunk in group {
            self.hasher.update(chunk);
        }
        self.write_group(group);
    }
}

/// The thread: takes messages, keeps each blob's batches in its queue, and
/// writes the two blobs with the most bytes waiting, a batch of each.
fn run(mut rx: mpsc::Receiver<Message>) {
    let mut blobs: HashMap<u64, Open> = HashMap::new();
    let mut ahead = 0usize;
    loop {
        if ahead == 0 {
            match rx.blocking_recv() {
                Some(message) => take(message, &mut blobs, &mut ahead),
                None => break,
            }
        }
        while ahead < AHEAD {
            match rx.try_recv() {
                Ok(message) => take(message, &mut blobs, &mut ahead),
                Err(_) => break,
            }
        }
        let mut waiting: Vec<(usize, u64)> = blobs
            .iter()
            .filter(|(_, b)| !b.queue.is_empty())
            .map(|(id, b)| (b.queued, *id))
            .collect();
        waiting.sort_unstable_by(|x, y| y.cmp(x));
        let mut pair = waiting.iter().map(|&(_, id)| id);
        match (pair.next(), pair.next()) {
            (Some(a), Some(b)) => match (blobs.remove(&a), blobs.remove(&b)) {
                (Some(mut x), Some(mut y)) => {
                    let bx = pop(&mut x, &mut ahead);
                    let by = pop(&mut y, &mut ahead);
                    write_pair(&mut x, &bx, &mut y, &by);
                    blobs.insert(a, x);
                    blobs.insert(b, y);
                }
                (x, y) => {
                    // Both were just listed; put back whatever was there.
                    x.map(|x| blobs.insert(a, x));
                    y.map(|y| blobs.insert(b, y));
                }
            },
            (Some(a), None) => {
                if let Some(x) = blobs.get_mut(&a) {
                    let batch = pop(x, &mut ahead);
                    for group in groups(&batch, GROUP) {
                        x.one(group);
                    }
                }
            }
            _ => {}
        }
        let finished: Vec<u64> = blobs
            .iter()
            .filter(|(_, b)| b.closing && b.queue.is_empty())
            .map(|(id, _)| *id)
            .collect();
        for id in finished {
            if let Some(blob) = blobs.remove(&id) {
                blob.reply();
            }
        }
    }
    // Every sender is gone: nothing more can arrive.
    for (_, mut blob) in blobs.drain() {
        while !blob.queue.is_empty() {
            let batch = pop(&mut blob, &mut ahead);
            for group in groups(&batch, GROUP) {
                blob.one(group);
            }
        }
        blob.reply();
    }
}

fn take(message: Message, blobs: &mut HashMap<u64, Open>, ahead: &mut usize) {
    match message {
        Message::Open {
            id,
            path,
            hasher,
            have,
            size,
            failed,
            done,
        } => {
            let (file, error) = match open_partial(&path, have, size) {
                Ok(file) => (Some(file), None),
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    (None, Some(e))
                }
            };
            let blob = Open {
                file,
                hasher,
                have,
                error,
                queue: VecDeque::new(),
                queued: 0,
                closing: false,
                failed,
                done,
            };
            blobs.insert(id, blob);
        }
        Message::Data { id, batch } => {
            if let Some(blob) = blobs.get_mut(&id) {
                let len: usize = batch.iter().map(Bytes::len).sum();
                blob.queued += len;
                *ahead += len;
                blob.queue.push_back(batch);
            }
        }
        Message::Close { id } => {
            if let Some(blob) = blobs.get_mut(&id) {
                blob.closing = true;
            }
        }
    }
}

fn pop(blob: &mut Open, ahead: &mut usize) -> Vec<Bytes> {
    let batch = blob.queue.pop_front().unwrap_or_default();
    let len: usize = batch.iter().map(Bytes::len).sum();
    blob.queued -= len;
    *ahead -= len;
    batch
}

/// A batch of each of two blobs: their groups hashed two at a time, each
/// pair then written.
fn write_pair(x: &mut Open, bx: &[Bytes], y: &mut Open, by: &[Bytes]) {
    let mut gx = groups(bx, GROUP);
    let mut gy = groups(by, GROUP);
    loop {
        match (gx.next(), gy.next()) {
            (Some(a), Some(b)) if x.writable() && y.writable() => {
                hash_pair(&mut x.hasher, a, &mut y.hasher, b);
                x.write_group(a);
                y.write_group(b);
            }
            (Some(a), Some(b)) => {
                x.one(a);
                y.one(b);
            }
            (Some(a), None) => x.one(a),
            (None, Some(b)) => y.one(b),
            (None, None) => return,
        }
    }
}

/// Hashes the chunks `a` into `ha` and `b` into `hb`, as much of both at
/// once as their lengths allow.
fn hash_pair(ha: &mut Sha256Stream, a: &[Bytes], hb: &mut Sha256Stream, b: &[Bytes]) {
    let (mut ia, mut oa, mut ib, mut ob) = (0, 0, 0, 0);
    while ia < a.len() && ib < b.len() {
        let (ra, rb) = (&a[ia][oa..], &b[ib][ob..]);
        let n = ra.len().min(rb.len());
        update_pair(ha, &ra[..n], hb, &rb[..n]);
        oa += n;
        ob += n;
        if oa == a[ia].len() {
            ia += 1;
            oa = 0;
        }
        if ob == b[ib].len() {
            ib += 1;
            ob = 0;
        }
    }
    if let Some(first) = a.get(ia) {
        ha.update(&first[oa..]);
        a[ia + 1..].iter().for_each(|c| ha.update(c));
    }
    if let Some(first) = b.get(ib) {
        hb.update(&first[ob..]);
        b[ib + 1..].iter().for_each(|c| hb.update(c));
    }
}

/// The partial file, opened to append after its first `have` bytes (what
/// was hashed), with room for the rest of the blob's `size` reserved.
fn open_partial(path: &Path, have: u64, size: u64) -> std::io::Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // The file must hold exactly what was hashed; it is truncated only when
    // it holds more. ext4 writes back, when it is closed, a file truncated
    // to nothing (its rule for files replaced in place): the whole blob,
    // from the pull's own thread.
    if file.metadata()?.len() != have {
        file.set_len(have)?;
    }
    preallocate(&file, have, size);
    Ok(file)
}

/// Reserves the file's blocks from `from` to `to` without changing its
/// length (what it holds stays what was written): the file system
/// allocates once instead of at every write. Best effort: a file system
/// without it allocates as it goes.
#[cfg(target_os = "linux")]
fn preallocate(file: &std::fs::File, from: u64, to: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (
        libc::off_t::try_from(from),
        libc::off_t::try_from(to.saturating_sub(from)),
    ) else {
        return;
    };
    if len > 0 {
        // SAFETY: fallocate on a descriptor this function borrows, with
        // plain integers; it reads and writes no memory of ours.
        let _ =
            unsafe { libc::fallocate(file.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, offset, len) };
    }
}

#[cfg(not(target_os = "linux"))]
fn preallocate(_: &std::fs::File, _: u64, _: u64) {}

/// `batch` cut into runs of chunks of about `size` bytes (at least one
/// chunk each).
fn groups(batch: &[Bytes], size: usize) -> impl Iterator<Item = &[Bytes]> {
    let mut rest = batch;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        let mut n = 0;
        while n < rest.len() && (n == 0 || bytes + rest[n].len() <= size) {
            bytes += rest[n].len();
            n += 1;
        }
        let (group, tail) = rest.split_at(n);
        rest = tail;
        Some(group)
    })
}

/// Writes every chunk of `batch`, in order, with `write_vectored`: no copy
/// into a buffer of ours, and few system calls.
fn write_batch(file: &mut std::fs::File, batch: &[Bytes]) -> std::io::Result<()> {
    let (mut index, mut offset) = (0usize, 0usize);
    while index < batch.len() {
        let slices: Vec<std::io::IoSlice<'_>> = std::iter::once(&batch[index][offset..])
            .chain(batch[index + 1..].iter().map(|c| &c[..]))
            .map(std::io::IoSlice::new)
            .collect();
        let mut written = match file.write_vectored(&slices) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        while index < batch.len() && written >= batch[index].len() - offset {
            written -= batch[index].len() - offset;
            index += 1;
            offset = 0;
        }
        offset += written;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn bytes(len: usize, seed: u32) -> Vec<u8> {
        (0..len as u32)
            .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    }

    /// Chunks of uneven sizes, as sockets hand them over.
    fn chunks(data: &[u8], sizes: &[usize]) -> Vec<Bytes> {
        let mut out = Vec::new();
        let mut at = 0;
        for &n in sizes.iter().cycle() {
            if at == data.len() {
                break;
            }
            let n = n.min(data.len() - at);
            out.push(Bytes::copy_from_slice(&data[at..at + n]));
            at += n;
        }
        out
    }

    #[test]
    fn pairs_hash_what_each_blob_holds_whatever_the_chunks() {
        let a = bytes(1_000_003, 1);
        let b = bytes(700_001, 2);
        let ca = chunks(&a, &[0, 1, 63, 65, 4096, 300_000, 7]);
        let cb = chunks(&b, &[131_072, 5, 0, 64, 99_999]);
        let (mut ha, mut hb) = (Sha256Stream::default(), Sha256Stream::default());
        hash_pair(&mut ha, &ca, &mut hb, &cb);
        assert_eq!(ha.finalize(), *Sha256::digest(&a));
        assert_eq!(hb.finalize(), *Sha256::digest(&b));
    }

    /// Three blobs at once through the thread, batches interleaved, one of
    /// them continuing a file that already holds its first bytes: each file
    /// holds its blob, and each hash is its blob's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_blob_is_written_and_hashed_whole() {
        let dir = std::env::temp_dir().join(format!("ecrkit-writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let writer = BlobWriter::start();
        let data: Vec<Vec<u8>> = (0..3)
            .map(|i| bytes(3_000_000 + i * 77_777, i as u32))
            .collect();
        let mut tasks = Vec::new();
        for (i, blob) in data.iter().cloned().enumerate() {
            let writer = writer.clone();
            let path = dir.join(format!("blob-{i}"));
            tasks.push(tokio::spawn(async move {
                // The third blob's first 100,000 bytes are on disk already.
                let have = if i == 2 { 100_000 } else { 0 };
                std::fs::write(&path, &blob[..have]).unwrap();
                let mut hasher = Sha256Stream::default();
                hasher.update(&blob[..have]);
                let file = writer
                    .open(&path, hasher, have as u64, blob.len() as u64)
                    .await
                    .unwrap();
                for batch in chunks(&blob[have..], &[1 << 20]) {
                    let pieces = chunks(&batch, &[65_536, 1000, 300_000]);
                    assert!(file.write(pieces).await);
                    tokio::task::yield_now().await;
                }
                let written = file.close().await.unwrap();
                assert!(written.error.is_none());
                assert_eq!(written.have, blob.len() as u64);
                assert_eq!(written.hasher.finalize(), *Sha256::digest(&blob));
                assert_eq!(std::fs::read(&path).unwrap(), blob);
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
