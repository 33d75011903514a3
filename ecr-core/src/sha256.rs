//! SHA-256 of two streams at once: a push's layer digest and a part
//! body's payload hash (computed over the same bytes, raw then
//! base64-encoded, at the same time), and a pull's blobs in flight (hashed
//! in pairs by the pull's writer).
//!
//! Why not two `sha2::Sha256`: with SHA-NI, one stream is bound by the
//! latency of `sha256rnds2` (each round waits for the previous one), not by
//! its throughput, so a core hashes two independent streams interleaved
//! about 1.6 times as fast as one after the other (measured on the bench
//! machine; BENCHMARKS.md). Hashing was 70% of a push's CPU and 40% of a
//! pull's. No maintained crate offers a multi-stream SHA-256 (sha2 exposes
//! its one-block-at-a-time compression, `compress256`), so this module
//! holds the two-lane compression function and the one-lane one beside it
//! (x86_64 with SHA-NI, detected at run time: sha2's one-lane code took
//! four times as long as ring's over the same bytes, and ring's state cannot
//! be carried into a pair), the block buffering and the padding; on other
//! CPUs the compression is sha2's. The tests check both lanes and the one
//! lane against sha2 over pieces that leave the streams' partial blocks at
//! different offsets, and the fuzz target `part_digests` over any cut.

use sha2::block_api::compress256;

/// The initial hash value (FIPS 180-4, 5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// A streaming SHA-256 whose blocks can be compressed together with
/// another stream's (`update_pair`).
#[derive(Clone)]
pub(crate) struct Sha256Stream {
    state: [u32; 8],
    /// The bytes of an incomplete block.
    block: [u8; 64],
    buffered: usize,
    /// Bytes hashed so far.
    len: u64,
}

impl Default for Sha256Stream {
    fn default() -> Self {
        Self {
            state: IV,
            block: [0; 64],
            buffered: 0,
            len: 0,
        }
    }
}

impl Sha256Stream {
    /// Hashes `data`.
    pub(crate) fn update(&mut self, data: &[u8]) {
        let rest = self.top_up(data);
        let (blocks, tail) = rest.as_chunks::<64>();
        compress_one(&mut self.state, blocks);
        self.keep(tail);
    }

    /// Bytes hashed so far (the push's parts ask; a pull knows).
    #[cfg(feature = "push")]
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The digest.
    pub(crate) fn finalize(mut self) -> [u8; 32] {
        let bits = self.len.wrapping_mul(8);
        let mut n = self.buffered;
        self.block[n] = 0x80;
        n += 1;
        if n > 56 {
            self.block[n..].fill(0);
            compress256(&mut self.state, &[self.block]);
            n = 0;
        }
        self.block[n..56].fill(0);
        self.block[56..].copy_from_slice(&bits.to_be_bytes());
        compress256(&mut self.state, &[self.block]);
        let mut out = [0; 32];
        for (o, word) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// Adds the start of `data` to an incomplete block (compressing it once
    /// complete) and returns the rest, which starts on a block boundary.
    fn top_up<'a>(&mut self, data: &'a [u8]) -> &'a [u8] {
        self.len = self.len.wrapping_add(data.len() as u64);
        if self.buffered == 0 {
            return data;
        }
        let take = (64 - self.buffered).min(data.len());
        self.block[self.buffered..self.buffered + take].copy_from_slice(&data[..take]);
        self.buffered += take;
        if self.buffered == 64 {
            compress256(&mut self.state, &[self.block]);
            self.buffered = 0;
        }
        &data[take..]
    }

    /// Keeps the bytes after the last whole block (fewer than 64; only
    /// non-empty when `top_up` left no block open).
    fn keep(&mut self, tail: &[u8]) {
        self.block[self.buffered..self.buffered + tail.len()].copy_from_slice(tail);
        self.buffered += tail.len();
    }
}

/// Hashes `a_data` into `a` and `b_data` into `b`, compressing their blocks
/// two at a time while both streams have some.
pub(crate) fn update_pair(
    a: &mut Sha256Stream,
    a_data: &[u8],
    b: &mut Sha256Stream,
    b_data: &[u8],
) {
    let (a_blocks, a_tail) = a.top_up(a_data).as_chunks::<64>();
    let (b_blocks, b_tail) = b.top_up(b_data).as_chunks::<64>();
    let n = a_blocks.len().min(b_blocks.len());
    compress_pair(&mut a.state, &a_blocks[..n], &mut b.state, &b_blocks[..n]);
    compress_one(&mut a.state, &a_blocks[n..]);
    compress_one(&mut b.state, &b_blocks[n..]);
    a.keep(a_tail);
    b.keep(b_tail);
}

