//! The query buffer as CLIENT LIST shows it (`qbuf` + `qbuf-free`) follows Redis 7.0's clientsCronResizeQueryBuffer:
//! an idle client's buffer is released entirely, and a busy client's oversized buffer shrinks to its recent peak.
//! The same checks run on ferredis and redis-server (the exact sizes differ with the allocator, the rules don't).

mod common;
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
