//! A steady-state push takes no fresh memory: each part's body is built in
//! a buffer recycled from a part the service has acknowledged, so a layer
//! of many parts allocates two part-sized buffers (the part being sent and
//! the one being read), not one per part; and the transport sends a body
//! without copying it (a copy would be one more such allocation per part).
//! Counted with a global allocator
//! that records every allocation of at least `LARGE` bytes (this test
//! binary's only test, so nothing else allocates while it counts).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use ecr_tests::{Moto, random_bytes, sha256_digest};
use ecrkit::ecr::CreateRepository;
use ecrkit::push::LayerPush;

const MIB: usize = 1 << 20;
/// Far above anything but a part body (13.4 MiB for a 10 MiB part); the
/// read chunk is 192 KiB.
const LARGE: usize = 4 * MIB;

struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LARGE_ALLOCS: AtomicUsize = AtomicUsize::new(0);

fn record(size: usize) {
    if size >= LARGE && COUNTING.load(Ordering::Relaxed) {
        LARGE_ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter only reads the requested size.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller's contract is passed through.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twelve_part_push_allocates_two_part_buffers() {
    let moto = Moto::start();
    let client = moto.client();
    let repo = "push/buffers";
    CreateRepository {
        repository_name: repo.into(),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("create");

    let layer = random_bytes(120 * MIB, 7);
    let digest = sha256_digest(&layer);
    let mut push = LayerPush::new(repo);
    push.known_size = Some(layer.len() as u64);
    push.max_part_size = Some(10 * MIB);

    COUNTING.store(true, Ordering::SeqCst);
    let pushed = push.push(&client, layer.as_slice()).await.expect("push");
    COUNTING.store(false, Ordering::SeqCst);
    let large = LARGE_ALLOCS.load(Ordering::SeqCst);

    assert_eq!(pushed.digest, digest);
    assert_eq!(pushed.parts_sent, 12, "120 MiB in 10 MiB parts");
    println!(
        "push buffers: {large} allocations of {} MiB or more for {} parts",
        LARGE / MIB,
        pushed.parts_sent
    );
    assert_eq!(
        large,
        2,
        "a push of 12 parts should allocate two part-sized buffers (the part being sent and \
         the one being read) and recycle them; it made {large} allocations of {} MiB or more",
        LARGE / MIB
    );
}
