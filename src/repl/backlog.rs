//! The replication backlog: the last `size` bytes of the replication stream, so a replica that lost its link
//! for a moment can continue from its offset (`PSYNC replid offset` → `+CONTINUE`) instead of a full resync.
//!
//! ```text
//!   buf (capacity = repl-backlog-size, allocated once):
//!   ┌──────────────┬───────────────────────────────┐
//!   │ newest bytes │ oldest bytes (wrapped around) │
//!   └──────────────┴───────────────────────────────┘
//!                  ▲ idx: where the next byte goes
//!   offset  = replication offset of the oldest byte held (repl_backlog_first_byte_offset)
//!   histlen = bytes held (≤ capacity); offset + histlen - 1 = the master's repl offset
//! ```
//!
//! Invariants: `histlen <= buf.len()`; once full, `idx` is also where the oldest byte sits. Offsets are 1-based
//! like Redis's: a backlog created at master offset N has `offset` N+1.
//!
//! Tested by the unit tests below (wrap-around, reading from any offset, resize keeping the newest bytes) and end
//! to end by tests/replication.rs (`+CONTINUE` after a dropped link).

/// Smallest backlog Redis accepts (`CONFIG_REPL_BACKLOG_MIN_SIZE`).
pub const MIN_SIZE: usize = 16 * 1024;

#[derive(Debug)]
pub struct Backlog {
    buf: Vec<u8>,
    /// Next write position.
    idx: usize,
    histlen: usize,
    /// Replication offset of the oldest byte held.
    offset: i64,
}

impl Backlog {
    /// An empty backlog of `size` bytes whose first byte will be at replication offset `master_offset + 1`.
    pub fn new(size: usize, master_offset: i64) -> Backlog {
        Backlog { buf: vec![0; size.max(MIN_SIZE)], idx: 0, histlen: 0, offset: master_offset + 1 }
    }

    pub fn size(&self) -> usize {
        self.buf.len()
    }

    pub fn histlen(&self) -> usize {
        self.histlen
    }

    /// `repl_backlog_first_byte_offset`.
    pub fn first_offset(&self) -> i64 {
        self.offset
    }

    /// Appends stream bytes, dropping the oldest ones past the capacity.
    pub fn feed(&mut self, data: &[u8]) {
        let cap = self.buf.len();
        let end = self.offset + (self.histlen + data.len()) as i64;
        // Only the newest `cap` bytes of a write larger than the buffer can stay.
        let data = &data[data.len().saturating_sub(cap)..];
        let first = data.len().min(cap - self.idx);
        self.buf[self.idx..self.idx + first].copy_from_slice(&data[..first]);
        let rest = data.len() - first;
        self.buf[..rest].copy_from_slice(&data[first..]);
        self.idx = (self.idx + data.len()) % cap;
        self.histlen = (self.histlen + data.len()).min(cap);
        self.offset = end - self.histlen as i64;
    }

    /// Whether `offset` (the next byte a replica wants) can be served: from the oldest byte held up to one past
    /// the newest (nothing to send).
    pub fn can_serve(&self, offset: i64) -> bool {
        offset >= self.offset && offset <= self.offset + self.histlen as i64
    }

    /// Appends to `out` every byte from replication offset `offset` on; returns how many. `offset` must pass
    /// [`Backlog::can_serve`] (otherwise nothing is copied).
    pub fn copy_from(&self, offset: i64, out: &mut Vec<u8>) -> usize {
        if !self.can_serve(offset) {
            return 0;
        }
        let skip = (offset - self.offset) as usize;
        let len = self.histlen - skip;
        let cap = self.buf.len();
        // Position of the oldest byte, then of the first wanted one.
        let start = (self.idx + cap - self.histlen + skip) % cap;
        let first = len.min(cap - start);
        out.extend_from_slice(&self.buf[start..start + first]);
        out.extend_from_slice(&self.buf[..len - first]);
        len
    }

