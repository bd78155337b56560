//! MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP, and the memory breakdown `INFO memory` shares
//! with them ([`MemFigures`], Redis's `getMemoryOverheadData`).
//!
//! Figures: `used_memory` is the counting allocator's O(1) total ([`crate::alloc::used_memory`]); the overhead is
//! the startup memory plus client buffers, the AOF buffer and the keyspace tables' own arrays; the dataset is the
//! rest. MEMORY USAGE reports the bytes of our representation: the entry's slab chunk, its out-of-line buffers or
//! collection (big collections sampled like Redis: the first `SAMPLES` elements stand for all), and its share of
//! the table. Tested by the unit tests below and `tests/types/memory_accounting.rs` (replies and errors byte-identical
//! to Redis 7.0; USAGE against the used_memory delta of a big key).

use super::shared::int_arg;
use super::shared::reply_help;
use super::{Args, Ctx};
use crate::keyspace::object::{Entry, Value};
use crate::state::ServerState;
use std::alloc::Layout;

/// Redis's default `SAMPLES` for MEMORY USAGE (`OBJ_COMPUTE_SIZE_DEF_SAMPLES`).
const DEFAULT_SAMPLES: usize = 5;

/// The memory breakdown of MEMORY STATS and INFO memory (Redis's `redisMemOverhead`).
#[derive(Debug, Clone, Default)]
pub struct MemFigures {
    pub used: u64,
    pub peak: u64,
    pub startup: u64,
    pub rss: u64,
    pub clients_normal: u64,
    /// INFO's replication memory as Redis 7.0 reports its shared replication buffer: `repl_buffers` is what the
    /// buffer's blocks take; up to `repl-backlog-size` of it is the backlog's, the rest (with replicas) the
    /// replicas' (`clients_slaves`).
    pub clients_slaves: u64,
    pub repl_backlog: u64,
    pub repl_buffers: u64,
    /// What replication allocates, for the overhead: the shared buffer and the replica clients (their own
    /// output holds payload windows).
    pub repl_allocated: u64,
    pub aof_buffer: u64,
    /// Per non-empty database: (id, main table bytes, bytes of the TTL fields in the entries).
    pub dbs: Vec<(usize, u64, u64)>,
    pub overhead: u64,
    pub keys: u64,
    pub dataset: u64,
    pub allocated: u64,
    pub active: u64,
    pub resident: u64,
}

impl MemFigures {
    /// Collects the figures; `caller_mem` is the calling client's memory (it is not in the client table while its
    /// command runs).
    pub fn collect(srv: &ServerState, caller_mem: usize) -> MemFigures {
        let used = crate::alloc::used_memory();
        let mut f = MemFigures {
            used,
            peak: srv.stats.peak_memory.max(used),
            startup: srv.identity.startup_memory.min(used),
            rss: crate::sys::process::rss_memory(),
            ..MemFigures::default()
        };
        use crate::net::client::flags;
        let is_replica = |c: &crate::net::client::ClientState| c.has(flags::REPLICA) && !c.has(flags::MONITOR);
        let (mut normal, mut replicas) = (caller_mem as u64, 0u64);
        for c in srv.clients.by_fd.iter().flatten() {
            if is_replica(&c.state) {
                replicas += c.state.conn.tot_mem as u64;
            } else {
                normal += c.state.conn.tot_mem as u64;
            }
        }
        f.clients_normal = normal;
        f.repl_buffers = srv.repl.backlog.as_ref().map_or(0, |b| b.mem() as u64);
        let size = crate::state::repl::backlog::configured_size(&srv.config) as u64;
        (f.repl_backlog, f.clients_slaves) = if !srv.repl.replicas.is_empty() && f.repl_buffers > size {
            (size, f.repl_buffers - size)
        } else {
            (f.repl_buffers, 0)
        };
        f.repl_allocated = f.repl_buffers + replicas;
        f.aof_buffer = srv.prop.aof.as_ref().map_or(0, |w| w.buffer_bytes() as u64);
        let mut tables = 0u64;
        for db in srv.dbs.iter().filter(|d| !d.is_empty()) {
            let main = db.table_bytes() as u64;
            // TTLs live in the entries: 8 bytes each, no table of their own.
            let expires = db.expires_len() as u64 * 8;
            tables += main + expires;
            f.keys += db.len() as u64;
            f.dbs.push((db.id, main, expires));
        }
        f.overhead = f.startup + f.clients_normal + f.repl_allocated + f.aof_buffer + tables;
        f.dataset = used.saturating_sub(f.overhead);
        (f.allocated, f.active, f.resident) = crate::alloc::allocator_stats();
        f
    }

