//! How a ferredis replica takes in a full sync, against Redis 7.0 and ferredis masters: `repl-diskless-load`
//! `disabled` (through a temp file that becomes the RDB file), `on-empty-db` (from the socket only when the
//! replica holds no key) and `swapdb` (from the socket into a second dataset; the old one is served meanwhile when
//! the master's history is ours, and kept when the transfer fails), each fed by disk-based (`$<len>`) and
//! diskless (`$EOF:<mark>`) masters; the AOF restarted after a sync (a replica restarted from it has the master's
//! data, not its old data); the lazy-free thread (FLUSHALL/FLUSHDB ASYNC, `lazyfree-lazy-user-flush`,
//! `replica-lazy-flush`) against Redis's INFO counters and `used_memory`.
//!
//! Convergence is polled with timeouts; nothing asserts on timing. The tests run one at a time (see `serial`).

use crate::common;

use common::persist::{
    assert_same_dataset, dataset_snapshot, info_section, load_rich_dataset, wait_no_child, wait_until,
};
use common::{Conn, Kind, Server, TempDir};
use std::time::{Duration, Instant};

/// Masters start their diskless sync at once.
const FAST: &[&str] = &["--repl-diskless-sync-delay", "0"];

// One test at a time: each starts several servers, forks and loads, which starve each other on 2 cores.
// (The lock is `common::serial`, shared by the replication modules of this binary.)
use common::serial;

fn field(c: &mut Conn, section: &str, name: &str) -> String {
    info_section(c, section).into_iter().find(|(k, _)| k == name).map(|(_, v)| v).unwrap_or_default()
}

fn num(c: &mut Conn, section: &str, name: &str) -> i64 {
    field(c, section, name).parse().unwrap_or(-1)
}

fn start(kind: Kind, extra: &[&str]) -> Server {
    let mut args: Vec<&str> = FAST.to_vec();
    args.extend_from_slice(extra);
    Server::start(kind, &args)
}

fn replicaof(c: &mut Conn, master: &Server) {
    let r = c.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    assert!(r.starts_with(b"+OK"), "REPLICAOF: {}", String::from_utf8_lossy(&r));
}

/// Waits until the replica's link is up, its offset is the master's and the digests match.
fn wait_synced(master: &Server, replica: &Server, what: &str) {
    let mut m = master.conn();
    let mut r = replica.conn();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let up = field(&mut r, "replication", "master_link_status") == "up";
        let moff = field(&mut m, "replication", "master_repl_offset");
        let roff = field(&mut r, "replication", "slave_repl_offset");
        if up && moff == roff && m.cmd(&["DEBUG", "DIGEST"]) == r.cmd(&["DEBUG", "DIGEST"]) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: replica did not converge (link up {up}, offsets {moff} / {roff})\nmaster log:\n{}\nreplica \
             log:\n{}",
            master.log_text(),
            replica.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn check_same(master: &Server, replica: &Server, what: &str) {
    let a = dataset_snapshot(&mut master.conn());
    let b = dataset_snapshot(&mut replica.conn());
    assert!(!a.is_empty(), "{what}: empty dataset");
    assert_same_dataset(&a, &b, 10_000, "master", "replica", what);
}

fn temp_rdbs(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("temp-") && n.ends_with(".rdb"))
                .collect()
        })
        .unwrap_or_default()
}