    /// Moves every held byte `by` offsets on: a master restarted from its RDB made the backlog at offset 0 for
    /// the load, then learns the file's offset (Redis's `rebaseReplicationBuffer`).
    pub fn rebase(&mut self, by: i64) {
        self.offset += by;
    }

    /// Changes the capacity (CONFIG SET repl-backlog-size), keeping the newest bytes that fit.
    pub fn resize(&mut self, size: usize) {
        let size = size.max(MIN_SIZE);
        if size == self.buf.len() {
            return;
        }
        let mut held = Vec::with_capacity(self.histlen);
        let newest = self.offset + self.histlen as i64;
        self.copy_from(self.offset, &mut held);
        let keep = held.len().min(size);
        let mut fresh = Backlog { buf: vec![0; size], idx: 0, histlen: 0, offset: newest - keep as i64 };
        fresh.feed(&held[held.len() - keep..]);
        *self = fresh;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(b: &Backlog) -> Vec<u8> {
        let mut v = Vec::new();
        b.copy_from(b.first_offset(), &mut v);
        v
    }

    #[test]
    fn feeds_and_reads_before_wrapping() {
        let mut b = Backlog::new(MIN_SIZE, 100);
        assert_eq!(b.first_offset(), 101);
        b.feed(b"hello");
        b.feed(b" world");
        assert_eq!(b.histlen(), 11);
        assert_eq!(all(&b), b"hello world");
        let mut v = Vec::new();
        assert_eq!(b.copy_from(107, &mut v), 5);
        assert_eq!(v, b"world");
        // One past the newest byte: servable, nothing to send. Beyond, or before the oldest: not servable.
        assert!(b.can_serve(112) && !b.can_serve(113) && !b.can_serve(100));
    }

    #[test]
    fn wraps_and_drops_the_oldest() {
        let mut b = Backlog::new(MIN_SIZE, 0);
        let chunk: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let mut stream = Vec::new();
        for _ in 0..40 {
            b.feed(&chunk);
            stream.extend_from_slice(&chunk);
        }
        assert_eq!(b.histlen(), MIN_SIZE);
        assert_eq!(b.first_offset(), 1 + (stream.len() - MIN_SIZE) as i64);
        assert_eq!(all(&b), &stream[stream.len() - MIN_SIZE..]);
        // Every servable offset gives the exact tail of the stream.
        for off in [b.first_offset(), b.first_offset() + 1, b.first_offset() + 5000, 1 + stream.len() as i64] {
            let mut v = Vec::new();
            b.copy_from(off, &mut v);
            assert_eq!(v, &stream[(off - 1) as usize..], "offset {off}");
        }
        // A single write larger than the buffer keeps its tail.
        let big: Vec<u8> = (0..MIN_SIZE * 2 + 7).map(|i| (i % 13) as u8).collect();
        b.feed(&big);
        stream.extend_from_slice(&big);
        assert_eq!(all(&b), &stream[stream.len() - MIN_SIZE..]);
        assert_eq!(b.first_offset(), 1 + (stream.len() - MIN_SIZE) as i64);
    }

    #[test]
    fn resize_keeps_the_newest_bytes() {
        let mut b = Backlog::new(MIN_SIZE * 2, 10);
        let data: Vec<u8> = (0..MIN_SIZE * 2 - 3).map(|i| (i % 7) as u8).collect();
        b.feed(&data);
        b.resize(MIN_SIZE);
        assert_eq!(b.size(), MIN_SIZE);
        assert_eq!(all(&b), &data[data.len() - MIN_SIZE..]);
        assert_eq!(b.first_offset() + b.histlen() as i64, 11 + data.len() as i64);
        b.resize(MIN_SIZE * 4);
        assert_eq!(all(&b), &data[data.len() - MIN_SIZE..]);
        b.feed(b"xyz");
        let mut v = Vec::new();
        b.copy_from(11 + data.len() as i64, &mut v);
        assert_eq!(v, b"xyz");
    }
}