    /// `used - startup`, at least 1 (Redis's `net_usage`).
    pub fn net(&self) -> u64 {
        self.used.saturating_sub(self.startup).max(1)
    }

    pub fn dataset_perc(&self) -> f64 {
        ratio_f32(self.dataset as f64 * 100.0, self.net() as f64)
    }

    pub fn peak_perc(&self) -> f64 {
        ratio_f32(self.used as f64 * 100.0, self.peak as f64)
    }

    pub fn bytes_per_key(&self) -> u64 {
        self.net().checked_div(self.keys).unwrap_or(0)
    }

    pub fn allocator_frag(&self) -> f64 {
        ratio_f32(self.active as f64, self.allocated as f64)
    }

    pub fn allocator_rss(&self) -> f64 {
        ratio_f32(self.resident as f64, self.active as f64)
    }

    pub fn rss_extra(&self) -> f64 {
        ratio_f32(self.rss as f64, self.resident as f64)
    }

    /// RSS over used memory (`mem_fragmentation_ratio`).
    pub fn total_frag(&self) -> f64 {
        ratio_f32(self.rss as f64, self.used as f64)
    }
}

/// `a / b` computed in single precision as Redis does (its ratios are `float`s), 0 when `b` is 0.
fn ratio_f32(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        (a as f32 / b as f32) as f64
    }
}

/// What one out-of-line heap buffer of `n` bytes costs (the allocator's chunk).
fn heap(n: usize) -> usize {
    match Layout::array::<u8>(n) {
        Ok(l) if n > 0 => crate::alloc::charged(l),
        _ => 0,
    }
}

/// Bytes of a collection value, the elements' out-of-line bytes estimated from the first `samples`.
fn value_bytes(v: &Value, samples: usize) -> usize {
    use crate::keyspace::types::{
        hash::HashPair, hash::View, list::List, sampled_sum, set::Set, zset::ZEntry, zset::ZSet,
    };
    match v {
        Value::List(List::ListPack(lp)) => lp.alloc_bytes(),
        Value::List(List::QuickList(q)) => std::mem::size_of_val(&**q) + q.alloc_bytes_sampled(samples),
        Value::Hash(h) => match h.view() {
            View::ListPack(lp) => lp.alloc_bytes(),
            View::ListPackEx(x) => std::mem::size_of_val(x) + x.lp.alloc_bytes(),
            View::HashTable(d) => {
                let pair = |p: &HashPair| match p {
                    HashPair::Inline { .. } | HashPair::InlineTtl { .. } => 0,
                    HashPair::Heap { data, .. } | HashPair::HeapTtl { data, .. } => heap(data.len()),
                };
                std::mem::size_of_val(d) + d.table_bytes() + sampled_sum(d.iter().map(pair), d.len(), samples)
            }
        },
        Value::Set(Set::IntSet(s)) => s.alloc_bytes(),
        Value::Set(Set::HashTable(d)) => {
            let member = d.iter().map(|m| heap(m.heap_bytes()));
            std::mem::size_of_val(&**d) + d.table_bytes() + sampled_sum(member, d.len(), samples)
        }
        Value::ZSet(ZSet::ListPack(lp)) => lp.alloc_bytes(),
        Value::ZSet(ZSet::SkipList(z)) => {
            let member = |e: &ZEntry| match e {
                ZEntry::Inline { .. } => 0,
                ZEntry::Heap { data, .. } => heap(data.len()),
            };
            std::mem::size_of_val(&**z)
                + z.dict.table_bytes()
                + z.list.alloc_bytes_sampled(samples)
                + sampled_sum(z.dict.iter().map(member), z.dict.len(), samples)
        }
        // Every node and group counted (Redis samples nodes too, but a stream's nodes are few and its structure
        // is what the figure is for).
        Value::Stream(st) => std::mem::size_of_val(&**st) + st.alloc_bytes(),
        Value::Json(j) => j.heap_bytes(),
        // What RedisBloom's `mem_usage` callback reports, as Redis's MEMORY USAGE asks the module.
        Value::Prob(p) => p.alloc_bytes(),
    }
}