/// Compresses `blocks` into `state`.
fn compress_one(state: &mut [u32; 8], blocks: &[[u8; 64]]) {
    if blocks.is_empty() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if shani::available() {
        // SAFETY: the CPU has the features `compress_one` is compiled for.
        unsafe { shani::compress_one(state, blocks) };
        return;
    }
    compress256(state, blocks);
}

/// Compresses `a` into `a_state` and `b` (as many blocks) into `b_state`.
fn compress_pair(a_state: &mut [u32; 8], a: &[[u8; 64]], b_state: &mut [u32; 8], b: &[[u8; 64]]) {
    #[cfg(target_arch = "x86_64")]
    if shani::available() {
        // SAFETY: the CPU has the features `compress_pair` is compiled for.
        unsafe { shani::compress_pair(a_state, a, b_state, b) };
        return;
    }
    compress256(a_state, a);
    compress256(b_state, b);
}

/// The two-lane compression function with the SHA extensions: sha2's
/// one-lane x86 code (Intel's layout of the state as ABEF/CDGH), with every
/// step done for both lanes before the next.
#[cfg(target_arch = "x86_64")]
mod shani {
    use std::arch::x86_64::*;

    /// The round constants (FIPS 180-4, 4.2.2).
    static K: [u32; 64] = [
        0x428a_2f98,
        0x7137_4491,
        0xb5c0_fbcf,
        0xe9b5_dba5,
        0x3956_c25b,
        0x59f1_11f1,
        0x923f_82a4,
        0xab1c_5ed5,
        0xd807_aa98,
        0x1283_5b01,
        0x2431_85be,
        0x550c_7dc3,
        0x72be_5d74,
        0x80de_b1fe,
        0x9bdc_06a7,
        0xc19b_f174,
        0xe49b_69c1,
        0xefbe_4786,
        0x0fc1_9dc6,
        0x240c_a1cc,
        0x2de9_2c6f,
        0x4a74_84aa,
        0x5cb0_a9dc,
        0x76f9_88da,
        0x983e_5152,
        0xa831_c66d,
        0xb003_27c8,
        0xbf59_7fc7,
        0xc6e0_0bf3,
        0xd5a7_9147,
        0x06ca_6351,
        0x1429_2967,
        0x27b7_0a85,
        0x2e1b_2138,
        0x4d2c_6dfc,
        0x5338_0d13,
        0x650a_7354,
        0x766a_0abb,
        0x81c2_c92e,
        0x9272_2c85,
        0xa2bf_e8a1,
        0xa81a_664b,
        0xc24b_8b70,
        0xc76c_51a3,
        0xd192_e819,
        0xd699_0624,
        0xf40e_3585,
        0x106a_a070,
        0x19a4_c116,
        0x1e37_6c08,
        0x2748_774c,
        0x34b0_bcb5,
        0x391c_0cb3,
        0x4ed8_aa4a,
        0x5b9c_ca4f,
        0x682e_6ff3,
        0x748f_82ee,
        0x78a5_636f,
        0x84c8_7814,
        0x8cc7_0208,
        0x90be_fffa,
        0xa450_6ceb,
        0xbef9_a3f7,
        0xc671_78f2,
    ];

    /// Whether this CPU has every feature `compress_pair` and its helpers
    /// are compiled with (std caches the answer; SSE2 is x86_64's baseline).
    pub(super) fn available() -> bool {
        std::is_x86_feature_detected!("sha")
            && std::is_x86_feature_detected!("sse4.1")
            && std::is_x86_feature_detected!("ssse3")
    }