/// Every mode, fed by each kind of master with each transfer format: the dataset arrives whole, the replica's
/// own keys are gone, the log says where the payload went, and no temp file is left.
#[test]
fn every_load_mode_from_every_master() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _g = serial();
    for master_kind in [Kind::Redis, Kind::Ferredis] {
        for diskless_sync in ["yes", "no"] {
            let master = start(master_kind, &["--repl-diskless-sync", diskless_sync]);
            load_rich_dataset(&mut master.conn());
            let format = if diskless_sync == "yes" { "streamed RDB from master with EOF" } else { "bytes from master" };
            // (mode, whether the replica holds a key of its own first, where the payload must go)
            for (mode, own_key, to) in [
                ("disabled", true, "to disk"),
                ("on-empty-db", true, "to disk"),
                ("on-empty-db", false, "to parser"),
                ("swapdb", true, "to parser"),
            ] {
                let what =
                    format!("{} master, diskless sync {diskless_sync}, {mode}, own key {own_key}", master_kind.label());
                let replica = start(Kind::Ferredis, &["--repl-diskless-load", mode]);
                let mut r = replica.conn();
                assert_eq!(
                    r.cmd(&["CONFIG", "GET", "repl-diskless-load"]),
                    format!("*2\r\n$18\r\nrepl-diskless-load\r\n${}\r\n{mode}\r\n", mode.len()).into_bytes()
                );
                if own_key {
                    r.cmd(&["SET", "replica:own", "x"]);
                }
                replicaof(&mut r, &master);
                wait_synced(&master, &replica, &what);
                check_same(&master, &replica, &what);
                assert_eq!(r.cmd(&["EXISTS", "replica:own"]), b":0\r\n", "{what}");
                let log = replica.log_text();
                assert!(
                    log.lines().any(|l| l.contains("MASTER <-> REPLICA sync: receiving ")
                        && l.contains(format)
                        && l.ends_with(to)),
                    "{what}: payload not {format} {to}: {log}"
                );
                assert!(log.contains("MASTER <-> REPLICA sync: Loading DB in memory"), "{what}");
                assert!(log.contains("MASTER <-> REPLICA sync: Finished with success"), "{what}");
                if mode == "swapdb" {
                    assert!(log.contains("MASTER <-> REPLICA sync: Swapping active DB with loaded DB"), "{what}");
                    assert!(log.contains("MASTER <-> REPLICA sync: Discarding old DB in background"), "{what}");
                } else {
                    assert!(log.contains("MASTER <-> REPLICA sync: Flushing old data"), "{what}");
                }
                // A disk load leaves the payload as the RDB file, and never a temp file.
                assert_eq!(replica.dir().join("dump.rdb").exists(), to == "to disk", "{what}");
                assert!(temp_rdbs(replica.dir()).is_empty(), "{what}: {:?}", temp_rdbs(replica.dir()));
                // The stream flows after the load.
                let mut m = master.conn();
                m.cmd(&["SET", "after:sync", mode]);
                m.cmd(&["LPUSH", "after:list", "a", "b"]);
                wait_synced(&master, &replica, &what);
                assert_eq!(r.cmd(&["GET", "after:sync"]), format!("${}\r\n{mode}\r\n", mode.len()).into_bytes());
            }
        }
    }
}

/// Forces the replica's next sync to be a full one with the same replication ID: the replica's link is killed
/// from the master's side and more than the backlog (1 MB by default) is written before the replica comes back. A
/// replica reconnects at once after a lost link (as Redis's does), so a password it does not have keeps it out
/// meanwhile: its handshake fails and it retries from its once-a-second cron, which finds the password gone and
/// its offset out of the backlog.
fn force_full_sync_same_history(m: &mut Conn) {
    assert_eq!(m.cmd(&["CONFIG", "SET", "requirepass", "keep-the-replica-out"]), b"+OK\r\n");
    let big = "v".repeat(40_000);
    let mut batch = common::encode_command(&["CLIENT", "KILL", "TYPE", "replica"]);
    for i in 0..40 {
        batch.extend(common::encode_command(&["SET", &format!("filler:{i}"), &big]));
    }
    m.send_raw(&batch).unwrap();
    for _ in 0..41 {
        m.read_reply().unwrap();
    }
    assert_eq!(m.cmd(&["CONFIG", "SET", "requirepass", ""]), b"+OK\r\n");
}

