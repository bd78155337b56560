//! Transactions and client management end to end, several clients interleaved. Every scenario runs against
//! ferredis and against Debian's redis-server (the oracle), so the expectations themselves are checked too.
//! No assertion depends on timing: waits poll for a state (bounded) instead of sleeping a fixed time.

use crate::common;

use common::*;
use std::time::Duration;

const BOTH: [Kind; 2] = [Kind::Ferredis, Kind::Redis];

fn start(kind: Kind) -> Server {
    Server::start(kind, &["--enable-debug-command", "yes"])
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The CLIENT LIST line of the client with this id.
fn client_line(c: &mut Conn, id: i64) -> String {
    let list = s(&c.cmd(&["CLIENT", "LIST", "ID", &id.to_string()]));
    list.lines().find(|l| l.contains(&format!("id={id} "))).unwrap_or("").to_string()
}

fn client_id(c: &mut Conn) -> i64 {
    Resp::parse(&c.cmd(&["CLIENT", "ID"])).unwrap().as_int().unwrap()
}

#[test]
fn watch_race_between_two_clients() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let (mut a, mut b) = (srv.conn(), srv.conn());
        a.cmd(&["SET", "k", "1"]);
        assert_eq!(a.cmd(&["WATCH", "k"]), b"+OK\r\n");
        assert_eq!(a.cmd(&["GET", "k"]), b"$1\r\n1\r\n");
        // The other client writes between WATCH and EXEC: the transaction is dropped.
        assert_eq!(b.cmd(&["SET", "k", "from-b"]), b"+OK\r\n");
        assert_eq!(a.cmd(&["MULTI"]), b"+OK\r\n");
        assert_eq!(a.cmd(&["SET", "k", "from-a"]), b"+QUEUED\r\n");
        assert_eq!(a.cmd(&["EXEC"]), b"*-1\r\n", "{}", kind.label());
        assert_eq!(b.cmd(&["GET", "k"]), b"$6\r\nfrom-b\r\n");
        // Without interference, the same transaction goes through.
        a.cmd(&["WATCH", "k"]);
        a.cmd(&["MULTI"]);
        a.cmd(&["SET", "k", "from-a"]);
        assert_eq!(a.cmd(&["EXEC"]), b"*1\r\n+OK\r\n");
        assert_eq!(b.cmd(&["GET", "k"]), b"$6\r\nfrom-a\r\n");
    }
}

#[test]
fn optimistic_increments_from_many_clients_are_exact() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let port = srv.port;
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut c = Conn::connect(port);
                    let mut retries = 0;
                    for _ in 0..50 {
                        loop {
                            c.cmd(&["WATCH", "counter"]);
                            let cur = Resp::parse(&c.cmd(&["GET", "counter"])).unwrap();
                            let n: i64 = cur.as_bytes().map_or(0, |b| s(b).parse().unwrap());
                            c.cmd(&["MULTI"]);
                            c.cmd(&["SET", "counter", &(n + 1).to_string()]);
                            if c.cmd(&["EXEC"]) != b"*-1\r\n" {
                                break;
                            }
                            retries += 1;
                        }
                    }
                    retries
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut c = srv.conn();
        assert_eq!(c.cmd(&["GET", "counter"]), b"$3\r\n200\r\n", "{}", kind.label());
    }
}

#[test]
fn client_list_shows_multi_and_dirty_cas() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let (mut a, mut b) = (srv.conn(), srv.conn());
        let id = client_id(&mut a);
        a.cmd(&["WATCH", "k"]);
        a.cmd(&["MULTI"]);
        a.cmd(&["SET", "k", "v"]);
        let line = client_line(&mut b, id);
        assert!(line.contains(" flags=x ") && line.contains(" multi=1 ") && line.contains(" multi-mem=29 "), "{line}");
        assert!(line.contains(" cmd=set "), "{line}");
        b.cmd(&["SET", "k", "other"]);
        let line = client_line(&mut b, id);
        assert!(line.contains(" flags=xd "), "{} {line}", kind.label());
        assert!(!line.contains("lib-name"), "{line}");
        assert_eq!(a.cmd(&["EXEC"]), b"*-1\r\n");
        let line = client_line(&mut b, id);
        assert!(line.contains(" flags=N ") && line.contains(" multi=-1 ") && line.contains(" cmd=exec "), "{line}");
    }
}

