//! The replication buffer (Redis 7.0's shared replication buffer): one list of blocks holding the replication stream,
//! shared by the backlog and every replica's output. A byte is stored once however many replicas still have to send it;
//! each replica only keeps the offset of the next byte it sends
//! ([`Replica::stream_off`](crate::state::repl::roles::Replica::stream_off)).
//!
//! ```text
//!   blocks (oldest first):  [start=101 ····full····][start=16485 ····full····][start=32869 ··used··|free]
//!                            ▲ first_offset()          ▲ a lagging replica's      end() = master offset + 1 ▲
//!                                                        stream_off pins this block and all later ones
//! ```
//!
//! The backlog is every block held: `histlen` bytes from `first_offset()` to `end() - 1`. [`Backlog::trim`] drops
//! the oldest block while the history beyond it still exceeds `repl-backlog-size` and no replica still needs a
//! byte of it, so a slow replica makes the backlog grow past its size (and a PSYNC can use all of it) until it
//! catches up or goes (Redis's `incrementalTrimReplicationBacklog`). Blocks are at least 16 KiB and at most
//! `repl-backlog-size / 16` (or one write's size between those), as Redis sizes its `replBufBlock`s.
//!
//! Invariants: blocks are contiguous in offsets (each `start` = the previous `start + len`); every block but the
//! last is full (`len == capacity`); `histlen` = the sum of their lengths; `mem` = the sum of their capacities
//! plus [`BLOCK_OVERHEAD`] each. Offsets are 1-based like Redis's: a backlog created at master offset N has its
//! first byte at N+1.
//!
//! Tested by the unit tests below (reading from any offset, trimming with and without pinned blocks, resizing,
//! rebasing) and end to end by tests/replication/replication.rs (`+CONTINUE` after a dropped link, the INFO memory
//! fields).

use std::collections::VecDeque;

/// Smallest backlog Redis accepts (`CONFIG_REPL_BACKLOG_MIN_SIZE`).
pub const MIN_SIZE: usize = 16 * 1024;

/// The backlog size the config asks for (`repl-backlog-size`, at least [`MIN_SIZE`]).
pub fn configured_size(config: &crate::config::Config) -> usize {
    config.stored_i64("repl-backlog-size").max(MIN_SIZE as i64) as usize
}

/// Smallest block (Redis's `PROTO_REPLY_CHUNK_BYTES`).
const BLOCK_MIN: usize = 16 * 1024;

/// Blocks dropped per [`Backlog::trim`] call at most, so freeing the history a gone replica pinned is spread over
/// several calls (Redis's `REPL_BACKLOG_TRIM_BLOCKS_PER_CALL` is 64 with smaller blocks).
pub const TRIM_BLOCKS_PER_CALL: usize = 256;

#[derive(Debug)]
struct Block {
    /// `len` = bytes used; the capacity is fixed when the block is made.
    data: Vec<u8>,
    /// Replication offset of its first byte.
    start: i64,
}

/// Bookkeeping memory counted per block besides its bytes (the block's entry in the list).
pub const BLOCK_OVERHEAD: usize = std::mem::size_of::<Block>();

/// What a block of `cap` bytes costs `used_memory`: the allocation as the allocator charges it (its header and
/// rounding) and the block's record, so the replication buffers' share, which eviction leaves out, is exactly what
/// they add to `used_memory` (a 16 KiB block is 16 bytes more than its capacity).
fn block_mem(cap: usize) -> usize {
    std::alloc::Layout::from_size_align(cap, 1).map_or(cap, crate::alloc::charged) + BLOCK_OVERHEAD
}

#[derive(Debug)]
pub struct Backlog {
    blocks: VecDeque<Block>,
    /// Offset of the next byte to be fed (the master offset + 1).
    end: i64,
    histlen: usize,
    /// `repl-backlog-size`: the history kept when no replica needs more.
    size: usize,
    /// Bytes allocated for the blocks (Redis's `repl_buffer_mem`).
    mem: usize,
}

impl Backlog {
    /// An empty backlog of `size` bytes whose first byte will be at replication offset `master_offset + 1`.
    pub fn new(size: usize, master_offset: i64) -> Backlog {
        Backlog { blocks: VecDeque::new(), end: master_offset + 1, histlen: 0, size: size.max(MIN_SIZE), mem: 0 }
    }

    /// The configured size (`repl-backlog-size`).
    pub fn size(&self) -> usize {
        self.size
    }

    pub fn histlen(&self) -> usize {
        self.histlen
    }

