//! The per-connection query buffer: a byte queue whose unread bytes are always contiguous, so the parser can hand
//! out zero-copy argument slices.
//!
//! # Invariants
//! - `start <= end <= buf.len()`; unread bytes are `buf[start..end]`, free space is `buf[end..]`.
//! - An empty queue always has `start == end == 0` (reset on consume), so request/response traffic never needs to
//!   move bytes.
//! - The storage is always fully initialised (zeroed on allocation), so handing out `&mut [u8]` is sound without
//!   any `unsafe`.
//!
//! ```text
//!  0        start             end                 cap
//!  |consumed|  unread (parser) |   free (read into) |
//!  writable(min) when cap-end < min:  compact  ->  |unread|          free            |
//!                                     or grow  ->  |unread|          free                          |
//! ```
//!
//! # Compaction vs. double mapping
//! A classic wrap-around ring needs a double mapping (memfd + two adjacent mmaps of the same pages) to show wrapped
//! data contiguously. We compact instead (move the unread tail to the front) because:
//! - Compaction is rare and cheap: complete commands are consumed right after parsing, so the tail that gets moved is
//!   at most one partial command. We only compact when the unread part is at most half the capacity, so every move
//!   of k bytes is preceded by at least k freshly read bytes: amortised, each byte read is copied at most once more.
//!   With an empty queue (the common case) `consume` already resets to the front and nothing is moved at all.
//! - Double mapping costs 3+ syscalls per buffer creation and per resize (a resize cannot keep the mapping), two
//!   VMAs per connection (10k clients = 20k mappings, a third of Linux's default `vm.max_map_count`), page-granular
//!   sizes (≥ 8 KiB of address space for a small client), and it is not portable (no memfd on macOS/BSD).
//! - Big arguments, where copying would matter, never wrap: the reader asks for the whole remaining bulk in one
//!   `writable(missing)` call (see [`Parser::big_bulk_missing`](crate::resp::parse::Parser::big_bulk_missing)), so the
//!   buffer grows once to the exact size and the data is read straight into place, like Redis's
//!   `sdsMakeRoomForNonGreedy` path for arguments ≥ 32 KiB.
//!
//! The bench `benches/parser.rs` ("ring" group) measures a pipeline pushed through the ring in 16 KiB reads with
//! compaction included.
//!
//! # Memory
//! Growth doubles (amortised O(1) per byte), except that a request larger than double the capacity is honoured
//! exactly (big bulks). [`Ring::shrink_if_idle`] gives memory back following Redis's `clientsCronResizeQueryBuffer`:
//! only when at least 4 KiB would be freed; an idle client's buffer down to its content, otherwise a buffer above
//! 32 KiB and more than twice the peak use since the previous call (and the last size requested through
//! `writable`) down to that peak.
//!
//! # Tests
//! Unit tests below: wrap/compaction, growth for big bulks, shrink rules, and a randomized model check against a
//! `VecDeque`.

/// Redis's `PROTO_RESIZE_THRESHOLD`: buffers up to this size are never shrunk.
const RESIZE_THRESHOLD: usize = 32 * 1024;
/// Only shrink when at least this much would be freed.
const MIN_WASTE: usize = 4 * 1024;

#[derive(Debug)]
pub struct Ring {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Capacity given at creation: only an idle client's trim goes below it.
    base: usize,
    /// Most bytes held since the last `shrink_if_idle`.
    peak: usize,
    /// `len + min` of the latest `writable(min)`: what the owner said it needs soon (e.g. a big bulk). Forgotten
    /// when the queue drains.
    want: usize,
}

fn zeroed(n: usize) -> Box<[u8]> {
    vec![0u8; n].into_boxed_slice()
}

impl Ring {
    pub fn with_capacity(n: usize) -> Ring {
        Ring { buf: zeroed(n), start: 0, end: 0, base: n, peak: 0, want: 0 }
    }