    /// Four rounds of both lanes, `w` being their message words.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn rounds4(r: usize, abef: &mut [__m128i; 2], cdgh: &mut [__m128i; 2], w: [__m128i; 2]) {
        let k: &[u32; 4] = &K.as_chunks::<4>().0[r];
        // SAFETY: a 16-byte load from a 16-byte array.
        let k = unsafe { _mm_loadu_si128(k.as_ptr().cast()) };
        let t = [_mm_add_epi32(w[0], k), _mm_add_epi32(w[1], k)];
        cdgh[0] = _mm_sha256rnds2_epu32(cdgh[0], abef[0], t[0]);
        cdgh[1] = _mm_sha256rnds2_epu32(cdgh[1], abef[1], t[1]);
        let t = [_mm_shuffle_epi32(t[0], 0x0E), _mm_shuffle_epi32(t[1], 0x0E)];
        abef[0] = _mm_sha256rnds2_epu32(abef[0], cdgh[0], t[0]);
        abef[1] = _mm_sha256rnds2_epu32(abef[1], cdgh[1], t[1]);
    }

    /// Four rounds of one lane.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn rounds4_one(r: usize, abef: &mut __m128i, cdgh: &mut __m128i, w: __m128i) {
        let k: &[u32; 4] = &K.as_chunks::<4>().0[r];
        // SAFETY: a 16-byte load from a 16-byte array.
        let k = unsafe { _mm_loadu_si128(k.as_ptr().cast()) };
        let t = _mm_add_epi32(w, k);
        *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, t);
        *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(t, 0x0E));
    }

    /// Compresses `blocks` into `state`, one lane.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) fn compress_one(state: &mut [u32; 8], blocks: &[[u8; 64]]) {
        let (mut abef, mut cdgh) = load_state(state);
        for block in blocks {
            let (abef_save, cdgh_save) = (abef, cdgh);
            let mut w = [_mm_setzero_si128(); 4];
            for (i, wi) in w.iter_mut().enumerate() {
                *wi = load_words(block, i);
                rounds4_one(i, &mut abef, &mut cdgh, *wi);
            }
            for r in [4, 8, 12] {
                for i in 0..4 {
                    w[i] = schedule(w[i], w[(i + 1) % 4], w[(i + 2) % 4], w[(i + 3) % 4]);
                    rounds4_one(r + i, &mut abef, &mut cdgh, w[i]);
                }
            }
            abef = _mm_add_epi32(abef, abef_save);
            cdgh = _mm_add_epi32(cdgh, cdgh_save);
        }
        store_state(state, abef, cdgh);
    }

    /// The next four message words of one lane from the previous sixteen.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn schedule(w0: __m128i, w1: __m128i, w2: __m128i, w3: __m128i) -> __m128i {
        let t = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4));
        _mm_sha256msg2_epu32(t, w3)
    }

    /// Four message words of a block, as big-endian words.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn load_words(block: &[u8; 64], i: usize) -> __m128i {
        let swap = _mm_set_epi64x(0x0C0D_0E0F_0809_0A0B, 0x0405_0607_0001_0203);
        let bytes: &[u8; 16] = &block.as_chunks::<16>().0[i];
        // SAFETY: a 16-byte load from a 16-byte array.
        _mm_shuffle_epi8(unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }, swap)
    }

    /// The state as the SHA instructions take it: (ABEF, CDGH).
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn load_state(state: &[u32; 8]) -> (__m128i, __m128i) {
        // SAFETY: two 16-byte loads inside the 32-byte state.
        let (dcba, hgfe) = unsafe {
            (
                _mm_loadu_si128(state.as_ptr().cast()),
                _mm_loadu_si128(state.as_ptr().add(4).cast()),
            )
        };
        let cdab = _mm_shuffle_epi32(dcba, 0xB1);
        let efgh = _mm_shuffle_epi32(hgfe, 0x1B);
        (
            _mm_alignr_epi8(cdab, efgh, 8),
            _mm_blend_epi16(efgh, cdab, 0xF0),
        )
    }

    /// The state back in word order from (ABEF, CDGH).
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn store_state(state: &mut [u32; 8], abef: __m128i, cdgh: __m128i) {
        let feba = _mm_shuffle_epi32(abef, 0x1B);
        let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
        let (dcba, hgef) = (
            _mm_blend_epi16(feba, dchg, 0xF0),
            _mm_alignr_epi8(dchg, feba, 8),
        );
        // SAFETY: two 16-byte stores inside the 32-byte state.
        unsafe {
            _mm_storeu_si128(state.as_mut_ptr().cast(), dcba);
            _mm_storeu_si128(state.as_mut_ptr().add(4).cast(), hgef);
        }
    }

    /// Compresses `a` into `a_state` and `b` into `b_state`, a block of
    /// each at a time (the shorter slice decides how many).
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) fn compress_pair(
        a_state: &mut [u32; 8],
        a: &[[u8; 64]],
        b_state: &mut [u32; 8],
        b: &[[u8; 64]],
    ) {
        let (a0, a1) = load_state(a_state);
        let (b0, b1) = load_state(b_state);
        let mut abef = [a0, b0];
        let mut cdgh = [a1, b1];
        for (block_a, block_b) in a.iter().zip(b) {
            let (abef_save, cdgh_save) = (abef, cdgh);
            let mut w = [[_mm_setzero_si128(); 2]; 4];
            for (i, wi) in w.iter_mut().enumerate() {
                *wi = [load_words(block_a, i), load_words(block_b, i)];
                rounds4(i, &mut abef, &mut cdgh, *wi);
            }
            for r in [4, 8, 12] {
                for i in 0..4 {
                    let (w0, w1, w2, w3) = (w[i], w[(i + 1) % 4], w[(i + 2) % 4], w[(i + 3) % 4]);
                    w[i] = [
                        schedule(w0[0], w1[0], w2[0], w3[0]),
                        schedule(w0[1], w1[1], w2[1], w3[1]),
                    ];
                    rounds4(r + i, &mut abef, &mut cdgh, w[i]);
                }
            }
            for l in 0..2 {
                abef[l] = _mm_add_epi32(abef[l], abef_save[l]);
                cdgh[l] = _mm_add_epi32(cdgh[l], cdgh_save[l]);
            }
        }
        store_state(a_state, abef[0], cdgh[0]);
        store_state(b_state, abef[1], cdgh[1]);
    }
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

    #[test]
    fn one_stream_matches_sha2_at_every_padding_edge() {
        let data = bytes(300, 1);
        for len in 0..data.len() {
            for split in [0, 1, 55, 63, 64, 65].map(|s: usize| s.min(len)) {
                let mut s = Sha256Stream::default();
                s.update(&data[..split]);
                s.update(&data[split..len]);
                assert_eq!(s.finalize(), *Sha256::digest(&data[..len]), "{len}/{split}");
            }
        }
    }

    #[test]
    fn known_answers() {
        let hex = |s: Sha256Stream| hex::encode(s.finalize());
        assert_eq!(
            hex(Sha256Stream::default()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let mut abc = Sha256Stream::default();
        abc.update(b"abc");
        assert_eq!(
            hex(abc),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// Both lanes against sha2, over pieces of uneven sizes that leave the
    /// streams' incomplete blocks at different offsets, with one stream
    /// ahead of the other (on the path this CPU takes).
    #[test]
    fn pairs_match_sha2_whatever_the_pieces() {
        let a = bytes(70_000, 2);
        let b = bytes(93_000, 3);
        let pieces: &[(usize, usize)] = &[
            (0, 0),
            (1, 0),
            (0, 64),
            (63, 65),
            (64, 64),
            (3000, 4001),
            (129, 7),
            (0, 5000),
            (12_288, 16_384),
            (20_000, 1),
        ];
        let (mut pa, mut pb) = (Sha256Stream::default(), Sha256Stream::default());
        let (mut ia, mut ib) = (0, 0);
        for round in 0..3 {
            for &(na, nb) in pieces {
                let (na, nb) = (na.min(a.len() - ia), nb.min(b.len() - ib));
                update_pair(&mut pa, &a[ia..ia + na], &mut pb, &b[ib..ib + nb]);
                ia += na;
                ib += nb;
                // Intermediate digests too: finalizing a clone must not
                // disturb the stream.
                assert_eq!(pa.clone().finalize(), *Sha256::digest(&a[..ia]), "{round}");
                assert_eq!(pb.clone().finalize(), *Sha256::digest(&b[..ib]), "{round}");
            }
        }
        assert!(ia > 60_000 && ib > 70_000, "{ia} {ib}");
    }

    /// The two-lane SHA-NI code itself, called directly (`compress_pair`
    /// picks it only where the CPU has SHA-NI; the machines this project
    /// tests on have it, and the test fails rather than skip where not).
    #[test]
    fn two_lanes_agree_with_sha2s_one_lane() {
        let a = bytes(64 * 33, 4);
        let b = bytes(64 * 33, 5);
        let (ba, _) = a.as_chunks::<64>();
        let (bb, _) = b.as_chunks::<64>();
        let (mut ta, mut tb) = (IV, IV);
        compress256(&mut ta, ba);
        compress256(&mut tb, bb);
        let (mut sa, mut sb) = (IV, IV);
        compress_pair(&mut sa, ba, &mut sb, bb);
        assert_eq!((sa, sb), (ta, tb));
        #[cfg(target_arch = "x86_64")]
        {
            assert!(
                shani::available(),
                "this CPU has no SHA-NI: the two-lane code cannot be tested here"
            );
            for n in [0, 1, 2, 33] {
                let mut one = IV;
                // SAFETY: the CPU has the features (asserted above).
                unsafe { shani::compress_one(&mut one, &ba[..n]) };
                let mut reference = IV;
                compress256(&mut reference, &ba[..n]);
                assert_eq!(one, reference, "{n} blocks, one lane");
                let (mut sa, mut sb) = (IV, IV);
                // SAFETY: the CPU has the features (asserted above).
                unsafe { shani::compress_pair(&mut sa, &ba[..n], &mut sb, &bb[..n]) };
                let (mut ta, mut tb) = (IV, IV);
                compress256(&mut ta, &ba[..n]);
                compress256(&mut tb, &bb[..n]);
                assert_eq!((sa, sb), (ta, tb), "{n} blocks");
            }
        }
    }
}
