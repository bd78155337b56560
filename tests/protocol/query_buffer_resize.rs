//! The query buffer as CLIENT LIST shows it (`qbuf` + `qbuf-free`) follows Redis 7.0's clientsCronResizeQueryBuffer:
//! an idle client's buffer is released entirely, and a busy client's oversized buffer shrinks to its recent peak.
//! The same checks run on ferredis and redis-server (the exact sizes differ with the allocator, the rules don't).

use crate::common;
use common::{Conn, Kind, Server};
use std::time::{Duration, Instant};

/// qbuf + qbuf-free of the client named `name`.
fn query_buffer(admin: &mut Conn, name: &str) -> usize {
    let list = String::from_utf8_lossy(&admin.cmd(&["CLIENT", "LIST"])).into_owned();
    let line = list.lines().find(|l| l.contains(&format!(" name={name} "))).expect("client listed");
    let field = |f: &str| -> usize {
        let start = line.find(&format!(" {f}=")).expect("field") + f.len() + 2;
        line[start..].split(' ').next().and_then(|v| v.parse().ok()).expect("number")
    };
    field("qbuf") + field("qbuf-free")
}

fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn idle_client_query_buffer_is_released() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let s = Server::start(kind, &[]);
        let mut admin = s.conn();
        let mut c = s.conn();
        assert_eq!(c.cmd(&["CLIENT", "SETNAME", "idle_one"]), b"+OK\r\n");
        let first = query_buffer(&mut admin, "idle_one");
        assert!((16384..32768).contains(&first), "{}: initial {first}", kind.label());
        // More than two idle seconds: nothing kept.
        assert!(
            eventually(Duration::from_secs(10), || query_buffer(&mut admin, "idle_one") == 0),
            "{}: idle buffer kept",
            kind.label()
        );
        // The next command still works (the buffer comes back).
        assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    }
}

#[test]
fn busy_client_big_buffer_shrinks_to_its_peak() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let s = Server::start(kind, &[]);
        let mut admin = s.conn();
        let mut c = s.conn();
        assert_eq!(c.cmd(&["CLIENT", "SETNAME", "busy_one"]), b"+OK\r\n");
        let big = "A".repeat(400_000);
        assert_eq!(c.cmd(&["SET", "x", &big]), b"+OK\r\n");
        let orig = query_buffer(&mut admin, "busy_one");
        assert!(orig > 32768, "{}: after a big argument {orig}", kind.label());
        // Small commands keep the client busy: the buffer shrinks, but not to nothing.
        let shrunk = eventually(Duration::from_secs(10), || {
            assert_eq!(c.cmd(&["SET", "x", "small"]), b"+OK\r\n");
            query_buffer(&mut admin, "busy_one") < orig
        });
        assert!(shrunk, "{}: big buffer kept", kind.label());
        let now = query_buffer(&mut admin, "busy_one");
        assert!(now > 0 && now < orig, "{}: {now}", kind.label());
    }
}

fn used_memory(c: &mut Conn) -> u64 {
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "memory"])).into_owned();
    info.lines().find_map(|l| l.strip_prefix("used_memory:")).and_then(|v| v.trim().parse().ok()).expect("used_memory")
}

/// A command with 100k arguments leaves nothing big behind in its client once the value is gone: the query buffer
/// and the argument table are given back by the cron (Redis frees argv after each command), as Redis's lazyfree
/// suite expects after `UNLINK` of such a set.
#[test]
fn many_argument_command_memory_is_given_back() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let s = Server::start(kind, &[]);
        let mut c = s.conn();
        let orig = used_memory(&mut c);
        let mut args: Vec<String> = vec!["SADD".into(), "myset".into()];
        args.extend((0..100_000).map(|i| i.to_string()));
        assert_eq!(c.cmd(&args), b":100000\r\n");
        let peak = used_memory(&mut c);
        assert!(peak > orig + 1_000_000, "{}: {orig} -> {peak}", kind.label());
        assert_eq!(c.cmd(&["UNLINK", "myset"]), b":1\r\n");
        let back = eventually(Duration::from_secs(10), || {
            let now = used_memory(&mut c);
            now < peak && now < orig * 2
        });
        assert!(back, "{}: memory kept: orig {orig}, now {}", kind.label(), used_memory(&mut c));
    }
}
