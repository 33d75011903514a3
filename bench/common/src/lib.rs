//! Shared pieces of the benchmarks: a pseudo-random layer source that costs
//! no memory, and process CPU and peak-memory readings from `/proc`.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

/// A reader of `len` pseudo-random bytes that takes no memory in the
/// pushing process beyond a 1 MiB table: the stream cycles through a table
/// of xorshift64* output whose length is prime, so no two parts of a layer
/// are alike. Copying from the table costs a fortieth of generating every
/// byte, which was a tenth of a push's CPU on both sides of a paired run.
pub struct GeneratedLayer {
    remaining: u64,
    table: Vec<u8>,
    pos: usize,
}

/// The table's length: a prime just under 1 MiB.
const TABLE_LEN: usize = 1_048_573;

impl GeneratedLayer {
    /// A layer of `len` bytes; `seed` chooses the table.
    pub fn new(len: u64, seed: u64) -> Self {
        let mut state = seed.wrapping_mul(2).wrapping_add(1);
        let mut table = vec![0; TABLE_LEN];
        let (words, tail) = table.as_chunks_mut::<8>();
        let mut next = || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes()
        };
        for word in words {
            *word = next();
        }
        let last = next();
        tail.copy_from_slice(&last[..tail.len()]);
        Self {
            remaining: len,
            table,
            pos: 0,
        }
    }

    /// Fills `out` with the next bytes of the stream.
    pub fn fill(&mut self, mut out: &mut [u8]) {
        while !out.is_empty() {
            let n = out.len().min(TABLE_LEN - self.pos);
            let (head, rest) = out.split_at_mut(n);
            head.copy_from_slice(&self.table[self.pos..self.pos + n]);
            self.pos = (self.pos + n) % TABLE_LEN;
            out = rest;
        }
    }
}

impl AsyncRead for GeneratedLayer {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = (buf.remaining() as u64).min(self.remaining) as usize;
        let dst = buf.initialize_unfilled_to(n);
        let this = &mut *self;
        this.fill(&mut dst[..n]);
        buf.advance(n);
        this.remaining -= n as u64;
        Poll::Ready(Ok(()))
    }
}

/// User plus system CPU seconds of this process so far.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime is the
    // 12th and stime the 13th of them, in clock ticks (100 per second).
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident memory of this process, in MiB (`VmHWM`).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