    /// `repl_backlog_first_byte_offset`.
    pub fn first_offset(&self) -> i64 {
        self.end - self.histlen as i64
    }

    /// Offset one past the newest byte.
    pub fn end(&self) -> i64 {
        self.end
    }

    /// Bytes allocated for the stream (INFO's `mem_total_replication_buffers`).
    pub fn mem(&self) -> usize {
        // The block records' array grows by doubling: its unused slots are allocated too.
        self.mem + (self.blocks.capacity() - self.blocks.len()) * BLOCK_OVERHEAD
    }

    /// Appends stream bytes: into the last block while it has room, then into new blocks.
    pub fn feed(&mut self, mut data: &[u8]) {
        let mut at = self.end;
        self.histlen += data.len();
        self.end += data.len() as i64;
        if let Some(tail) = self.blocks.back_mut() {
            let n = data.len().min(tail.data.capacity() - tail.data.len());
            tail.data.extend_from_slice(&data[..n]);
            data = &data[n..];
            at += n as i64;
        }
        let max_block = (self.size / 16).max(BLOCK_MIN);
        while !data.is_empty() {
            let mut v = Vec::with_capacity(data.len().clamp(BLOCK_MIN, max_block));
            let n = data.len().min(v.capacity());
            v.extend_from_slice(&data[..n]);
            self.mem += block_mem(v.capacity());
            self.blocks.push_back(Block { data: v, start: at });
            at += n as i64;
            data = &data[n..];
        }
    }

    /// Drops the oldest blocks (at most [`TRIM_BLOCKS_PER_CALL`]) while the history after them still holds more
    /// than `size` bytes and no replica needs them: `pinned` is the lowest offset a replica has yet to send
    /// ([`i64::MAX`] for none). The last block always stays. Returns whether blocks remain to be dropped.
    pub fn trim(&mut self, pinned: i64) -> bool {
        for _ in 0..TRIM_BLOCKS_PER_CALL {
            if self.blocks.len() <= 1 || self.histlen <= self.size {
                return false;
            }
            let first = &self.blocks[0];
            let len = first.data.len();
            if pinned < first.start + len as i64 || self.histlen - len <= self.size {
                return false;
            }
            self.histlen -= len;
            self.mem -= block_mem(first.data.capacity());
            self.blocks.pop_front();
        }
        true
    }

    /// Whether `offset` (the next byte a replica wants) can be served: from the oldest byte held up to one past
    /// the newest (nothing to send).
    pub fn can_serve(&self, offset: i64) -> bool {
        offset >= self.first_offset() && offset <= self.end
    }

    /// Index of the block holding `offset` (the last one when `offset` is `end`). `offset` must be servable.
    fn block_of(&self, offset: i64) -> usize {
        let i = self.blocks.partition_point(|b| b.start + b.data.len() as i64 <= offset);
        i.min(self.blocks.len().saturating_sub(1))
    }

    /// The bytes from `offset` to the end of the block holding it (empty at `end` or for an offset not held).
    pub fn slice_from(&self, offset: i64) -> &[u8] {
        if !self.can_serve(offset) || offset == self.end {
            return &[];
        }
        let b = &self.blocks[self.block_of(offset)];
        &b.data[(offset - b.start) as usize..]
    }

    /// Appends to `out` every byte from replication offset `offset` on; returns how many. `offset` must pass
    /// [`Backlog::can_serve`] (otherwise nothing is copied).
    pub fn copy_from(&self, mut offset: i64, out: &mut Vec<u8>) -> usize {
        let mut n = 0;
        loop {
            let s = self.slice_from(offset);
            if s.is_empty() {
                return n;
            }
            out.extend_from_slice(s);
            n += s.len();
            offset += s.len() as i64;
        }
    }

    /// What a replica whose next byte is `offset` holds of the buffer, as Redis's
    /// `getClientOutputBufferMemoryUsage` counts a replica: from the start of the block holding that byte to the
    /// end of the last block's room, plus the blocks' overhead. 0 when nothing is left to send.
    pub fn held_from(&self, offset: i64) -> usize {
        if offset >= self.end || self.blocks.is_empty() {
            return 0;
        }
        let i = self.block_of(offset.max(self.first_offset()));
        let last = &self.blocks[self.blocks.len() - 1];
        let bytes = last.start + last.data.capacity() as i64 - self.blocks[i].start;
        bytes as usize + (self.blocks.len() - i) * BLOCK_OVERHEAD
    }