#[test]
fn execabort_and_runtime_errors() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let mut c = srv.conn();
        c.cmd(&["SET", "s", "text"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "a", "1"]);
        assert!(s(&c.cmd(&["NOSUCH", "x"])).starts_with("-ERR unknown command 'NOSUCH'"));
        assert_eq!(c.cmd(&["EXEC"]), b"-EXECABORT Transaction discarded because of previous errors.\r\n");
        assert_eq!(c.cmd(&["EXISTS", "a"]), b":0\r\n");
        c.cmd(&["MULTI"]);
        c.cmd(&["INCR", "s"]);
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["INCRBY", "a", "x"]);
        c.cmd(&["INCR", "a"]);
        assert_eq!(
            s(&c.cmd(&["EXEC"])),
            "*4\r\n-ERR value is not an integer or out of range\r\n+OK\r\n-ERR value is not an integer or out of \
             range\r\n:2\r\n"
        );
        // Each queued command is counted under its own name; the failed ones as failed calls.
        let stats = s(&c.cmd(&["INFO", "commandstats"]));
        let incr = stats.lines().find(|l| l.starts_with("cmdstat_incr:")).unwrap_or("");
        assert!(incr.contains("calls=2,") && incr.contains("failed_calls=1"), "{} {incr}", kind.label());
        let exec = stats.lines().find(|l| l.starts_with("cmdstat_exec:")).unwrap_or("");
        assert!(exec.contains("calls=2,") && exec.contains("failed_calls=1"), "{} {exec}", kind.label());
    }
}

#[test]
fn refused_exec_aborts_with_the_reason() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let mut c = srv.conn();
        let arity = b"-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n";
        // Outside MULTI too: the arity check comes first.
        assert_eq!(c.cmd(&["EXEC", "x"]), arity, "{}", kind.label());
        c.cmd(&["WATCH", "w"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "a", "1"]);
        assert_eq!(c.cmd(&["EXEC", "x"]), arity, "{}", kind.label());
        // The transaction and the watches are gone.
        assert_eq!(c.cmd(&["EXEC"]), b"-ERR EXEC without MULTI\r\n", "{}", kind.label());
        assert_eq!(c.cmd(&["EXISTS", "a"]), b":0\r\n");
        let stats = s(&c.cmd(&["INFO", "commandstats"]));
        let exec = stats.lines().find(|l| l.starts_with("cmdstat_exec:")).unwrap_or("");
        assert!(exec.contains("rejected_calls=2"), "{} {exec}", kind.label());
        // A coded error keeps its code.
        c.cmd(&["CONFIG", "SET", "requirepass", "pw"]);
        let mut d = srv.conn();
        assert_eq!(
            d.cmd(&["EXEC"]),
            b"-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n",
            "{}",
            kind.label()
        );
    }
}

#[test]
fn watch_invalidated_by_flush_swapdb_move_and_expiry() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let (mut a, mut b) = (srv.conn(), srv.conn());
        let run = |a: &mut Conn| {
            a.cmd(&["MULTI"]);
            a.cmd(&["PING"]);
            a.cmd(&["EXEC"])
        };
        // FLUSHALL from another client, on an existing watched key.
        a.cmd(&["SET", "k", "1"]);
        a.cmd(&["WATCH", "k"]);
        b.cmd(&["FLUSHALL"]);
        assert_eq!(run(&mut a), b"*-1\r\n", "{} flushall", kind.label());
        // FLUSHDB of an empty db does not touch a missing key.
        a.cmd(&["WATCH", "k"]);
        b.cmd(&["FLUSHDB"]);
        assert_eq!(run(&mut a), b"*1\r\n+PONG\r\n");
        // SWAPDB bringing the key in from another db.
        b.cmd(&["SELECT", "1"]);
        b.cmd(&["SET", "k", "in-db1"]);
        a.cmd(&["WATCH", "k"]);
        b.cmd(&["SWAPDB", "0", "1"]);
        assert_eq!(run(&mut a), b"*-1\r\n", "{} swapdb", kind.label());
        // MOVE of the watched key into db 1 (from db 0, where it now is).
        a.cmd(&["WATCH", "k"]);
        b.cmd(&["SELECT", "0"]);
        b.cmd(&["MOVE", "k", "1"]);
        assert_eq!(run(&mut a), b"*-1\r\n", "{} move out", kind.label());
        // MOVE into the watched db from another db.
        a.cmd(&["WATCH", "k"]);
        b.cmd(&["SELECT", "1"]);
        b.cmd(&["MOVE", "k", "0"]);
        assert_eq!(run(&mut a), b"*-1\r\n", "{} move in", kind.label());
        // A watched key that expires before EXEC (still in the keyspace: active expiry off).
        a.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        a.cmd(&["SET", "e", "1", "PX", "20"]);
        a.cmd(&["WATCH", "e"]);
        // Sleeping (not asserting on time) just gets past the deadline; reading the key would delete it lazily.
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(run(&mut a), b"*-1\r\n", "{} expiry", kind.label());
        a.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
        // UNWATCH forgets a touch.
        a.cmd(&["WATCH", "u"]);
        b.cmd(&["SELECT", "0"]);
        b.cmd(&["SET", "u", "1"]);
        a.cmd(&["UNWATCH"]);
        assert_eq!(run(&mut a), b"*1\r\n+PONG\r\n");
    }
}

