//! What the connection layer does around commands: MONITOR feeds, stats, slowlog, CLIENT KILL/REPLY, QUIT,
//! SHUTDOWN. Expected bytes were checked against redis-server 7.0.15.

use crate::common;
use common::net as net_support;
use net_support::Server;

/// Replaces the `<secs>.<usecs>` timestamp and the client port of a MONITOR line.
fn normalize_monitor(line: &[u8]) -> String {
    let s = String::from_utf8_lossy(line).into_owned();
    let (head, rest) = s.split_once(" [").expect("timestamp");
    let ts = head.trim_start_matches('+');
    let (secs, usecs) = ts.split_once('.').expect("secs.usecs");
    assert!(secs.chars().all(|c| c.is_ascii_digit()) && usecs.len() == 6, "{s}");
    let (db_peer, args) = rest.split_once("] ").expect("peer");
    let (db, peer) = db_peer.split_once(' ').unwrap();
    let host = peer.rsplit_once(':').map(|(h, _)| h).unwrap_or(peer);
    format!("+T [{db} {host}:P] {args}")
}

#[test]
fn monitor_sees_commands_with_redis_escaping() {
    let s = Server::start(&[]);
    let mut m = s.connect();
    m.send(b"MONITOR\r\n");
    m.expect(b"+OK\r\n");
    let mut c = s.connect();
    c.send(b"*3\r\n$3\r\nSET\r\n$4\r\na b\n\r\n$2\r\n\x00\xff\r\nget \"x\"\r\nCONFIG GET maxclients\r\nSELECT 2\r\nFOO\r\nGET\r\nPING\r\n");
    c.expect(b"+OK\r\n$-1\r\n*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n+OK\r\n");
    c.expect(b"-ERR unknown command 'FOO', with args beginning with: \r\n");
    c.expect(b"-ERR wrong number of arguments for 'get' command\r\n+PONG\r\n");
    // Admin commands (CONFIG) and rejected commands are not shown; the db is the one after the command.
    let expected = [
        "+T [0 127.0.0.1:P] \"SET\" \"a b\\n\" \"\\x00\\xff\"\r\n",
        "+T [0 127.0.0.1:P] \"get\" \"x\"\r\n",
        "+T [2 127.0.0.1:P] \"SELECT\" \"2\"\r\n",
        "+T [2 127.0.0.1:P] \"PING\"\r\n",
    ];
    for e in expected {
        assert_eq!(normalize_monitor(&m.read_line()), e);
    }
    // A monitor that leaves is forgotten; the other client keeps working.
    drop(m);
    c.send(b"PING\r\n");
    c.expect(b"+PONG\r\n");
}

#[test]
fn monitor_over_unix_socket_names_the_socket() {
    let dir = net_support::temp_dir("monunix");
    let path = dir.join("m.sock");
    let s = Server::start(&["--unixsocket", path.to_str().unwrap()]);
    let mut m = s.connect();
    m.send(b"MONITOR\r\n");
    m.expect(b"+OK\r\n");
    let mut u = net_support::Conn::from_unix(std::os::unix::net::UnixStream::connect(&path).unwrap());
    u.send(b"PING\r\n");
    u.expect(b"+PONG\r\n");
    let line = String::from_utf8(m.read_line()).unwrap();
    assert!(line.ends_with(&format!(" [0 unix:{}] \"PING\"\r\n", path.display())), "{line}");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

fn info_section(c: &mut net_support::Conn, section: &str) -> String {
    c.send(format!("INFO {section}\r\n").as_bytes());
    let header = c.read_line();
    let n: usize = String::from_utf8_lossy(&header[1..header.len() - 2]).parse().unwrap();
    let body = c.read_exact(n + 2);
    String::from_utf8_lossy(&body).into_owned()
}

fn stat_line<'a>(info: &'a str, prefix: &str) -> &'a str {
    info.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix} in {info}"))
}

fn without_usec(line: &str) -> String {
    line.split(',').filter(|p| !p.starts_with("usec")).collect::<Vec<_>>().join(",")
}

#[test]
fn command_and_error_stats() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.send(b"CONFIG RESETSTAT\r\nGET a\r\nGET\r\nFOO\r\nINCR a\r\nSET a x\r\nINCR a\r\nCLIENT FOO\r\nCLIENT\r\n");
    c.expect(b"+OK\r\n$-1\r\n-ERR wrong number of arguments for 'get' command\r\n");
    c.expect(b"-ERR unknown command 'FOO', with args beginning with: \r\n:1\r\n+OK\r\n");
    c.expect(b"-ERR value is not an integer or out of range\r\n");
    c.expect(b"-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n");
    c.expect(b"-ERR wrong number of arguments for 'client' command\r\n");
    let cs = info_section(&mut c, "commandstats");
    assert_eq!(without_usec(stat_line(&cs, "cmdstat_get:")), "cmdstat_get:calls=1,rejected_calls=1,failed_calls=0");
    assert_eq!(without_usec(stat_line(&cs, "cmdstat_incr:")), "cmdstat_incr:calls=2,rejected_calls=0,failed_calls=1");
    assert_eq!(
        without_usec(stat_line(&cs, "cmdstat_client:")),
        "cmdstat_client:calls=0,rejected_calls=1,failed_calls=0"
    );
    assert_eq!(
        without_usec(stat_line(&cs, "cmdstat_config|resetstat:")),
        "cmdstat_config|resetstat:calls=1,rejected_calls=0,failed_calls=0"
    );
    let es = info_section(&mut c, "errorstats");
    assert_eq!(stat_line(&es, "errorstat_"), "errorstat_ERR:count=5");
    let st = info_section(&mut c, "stats");
    assert_eq!(stat_line(&st, "total_error_replies:"), "total_error_replies:5");
}

