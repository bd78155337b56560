//! CONFIG SET port / bind re-open the listening sockets at run time (Redis 7.0's updatePort / applyBind), and
//! `bind-source-addr` picks a replica's outgoing address. Every scenario runs on ferredis and on redis-server, and
//! the replies must be the same bytes.

use crate::common;
use common::{free_port, Conn, KillOnDrop, Kind, Server};
use std::net::{TcpListener, TcpStream};

fn reachable(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Runs `scenario` on both servers and checks that the transcripts match.
fn differential(scenario: fn(&Server) -> Vec<String>) {
    let f = Server::start(Kind::Ferredis, &[]);
    let r = Server::start(Kind::Redis, &[]);
    let (ft, rt) = (scenario(&f), scenario(&r));
    assert_eq!(ft, rt, "ferredis vs redis-server transcripts differ");
}

fn reply(c: &mut Conn, args: &[&str]) -> String {
    String::from_utf8_lossy(&c.cmd(args)).into_owned()
}

#[test]
fn port_moves_and_failure_keeps_the_old_one() {
    if !crate::common::pair::have_redis() {
        return;
    }
    differential(|s| {
        let mut t = Vec::new();
        let mut c = s.conn();
        let new_port = free_port();
        t.push(reply(&mut c, &["CONFIG", "SET", "port", &new_port.to_string()]));
        // The connection that asked survives; the old port is closed, the new one accepts.
        t.push(reply(&mut c, &["PING"]));
        t.push(format!("old reachable: {}", reachable(s.port)));
        let mut c2 = Conn::connect(new_port);
        t.push(reply(&mut c2, &["CONFIG", "GET", "port"]).replace(&new_port.to_string(), "<new>"));
        // The process title follows (Linux: /proc/<pid>/cmdline holds the title).
        if let Ok(title) = std::fs::read(format!("/proc/{}/cmdline", s.pid())) {
            let title = String::from_utf8_lossy(&title).into_owned();
            t.push(format!("title names new port: {}", title.contains(&format!(":{new_port}"))));
        }
        // A port someone else holds: Redis's error, and the server still listens where it did.
        let holder = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let taken = holder.local_addr().unwrap().port();
        t.push(reply(&mut c2, &["CONFIG", "SET", "port", &taken.to_string()]));
        t.push(reply(&mut c2, &["CONFIG", "GET", "port"]).replace(&new_port.to_string(), "<new>"));
        t.push(format!("new reachable: {}", reachable(new_port)));
        // port 0 closes TCP; the open connection can bring it back.
        t.push(reply(&mut c2, &["CONFIG", "SET", "port", "0"]));
        t.push(format!("reachable after port 0: {}", reachable(new_port)));
        t.push(reply(&mut c2, &["CONFIG", "SET", "port", &new_port.to_string()]));
        t.push(format!("reachable again: {}", reachable(new_port)));
        t
    });
}

#[test]
fn bind_changes_and_failure() {
    if !crate::common::pair::have_redis() {
        return;
    }
    differential(|s| {
        let mut t = Vec::new();
        let mut c = s.conn();
        // Not an address: Redis's apply error; the old listener stays.
        t.push(reply(&mut c, &["CONFIG", "SET", "bind", "999.999.999.999"]));
        t.push(reply(&mut c, &["CONFIG", "GET", "bind"]));
        t.push(format!("reachable: {}", reachable(s.port)));
        // Growing the set around the address already bound (the same port stays usable throughout).
        t.push(reply(&mut c, &["CONFIG", "SET", "bind", "127.0.0.1 -::1"]));
        t.push(format!("reachable: {}", reachable(s.port)));
        // No address at all: nobody new gets in, and `bind ""` reads back empty.
        t.push(reply(&mut c, &["CONFIG", "SET", "bind", ""]));
        t.push(reply(&mut c, &["CONFIG", "GET", "bind"]));
        t.push(format!("reachable with no bind: {}", reachable(s.port)));
        t.push(reply(&mut c, &["CONFIG", "SET", "bind", "127.0.0.1"]));
        t.push(format!("reachable again: {}", reachable(s.port)));
        // Both at once: the first of the two names the error.
        let holder = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let taken = holder.local_addr().unwrap().port().to_string();
        t.push(reply(&mut c, &["CONFIG", "SET", "bind", "127.0.0.1", "port", &taken]));
        t.push(reply(&mut c, &["CONFIG", "SET", "port", &taken, "bind", "127.0.0.1"]));
        t.push(format!("reachable: {}", reachable(s.port)));
        t
    });
}

/// `bind-source-addr`: a replica connects to its master from that address (needs 127.0.0.2 on loopback, as on
/// Linux).
#[test]
fn replica_connects_from_bind_source_addr() {
    if !crate::common::pair::have_redis() {
        return;
    }
    if std::net::UdpSocket::bind(("127.0.0.2", 0)).is_err() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let master = Server::start(kind, &["--protected-mode", "no"]);
        let replica = Server::start(kind, &["--bind-source-addr", "127.0.0.2"]);
        let mut m = master.conn();
        let mut r = replica.conn();
        assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]), b"+OK\r\n");
        let mut seen = String::new();
        for _ in 0..100 {
            seen = String::from_utf8_lossy(&m.cmd(&["INFO", "replication"])).into_owned();
            if seen.contains("slave0:") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(seen.contains("slave0:ip=127.0.0.2,"), "{}: {seen}", kind.label());
    }
}