/// Bytes `MEMORY USAGE` reports for an entry: its slab chunk, then a string's buffer or a collection's bytes
/// (elements' out-of-line bytes at the allocator's chunk sizes, estimated from the first `samples` elements), plus
/// the entry's slot in the table.
pub fn entry_usage(e: &Entry, slot_bytes: usize, samples: usize) -> usize {
    let body = match e.value() {
        Some(v) => e.chunk_bytes() + value_bytes(v, samples),
        // A raw string's buffer is a malloc chunk: count its header and rounding too.
        None => match e.raw_capacity() {
            Some(cap) if cap > 0 => e.memory_usage() - cap + heap(cap),
            _ => e.memory_usage(),
        },
    };
    body + slot_bytes
}

/// MEMORY USAGE key [SAMPLES count]
pub fn memory_usage(ctx: &mut Ctx, args: Args) {
    let mut samples = DEFAULT_SAMPLES;
    let mut j = 3;
    while j < args.len() {
        if args.is(j, "samples") && j + 1 < args.len() {
            let Some(n) = int_arg(ctx.reply(), args.get(j + 1)) else { return };
            if n < 0 {
                ctx.reply().err_syntax();
                return;
            }
            samples = if n == 0 { usize::MAX } else { n as usize };
            j += 2;
        } else {
            ctx.reply().err_syntax();
            return;
        }
    }
    // Like Redis, this peeks at the table directly: no expiry, no LRU touch, no hit/miss accounting.
    let db = &ctx.server().dbs[ctx.client().db];
    let slot = db.table_bytes() / db.buckets().max(1);
    match db.find(args.get(2)).map(|e| entry_usage(e, slot, samples)) {
        Some(n) => ctx.reply().int(n as i64),
        None => ctx.reply().null(),
    }
}

/// MEMORY STATS
pub fn memory_stats(ctx: &mut Ctx, _args: Args) {
    let f = MemFigures::collect(ctx.server(), ctx.client().conn.tot_mem);
    let functions_caches = ctx.server_mut().functions.overhead_memory() as i64;
    let r = ctx.reply();
    r.map(27 + f.dbs.len());
    let int = |r: &mut crate::resp::reply::Reply, k: &str, v: i64| {
        r.bulk(k.as_bytes());
        r.int(v);
    };
    let dbl = |r: &mut crate::resp::reply::Reply, k: &str, v: f64| {
        r.bulk(k.as_bytes());
        r.double(v);
    };
    int(r, "peak.allocated", f.peak as i64);
    int(r, "total.allocated", f.used as i64);
    int(r, "startup.allocated", f.startup as i64);
    int(r, "replication.backlog", f.repl_backlog as i64);
    int(r, "clients.slaves", f.clients_slaves as i64);
    int(r, "clients.normal", f.clients_normal as i64);
    int(r, "cluster.links", 0);
    int(r, "aof.buffer", f.aof_buffer as i64);
    int(r, "lua.caches", 0);
    int(r, "functions.caches", functions_caches);
    for &(id, main, expires) in &f.dbs {
        r.bulk(format!("db.{id}").as_bytes());
        r.map(3);
        int(r, "overhead.hashtable.main", main as i64);
        int(r, "overhead.hashtable.expires", expires as i64);
        int(r, "overhead.hashtable.slot-to-keys", 0);
    }
    int(r, "overhead.total", f.overhead as i64);
    int(r, "keys.count", f.keys as i64);
    int(r, "keys.bytes-per-key", f.bytes_per_key() as i64);
    int(r, "dataset.bytes", f.dataset as i64);
    dbl(r, "dataset.percentage", f.dataset_perc());
    dbl(r, "peak.percentage", f.peak_perc());
    int(r, "allocator.allocated", f.allocated as i64);
    int(r, "allocator.active", f.active as i64);
    int(r, "allocator.resident", f.resident as i64);
    dbl(r, "allocator-fragmentation.ratio", f.allocator_frag());
    int(r, "allocator-fragmentation.bytes", f.active as i64 - f.allocated as i64);
    dbl(r, "allocator-rss.ratio", f.allocator_rss());
    int(r, "allocator-rss.bytes", f.resident as i64 - f.active as i64);
    dbl(r, "rss-overhead.ratio", f.rss_extra());
    int(r, "rss-overhead.bytes", f.rss as i64 - f.resident as i64);
    dbl(r, "fragmentation", f.total_frag());
    int(r, "fragmentation.bytes", f.rss as i64 - f.used as i64);
}

