//! Client eviction (`maxmemory-clients`, Redis 7.0's `evictClients`): when the connections together hold more
//! memory than the limit, the biggest are closed until the total is back under it.
//!
//! What a client costs is [`client_memory`], Redis's `getClientMemoryUsage`: it is counted in
//! [`net::client`](crate::net::client), beside the buffers and records it measures (whose doc says what it counts).
//! What the tracker remembers of a client ([`Tracked`]) is kept in the client, and defined there.
//!
//! Evictable clients sit in one of [`BUCKETS`] buckets by the base-2 logarithm of their memory, as in Redis:
//!
//! ```text
//!   bucket 0        1        2              18
//!        [≤32K) [32K,64K) [64K,128K)  ... [4G,∞)        eviction walks from the top bucket down,
//!          │        │                        │           oldest client id first inside a bucket
//!        {ids}    {ids}                    {ids}
//! ```
//!
//! Invariants: `total` is the sum of [`Tracked::mem`](crate::net::client::Tracked::mem) over every tracked client
//! (evictable or not, as Redis sums `stat_clients_type_memory` of normal and pub/sub clients); a client is in exactly
//! the bucket its [`Tracked::bucket`](crate::net::client::Tracked::bucket) names, or in none when it is `None`. Every
//! tracked client is forgotten ([`ClientMem::forget`]) before it is freed.
//!
//! The server updates a client after each command, after a read and after a write while a limit is set, and every
//! client once a second from the cron (so turning the limit on with CONFIG SET reaches idle clients); it evicts
//! before each command and before sleeping. Tested by the unit tests below and `tests/operations/client_eviction.rs`.

use crate::config::Config;
use crate::net::client::{client_memory, flags, Client, Tracked};
use std::collections::BTreeMap;

/// Smallest bucket: clients up to 2^15 bytes (Redis's `CLIENT_MEM_USAGE_BUCKET_MIN_LOG`).
pub const BUCKET_MIN_LOG: u32 = 15;
/// Largest bucket: clients of 2^32 bytes and more (Redis's `CLIENT_MEM_USAGE_BUCKET_MAX_LOG`).
pub const BUCKET_MAX_LOG: u32 = 33;
pub const BUCKETS: usize = (1 + BUCKET_MAX_LOG - BUCKET_MIN_LOG) as usize;
/// A limit below this is raised to it, so a bad setting cannot lock every client out (Redis's 128 KiB floor).
pub const MIN_LIMIT_BYTES: u64 = 128 * 1024;

const _: () = assert!(BUCKET_MIN_LOG < BUCKET_MAX_LOG && BUCKETS <= u8::MAX as usize);

/// The eviction limit in bytes for the current configuration, 0 when client eviction is off (Redis's
/// `getClientEvictionLimit`): a percentage applies to `maxmemory` and means "off" while `maxmemory` is 0.
pub fn limit_bytes(config: &Config) -> u64 {
    let v = config.maxmemory_clients;
    let limit = if v < 0 {
        if config.maxmemory == 0 {
            return 0;
        }
        (config.maxmemory as f64 * (-v) as f64 / 100.0) as u64
    } else if v > 0 {
        v as u64
    } else {
        return 0;
    };
    limit.max(MIN_LIMIT_BYTES)
}

/// Bucket index for a memory figure: log2 rounded up into [`BUCKET_MIN_LOG`, `BUCKET_MAX_LOG`].
fn bucket_of(mem: usize) -> u8 {
    let bits = usize::BITS - mem.leading_zeros();
    (bits.clamp(BUCKET_MIN_LOG, BUCKET_MAX_LOG) - BUCKET_MIN_LOG) as u8
}

/// The buckets and the running total.
#[derive(Debug)]
pub struct ClientMem {
    /// Per bucket: client id → fd.
    buckets: Vec<BTreeMap<u64, i32>>,
    /// Per bucket: memory of its clients together.
    sums: Vec<usize>,
    total: usize,
}

impl Default for ClientMem {
    fn default() -> Self {
        ClientMem { buckets: vec![BTreeMap::new(); BUCKETS], sums: vec![0; BUCKETS], total: 0 }
    }
}