/// swapdb with the master's history: the old dataset answers reads during the load (`async_loading:1`,
/// commands flagged no-async-loading get -LOADING), also while the master is silent; the transfer then times out
/// and the old dataset stays, as Redis 7.0 keeps it.
#[test]
fn swapdb_serves_old_data_while_loading_and_keeps_it_when_the_transfer_fails() {
    let _g = serial();
    // Uncompressed values: the payload is far bigger than the socket buffers.
    let master = start(Kind::Ferredis, &["--rdbcompression", "no"]);
    // Clients are served every KiB loaded.
    let replica = start(
        Kind::Ferredis,
        &["--repl-diskless-load", "swapdb", "--loading-process-events-interval-bytes", "1024", "--repl-timeout", "5"],
    );
    let mut m = master.conn();
    let mut r = replica.conn();
    m.cmd(&["SET", "old:key", "old value"]);
    // A payload far bigger than socket buffers, loaded slowly below: the transfer is still under way when the
    // master goes.
    m.cmd(&["DEBUG", "POPULATE", "10000", "big", "2000"]);
    replicaof(&mut r, &master);
    // (No DEBUG DIGEST of 30 MB here: a debug build takes too long over it.)
    wait_until("the first sync", 60_000, || {
        field(&mut r, "replication", "master_link_status") == "up"
            && field(&mut r, "replication", "slave_repl_offset") == field(&mut m, "replication", "master_repl_offset")
    });
    assert_eq!(r.cmd(&["DBSIZE"]), b":10001\r\n");
    assert_eq!(r.cmd(&["CONFIG", "SET", "key-load-delay", "200"]), b"+OK\r\n");
    m.cmd(&["SET", "old:key", "new value"]);
    wait_until("the write to reach the replica", 20_000, || r.cmd(&["GET", "old:key"]) == b"$9\r\nnew value\r\n");
    force_full_sync_same_history(&mut m);
    let deadline = Instant::now() + Duration::from_secs(20);
    while num(&mut r, "persistence", "async_loading") != 1 {
        assert!(
            Instant::now() < deadline,
            "no async loading\nmaster log:\n{}\nreplica log:\n{}",
            master.log_text(),
            replica.log_text()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(field(&mut r, "persistence", "loading"), "0");
    // Reads are served from the old dataset (the write after the last sync did reach it through the stream).
    assert_eq!(r.cmd(&["GET", "old:key"]), b"$9\r\nnew value\r\n");
    assert_eq!(r.cmd(&["DBSIZE"]), b":10001\r\n");
    let refused = r.cmd(&["REPLICAOF", "NO", "ONE"]);
    assert!(refused.starts_with(b"-LOADING"), "{}", String::from_utf8_lossy(&refused));
    // Settings the load depends on are refused too (Redis's DENY_LOADING_CONFIG), others are not.
    assert_eq!(r.cmd(&["CONFIG", "SET", "appendonly", "no"]), b"-LOADING Redis is loading the dataset in memory\r\n");
    assert_eq!(r.cmd(&["CONFIG", "SET", "maxmemory-samples", "5"]), b"+OK\r\n");
    // The master and its RDB child (which holds the socket too) freeze mid-transfer: the replica keeps serving
    // the old data while its loader waits, until `repl-timeout` (5 s here) fails the transfer.
    let mut pids = common::persist::child_pids(master.pid());
    pids.push(master.pid());
    for pid in &pids {
        let st = std::process::Command::new("kill").args(["-STOP", &pid.to_string()]).status().unwrap();
        assert!(st.success());
    }
    for _ in 0..20 {
        assert_eq!(r.cmd(&["GET", "old:key"]), b"$9\r\nnew value\r\n");
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_until("the failed load to end", 60_000, || num(&mut r, "persistence", "async_loading") == 0);
    for pid in pids {
        common::persist::sigkill(pid);
    }
    let mut master = master;
    master.kill9();
    let log = replica.log_text();
    assert!(log.contains("Failed trying to load the MASTER synchronization DB from socket"), "{log}");
    assert!(log.contains("MASTER <-> REPLICA sync: Discarding temporary DB in background"), "{log}");
    assert!(log.contains("Discarding previously cached master state."), "{log}");
    assert_eq!(r.cmd(&["GET", "old:key"]), b"$9\r\nnew value\r\n");
    assert_eq!(r.cmd(&["DBSIZE"]), b":10001\r\n");
    assert_eq!(r.cmd(&["CONFIG", "SET", "key-load-delay", "0"]), b"+OK\r\n");
}

/// swapdb against Redis's master with a slow load: while loading without the master's history (a first sync)
/// clients get -LOADING; once done, the loaded dataset replaced the old one, which went to the lazy-free thread.
#[test]
fn swapdb_from_redis_swaps_and_frees_the_old_dataset() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _g = serial();
    let master = start(Kind::Redis, &[]);
    let mut m = master.conn();
    m.cmd(&["DEBUG", "POPULATE", "20000", "m", "10"]);
    let replica = start(
        Kind::Ferredis,
        &[
            "--repl-diskless-load",
            "swapdb",
            "--key-load-delay",
            "100",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
    let mut r = replica.conn();
    r.cmd(&["DEBUG", "POPULATE", "5000", "mine", "10"]);
    replicaof(&mut r, &master);
    wait_until("loading to start", 20_000, || num(&mut r, "persistence", "loading") == 1);
    assert_eq!(field(&mut r, "persistence", "async_loading"), "0");
    let refused = r.cmd(&["GET", "mine:1"]);
    assert!(refused.starts_with(b"-LOADING"), "{}", String::from_utf8_lossy(&refused));
    wait_synced(&master, &replica, "swapdb from redis");
    assert_eq!(r.cmd(&["DBSIZE"]), b":20000\r\n");
    wait_until("the old dataset to be freed", 20_000, || {
        num(&mut r, "memory", "lazyfreed_objects") == 5000 && num(&mut r, "memory", "lazyfree_pending_objects") == 0
    });
}

/// `replica-lazy-flush yes`: the replica's old keys are freed by the lazy-free thread, counted as Redis counts
/// them (one object per key).
#[test]
fn replica_lazy_flush_counts_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _g = serial();
    let master = start(Kind::Redis, &[]);
    master.conn().cmd(&["DEBUG", "POPULATE", "1000", "m"]);
    let mut counts = Vec::new();
    for kind in [Kind::Redis, Kind::Ferredis] {
        let replica = start(kind, &["--replica-lazy-flush", "yes", "--repl-diskless-load", "disabled"]);
        let mut r = replica.conn();
        r.cmd(&["DEBUG", "POPULATE", "3000", "own"]);
        replicaof(&mut r, &master);
        wait_synced(&master, &replica, kind.label());
        wait_until("lazy free to finish", 20_000, || num(&mut r, "memory", "lazyfree_pending_objects") == 0);
        counts.push(num(&mut r, "memory", "lazyfreed_objects"));
    }
    assert_eq!(counts, vec![3000, 3000]);
}

/// FLUSHALL / FLUSHDB ASYNC and `lazyfree-lazy-user-flush`: the keys are gone at once, INFO counts them as
/// Redis does, and `used_memory` falls back once the thread freed them.
#[test]
fn flush_async_frees_in_the_background() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _g = serial();
    let mut results = Vec::new();
    for kind in [Kind::Redis, Kind::Ferredis] {
        let s = start(kind, &[]);
        let mut c = s.conn();
        let base = num(&mut c, "memory", "used_memory");
        c.cmd(&["DEBUG", "POPULATE", "100000", "k", "100"]);
        let full = num(&mut c, "memory", "used_memory");
        assert!(full > base + 10_000_000, "{}: {base} -> {full}", kind.label());
        assert_eq!(c.cmd(&["FLUSHALL", "ASYNC"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["DBSIZE"]), b":0\r\n");
        wait_until("FLUSHALL ASYNC to be freed", 20_000, || {
            num(&mut c, "memory", "lazyfree_pending_objects") == 0
                && num(&mut c, "memory", "lazyfreed_objects") == 100_000
        });
        wait_until("used_memory to fall", 20_000, || num(&mut c, "memory", "used_memory") < base + (full - base) / 4);
        c.cmd(&["SELECT", "3"]);
        c.cmd(&["DEBUG", "POPULATE", "500", "d"]);
        assert_eq!(c.cmd(&["FLUSHDB", "ASYNC"]), b"+OK\r\n");
        c.cmd(&["DEBUG", "POPULATE", "200", "e"]);
        assert_eq!(c.cmd(&["CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["FLUSHALL"]), b"+OK\r\n");
        // SYNC overrides the directive: nothing more is counted.
        c.cmd(&["DEBUG", "POPULATE", "300", "f"]);
        assert_eq!(c.cmd(&["FLUSHDB", "SYNC"]), b"+OK\r\n");
        wait_until("the flushes to be freed", 20_000, || {
            num(&mut c, "memory", "lazyfree_pending_objects") == 0
                && num(&mut c, "memory", "lazyfreed_objects") == 100_700
        });
        assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), b"+OK\r\n");
        results.push((num(&mut c, "memory", "lazyfreed_objects"), c.cmd(&["FLUSHALL", "LAZY"])));
    }
    assert_eq!(results[0], results[1]);
}

/// After a full sync with `appendonly yes` the AOF is restarted through a rewrite: a replica restarted from it
/// has the master's data, and none of the keys it had before the sync.
#[test]
fn aof_restarted_after_full_sync() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _g = serial();
    let master = start(Kind::Redis, &[]);
    let mut m = master.conn();
    load_rich_dataset(&mut m);
    for mode in ["disabled", "swapdb"] {
        let dir = TempDir::new(&format!("replload-aof-{mode}"));
        let replica =
            Server::start_in(Kind::Ferredis, dir.path(), &["--appendonly", "yes", "--repl-diskless-load", mode]);
        let mut r = replica.conn();
        r.cmd(&["SET", "replica:before", "x"]);
        replicaof(&mut r, &master);
        wait_synced(&master, &replica, mode);
        wait_until("the AOF rewrite after the sync", 20_000, || {
            replica.log_text().contains("Background AOF rewrite finished successfully")
                || replica.log_text().contains("Background AOF rewrite successful")
        });
        wait_no_child(&mut r);
        assert_eq!(field(&mut r, "persistence", "aof_enabled"), "1");
        m.cmd(&["SET", "after:sync", mode]);
        m.cmd(&["RPUSH", "after:list", "1", "2", "3"]);
        wait_synced(&master, &replica, mode);
        let expected = dataset_snapshot(&mut m);
        let mut replica = replica;
        replica.kill9();
        drop(replica);
        let restarted = Server::start_in(Kind::Ferredis, dir.path(), &["--appendonly", "yes"]);
        let mut c = restarted.conn();
        assert_eq!(c.cmd(&["EXISTS", "replica:before"]), b":0\r\n", "{mode}");
        let got = dataset_snapshot(&mut c);
        assert_same_dataset(&expected, &got, 10_000, "master", "restarted replica", mode);
        m.cmd(&["DEL", "after:sync", "after:list"]);
    }
}

/// UNLINK frees big values (more than 64 steps) in the background, one object each, small ones at once; DEL
/// does with `lazyfree-lazy-user-del yes`; counted as Redis counts them.
#[test]
fn unlink_of_big_values_is_lazy_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _g = serial();
    let mut seen = Vec::new();
    for kind in [Kind::Redis, Kind::Ferredis] {
        let s = start(kind, &[]);
        let mut c = s.conn();
        let fill = |c: &mut Conn| {
            let members: Vec<String> = (0..1000).map(|i| format!("member:{i}")).collect();
            let mut sadd = vec!["SADD".to_string(), "bigset".to_string()];
            sadd.extend(members.iter().cloned());
            c.cmd(&sadd);
            let mut hset = vec!["HSET".to_string(), "bighash".to_string()];
            for m in &members[..600] {
                hset.push(m.clone());
                hset.push("v".to_string());
            }
            c.cmd(&hset);
            c.cmd(&["SET", "small", "x"]);
            c.cmd(&["SADD", "smallset", "a", "b"]);
        };
        let mut steps = Vec::new();
        let mut step = |c: &mut Conn, cmd: &[&str]| {
            let mut reply = c.cmd(cmd);
            wait_until("lazy free", 20_000, || num(c, "memory", "lazyfree_pending_objects") == 0);
            // Redis's eviction with `lazyfree-lazy-eviction` answers OOM when its thread has not yet given back
            // the evicted value's memory by the time its eviction loop checks again (a race it loses on a busy
            // machine); once the thread is done the same command succeeds. The outcome compared is that one.
            if reply.starts_with(b"-OOM") {
                reply = c.cmd(cmd);
            }
            steps.push((cmd.join(" "), reply, num(c, "memory", "lazyfreed_objects")));
        };
        fill(&mut c);
        step(&mut c, &["UNLINK", "bigset", "small", "missing"]);
        step(&mut c, &["UNLINK", "bighash", "smallset"]);
        fill(&mut c);
        step(&mut c, &["DEL", "bigset", "bighash"]);
        assert_eq!(c.cmd(&["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"]), b"+OK\r\n");
        fill(&mut c);
        step(&mut c, &["DEL", "bigset", "bighash", "small"]);
        seen.push(steps);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[1].last().map(|s| s.2), Some(4), "{seen:?}");
}

/// A disk-based sync bigger than the master's send window (the file goes out a window at a time, never read
/// whole): a Redis replica and a ferredis replica attached at once get it all, then the stream.
#[test]
fn disk_payload_streams_to_replicas_in_windows() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _g = serial();
    let master = start(Kind::Ferredis, &["--repl-diskless-sync", "no", "--rdbcompression", "no"]);
    let mut m = master.conn();
    m.cmd(&["DEBUG", "POPULATE", "30000", "k", "300"]);
    let rdb_len = |m: &mut Conn| {
        assert_eq!(m.cmd(&["SAVE"]), b"+OK\r\n");
        std::fs::metadata(master.dir().join("dump.rdb")).map(|md| md.len()).unwrap_or(0)
    };
    assert!(rdb_len(&mut m) > 4 << 20, "the payload must span several windows");
    let a = start(Kind::Redis, &[]);
    let b = start(Kind::Ferredis, &[]);
    replicaof(&mut a.conn(), &master);
    replicaof(&mut b.conn(), &master);
    m.cmd(&["SET", "after", "v"]);
    for r in [&a, &b] {
        wait_until("the sync", 60_000, || {
            let mut c = r.conn();
            field(&mut c, "replication", "master_link_status") == "up" && c.cmd(&["DBSIZE"]) == b":30001\r\n"
        });
        assert_eq!(r.conn().cmd(&["GET", "after"]), b"$1\r\nv\r\n");
        let last = m.cmd(&["GET", "k:29999"]);
        assert!(last.len() > 300, "{}", String::from_utf8_lossy(&last));
        assert_eq!(r.conn().cmd(&["GET", "k:29999"]), last);
    }
    let log = master.log_text();
    assert_eq!(log.matches("Synchronization with replica").count(), 2, "{log}");
}

/// INFO replication while a full sync's payload is being loaded, against Redis 7.0 replicas in the same state:
/// `master_sync_in_progress:1` and the `master_sync_*` lines Redis prints there (from the socket: nothing counted
/// as read and the header's size, 0 for an EOF-marked payload; from the temp file: the whole payload read).
#[test]
fn info_master_sync_fields_while_loading_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _serial = serial();
    // (master's repl-diskless-sync, replica's repl-diskless-load)
    let cases = [("yes", "on-empty-db"), ("no", "on-empty-db"), ("no", "disabled"), ("yes", "disabled")];
    for (disk_less, load) in cases {
        let master = start(Kind::Redis, &["--repl-diskless-sync", disk_less]);
        let mut m = master.conn();
        m.cmd(&["DEBUG", "POPULATE", "20000", "k", "20"]);
        let mut seen: Vec<String> = Vec::new();
        for kind in [Kind::Redis, Kind::Ferredis] {
            let label = format!("{} {disk_less}/{load}", kind.label());
            let replica = start(
                kind,
                &[
                    "--repl-diskless-load",
                    load,
                    "--key-load-delay",
                    "200",
                    "--loading-process-events-interval-bytes",
                    "1024",
                ],
            );
            let mut r = replica.conn();
            replicaof(&mut r, &master);
            let mut lines: Vec<(String, String)> = Vec::new();
            wait_until(&format!("{label}: the replica loading its sync"), 60_000, || {
                let info = r.cmd(&["INFO"]);
                let text = String::from_utf8_lossy(&info).into_owned();
                let fields: Vec<(String, String)> = text
                    .lines()
                    .filter_map(|l| l.trim_end().split_once(':'))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
                if get("loading") == "1" && get("master_sync_in_progress") == "1" {
                    lines = fields.into_iter().filter(|(k, _)| k.starts_with("master_sync_")).collect();
                    true
                } else {
                    false
                }
            });
            let get = |k: &str| lines.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
            let (total, read, left): (i64, i64, i64) = (
                get("master_sync_total_bytes").parse().unwrap(),
                get("master_sync_read_bytes").parse().unwrap(),
                get("master_sync_left_bytes").parse().unwrap(),
            );
            assert_eq!(left, total - read, "{label}: {lines:?}");
            assert!(get("master_sync_last_io_seconds_ago").parse::<i64>().is_ok(), "{label}: {lines:?}");
            // The sizes differ by a byte or two between two syncs (the RDB's aux fields): compare their shape.
            let shape = |v: i64| match v {
                0 => "0".to_string(),
                v if v == total => "total".to_string(),
                v if v > 0 => "n".to_string(),
                v => v.to_string(),
            };
            let names: Vec<&str> = lines.iter().map(|(k, _)| k.as_str()).collect();
            seen.push(format!(
                "{names:?} total={} read={} perc={}",
                if total > 0 { "n".to_string() } else { total.to_string() },
                shape(read),
                get("master_sync_perc")
            ));
            r.cmd(&["REPLICAOF", "NO", "ONE"]);
        }
        assert_eq!(seen[1], seen[0], "{disk_less}/{load} (left: ferredis, right: Redis)");
    }
}