const DOCTOR_OK: &str =
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const DOCTOR_EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector \
    can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new \
    Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_PEAK: &str = " * Peak memory: In the past this instance used more than 150% the memory that is \
    currently using. The allocator is normally not able to release memory after a peak, so you can expect to see \
    a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the \
    Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as \
    you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to \
    reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and \
    restart the instance.\n\n";
const DOCTOR_FRAG: &str = " * High total RSS: This instance has a memory fragmentation and RSS overhead greater \
    than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the \
    logical allocations Redis performed). This problem is usually due either to a large peak memory (check if \
    there is a peak memory entry above in the report) or may result from a workload that causes the allocator to \
    fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you \
    are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \
    \"libc\".\n\n";
const DOCTOR_ALLOC_FRAG: &str = " * High allocator fragmentation: This instance has an allocator external \
    fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is \
    a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment \
    memory a lot. You can try enabling 'activedefrag' config option.\n\n";
const DOCTOR_ALLOC_RSS: &str = " * High allocator RSS overhead: This instance has an RSS memory overhead is \
    greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the \
    allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory \
    entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n";
const DOCTOR_PROC_RSS: &str = " * High process RSS overhead: This instance has non-allocator RSS memory overhead \
    is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS \
    the allocator holds). This problem may be due to Lua scripts or Modules.\n\n";
const DOCTOR_CLIENTS: &str = " * Big client buffers: The clients output buffers in this instance are greater than \
    200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to \
    channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or \
    clients sending commands with large replies or very large sequences of commands in the same pipeline. Please \
    use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to \
    understand better why certain clients are using a big amount of memory.\n\n";

/// Redis's `getMemoryDoctorReport` over our figures (no replicas or scripts here, so those checks never fire).
pub fn doctor_report(f: &MemFigures, clients: usize) -> String {
    const MB10: i64 = 10 << 20;
    if f.used < 5 * 1024 * 1024 {
        return DOCTOR_EMPTY.to_string();
    }
    let mut found: Vec<&str> = Vec::new();
    if (f.peak as f32 / f.used as f32) > 1.5 {
        found.push(DOCTOR_PEAK);
    }
    if f.total_frag() > 1.4 && f.rss as i64 - f.used as i64 > MB10 {
        found.push(DOCTOR_FRAG);
    }
    if f.allocator_frag() > 1.1 && f.active as i64 - f.allocated as i64 > MB10 {
        found.push(DOCTOR_ALLOC_FRAG);
    }
    if f.allocator_rss() > 1.1 && f.resident as i64 - f.active as i64 > MB10 {
        found.push(DOCTOR_ALLOC_RSS);
    }
    if f.rss_extra() > 1.1 && f.rss as i64 - f.resident as i64 > MB10 {
        found.push(DOCTOR_PROC_RSS);
    }
    if f.clients_normal / clients.max(1) as u64 > 1024 * 200 {
        found.push(DOCTOR_CLIENTS);
    }
    if found.is_empty() {
        return DOCTOR_OK.to_string();
    }
    let mut s = String::from("Sam, I detected a few issues in this Redis instance memory implants:\n\n");
    for part in found {
        s.push_str(part);
    }
    s.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
    s
}

/// MEMORY DOCTOR
pub fn memory_doctor(ctx: &mut Ctx, _args: Args) {
    let f = MemFigures::collect(ctx.server(), ctx.client().conn.tot_mem);
    let clients = 1 + ctx.server_mut().clients.by_fd.iter().flatten().count();
    let report = doctor_report(&f, clients);
    ctx.reply().verbatim("txt", report.as_bytes());
}

/// MEMORY MALLOC-STATS: what a Redis built on libc malloc answers (glibc has no textual report to give).
pub fn memory_malloc_stats(ctx: &mut Ctx, _args: Args) {
    ctx.reply().bulk(b"Stats not supported for the current allocator");
}

/// MEMORY PURGE
pub fn memory_purge(ctx: &mut Ctx, _args: Args) {
    crate::keyspace::lazyfree::purge();
    ctx.reply().ok();
}

/// MEMORY HELP
pub fn memory_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "memory",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
}

#[cfg(test)]
mod tests;
