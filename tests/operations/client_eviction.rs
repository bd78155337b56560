//! Client eviction (`maxmemory-clients`, issue 11): the limit's forms as CONFIG accepts and shows them, the
//! biggest client going first, `CLIENT NO-EVICT` protecting a client, a client that never reads its replies being
//! evicted, and `evicted_clients` in INFO. Every scenario runs against ferredis and Debian's redis-server.
//!
//! Client memory is made deterministic with the query buffer: a client that declares a big bulk and sends part of
//! it holds a buffer of the declared size in both servers (Redis reserves it for arguments of 32 KiB and more),
//! whatever the kernel's socket buffers do. Output that is never read is used only where the exact amount does not
//! matter.

use crate::common;

use common::watch::{
    assert_rss_below, int_field, raw_connect, read_until_close, wait_connected, Pinger, RSS_MARGIN_MB,
};
use common::{wait_for, Conn, Kind, Server};
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

/// Replies of CONFIG SET / GET for each form of the limit, on one server.
fn config_forms(kind: Kind) -> Vec<Vec<u8>> {
    let s = Server::start(kind, &[]);
    let mut c = s.conn();
    let mut out = vec![c.cmd(&["CONFIG", "GET", "maxmemory-clients"])];
    for v in ["10%", "0%", "100%", "101%", "-1", "abc", "1mb", "5", "-5%", "1.5%", "%", "10%%", "1gb", "3k"] {
        out.push(c.cmd(&["CONFIG", "SET", "maxmemory-clients", v]));
        out.push(c.cmd(&["CONFIG", "GET", "maxmemory-clients"]));
    }
    out
}

#[test]
fn config_forms_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let ours = config_forms(Kind::Ferredis);
    let theirs = config_forms(Kind::Redis);
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(common::escape(a), common::escape(b));
    }
}

/// Opens a connection that declares an ECHO of `declared` bytes and sends `sent` of them.
fn partial_bulk(port: u16, declared: usize, sent: usize) -> TcpStream {
    let mut t = raw_connect(port);
    t.write_all(format!("*2\r\n$4\r\nECHO\r\n${declared}\r\n").as_bytes()).unwrap();
    t.write_all(&vec![b'q'; sent]).unwrap();
    t
}

fn client_list(c: &mut Conn) -> String {
    String::from_utf8_lossy(&c.cmd(&["CLIENT", "LIST"])).into_owned()
}

fn client_named_present(c: &mut Conn, name: &str) -> bool {
    client_list(c).contains(&format!(" name={name} "))
}

fn set_name(t: &mut TcpStream, name: &str) {
    t.write_all(&common::encode_command(&["CLIENT", "SETNAME", name])).unwrap();
    let mut ok = [0u8; 5];
    std::io::Read::read_exact(t, &mut ok).unwrap();
    assert_eq!(&ok, b"+OK\r\n");
}

/// Two clients with big query buffers (3 MB and 1.5 MB declared) under a 4 MB limit given as a percentage of
/// maxmemory: the 3 MB one is evicted, the other stays and completes its command.
fn biggest_goes_first(kind: Kind) {
    let s = Server::start(kind, &["--maxmemory", "100mb", "--maxmemory-clients", "4%"]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    let pinger = Pinger::start_no_evict(s.port);
    let mut a = raw_connect(s.port);
    set_name(&mut a, "big");
    a.write_all(b"*2\r\n$4\r\nECHO\r\n$3000000\r\n").unwrap();
    a.write_all(&vec![b'q'; 100_000]).unwrap();
    wait_for("the big client's buffer", || {
        client_list(&mut c).lines().any(|l| l.contains(" name=big ") && l.contains(" qbuf=100"))
    });
    assert_eq!(int_field(&mut c, "stats", "evicted_clients"), 0);
    let mut b = raw_connect(s.port);
    set_name(&mut b, "medium");
    b.write_all(b"*2\r\n$4\r\nECHO\r\n$1500000\r\n").unwrap();
    b.write_all(&vec![b'q'; 100_000]).unwrap();
    wait_for("one eviction", || int_field(&mut c, "stats", "evicted_clients") == 1);
    assert!(!client_named_present(&mut c, "big"), "{}: the biggest client is still there", kind.label());
    assert!(client_named_present(&mut c, "medium"), "{}: the smaller client was evicted", kind.label());
    let (_, closed) = read_until_close(&mut a, 5000);
    assert!(closed, "{}: the evicted client's connection is still open", kind.label());
    // The survivor finishes its command and gets its 1.5 MB back.
    b.write_all(&vec![b'q'; 1_400_000]).unwrap();
    b.write_all(b"\r\n").unwrap();
    b.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = vec![0u8; 11];
    std::io::Read::read_exact(&mut b, &mut head).unwrap();
    assert_eq!(head, b"$1500000\r\nq");
    let log = s.log_text();
    assert!(log.contains("Evicting client: id=") && log.contains("name=big"), "{}: {log}", kind.label());
    pinger.finish("client eviction");
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), b"+OK\r\n");
    assert_eq!(int_field(&mut c, "stats", "evicted_clients"), 0);
}