#[test]
fn pipelined_runs_of_one_command_are_all_counted() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    let mut req = b"CONFIG RESETSTAT\r\n".to_vec();
    for _ in 0..500 {
        req.extend_from_slice(b"GET k\r\n");
    }
    req.extend_from_slice(b"INFO commandstats\r\n");
    c.send(&req);
    c.expect(b"+OK\r\n");
    for _ in 0..500 {
        c.expect(b"$-1\r\n");
    }
    let header = c.read_line();
    let n: usize = String::from_utf8_lossy(&header[1..header.len() - 2]).parse().unwrap();
    let cs = String::from_utf8_lossy(&c.read_exact(n + 2)).into_owned();
    assert!(stat_line(&cs, "cmdstat_get:").starts_with("cmdstat_get:calls=500,"), "{cs}");
}

#[test]
fn slowlog_records_truncated_arguments() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    let key = "k".repeat(200);
    c.send(
        format!("CONFIG SET slowlog-log-slower-than 0\r\nSLOWLOG RESET\r\nGET {key}\r\nSLOWLOG GET 1\r\n").as_bytes(),
    );
    c.expect(b"+OK\r\n+OK\r\n$-1\r\n");
    c.expect(b"*1\r\n*6\r\n");
    // Ids keep counting across SLOWLOG RESET: CONFIG SET (0) and SLOWLOG RESET (1) were logged too.
    let id = c.read_line();
    assert_eq!(id, b":2\r\n");
    let ts = c.read_line();
    assert!(ts.starts_with(b":"));
    let dur = c.read_line();
    assert!(dur.starts_with(b":"));
    let shown = format!("{}... (72 more bytes)", "k".repeat(128));
    c.expect(format!("*2\r\n$3\r\nGET\r\n${}\r\n{}\r\n", shown.len(), shown).as_bytes());
    assert!(c.read_line().starts_with(b"$"));
    let addr = String::from_utf8(c.read_line()).unwrap();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    c.expect(b"$0\r\n\r\n");
}

#[test]
fn client_reply_off_skip_on() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.send(b"CLIENT REPLY OFF\r\nPING\r\nGET\r\nCLIENT REPLY ON\r\nPING\r\n");
    c.expect(b"+OK\r\n+PONG\r\n");
    c.send(b"CLIENT REPLY SKIP\r\nPING x\r\nPING y\r\n");
    c.expect(b"$1\r\ny\r\n");
}

#[test]
fn client_kill_other_and_self() {
    let s = Server::start(&[]);
    let mut victim = s.connect();
    victim.send(b"CLIENT ID\r\n");
    let id_line = String::from_utf8(victim.read_line()).unwrap();
    let id = id_line.trim_start_matches(':').trim();
    let mut killer = s.connect();
    killer.send(format!("CLIENT KILL ID {id}\r\n").as_bytes());
    killer.expect(b":1\r\n");
    assert!(victim.read_to_eof().is_empty());
    killer.send(b"CLIENT KILL ID 999999\r\n");
    killer.expect(b":0\r\n");
    killer.send(b"CLIENT ID\r\n");
    let me = String::from_utf8(killer.read_line()).unwrap();
    let me = me.trim_start_matches(':').trim().to_string();
    killer.send(format!("CLIENT KILL ID {me} SKIPME no\r\nPING\r\n").as_bytes());
    // The reply to the kill is still written, nothing after it.
    assert_eq!(killer.read_to_eof(), b":1\r\n");
}

#[test]
fn quit_replies_then_closes() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.send(b"PING\r\nQUIT\r\nPING\r\n");
    assert_eq!(c.read_to_eof(), b"+PONG\r\n+OK\r\n");
}

#[test]
fn shutdown_command_exits_cleanly() {
    let dir = net_support::temp_dir("shutdown");
    let pidfile = dir.join("p.pid");
    let mut s = Server::start(&["--pidfile", pidfile.to_str().unwrap()]);
    let mut c = s.connect();
    c.send(b"SHUTDOWN NOSAVE\r\n");
    assert!(c.read_to_eof().is_empty());
    assert_eq!(s.wait_exit(), Some(0));
    assert!(!pidfile.exists());
    assert!(s.log_text().contains("# User requested shutdown..."));
    let _ = std::fs::remove_dir_all(&dir);
}