fn oom_score(s: &Server) -> String {
    std::fs::read_to_string(format!("/proc/{}/oom_score_adj", s.pid())).unwrap_or_default().trim().to_string()
}

/// `oom-score-adj` sets the process's OOM score (relative to the score it started with, or absolute), `no` puts
/// the original back, and a CONFIG SET whose `port` fails to apply rolls an applied score back (Redis's
/// restoreBackupConfig). Linux only.
#[test]
fn oom_score_adj_applies_and_rolls_back() {
    if !crate::common::pair::have_redis() {
        return;
    }
    if !std::path::Path::new("/proc/self/oom_score_adj").exists() {
        return;
    }
    differential(|s| {
        let mut c = s.conn();
        let mut t = vec![oom_score(s)];
        t.push(reply(&mut c, &["CONFIG", "SET", "oom-score-adj-values", "10 20 30"]));
        t.push(oom_score(s));
        t.push(reply(&mut c, &["CONFIG", "SET", "oom-score-adj", "yes"]));
        t.push(oom_score(s));
        t.push(reply(&mut c, &["CONFIG", "SET", "oom-score-adj", "absolute", "oom-score-adj-values", "5 6 7"]));
        t.push(oom_score(s));
        // The replica's score while replicating, the master's again after REPLICAOF NO ONE.
        let nowhere = free_port().to_string();
        t.push(reply(&mut c, &["REPLICAOF", "127.0.0.1", &nowhere]));
        t.push(oom_score(s));
        t.push(reply(&mut c, &["REPLICAOF", "NO", "ONE"]));
        t.push(oom_score(s));
        t.push(reply(&mut c, &["CONFIG", "SET", "oom-score-adj", "no"]));
        t.push(oom_score(s));
        let holder = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let taken = holder.local_addr().unwrap().port().to_string();
        t.push(reply(&mut c, &["CONFIG", "SET", "oom-score-adj", "relative", "port", &taken]));
        t.push(oom_score(s));
        t.push(reply(&mut c, &["CONFIG", "GET", "oom-score-adj"]));
        t
    });
}

/// A multi-value enum given no value at all is refused at startup, as Redis does (the server must not start).
#[test]
fn startup_refuses_an_empty_shutdown_flag_list() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for bin in [common::ferredis_bin(), common::redis_bin()] {
        let port = free_port().to_string();
        let mut child = std::process::Command::new(&bin)
            .args(["--port", &port, "--save", "", "--shutdown-on-sigint", "now", "--shutdown-on-sigterm"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run server");
        // A server that starts anyway is stopped rather than waited for.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while child.try_wait().expect("wait").is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = child.kill();
        let out = child.wait_with_output().expect("output");
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}: started", bin.display());
        assert!(
            text.contains(">>> 'shutdown-on-sigterm'")
                && text.contains("argument(s) must be one of the following: default, save, nosave, now, force"),
            "{}: {text}",
            bin.display()
        );
    }
}

/// While a dataset loads, CONFIG SET of `dir` (and `appendonly`, `repl-diskless-load`) answers -LOADING, other
/// settings apply (Redis's DENY_LOADING_CONFIG).
#[test]
fn config_set_dir_is_refused_while_loading() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for kind in [Kind::Ferredis, Kind::Redis] {
        let dir = common::TempDir::new("loading-cfg");
        {
            let mut s = Server::start_in(kind, dir.path(), &[]);
            let mut c = s.conn();
            assert_eq!(c.cmd(&["DEBUG", "POPULATE", "100000", "key", "100"]), b"+OK\r\n");
            assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
            s.shutdown(&["NOSAVE"]);
        }
        let port = free_port();
        let bin = if kind == Kind::Ferredis { common::ferredis_bin() } else { common::redis_bin() };
        let child = std::process::Command::new(bin)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--key-load-delay",
                "100",
                "--enable-protected-configs",
                "yes",
            ])
            .args(["--loading-process-events-interval-bytes", "1024", "--dir", dir.path().to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // Killed on every path, a failed assertion included.
        let _guard = KillOnDrop(child);
        let mut c = loop {
            if let Ok(c) = Conn::try_connect(port) {
                break c;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
        // 100k keys at 100 µs each: the load lasts about ten seconds.
        assert!(info.contains("loading:1"), "{}: not loading", kind.label());
        assert_eq!(c.cmd(&["CONFIG", "SET", "loglevel", "debug"]), b"+OK\r\n", "{}", kind.label());
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "dir", "asdf"]),
            b"-LOADING Redis is loading the dataset in memory\r\n",
            "{}",
            kind.label()
        );
    }
}