#[test]
fn biggest_client_goes_first() {
    biggest_goes_first(Kind::Ferredis);
}

#[test]
fn oracle_biggest_client_goes_first() {
    if !crate::common::pair::have_redis() {
        return;
    }
    biggest_goes_first(Kind::Redis);
}

/// A NO-EVICT client over the limit by itself is never evicted: the small evictable clients go instead, Redis's
/// warning is logged once nobody evictable is left, and the protected client completes its command.
fn no_evict_protects(kind: Kind) {
    let s = Server::start(kind, &["--maxmemory-clients", "2mb"]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    let mut small = raw_connect(s.port);
    set_name(&mut small, "small");
    let mut p = raw_connect(s.port);
    set_name(&mut p, "protected");
    p.write_all(&common::encode_command(&["CLIENT", "NO-EVICT", "on"])).unwrap();
    let mut ok = [0u8; 5];
    std::io::Read::read_exact(&mut p, &mut ok).unwrap();
    p.write_all(b"*2\r\n$4\r\nECHO\r\n$3000000\r\n").unwrap();
    p.write_all(&vec![b'q'; 100_000]).unwrap();
    wait_for("the small client's eviction", || int_field(&mut c, "stats", "evicted_clients") == 1);
    assert!(!client_named_present(&mut c, "small"));
    assert!(client_named_present(&mut c, "protected"));
    let (_, closed) = read_until_close(&mut small, 5000);
    assert!(closed, "{}: the evicted client's connection is still open", kind.label());
    wait_for("the over-limit warning", || {
        s.log_text().contains("Over client maxmemory after evicting all evictable clients")
    });
    p.write_all(&vec![b'q'; 2_900_000]).unwrap();
    p.write_all(b"\r\n").unwrap();
    p.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = vec![0u8; 11];
    std::io::Read::read_exact(&mut p, &mut head).unwrap();
    assert_eq!(head, b"$3000000\r\nq");
    assert_eq!(int_field(&mut c, "stats", "evicted_clients"), 1);
}

#[test]
fn no_evict_protects_a_client() {
    no_evict_protects(Kind::Ferredis);
}

#[test]
fn oracle_no_evict_protects_a_client() {
    if !crate::common::pair::have_redis() {
        return;
    }
    no_evict_protects(Kind::Redis);
}

/// A client pipelining GETs of a 1 MB value and never reading, with the default (unlimited) output-buffer limit
/// for normal clients: its output grows until `maxmemory-clients` evicts it; RSS stays within the limit plus the
/// margin and one reply of overshoot.
fn non_reading_pipeliner_evicted(kind: Kind) {
    let s = Server::start(kind, &["--maxmemory-clients", "16mb"]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    let value = vec![b'v'; 1 << 20];
    assert_eq!(c.cmd(&[&b"SET"[..], b"big", &value]), b"+OK\r\n");
    let pinger = Pinger::start_no_evict(s.port);
    let mut hog = raw_connect(s.port);
    hog.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    let get = common::encode_command(&["GET", "big"]);
    for _ in 0..200 {
        if hog.write_all(&get).is_err() {
            break;
        }
    }
    wait_for("the pipeliner's eviction", || int_field(&mut c, "stats", "evicted_clients") == 1);
    wait_connected(&mut c, 2);
    let (_, closed) = read_until_close(&mut hog, 5000);
    assert!(closed, "{}: the evicted pipeliner's connection is still open", kind.label());
    pinger.finish("non-reading pipeliner evicted");
    assert_rss_below(&s, 16 + 2 + RSS_MARGIN_MB, "non-reading pipeliner evicted");
    assert!(s.log_text().contains("Evicting client: id="), "{}", kind.label());
}

#[test]
fn non_reading_pipeliner_is_evicted() {
    non_reading_pipeliner_evicted(Kind::Ferredis);
}

#[test]
fn oracle_non_reading_pipeliner_is_evicted() {
    if !crate::common::pair::have_redis() {
        return;
    }
    non_reading_pipeliner_evicted(Kind::Redis);
}

/// Turning the limit on with CONFIG SET reaches a client that already holds a big buffer and sends nothing more.
fn limit_set_at_runtime(kind: Kind) {
    let s = Server::start(kind, &[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    let mut idle = partial_bulk(s.port, 3_000_000, 100_000);
    wait_for("the idle client's buffer", || client_list(&mut c).lines().any(|l| l.contains(" qbuf=100")));
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-clients", "1mb"]), b"+OK\r\n");
    wait_for("the idle client's eviction", || int_field(&mut c, "stats", "evicted_clients") == 1);
    let (_, closed) = read_until_close(&mut idle, 5000);
    assert!(closed, "{}", kind.label());
    assert_eq!(int_field(&mut c, "clients", "connected_clients"), 1);
}

#[test]
fn limit_set_at_runtime_reaches_idle_clients() {
    limit_set_at_runtime(Kind::Ferredis);
}

#[test]
fn oracle_limit_set_at_runtime_reaches_idle_clients() {
    if !crate::common::pair::have_redis() {
        return;
    }
    limit_set_at_runtime(Kind::Redis);
}

/// DEBUG CLIENT-EVICTION prints the buckets as Redis does: empty while every client is NO-EVICT, then the client
/// holding a 3 MB query buffer in the 2-4 MB bucket (its exact bytes differ between the servers, so they are
/// masked).
fn debug_buckets(kind: Kind) -> (Vec<u8>, String) {
    let s = Server::start(kind, &["--maxmemory-clients", "64mb"]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    // The harness's readiness probe may still be closing (either server): only this client may be counted.
    wait_for("the probe to close", || int_field(&mut c, "clients", "connected_clients") == 1);
    let empty = c.cmd(&["DEBUG", "CLIENT-EVICTION"]);
    let _big = partial_bulk(s.port, 3_000_000, 100_000);
    wait_for("the big client's buffer", || client_list(&mut c).lines().any(|l| l.contains(" qbuf=100")));
    let text = String::from_utf8_lossy(&c.cmd(&["DEBUG", "CLIENT-EVICTION"])).into_owned();
    let masked = text
        .lines()
        .map(|l| match l.split_once("tot-mem: ") {
            Some((head, tail)) => {
                let clients = tail.split_once(", ").map_or("", |x| x.1);
                let zero = tail.trim_start().starts_with("0,");
                format!("{head}tot-mem: {}, {clients}", if zero { "0" } else { "N" })
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    (empty, masked)
}

#[test]
fn debug_client_eviction_matches_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (ours_empty, ours) = debug_buckets(Kind::Ferredis);
    let (theirs_empty, theirs) = debug_buckets(Kind::Redis);
    assert_eq!(common::escape(&ours_empty), common::escape(&theirs_empty));
    assert_eq!(ours, theirs);
    assert!(ours.contains("bucket    2097152 -    4194303: tot-mem: N, clients: 1"), "{ours}");
}

/// Redis's maxmemory suite, "eviction due to output buffers of pubsub, client eviction: true": subscribers that
/// never read grow with every PUBLISH, and each receiver's memory counts at once, so client eviction (which runs
/// before the next command) removes subscribers before key eviction would free anything.
fn pubsub_output_evicts_clients_not_keys(kind: Kind) {
    let s = Server::start(kind, &[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    for j in 0..50 {
        assert_eq!(c.cmd(&["SETRANGE", &j.to_string(), "100000", "x"]), b":100001\r\n");
    }
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "11mb", "maxmemory-policy", "allkeys-lru"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-clients", "3mb"]), b"+OK\r\n");
    let mut subscribers = Vec::new();
    for _ in 0..20 {
        let mut t = Conn::connect(s.port);
        assert!(t.cmd(&["SUBSCRIBE", "bla"]).starts_with(b"*3\r\n"));
        subscribers.push(t);
    }
    wait_for("20 subscribers", || c.cmd(&["PUBSUB", "NUMSUB", "bla"]).ends_with(b":20\r\n"));
    let big = "x".repeat(100_000);
    let mut evicted = 0;
    for _ in 0..2000 {
        c.cmd(&["PUBLISH", "bla", &big]);
        evicted = int_field(&mut c, "stats", "evicted_clients");
        if evicted > 0 || int_field(&mut c, "stats", "evicted_keys") > 0 {
            break;
        }
    }
    assert!(evicted > 0, "{}: no subscriber evicted", kind.label());
    assert_eq!(int_field(&mut c, "stats", "evicted_keys"), 0, "{}: keys evicted instead", kind.label());
    assert_eq!(c.cmd(&["DBSIZE"]), b":50\r\n", "{}", kind.label());
}

#[test]
fn pubsub_output_evicts_clients_before_keys() {
    pubsub_output_evicts_clients_not_keys(Kind::Ferredis);
}

#[test]
fn oracle_pubsub_output_evicts_clients_before_keys() {
    if !crate::common::pair::have_redis() {
        return;
    }
    pubsub_output_evicts_clients_not_keys(Kind::Redis);
}

/// Redis's "client evicted due to watched key list": WATCHed keys count in a client's memory, so a client that
/// keeps watching keys under `maxmemory-clients 200000` is evicted, after a number of keys of the same order as
/// Redis's (which counts 56 bytes per watched key).
fn watches_evict(kind: Kind) -> usize {
    let srv = Server::start(kind, &["--maxmemory-clients", "200000"]);
    let mut admin = srv.conn();
    let mut w = srv.conn();
    let mut n = 0;
    while n < 200_000 {
        match w.try_cmd(&["WATCH", &n.to_string()]) {
            Ok(r) if r == b"+OK\r\n" => n += 1,
            _ => break,
        }
    }
    assert!(n < 200_000, "{}: a client watching {n} keys was never evicted", kind.label());
    let info = String::from_utf8_lossy(&admin.cmd(&["INFO", "stats"])).into_owned();
    assert!(info.contains("\r\nevicted_clients:1\r\n"), "{}: {info}", kind.label());
    n
}

#[test]
fn watched_keys_count_for_client_eviction_as_in_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let ours = watches_evict(Kind::Ferredis);
    let redis = watches_evict(Kind::Redis);
    assert!(ours >= redis / 2 && ours <= redis * 2, "evicted after {ours} watches (redis: {redis})");
}

/// A client's `tot-mem` field of CLIENT LIST.
fn tot_mem(c: &mut Conn, name: &str) -> u64 {
    let list = client_list(c);
    let line = list.lines().find(|l| l.contains(&format!(" name={name} "))).expect("the named client");
    line.split(' ').find_map(|f| f.strip_prefix("tot-mem=")).and_then(|v| v.parse().ok()).expect("tot-mem")
}

/// Redis's "evict clients only until below limit": ten clients of ~1 MB each (a half-sent bulk), then CONFIG SET
/// maxmemory-clients to half of them plus the (no-evict) control client, all from CLIENT LIST's tot-mem. The
/// very next command sees exactly five left: the new limit is applied to freshly counted clients, and the
/// figure CLIENT LIST shows is the one eviction adds up.
fn evicts_only_until_below(kind: Kind) -> usize {
    let srv = Server::start(kind, &["--enable-debug-command", "yes"]);
    let mut control = srv.conn();
    control.cmd(&["DEBUG", "REPLYBUFFER", "RESIZING", "0"]);
    control.cmd(&["CLIENT", "SETNAME", "control"]);
    control.cmd(&["CLIENT", "NO-EVICT", "ON"]);
    let mb = 1 << 20;
    let mut held = Vec::new();
    let mut max_mem = 0;
    for j in 0..10 {
        let mut t = raw_connect(srv.port);
        set_name(&mut t, &format!("client{j}"));
        t.write_all(format!("*2\r\n${mb}\r\n").as_bytes()).unwrap();
        t.write_all(&vec![b'v'; mb]).unwrap();
        let name = format!("client{j}");
        wait_for("the query buffer to fill", || tot_mem(&mut control, &name) >= mb as u64);
        max_mem = max_mem.max(tot_mem(&mut control, &name));
        held.push(t);
    }
    let limit = max_mem * 10 / 2 + tot_mem(&mut control, "control");
    assert_eq!(control.cmd(&["CONFIG", "SET", "maxmemory-clients", &limit.to_string()]), b"+OK\r\n");
    let list = client_list(&mut control);
    list.lines().filter(|l| l.contains(" name=client")).count()
}

#[test]
fn config_set_evicts_only_until_below_the_limit_as_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    assert_eq!(evicts_only_until_below(Kind::Redis), 5, "redis");
    assert_eq!(evicts_only_until_below(Kind::Ferredis), 5, "ferredis");
}

/// Redis's "avoid client eviction when client is freed by output buffer limit": a client holding a 6 MB query
/// buffer, and two clients whose 4 MB GET passes `client-output-buffer-limit normal 3mb` and, with the first, the
/// 10 MB `maxmemory-clients`. The output limit closes the two readers as their command ends, before eviction looks
/// at anyone (both GETs arrive while the server is stopped, so they run in one pass): the big query buffer stays
/// and nothing is counted as evicted.
fn output_limit_before_eviction(kind: Kind) -> String {
    let mb = 1 << 20;
    let s = Server::start(kind, &["--maxmemory-clients", "10mb", "--client-output-buffer-limit", "normal 3mb 0 0"]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["SETRANGE", "k", &(4 * mb).to_string(), "v"]), b":4194305\r\n");
    let mut q = raw_connect(s.port);
    set_name(&mut q, "qbuf-client");
    let qbsize = 10 * mb - (4 * mb + 1);
    q.write_all(format!("*1\r\n${qbsize}\r\n").as_bytes()).unwrap();
    q.write_all(&vec![b'v'; qbsize]).unwrap();
    let want = format!(" qbuf={qbsize} ");
    wait_for("the query buffer to fill", || {
        client_list(&mut c).lines().any(|l| l.contains(" name=qbuf-client ") && l.contains(&want))
    });
    let mut readers: Vec<TcpStream> = (1..=2)
        .map(|i| {
            let mut t = raw_connect(s.port);
            set_name(&mut t, &format!("obuf-client{i}"));
            t
        })
        .collect();
    let signal = |sig: &str| {
        let ok = std::process::Command::new("kill").args([sig, &s.pid().to_string()]).status().unwrap().success();
        assert!(ok, "kill {sig}");
    };
    signal("-STOP");
    for t in &mut readers {
        t.write_all(&common::encode_command(&["GET", "k"])).unwrap();
    }
    signal("-CONT");
    for t in &mut readers {
        let (bytes, closed) = read_until_close(t, 5000);
        assert!(closed && bytes.is_empty(), "{}: a reader got {} bytes", kind.label(), bytes.len());
    }
    let list = client_list(&mut c);
    assert!(list.contains(" name=qbuf-client "), "{}: the query-buffer client is gone: {list}", kind.label());
    assert!(!list.contains("obuf-client"), "{}: {list}", kind.label());
    assert_eq!(int_field(&mut c, "stats", "evicted_clients"), 0, "{}", kind.label());
    let log = s.log_text();
    assert!(!log.contains("Evicting client"), "{}: {log}", kind.label());
    let mut closed: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("scheduled to be closed ASAP for overcoming of output buffer limits."))
        .filter_map(|l| l.split(' ').find_map(|w| w.strip_prefix("name=")))
        .collect();
    closed.sort_unstable();
    closed.join(",")
}

#[test]
fn output_limit_closes_before_client_eviction_as_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let theirs = output_limit_before_eviction(Kind::Redis);
    assert_eq!(theirs, "obuf-client1,obuf-client2");
    assert_eq!(output_limit_before_eviction(Kind::Ferredis), theirs);
}