impl ClientMem {
    /// Memory of every tracked client together.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Recounts `c` and moves it to its bucket (out of them when it cannot be evicted: `CLIENT NO-EVICT on`, or
    /// no limit configured). Returns the client's memory.
    pub fn update(&mut self, c: &mut Client, limit: u64) -> usize {
        let mem = client_memory(c);
        self.total = self.total - c.mem.mem + mem;
        let want = (limit > 0 && !c.state.has(flags::NO_EVICT)).then(|| bucket_of(mem));
        if let Some(b) = c.mem.bucket {
            self.sums[b as usize] -= c.mem.mem;
        }
        if let Some(b) = want {
            self.sums[b as usize] += mem;
        }
        c.mem.mem = mem;
        if want != c.mem.bucket {
            if let Some(b) = c.mem.bucket {
                self.buckets[b as usize].remove(&c.state.id);
            }
            if let Some(b) = want {
                self.buckets[b as usize].insert(c.state.id, c.state.fd);
            }
            c.mem.bucket = want;
        }
        mem
    }

    /// Takes a client out of the accounting (it is being freed or evicted).
    pub fn forget(&mut self, c: &mut Client) {
        self.forget_tracked(c.state.id, &mut c.mem);
    }

    /// [`ClientMem::forget`] for a client split into its parts (the running one).
    pub fn forget_tracked(&mut self, id: u64, t: &mut Tracked) {
        self.total -= t.mem;
        if let Some(b) = t.bucket.take() {
            self.buckets[b as usize].remove(&id);
            self.sums[b as usize] -= t.mem;
        }
        *t = Tracked::default();
    }

    /// Whether the clients together are at or over `limit` (Redis evicts while `total >= limit`).
    pub fn over(&self, limit: u64) -> bool {
        limit > 0 && self.total as u64 >= limit
    }

    /// DEBUG CLIENT-EVICTION: one line per bucket with its range, memory and number of clients, as Redis 7.0
    /// prints them.
    pub fn debug_text(&self) -> String {
        let mut out = String::new();
        for j in 0..BUCKETS {
            if j == 0 {
                out.push_str("bucket          0");
            } else {
                out.push_str(&format!("bucket {:10}", 1u64 << (j as u32 - 1 + BUCKET_MIN_LOG)));
            }
            if j == BUCKETS - 1 {
                out.push_str("+            : ");
            } else {
                out.push_str(&format!(" - {:10}: ", (1u64 << (j as u32 + BUCKET_MIN_LOG)) - 1));
            }
            out.push_str(&format!("tot-mem: {:10}, clients: {}\n", self.sums[j], self.buckets[j].len()));
        }
        out
    }

    /// The evictable clients in eviction order: biggest bucket first, lower ids first inside a bucket.
    pub fn candidates(&self) -> Vec<(u64, i32)> {
        self.buckets.iter().rev().flat_map(|b| b.iter().map(|(&id, &fd)| (id, fd))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::client::ClientState;

    fn client(id: u64) -> Client {
        Client::new(ClientState::new(id, id as i32, String::new(), String::new(), 0), None)
    }

    #[test]
    fn buckets_follow_log2_with_floor_and_ceiling() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(32 * 1024 - 1), 0);
        assert_eq!(bucket_of(32 * 1024), 1);
        assert_eq!(bucket_of(64 * 1024), 2);
        assert_eq!(bucket_of(usize::MAX), (BUCKETS - 1) as u8);
    }

    #[test]
    fn limit_forms() {
        let mut c = Config::default();
        assert_eq!(limit_bytes(&c), 0);
        c.maxmemory_clients = 1;
        assert_eq!(limit_bytes(&c), MIN_LIMIT_BYTES);
        c.maxmemory_clients = 10 << 20;
        assert_eq!(limit_bytes(&c), 10 << 20);
        c.maxmemory_clients = -10;
        assert_eq!(limit_bytes(&c), 0, "a percentage without maxmemory is off");
        c.maxmemory = 100 << 20;
        assert_eq!(limit_bytes(&c), 10 << 20);
    }

    #[test]
    fn total_and_order_track_updates() {
        let mut m = ClientMem::default();
        let (mut a, mut b, mut n) = (client(1), client(2), client(3));
        a.state.reply.buf.reserve(1 << 20);
        b.state.reply.buf.reserve(100 << 10);
        n.state.flags |= flags::NO_EVICT;
        n.state.reply.buf.reserve(4 << 20);
        let total = m.update(&mut a, 1) + m.update(&mut b, 1) + m.update(&mut n, 1);
        assert_eq!(m.total(), total);
        // The NO-EVICT client counts in the total but is never a candidate; the biggest goes first.
        assert_eq!(m.candidates(), vec![(1, 1), (2, 2)]);
        m.forget(&mut a);
        assert_eq!(m.candidates(), vec![(2, 2)]);
        assert_eq!(m.total(), total - client_memory(&a));
        // Without a limit nobody is a candidate, but the memory is still counted.
        m.update(&mut b, 0);
        assert!(m.candidates().is_empty());
        m.forget(&mut b);
        m.forget(&mut n);
        assert_eq!(m.total(), 0);
    }
}