#[test]
fn client_pause_write_defers_set_but_not_get() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let (mut a, mut b, mut c) = (srv.conn(), srv.conn(), srv.conn());
        let b_id = client_id(&mut b);
        c.cmd(&["SET", "k", "old"]);
        assert_eq!(a.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]), b"+OK\r\n");
        // Reads go through during a WRITE pause.
        assert_eq!(b.cmd(&["GET", "k"]), b"$3\r\nold\r\n");
        // The SET is held back (not rejected): the client shows as blocked and the value is unchanged.
        b.send(&["SET", "k", "new"]).unwrap();
        wait_for("the SET to be postponed", || client_line(&mut c, b_id).contains(" flags=b "));
        assert!(s(&c.cmd(&["INFO", "clients"])).contains("blocked_clients:1\r\n"));
        assert_eq!(c.cmd(&["GET", "k"]), b"$3\r\nold\r\n");
        assert_eq!(a.cmd(&["CLIENT", "UNPAUSE"]), b"+OK\r\n");
        assert_eq!(b.read_reply().unwrap(), b"+OK\r\n");
        assert_eq!(c.cmd(&["GET", "k"]), b"$3\r\nnew\r\n");
        // A read-only transaction runs during a WRITE pause; one that writes waits.
        a.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]);
        b.cmd(&["MULTI"]);
        b.cmd(&["GET", "k"]);
        assert_eq!(b.cmd(&["EXEC"]), b"*1\r\n$3\r\nnew\r\n");
        b.send(&["DEL", "k"]).unwrap();
        wait_for("the DEL to be postponed", || client_line(&mut c, b_id).contains(" flags=b "));
        assert_eq!(c.cmd(&["EXISTS", "k"]), b":1\r\n");
        a.cmd(&["CLIENT", "UNPAUSE"]);
        assert_eq!(b.read_reply().unwrap(), b":1\r\n");
        // A pause that ends by itself releases the held commands.
        a.cmd(&["CLIENT", "PAUSE", "50", "ALL"]);
        assert_eq!(b.cmd(&["PING"]), b"+PONG\r\n");
    }
}

/// The `expired_keys` counter of INFO stats.
fn expired_keys(c: &mut Conn) -> i64 {
    info_field(c, "stats", "expired_keys").parse().unwrap()
}

#[test]
fn client_pause_keeps_expired_keys_until_unpaused() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let mut a = srv.conn();
        let before = expired_keys(&mut a);
        // The pause starts inside the transaction, right after the keys get a 1 ms TTL.
        a.cmd(&["MULTI"]);
        a.cmd(&["SET", "foo", "bar", "PX", "1"]);
        a.cmd(&["SET", "bar", "foo", "PX", "1"]);
        a.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]);
        assert_eq!(a.cmd(&["EXEC"]), b"*3\r\n+OK\r\n+OK\r\n+OK\r\n", "{kind:?}");
        // Both keys are past their TTL: reads report them missing...
        wait_for("the TTLs to pass", || a.cmd(&["PTTL", "foo"]) == b":-2\r\n");
        assert_eq!(a.cmd(&["GET", "foo"]), b"$-1\r\n", "{kind:?}");
        assert_eq!(a.cmd(&["EXISTS", "foo", "bar"]), b":0\r\n", "{kind:?}");
        // ...but neither lazy nor active expiry deletes them while the pause holds (give the cron a few ticks).
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(a.cmd(&["DBSIZE"]), b":2\r\n", "{kind:?}");
        assert_eq!(expired_keys(&mut a), before, "{kind:?}");
        // Once unpaused, an access deletes the key and counts it.
        a.cmd(&["CLIENT", "UNPAUSE"]);
        assert_eq!(a.cmd(&["GET", "foo"]), b"$-1\r\n", "{kind:?}");
        wait_for("both keys to expire", || a.cmd(&["DBSIZE"]) == b":0\r\n");
        assert_eq!(expired_keys(&mut a), before + 2, "{kind:?}");
    }
}