/// A diskless sync to a replica that stops reading: the master does not pile the payload up in its memory (the
/// child's pipe is read only as the replica's socket takes what was read, so the child waits), and after
/// `repl-timeout` without progress the replica is dropped with Redis's log line; the next replica syncs. Both
/// masters, Redis 7.0 and ferredis.
#[test]
fn diskless_payload_waits_for_a_stalled_replica_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    use std::io::{Read, Write};
    let _g = serial();
    for kind in [Kind::Redis, Kind::Ferredis] {
        let label = kind.label();
        let master = start(kind, &["--repl-diskless-sync", "yes", "--rdbcompression", "no", "--repl-timeout", "3"]);
        let mut m = master.conn();
        m.cmd(&["DEBUG", "POPULATE", "100000", "k", "300"]);
        let mut s = std::net::TcpStream::connect(("127.0.0.1", master.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(b"*3\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n").unwrap();
        let mut ok = [0u8; 5];
        s.read_exact(&mut ok).unwrap();
        assert_eq!(&ok, b"+OK\r\n", "{label}");
        s.write_all(b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n").unwrap();
        // The payload starts; from here on the replica reads nothing.
        let mut first = [0u8; 64];
        s.read_exact(&mut first).unwrap();
        assert!(first.starts_with(b"+FULLRESYNC"), "{label}");
        wait_until(&format!("{label}: the stalled replica dropped"), 60_000, || {
            let omem = String::from_utf8_lossy(&m.cmd(&["CLIENT", "LIST", "TYPE", "replica"])).into_owned();
            // While it waits, at most a window of payload sits in the master's memory for it.
            if let Some(v) = omem.split(" omem=").nth(1) {
                let bytes: u64 = v.split(' ').next().unwrap_or("0").parse().unwrap_or(0);
                assert!(bytes < 4 << 20, "{label}: {bytes} bytes of payload queued for a replica that reads nothing");
            }
            master.log_text().contains("Disconnecting timedout replica (full sync)")
        });
        drop(s);
        wait_until(&format!("{label}: no replica"), 20_000, || field(&mut m, "replication", "connected_slaves") == "0");
        // With no replica left to feed, the child is stopped.
        wait_until(&format!("{label}: the child killed"), 20_000, || {
            master.log_text().contains("Diskless rdb transfer, last replica dropped, killing fork child.")
        });
        let replica = start(Kind::Ferredis, &[]);
        replicaof(&mut replica.conn(), &master);
        m.cmd(&["SET", "after", "v"]);
        wait_until(&format!("{label}: the next sync"), 60_000, || {
            let mut c = replica.conn();
            field(&mut c, "replication", "master_link_status") == "up" && c.cmd(&["DBSIZE"]) == b":100001\r\n"
        });
    }
}

/// `lazyfree-lazy-expire`, `lazyfree-lazy-server-del` and `lazyfree-lazy-eviction`: a big value (more than 64
/// steps to free) that expires, is overwritten, or is evicted goes to the lazy-free thread when its directive is
/// on, and is freed on the spot when it is off; small values never go. Counted in INFO's `lazyfreed_objects`,
/// step by step as Redis 7.0 counts them, with the same replies.
#[test]
fn lazy_expire_server_del_and_eviction_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let _g = serial();
    let mut seen = Vec::new();
    for kind in [Kind::Redis, Kind::Ferredis] {
        let s = start(kind, &[]);
        let mut c = s.conn();
        let big = |c: &mut Conn, key: &str| {
            let mut sadd = vec!["SADD".to_string(), key.to_string()];
            sadd.extend((0..500).map(|i| format!("member:{i}")));
            c.cmd(&sadd);
        };
        let mut steps: Vec<(String, Vec<u8>, i64)> = Vec::new();
        let mut step = |c: &mut Conn, cmd: &[&str]| {
            let mut reply = c.cmd(cmd);
            wait_until("lazy free", 20_000, || num(c, "memory", "lazyfree_pending_objects") == 0);
            // Redis's eviction with `lazyfree-lazy-eviction` answers OOM when its thread has not yet given back
            // the evicted value's memory by the time its eviction loop checks again (a race it loses on a busy
            // machine); once the thread is done the same command succeeds. The outcome compared is that one.
            if reply.starts_with(b"-OOM") {
                reply = c.cmd(cmd);
            }
            steps.push((cmd.join(" "), reply, num(c, "memory", "lazyfreed_objects")));
        };
        // Everything off: nothing goes to the thread.
        big(&mut c, "b1");
        c.cmd(&["PEXPIRE", "b1", "1"]);
        std::thread::sleep(Duration::from_millis(5));
        step(&mut c, &["EXISTS", "b1"]);
        big(&mut c, "b2");
        step(&mut c, &["SET", "b2", "x"]);
        for name in ["lazyfree-lazy-expire", "lazyfree-lazy-server-del", "lazyfree-lazy-eviction"] {
            assert_eq!(c.cmd(&["CONFIG", "SET", name, "yes"]), b"+OK\r\n");
        }
        // A big value that expires (lazily here), one overwritten by SET, by a *STORE, and small ones.
        big(&mut c, "b3");
        c.cmd(&["PEXPIRE", "b3", "1"]);
        c.cmd(&["SET", "s1", "v", "PX", "1"]);
        std::thread::sleep(Duration::from_millis(5));
        step(&mut c, &["EXISTS", "b3", "s1"]);
        big(&mut c, "b4");
        step(&mut c, &["SET", "b4", "x"]);
        big(&mut c, "b5");
        big(&mut c, "src");
        step(&mut c, &["SUNIONSTORE", "b5", "src"]);
        step(&mut c, &["SET", "b4", "y"]);
        // Eviction under maxmemory: the big value goes first (allkeys-random has only it and small keys).
        c.cmd(&["FLUSHALL"]);
        big(&mut c, "b6");
        let used = num(&mut c, "memory", "used_memory");
        assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-policy", "volatile-ttl"]), b"+OK\r\n");
        c.cmd(&["PEXPIRE", "b6", "100000"]);
        assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", &(used - 1000).to_string()]), b"+OK\r\n");
        step(&mut c, &["SET", "small", "v"]);
        c.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
        step(&mut c, &["EXISTS", "b6"]);
        seen.push(steps);
    }
    assert_eq!(seen[1], seen[0], "left: ferredis, right: Redis");
    assert_eq!(seen[1].last().map(|s| s.2), Some(4), "{:?}", seen[1]);
}