    /// Moves every held byte `by` offsets on: a master restarted from its RDB made the backlog at offset 0 for
    /// the load, then learns the file's offset (Redis's `rebaseReplicationBuffer`).
    pub fn rebase(&mut self, by: i64) {
        self.end += by;
        for b in &mut self.blocks {
            b.start += by;
        }
    }

    /// CONFIG SET repl-backlog-size: the next trims keep that much history.
    pub fn set_size(&mut self, size: usize) {
        self.size = size.max(MIN_SIZE);
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

    fn check_invariants(b: &Backlog) {
        let mut at = b.first_offset();
        let (mut hist, mut mem) = (0, 0);
        for (i, blk) in b.blocks.iter().enumerate() {
            assert_eq!(blk.start, at);
            if i + 1 < b.blocks.len() {
                assert_eq!(blk.data.len(), blk.data.capacity());
            }
            at += blk.data.len() as i64;
            hist += blk.data.len();
            mem += block_mem(blk.data.capacity());
        }
        assert_eq!((at, hist, mem), (b.end(), b.histlen(), b.mem));
    }

    #[test]
    fn feeds_and_reads_from_any_offset() {
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
        assert!(b.slice_from(112).is_empty());
        check_invariants(&b);
    }

    #[test]
    fn trims_to_the_size_unless_a_replica_needs_the_blocks() {
        let mut b = Backlog::new(MIN_SIZE, 0);
        let chunk: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let mut stream = Vec::new();
        for _ in 0..200 {
            b.feed(&chunk);
            stream.extend_from_slice(&chunk);
            check_invariants(&b);
        }
        // A replica still at offset 1 keeps everything.
        b.trim(1);
        assert_eq!(all(&b), stream);
        assert!(b.held_from(1) >= stream.len());
        // Without one, the history comes down to the size (whole blocks: at most one block more).
        b.trim(i64::MAX);
        check_invariants(&b);
        assert!(b.histlen() > MIN_SIZE && b.histlen() <= MIN_SIZE + BLOCK_MIN, "{}", b.histlen());
        assert_eq!(all(&b), &stream[stream.len() - b.histlen()..]);
        // Every servable offset gives the exact tail of the stream.
        for off in [b.first_offset(), b.first_offset() + 1, b.first_offset() + 5000, 1 + stream.len() as i64] {
            let mut v = Vec::new();
            b.copy_from(off, &mut v);
            assert_eq!(v, &stream[(off - 1) as usize..], "offset {off}");
        }
        assert_eq!(b.held_from(b.end()), 0);
        // A single write larger than a block spans several.
        let big: Vec<u8> = (0..MIN_SIZE * 3 + 7).map(|i| (i % 13) as u8).collect();
        b.feed(&big);
        stream.extend_from_slice(&big);
        check_invariants(&b);
        b.trim(i64::MAX);
        assert_eq!(all(&b), &stream[stream.len() - b.histlen()..]);
    }

    #[test]
    fn trimming_is_bounded_per_call() {
        let mut b = Backlog::new(MIN_SIZE, 0);
        let chunk = vec![7u8; BLOCK_MIN];
        for _ in 0..TRIM_BLOCKS_PER_CALL + 10 {
            b.feed(&chunk);
        }
        assert!(b.trim(i64::MAX));
        assert!(!b.trim(i64::MAX));
        // Dropping one more block would leave no more than the size: it stays (Redis's rule).
        assert_eq!(b.histlen(), MIN_SIZE + BLOCK_MIN);
        check_invariants(&b);
    }

    #[test]
    fn resize_and_rebase() {
        let mut b = Backlog::new(MIN_SIZE * 4, 0);
        let data: Vec<u8> = (0..MIN_SIZE * 4).map(|i| (i % 7) as u8).collect();
        b.feed(&data);
        b.set_size(MIN_SIZE);
        b.trim(i64::MAX);
        assert_eq!(b.histlen(), MIN_SIZE + BLOCK_MIN);
        assert_eq!(all(&b), &data[data.len() - b.histlen()..]);
        let mut r = Backlog::new(MIN_SIZE, 0);
        r.feed(b"*1\r\n$4\r\nPING\r\n");
        r.rebase(1000);
        assert_eq!((r.first_offset(), r.end()), (1001, 1015));
        let mut v = Vec::new();
        r.copy_from(1005, &mut v);
        assert_eq!(v, b"$4\r\nPING\r\n");
        check_invariants(&r);
    }
}
