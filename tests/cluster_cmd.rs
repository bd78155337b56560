//! CLUSTER, READONLY, READWRITE and ASKING on a standalone server, differentially against Debian's redis-server
//! 7.0.15 (cluster-enabled no): every subcommand's reply, unknown subcommands, arity errors, COMMAND INFO/DOCS
//! entries, the refusal of `noscript` subcommands inside scripts and MULTI's queueing. Also a blocked client that
//! must not be served while a busy script runs (a command served meanwhile must not hand it the script's
//! intermediate state).

mod common;

use common::*;

/// Runs each line on both servers; the replies must be byte-identical.
fn same(f: &mut Conn, r: &mut Conn, lines: &[&str]) {
    for line in lines {
        let (a, b) = (f.cmd_str(line), r.cmd_str(line));
        assert_eq!(escape(&a), escape(&b), "{line}");
    }
}

#[test]
fn cluster_commands_answer_disabled_like_redis() {
    let (fer, red) = (Server::start(Kind::Ferredis, &[]), Server::start(Kind::Redis, &[]));
    let (mut f, mut r) = (fer.conn(), red.conn());
    let subs = [
        "CLUSTER INFO",
        "CLUSTER MYID",
        "CLUSTER NODES",
        "CLUSTER SLOTS",
        "CLUSTER SHARDS",
        "CLUSTER LINKS",
        "CLUSTER HELP",
        "CLUSTER KEYSLOT foo",
        "CLUSTER COUNTKEYSINSLOT 1",
        "CLUSTER GETKEYSINSLOT 1 10",
        "CLUSTER ADDSLOTS 1 2 3",
        "CLUSTER ADDSLOTSRANGE 1 5",
        "CLUSTER DELSLOTS 1",
        "CLUSTER DELSLOTSRANGE 1 5",
        "CLUSTER FLUSHSLOTS",
        "CLUSTER SETSLOT 1 STABLE",
        "CLUSTER MEET 127.0.0.1 7000",
        "CLUSTER FORGET abc",
        "CLUSTER REPLICATE abc",
        "CLUSTER REPLICAS abc",
        "CLUSTER SLAVES abc",
        "CLUSTER COUNT-FAILURE-REPORTS abc",
        "CLUSTER FAILOVER FORCE",
        "CLUSTER RESET HARD",
        "CLUSTER SAVECONFIG",
        "CLUSTER BUMPEPOCH",
        "CLUSTER SET-CONFIG-EPOCH 1",
        "READONLY",
        "READWRITE",
        "ASKING",
        // Unknown subcommands and arity errors come from the dispatcher.
        "CLUSTER",
        "CLUSTER NOSUCH",
        "CLUSTER KEYSLOT",
        "CLUSTER SETSLOT 1",
        "READONLY x",
        "ASKING x",
    ];
    same(&mut f, &mut r, &subs);
    for name in [
        "cluster|reset",
        "cluster|setslot",
        "cluster|meet",
        "cluster|keyslot",
        "cluster|countkeysinslot",
        "cluster|getkeysinslot",
        "cluster|addslotsrange",
        "cluster|failover",
        "readonly",
        "readwrite",
        "asking",
    ] {
        same(&mut f, &mut r, &[&format!("COMMAND INFO {name}"), &format!("COMMAND DOCS {name}")]);
    }
    // Inside MULTI they queue and fail at EXEC like any command.
    same(&mut f, &mut r, &["MULTI", "CLUSTER INFO", "READONLY", "EXEC"]);
}

#[test]
fn noscript_cluster_subcommands_refused_in_scripts() {
    let (fer, red) = (Server::start(Kind::Ferredis, &[]), Server::start(Kind::Redis, &[]));
    let (mut f, mut r) = (fer.conn(), red.conn());
    let lines = [
        // RESET and others are noscript: refused before they run.
        "EVAL \"return redis.pcall('cluster', 'reset', 'hard')\" 0",
        "EVAL \"return redis.pcall('cluster', 'failover')\" 0",
        // INFO is not: it runs and answers the disabled error.
        "EVAL \"return redis.pcall('cluster', 'info')\" 0",
        "EVAL \"return redis.pcall('readonly')\" 0",
    ];
    for line in lines {
        let (a, b) = (f.cmd_str(line), r.cmd_str(line));
        // Script error texts carry the script's sha; compare them whole (same body on both sides).
        assert_eq!(escape(&a), escape(&b), "{line}");
    }
    let reset =
        String::from_utf8_lossy(&f.cmd_str("EVAL \"return redis.call('cluster', 'reset', 'hard')\" 0")).into_owned();
    assert!(reset.contains("command is not allowed"), "{reset}");
}

/// While a script is busy, a command another client may run (HELLO) must not serve a client blocked on a key the
/// script pushed to: BLPOP gets the script's final state after it ends (`z`), not the element pushed first (`y`).
fn busy_script_blocked_pop(kind: Kind) -> Vec<u8> {
    let srv = Server::start(kind, &[]);
    let mut admin = srv.conn();
    let mut popper = srv.conn();
    let mut script = srv.conn();
    let mut other = srv.conn();
    admin.cmd(&["CONFIG", "SET", "busy-reply-threshold", "10"]);
    admin.cmd(&["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"]);
    popper.send(&["BLPOP", "x", "0"]).expect("send BLPOP");
    wait_for("BLPOP to block", || blocked_clients(&mut admin) == 1);
    let body = "redis.call('lpush', KEYS[1], 'y') \
                local clients \
                while true do \
                  clients = redis.call('client', 'list') \
                  if string.find(clients, 'stopscript') ~= nil then break end \
                end \
                redis.call('lpush', KEYS[1], 'z') \
                return 1";
    script.send(&["EVAL", body, "1", "x"]).expect("send EVAL");
    wait_for("the script to be busy", || admin.cmd(&["PING"]).starts_with(b"-BUSY"));
    let hello = other.cmd(&["HELLO", "2", "SETNAME", "stopscript"]);
    assert!(hello.starts_with(b"*"), "{}", escape(&hello));
    assert_eq!(script.read_reply().expect("EVAL reply"), b":1\r\n");
    let popped = popper.read_reply().expect("BLPOP reply");
    assert_eq!(admin.cmd(&["LRANGE", "x", "0", "-1"]), b"*1\r\n$1\r\ny\r\n");
    popped
}

#[test]
fn busy_script_does_not_serve_blocked_clients() {
    let f = busy_script_blocked_pop(Kind::Ferredis);
    let r = busy_script_blocked_pop(Kind::Redis);
    assert_eq!(escape(&f), escape(&r));
    assert_eq!(f, b"*2\r\n$1\r\nx\r\n$1\r\nz\r\n");
}