#[test]
fn client_kill_filters() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let mut admin = srv.conn();
        let mut v1 = srv.conn();
        let mut v2 = srv.conn();
        v2.cmd(&["PING"]);
        let v1_id = client_id(&mut v1);
        let v2_id = client_id(&mut v2);
        let line = client_line(&mut admin, v1_id);
        let field = |name: &str| -> String {
            line.split(' ').find_map(|f| f.strip_prefix(&format!("{name}="))).unwrap_or("").to_string()
        };
        let (addr, laddr) = (field("addr"), field("laddr"));
        // Filters that match nobody.
        assert_eq!(admin.cmd(&["CLIENT", "KILL", "ADDR", "1.2.3.4:5"]), b":0\r\n");
        assert_eq!(admin.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]), b":0\r\n");
        assert_eq!(admin.cmd(&["CLIENT", "KILL", "TYPE", "master"]), b":0\r\n");
        assert_eq!(admin.cmd(&["CLIENT", "KILL", "USER", "nobody"]), b"-ERR No such user 'nobody'\r\n");
        // ADDR + LADDR + USER + ID combined.
        let killed =
            admin.cmd(&["CLIENT", "KILL", "ADDR", &addr, "LADDR", &laddr, "USER", "default", "ID", &v1_id.to_string()]);
        assert_eq!(killed, b":1\r\n", "{}", kind.label());
        let (_, closed) = v1.read_until_close(2000);
        assert!(closed);
        // Old form.
        let line = client_line(&mut admin, v2_id);
        let addr2 = line.split(' ').find_map(|f| f.strip_prefix("addr=")).unwrap_or("").to_string();
        assert_eq!(admin.cmd(&["CLIENT", "KILL", &addr2]), b"+OK\r\n");
        assert_eq!(admin.cmd(&["CLIENT", "KILL", &addr2]), b"-ERR No such client\r\n");
        // TYPE normal skips the caller by default; SKIPME no includes it.
        let mut v3 = srv.conn();
        assert_eq!(v3.cmd(&["PING"]), b"+PONG\r\n");
        assert_eq!(admin.cmd(&["CLIENT", "KILL", "TYPE", "normal"]), b":1\r\n");
        assert!(v3.read_until_close(2000).1);
        assert_eq!(admin.cmd(&["PING"]), b"+PONG\r\n");
        admin.send(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"]).unwrap();
        let (out, closed) = admin.read_until_close(2000);
        assert_eq!(out, b":1\r\n");
        assert!(closed);
    }
}

#[test]
fn client_kill_maxage() {
    // MAXAGE (a filter Redis added after 7.0) on ferredis only: young connections survive a large MAXAGE.
    let srv = start(Kind::Ferredis);
    let mut admin = srv.conn();
    let _v = srv.conn();
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "MAXAGE", "100000"]), b":0\r\n");
}

#[test]
fn monitor_sees_queued_commands_at_exec() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let (mut m, mut c) = (srv.conn(), srv.conn());
        assert_eq!(m.cmd(&["MONITOR"]), b"+OK\r\n");
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "a", "1"]);
        c.cmd(&["GET", "a"]);
        c.cmd(&["EXEC"]);
        let mut lines = Vec::new();
        for _ in 0..4 {
            let r = s(&m.read_reply().unwrap());
            lines.push(r.split("] ").nth(1).unwrap_or("").trim_end().to_string());
        }
        assert_eq!(lines, vec!["\"MULTI\"", "\"SET\" \"a\" \"1\"", "\"GET\" \"a\"", "\"EXEC\""], "{}", kind.label());
    }
}

#[test]
fn disconnect_frees_transaction_state() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let mut a = srv.conn();
        a.cmd(&["WATCH", "k"]);
        a.cmd(&["MULTI"]);
        a.cmd(&["SET", "k", "v"]);
        drop(a);
        let mut b = srv.conn();
        wait_for("the client to go", || s(&b.cmd(&["INFO", "clients"])).contains("connected_clients:1\r\n"));
        assert_eq!(b.cmd(&["GET", "k"]), b"$-1\r\n");
        b.cmd(&["SET", "k", "x"]);
        assert_eq!(b.cmd(&["GET", "k"]), b"$1\r\nx\r\n");
    }
}