    /// The unread bytes, contiguous.
    #[inline]
    pub fn readable(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Drops `n` bytes from the front (clamped to what is buffered).
    #[inline]
    pub fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.len(), "consume({n}) beyond len {}", self.len());
        self.start += n.min(self.len());
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            // Whatever was announced through writable() has been delivered and processed.
            self.want = 0;
        }
    }

    /// Contiguous free space of at least `min` bytes right after the unread bytes, compacting or growing as needed.
    /// Unread bytes may move; their content is unchanged (positions relative to `readable()` stay valid).
    pub fn writable(&mut self, min: usize) -> &mut [u8] {
        self.room(min, true)
    }

    /// [`Ring::writable`], but a buffer that must grow grows to exactly `len + min`, never doubles: for the bytes
    /// that arrive right behind a big argument already in place (a TLS session hands out all the plaintext it
    /// holds), which the command's run is about to consume, so that the buffer does not stay twice that size.
    pub fn writable_exact(&mut self, min: usize) -> &mut [u8] {
        self.room(min, false)
    }

    #[inline]
    fn room(&mut self, min: usize, double: bool) -> &mut [u8] {
        let len = self.len();
        self.want = len.saturating_add(min);
        if self.buf.len() - self.end < min {
            let cap = self.buf.len();
            if cap - len >= min && len <= cap / 2 {
                self.buf.copy_within(self.start..self.end, 0);
            } else {
                let needed = self.want;
                let new_cap =
                    if double && needed <= cap.saturating_mul(2) { cap.saturating_mul(2).max(needed) } else { needed };
                self.relocate(new_cap);
            }
            self.start = 0;
            self.end = len;
        }
        &mut self.buf[self.end..]
    }

    /// Marks `n` bytes written into the slice returned by `writable()` as readable.
    #[inline]
    pub fn commit(&mut self, n: usize) {
        debug_assert!(n <= self.buf.len() - self.end, "commit({n}) beyond free space");
        self.end += n.min(self.buf.len() - self.end);
        self.peak = self.peak.max(self.len());
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Allocated bytes.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Periodic (cron) trim, as Redis's `clientsCronResizeQueryBuffer`, when more than 4 KiB would be freed: the
    /// buffer of a client `idle` for more than two seconds shrinks to its content (nothing, usually); otherwise a
    /// buffer above 32 KiB and more than twice the peak use since the previous call (or the size last asked for
    /// through `writable`, a big bulk in progress) shrinks to that peak. The peak then restarts from the content.
    pub fn shrink_if_idle(&mut self, idle: bool) {
        let len = self.len();
        let cap = self.buf.len();
        let recent = self.peak.max(self.want);
        if cap - len > MIN_WASTE {
            let target = if idle {
                len
            } else if cap > RESIZE_THRESHOLD && cap / 2 > recent {
                recent.max(len).max(self.base)
            } else {
                cap
            };
            if target < cap {
                self.relocate(target);
                self.start = 0;
                self.end = len;
            }
        }
        self.peak = len;
    }

    /// Moves the unread bytes to the front of a new zeroed allocation of `new_cap` bytes. The caller fixes
    /// `start`/`end`.
    fn relocate(&mut self, new_cap: usize) {
        let mut nb = zeroed(new_cap);
        let len = self.len();
        nb[..len].copy_from_slice(&self.buf[self.start..self.end]);
        self.buf = nb;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(r: &mut Ring, data: &[u8]) {
        let w = r.writable(data.len());
        assert!(w.len() >= data.len());
        w[..data.len()].copy_from_slice(data);
        r.commit(data.len());
    }

    #[test]
    fn empty_consume_resets_to_front() {
        let mut r = Ring::with_capacity(16);
        push(&mut r, b"hello");
        r.consume(5);
        assert!(r.is_empty());
        assert_eq!(r.writable(16).len(), 16);
    }

    #[test]
    fn compacts_instead_of_growing_when_tail_is_small() {
        let mut r = Ring::with_capacity(16);
        push(&mut r, b"0123456789ab");
        r.consume(10);
        push(&mut r, b"cdefgh"); // 4 free at the tail, 14 in total: compacts.
        assert_eq!(r.readable(), b"abcdefgh");
        assert_eq!(r.capacity(), 16);
    }

    #[test]
    fn grows_when_mostly_full_and_keeps_content() {
        let mut r = Ring::with_capacity(16);
        push(&mut r, b"0123456789abc");
        r.consume(1);
        push(&mut r, b"XYZW");
        assert_eq!(r.readable(), b"123456789abcXYZW");
        assert_eq!(r.capacity(), 32);
    }

    #[test]
    fn big_request_grows_exactly() {
        let mut r = Ring::with_capacity(1024);
        push(&mut r, b"*1\r\n$1000000\r\nab");
        let len = r.len();
        let w = r.writable(1_000_000);
        assert_eq!(w.len(), 1_000_000);
        assert_eq!(r.capacity(), len + 1_000_000);
        assert_eq!(r.readable(), b"*1\r\n$1000000\r\nab");
    }

    #[test]
    fn exact_room_behind_a_full_buffer_does_not_double() {
        let mut r = Ring::with_capacity(1024);
        push(&mut r, &[1u8; 1024]);
        assert_eq!(r.writable_exact(100).len(), 100);
        assert_eq!(r.capacity(), 1124);
        assert_eq!(r.readable(), &[1u8; 1024][..]);
        // Room already there: nothing moves or grows.
        r.commit(50);
        assert_eq!(r.writable_exact(50).len(), 50);
        assert_eq!(r.capacity(), 1124);
        // The doubling kind, for comparison.
        assert_eq!(r.writable(100).len(), 2248 - 1074);
    }

    #[test]
    fn shrink_follows_peak_and_want() {
        let mut r = Ring::with_capacity(16 * 1024);
        push(&mut r, &vec![7u8; 200_000]);
        r.consume(200_000);
        // The peak of this period still covers the big buffer.
        r.shrink_if_idle(false);
        assert!(r.capacity() >= 200_000);
        // A whole idle period: released down to the base size.
        r.shrink_if_idle(false);
        assert_eq!(r.capacity(), 16 * 1024);
        // A pending big bulk (announced through writable) is not trimmed.
        let w = r.writable(100_000);
        w[..3].copy_from_slice(b"abc");
        r.commit(3);
        r.shrink_if_idle(false);
        r.shrink_if_idle(false);
        assert!(r.capacity() >= 100_000);
        assert_eq!(r.readable(), b"abc");
        // Small buffers are never touched.
        let mut s = Ring::with_capacity(1024);
        push(&mut s, &[1u8; 20_000]);
        s.consume(20_000);
        s.shrink_if_idle(false);
        s.shrink_if_idle(false);
        assert!(s.capacity() >= 20_000);
    }

    #[test]
    fn idle_trim_keeps_only_the_content() {
        // Any buffer wasting more than 4 KiB, small or not, shrinks to what it holds.
        let mut r = Ring::with_capacity(16 * 1024);
        r.shrink_if_idle(true);
        assert_eq!(r.capacity(), 0);
        push(&mut r, b"partial");
        assert!(r.capacity() >= 7);
        let mut big = Ring::with_capacity(0);
        push(&mut big, &[3u8; 50_000]);
        big.consume(49_990);
        big.shrink_if_idle(true);
        assert_eq!(big.capacity(), 10);
        assert_eq!(big.readable(), &[3u8; 10]);
        // Less than 4 KiB of waste: left alone.
        let mut small = Ring::with_capacity(4096);
        small.shrink_if_idle(true);
        assert_eq!(small.capacity(), 4096);
    }

    #[test]
    fn random_ops_match_a_deque_model() {
        let mut rng = crate::util::Rng::new(42);
        let mut r = Ring::with_capacity(8);
        let mut model = std::collections::VecDeque::new();
        let mut counter = 0u8;
        for _ in 0..20_000 {
            match rng.below(4) {
                0 | 1 => {
                    let n = rng.below(300) as usize;
                    let w = r.writable(n);
                    let k = n.min(w.len());
                    for b in &mut w[..k] {
                        counter = counter.wrapping_add(1);
                        *b = counter;
                        model.push_back(counter);
                    }
                    r.commit(k);
                }
                2 => {
                    let n = rng.below(r.len() as u64 + 1) as usize;
                    r.consume(n);
                    model.drain(..n);
                }
                _ => r.shrink_if_idle(rng.below(3) == 0),
            }
            assert_eq!(r.len(), model.len());
            assert!(r.readable().iter().eq(model.iter()));
            // The header's invariants: the unread bytes lie inside the buffer, and an empty queue sits at its front.
            assert!(r.start <= r.end && r.end <= r.buf.len());
            assert!(!r.is_empty() || (r.start, r.end) == (0, 0));
        }
    }
}
