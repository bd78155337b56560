//! Memory benchmark: bytes of RSS per key for the keyspace.
//!
//! Loads `FERREDIS_MEM_KEYS` (default 1,000,000) keys `key:%012d` with values `val%d` (plain SET: no TTL) into a
//! `Db` through its public API, the way the SET command does, and reports the growth of this process's resident
//! set size per key (read from /proc/self/statm, Linux only), next to the keyspace's own accounting.
//!
//! Target (issue): at most 64 bytes/key of server RSS growth; Redis 7.0 uses about 108. The server adds nothing
//! per key beyond what is measured here (the keyspace is the only per-key structure), so the server-level figure
//! is expected to match this one within a byte or two.
//!
//! Measured (2-core dev VM): this bench 51.2 bytes/key (18.9 table incl. control bytes + 32.0 entries + slab
//! page slack); the `ferredis-server` process loaded with the same 1M SETs through `redis-cli --pipe`: 51.4
//! bytes/key of VmRSS growth; Redis 7.0.15 on the same machine: 115 bytes/key.
//!
//! Cluster mode: with `FERREDIS_MEM_SLOT_INDEX=1` the database keeps the per-slot key index (`keyspace::slots`,
//! what `cluster-enabled yes` turns on); the index's own bytes are reported too, and the time to list every key
//! slot by slot (GETKEYSINSLOT's work). `FERREDIS_MEM_HASHTAG=1` puts every key under one hash tag (`{t}key:..`,
//! so one slot holds them all).
//!
//! Run: `cargo bench --bench memory` (release-like `bench` profile).

use ferredis::keyspace::db::Db;
use ferredis::keyspace::object::Entry;
use std::io::Write;

fn rss_bytes() -> Option<usize> {
    let s = std::fs::read_to_string("/proc/self/statm").ok()?;
    let resident: usize = s.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no memory-safety preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(resident * page.max(1) as usize)
}

fn main() {
    let n: usize = std::env::var("FERREDIS_MEM_KEYS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let mut db = Db::new(0);
    let slot_index = std::env::var("FERREDIS_MEM_SLOT_INDEX").is_ok_and(|v| v == "1");
    if slot_index {
        db.enable_slot_index();
    }
    let hashtag = std::env::var("FERREDIS_MEM_HASHTAG").is_ok_and(|v| v == "1");
    // Warm up the allocator paths and the stdout buffer so their one-time costs are not counted per key.
    let mut key = Vec::with_capacity(32);
    let mut val = Vec::with_capacity(32);
    let _ = std::io::stdout().flush();
    let Some(before) = rss_bytes() else {
        println!("memory bench: /proc/self/statm not available on this platform");
        return;
    };
    let t = std::time::Instant::now();
    for i in 0..n {
        key.clear();
        val.clear();
        if hashtag {
            key.extend_from_slice(b"{t}");
        }
        write!(&mut key, "key:{i:012}").ok();
        write!(&mut val, "val{i}").ok();
        db.insert(Entry::new_string(&key, &val));
    }
    let load_s = t.elapsed().as_secs_f64();
    let during = rss_bytes().unwrap_or(before);
    let rehashing = db.is_rehashing();
    while db.cron(true, 1000) {}
    let after = rss_bytes().unwrap_or(before);
    let entries: usize = db.iter().map(|e| e.memory_usage()).sum();
    let slab = ferredis::alloc::slab::stats();
    let per = |b: usize| b as f64 / n.max(1) as f64;
    println!("keys loaded:              {n} (key:%012d -> val%d) in {load_s:.2} s");
    println!("rss growth:               {:.1} bytes/key  ({} bytes)", per(after - before), after - before);
    println!(
        "  right after loading:    {:.1} bytes/key  (table still rehashing: {rehashing})",
        per(during.saturating_sub(before))
    );
    println!("  table slots:            {:.1} bytes/key  ({} slots)", per(db.table_bytes()), db.buckets());
    println!("  entries (packed):       {:.1} bytes/key", per(entries));
    println!("  slab pages:             {:.1} bytes/key", per(slab.page_bytes));
    if slot_index {
        println!("  slot index:             {:.1} bytes/key", per(db.slot_index_bytes()));
        let total: usize = (0..ferredis::cluster::SLOTS).map(|s| db.count_keys_in_slot(s)).sum();
        assert_eq!(total, n);
        let t = std::time::Instant::now();
        let listed: usize = (0..ferredis::cluster::SLOTS).map(|s| db.keys_in_slot(s, usize::MAX).len()).sum();
        let ns = t.elapsed().as_nanos() as f64 / n.max(1) as f64;
        println!("  listing every slot:     {ns:.0} ns/key ({listed} keys)");
        assert_eq!(listed, n);
    }
    assert_eq!(db.len(), n);
}