#[test]
fn redis_crate_transactions() {
    if !crate::common::pair::have_redis() {
        return;
    }
    use redis::Commands;
    for kind in BOTH {
        let srv = start(kind);
        let url = format!("redis://127.0.0.1:{}/", srv.port);
        let client = redis::Client::open(url).unwrap();
        let mut con = client.get_connection().unwrap();
        let (a, b): (i64, i64) = redis::pipe().atomic().incr("n", 5).incr("n", 1).query(&mut con).unwrap();
        assert_eq!((a, b), (5, 6));
        // A transaction with WATCH that another connection disturbs once: the closure runs again.
        let mut other = client.get_connection().unwrap();
        let mut attempts = 0;
        let (v,): (i64,) = redis::transaction(&mut con, &["n"], |con, pipe| {
            let cur: i64 = con.get("n")?;
            attempts += 1;
            if attempts == 1 {
                let _: () = other.set("n", 100)?;
            }
            pipe.set("n", cur + 1).ignore().get("n").query(con)
        })
        .unwrap();
        assert_eq!(v, 101);
        assert_eq!(attempts, 2);
        // Errors inside EXEC come back per command.
        let _: () = con.set("str", "x").unwrap();
        let r: redis::RedisResult<(i64, i64)> = redis::pipe().atomic().incr("str", 1).incr("n", 1).query(&mut con);
        assert!(r.is_err());
        let n: i64 = con.get("n").unwrap();
        assert_eq!(n, 102, "{}", kind.label());
    }
}

/// A WATCHed key deleted by the active expiry cycle (never touched by a client) aborts EXEC, as in Redis.
#[test]
fn watched_key_removed_by_active_expiry_aborts_exec() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let (mut a, mut b) = (srv.conn(), srv.conn());
        assert_eq!(b.cmd(&["SET", "x", "1", "PX", "100"]), b"+OK\r\n");
        assert_eq!(a.cmd(&["WATCH", "x"]), b"+OK\r\n");
        // Nobody reads x: only the background cycle can delete it.
        wait_for("active expiry of x", || info_field(&mut b, "stats", "expired_keys") == "1");
        assert_eq!(a.cmd(&["MULTI"]), b"+OK\r\n");
        assert_eq!(a.cmd(&["PING"]), b"+QUEUED\r\n");
        assert_eq!(a.cmd(&["EXEC"]), b"*-1\r\n", "{}", kind.label());
    }
}

/// `rename-command` (a common hardening line): the old name is unknown, the new one works, "" removes a command;
/// inside MULTI too. Same replies as Redis.
#[test]
fn rename_command_hardening() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = Server::start(kind, &["--rename-command", "flushall", "", "--rename-command", "config", "cfg"]);
        let mut c = srv.conn();
        let label = kind.label();
        assert!(s(&c.cmd(&["FLUSHALL"])).starts_with("-ERR unknown command 'FLUSHALL'"), "{label}");
        assert!(s(&c.cmd(&["CONFIG", "GET", "port"])).starts_with("-ERR unknown command 'CONFIG'"), "{label}");
        assert!(s(&c.cmd(&["cfg", "GET", "port"])).contains(&srv.port.to_string()), "{label}");
        assert_eq!(c.cmd(&["MULTI"]), b"+OK\r\n");
        assert!(s(&c.cmd(&["flushall"])).starts_with("-ERR unknown command"), "{label}");
        assert_eq!(c.cmd(&["EXEC"]), b"-EXECABORT Transaction discarded because of previous errors.\r\n");
    }
}

/// A blocked BLPOP ended by `CLIENT UNBLOCK id ERROR` counts as a failed call in commandstats, as in Redis.
#[test]
fn unblock_error_counts_as_failed_call() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in BOTH {
        let srv = start(kind);
        let (mut a, mut b) = (srv.conn(), srv.conn());
        let id = client_id(&mut a);
        a.send(&["BLPOP", "nolist", "0"]).unwrap();
        wait_blocked(&mut b, 1);
        assert_eq!(b.cmd(&["CLIENT", "UNBLOCK", &id.to_string(), "ERROR"]), b":1\r\n");
        assert!(s(&a.read_reply().unwrap()).starts_with("-UNBLOCKED"), "{}", kind.label());
        let stats = s(&b.cmd(&["INFO", "commandstats"]));
        let line = stats.lines().find(|l| l.starts_with("cmdstat_blpop:")).unwrap_or("").to_string();
        assert!(line.contains("calls=1,") && line.contains("failed_calls=1"), "{}: {line}", kind.label());
    }
}
