//! CLUSTER, READONLY, READWRITE and ASKING on a standalone server, differentially against Debian's redis-server
//! 7.0.15 (cluster-enabled no): every subcommand's reply, unknown subcommands, arity errors, COMMAND INFO/DOCS
//! entries, the refusal of `noscript` subcommands inside scripts and MULTI's queueing. Also a blocked client that
//! must not be served while a busy script runs (a command served meanwhile must not hand it the script's
//! intermediate state).

use crate::common;

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
    if !crate::common::pair::have_redis() {
        return;
    }
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
    if !crate::common::pair::have_redis() {
        return;
    }
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
    if !crate::common::pair::have_redis() {
        return;
    }
    let f = busy_script_blocked_pop(Kind::Ferredis);
    let r = busy_script_blocked_pop(Kind::Redis);
    assert_eq!(escape(&f), escape(&r));
    assert_eq!(f, b"*2\r\n$1\r\nx\r\n$1\r\nz\r\n");
}

// --- cluster mode (`cluster-enabled yes`), one node, against `redis-server --cluster-enabled yes` ---------------

/// A single cluster node; the bus port is picked free (port + 10000 may be taken or out of range).
fn cluster_node(kind: Kind) -> Server {
    let cport = free_port().to_string();
    Server::start(kind, &["--cluster-enabled", "yes", "--cluster-port", &cport])
}

fn myid(c: &mut Conn) -> String {
    let r = c.cmd(&["CLUSTER", "MYID"]);
    let s = String::from_utf8_lossy(&r).into_owned();
    s.lines().nth(1).unwrap_or("").to_string()
}

/// A node's reply with its own id, client port and bus port written as `ID`, `PORT` and `CPORT`.
struct Norm {
    id: String,
    port: String,
    cport: String,
}

impl Norm {
    fn of(srv: &Server, c: &mut Conn) -> Norm {
        let cport = String::from_utf8_lossy(&c.cmd(&["CONFIG", "GET", "cluster-port"])).into_owned();
        let cport = cport.lines().nth(4).unwrap_or("").to_string();
        Norm { id: myid(c), port: srv.port.to_string(), cport }
    }
    fn apply(&self, b: &[u8]) -> String {
        escape(b).replace(&self.id, "ID").replace(&self.cport, "CPORT").replace(&self.port, "PORT")
    }
}

/// Runs each line on both nodes; the replies must be the same once ids and ports are normalized.
fn same_norm(f: &mut Conn, fnorm: &Norm, r: &mut Conn, rnorm: &Norm, lines: &[&str]) {
    for line in lines {
        let (fl, rl) = (line.replace("MYID", &fnorm.id), line.replace("MYID", &rnorm.id));
        let (a, b) = (f.cmd_str(&fl), r.cmd_str(&rl));
        assert_eq!(fnorm.apply(&a), rnorm.apply(&b), "{line}");
    }
}

fn cluster_ok(c: &mut Conn) -> bool {
    String::from_utf8_lossy(&c.cmd(&["CLUSTER", "INFO"])).contains("cluster_state:ok")
}

#[test]
fn cluster_mode_single_node_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (fer, red) = (cluster_node(Kind::Ferredis), cluster_node(Kind::Redis));
    let (mut f, mut r) = (fer.conn(), red.conn());
    let (fnorm, rnorm) = (Norm::of(&fer, &mut f), Norm::of(&red, &mut r));
    assert_eq!(fnorm.id.len(), 40);
    let fresh = [
        "CLUSTER INFO",
        "CLUSTER NODES",
        "CLUSTER SLOTS",
        "CLUSTER SHARDS",
        "CLUSTER LINKS",
        "CLUSTER HELP",
        "CLUSTER KEYSLOT foo",
        "CLUSTER KEYSLOT {user1000}.following",
        "CLUSTER COUNTKEYSINSLOT 16384",
        "CLUSTER COUNTKEYSINSLOT x",
        "CLUSTER GETKEYSINSLOT 1 -1",
        "CLUSTER ADDSLOTS 16384",
        "CLUSTER ADDSLOTS x",
        "CLUSTER ADDSLOTS 1 1",
        "CLUSTER DELSLOTS 1",
        "CLUSTER ADDSLOTSRANGE 5 1",
        "CLUSTER ADDSLOTSRANGE 1 2 3",
        "CLUSTER DELSLOTSRANGE 1 2",
        "CLUSTER SETSLOT 1 NODE 0000000000000000000000000000000000000000",
        "CLUSTER SETSLOT 1 MIGRATING MYID",
        "CLUSTER SETSLOT 1 IMPORTING nosuch",
        "CLUSTER SETSLOT 1 BOGUS",
        "CLUSTER SETSLOT 1 STABLE x",
        "CLUSTER SETSLOT 99999 STABLE",
        "CLUSTER FORGET MYID",
        "CLUSTER FORGET nosuch",
        "CLUSTER REPLICATE MYID",
        "CLUSTER REPLICATE nosuch",
        "CLUSTER REPLICAS MYID",
        "CLUSTER REPLICAS nosuch",
        "CLUSTER COUNT-FAILURE-REPORTS MYID",
        "CLUSTER FAILOVER",
        "CLUSTER FAILOVER bogus",
        "CLUSTER MEET 127.0.0.1 notaport",
        "CLUSTER MEET 127.0.0.1 7000 notaport",
        "CLUSTER MEET 127.0.0.1 0",
        "CLUSTER MEET notanip 7000",
        "CLUSTER RESET bogus",
        // One argument too many: the subcommand syntax error, naming the subcommand as sent.
        "CLUSTER RESET HARD x",
        "CLUSTER FailOver FORCE x",
        "CLUSTER MEET 127.0.0.1 7000 17000 x",
        "CLUSTER SET-CONFIG-EPOCH -1",
        "SELECT 1",
        "SELECT 0",
        "SWAPDB 0 1",
        "MOVE foo 1",
        "COPY foo bar DB 1",
        "REPLICAOF 127.0.0.1 7000",
        "READONLY",
        "READWRITE",
        "ASKING",
        // No slot served yet.
        "GET foo",
        "CLUSTER INFO",
    ];
    same_norm(&mut f, &fnorm, &mut r, &rnorm, &fresh);
    same_norm(&mut f, &fnorm, &mut r, &rnorm, &["CLUSTER ADDSLOTSRANGE 0 5460 5462 16383", "CLUSTER ADDSLOTS 5461"]);
    wait_for("both nodes to reach cluster_state:ok", || cluster_ok(&mut f) && cluster_ok(&mut r));
    let serving = [
        "CLUSTER INFO",
        "CLUSTER NODES",
        "CLUSTER SLOTS",
        "CLUSTER SHARDS",
        "SET foo bar",
        "GET foo",
        "MSET a 1 b 2",
        "MSET {a}1 x {a}2 y",
        "CLUSTER COUNTKEYSINSLOT 12182",
        "CLUSTER GETKEYSINSLOT 12182 10",
        "CLUSTER FLUSHSLOTS",
        "CLUSTER RESET",
        "CLUSTER SETSLOT 12182 NODE 0000000000000000000000000000000000000000",
        "CLUSTER SETSLOT 12182 IMPORTING MYID",
        // Migrating a slot to ourselves: missing keys get -ASK, several keys with some missing -TRYAGAIN.
        "CLUSTER SETSLOT 12182 MIGRATING MYID",
        "CLUSTER NODES",
        "GET foo",
        "GET {foo}x",
        "MGET foo {foo}x",
        "CLUSTER SETSLOT 12182 STABLE",
        "CLUSTER NODES",
        // Transactions: each queued command is checked, and EXEC of all of them.
        "MULTI",
        "SET {a}1 z",
        "GET {a}2",
        "EXEC",
        "MULTI",
        "SET a 1",
        "SET b 1",
        "EXEC",
        // Scripts: declared keys are checked like a command's; undeclared ones must stay in their slot.
        "EVAL \"return 1\" 2 a b",
        "EVAL \"return redis.call('get', KEYS[1])\" 1 foo",
        "EVAL \"return redis.pcall('get', 'a')\" 1 foo",
        "EVAL \"return redis.pcall('get', 'a')\" 0",
        "EVAL \"#!lua flags=no-cluster\nreturn 1\" 0",
        "EVAL \"#!lua flags=allow-cross-slot-keys\nredis.call('get', 'a') return redis.call('get', 'b')\" 0",
        "SPUBLISH ch hello",
        // Unassigned slot.
        "CLUSTER DELSLOTS 12182",
        "GET foo",
        "CLUSTER ADDSLOTS 12182",
        "CLUSTER SET-CONFIG-EPOCH 5",
        "CLUSTER SET-CONFIG-EPOCH 6",
        "CLUSTER BUMPEPOCH",
        "CLUSTER INFO",
        "CLUSTER SAVECONFIG",
        "INFO cluster",
    ];
    same_norm(&mut f, &fnorm, &mut r, &rnorm, &serving);
    // A client blocked on a slot that stops being served here is unblocked with the redirection.
    let blocked = |srv: &Server, main: &mut Conn| {
        let mut b = srv.conn();
        b.send(&["BLPOP", "{a}list", "0"]).expect("send BLPOP");
        wait_for("BLPOP to block", || blocked_clients(main) == 1);
        assert_eq!(main.cmd(&["CLUSTER", "DELSLOTS", "15495"]), b"+OK\r\n");
        let reply = b.read_reply().expect("BLPOP reply");
        assert_eq!(main.cmd(&["CLUSTER", "ADDSLOTS", "15495"]), b"+OK\r\n");
        reply
    };
    let (fb, rb) = (blocked(&fer, &mut f), blocked(&red, &mut r));
    assert_eq!(escape(&fb), escape(&rb));
    assert!(fb.starts_with(b"-CLUSTERDOWN"), "{}", escape(&fb));
    // The same nodes.conf (ids and ports aside, and the shard ids Redis 7.2 added as an aux field:
    // `ip:port@cport,[hostname],shard-id=<id>`).
    let without_shard_ids = |text: String| -> String {
        let mut out = text;
        while let Some(at) = out.find(",shard-id=") {
            out.replace_range(at..(at + ",shard-id=".len() + 40).min(out.len()), "");
            // An empty hostname leaves its comma: `@cport, flags`.
            if out[..at].ends_with(',') {
                out.remove(at - 1);
            }
        }
        out
    };
    let file = |s: &Server| without_shard_ids(std::fs::read_to_string(s.dir().join("nodes.conf")).unwrap());
    assert_eq!(fnorm.apply(file(&fer).as_bytes()), rnorm.apply(file(&red).as_bytes()));
    let text = file(&fer);
    assert!(text.ends_with("vars currentEpoch 5 lastVoteEpoch 0\n"), "{text}");
}

#[test]
fn nodes_conf_survives_restart_and_is_locked() {
    let dir = TempDir::new("cluster-conf");
    let cport = free_port().to_string();
    let args = ["--cluster-enabled", "yes", "--cluster-port", cport.as_str()];
    let mut first = Server::start_in(Kind::Ferredis, dir.path(), &args);
    let mut c = first.conn();
    let id = myid(&mut c);
    assert!(first.full_log().contains(&format!("No cluster configuration found, I'm {id}")));
    assert_eq!(c.cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "99"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["CLUSTER", "SETSLOT", "7", "MIGRATING", &id]), b"+OK\r\n");
    // A second node on the same file is refused while the first holds it.
    let other = free_port().to_string();
    let (status, log) = run_until_exit(
        Kind::Ferredis,
        dir.path(),
        &["--cluster-enabled", "yes", "--cluster-port", other.as_str()],
        10_000,
    );
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    assert!(log.contains("is already used by a different Redis Cluster node"), "{log}");
    drop(c);
    first.shutdown(&[]);
    let text = std::fs::read_to_string(dir.path().join("nodes.conf")).unwrap();
    assert!(text.starts_with(&format!("{id} :")), "{text}");
    assert!(text.contains(" myself,master - 0 0 0 connected 0-99 [7->-"), "{text}");
    let second = Server::start_in(Kind::Ferredis, dir.path(), &args);
    assert!(second.full_log().contains(&format!("Node configuration loaded, I'm {id}")));
    let mut c = second.conn();
    assert_eq!(myid(&mut c), id);
    let nodes = String::from_utf8_lossy(&c.cmd(&["CLUSTER", "NODES"])).into_owned();
    assert!(nodes.contains(&format!("connected 0-99 [7->-{id}]")), "{nodes}");
    drop(second);
    // A damaged file stops the server with Redis's words.
    std::fs::write(dir.path().join("nodes.conf"), "garbage\n").unwrap();
    let (status, log) = run_until_exit(Kind::Ferredis, dir.path(), &args, 10_000);
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    assert!(log.contains("Unrecoverable error: corrupted cluster config file."), "{log}");
}

/// A forked child outliving its SIGKILLed parent (a background save's, or the Lua debugger's session with
/// `debugger`): it closed its copy of the nodes.conf lock descriptor (Redis's `closeChildUnusedResourceAfterFork`)
/// and its listeners, so a node restarted on the same file and ports starts while the child still runs.
fn restart_beside_orphan_child(kind: Kind, debugger: bool) {
    let dir = TempDir::new("cluster-conf-child");
    let cport = free_port().to_string();
    let args = ["--cluster-enabled", "yes", "--cluster-port", cport.as_str()];
    let mut first = Server::start_in(kind, dir.path(), &args);
    let mut c = first.conn();
    let id = myid(&mut c);
    let child_pid = |log: &str| -> Option<i32> {
        if debugger {
            // "<pid>:C <date> # Redis forked for debugging eval"
            let line = log.lines().find(|l| l.contains("Redis forked for debugging eval"))?;
            line.split(':').next()?.trim().parse().ok()
        } else {
            log.split("Background saving started by pid ").nth(1)?.split_whitespace().next()?.parse().ok()
        }
    };
    if debugger {
        assert_eq!(c.cmd(&["SCRIPT", "DEBUG", "YES"]), b"+OK\r\n");
        // The session's child stops at the script's first line and waits for the debugger's commands.
        c.send(&["EVAL", "return 1", "0"]).expect("send EVAL");
    } else {
        assert_eq!(c.cmd(&["DEBUG", "POPULATE", "100"]), b"+OK\r\n");
        // One second per key: the child is still saving when the parent dies.
        assert_eq!(c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "1000000"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    }
    let mut child = 0;
    wait_for("the child's pid in the log", || {
        child = child_pid(&first.full_log()).unwrap_or(0);
        child > 0
    });
    first.kill9();
    // SAFETY: signal 0 only checks that the process exists.
    let child_alive = || unsafe { libc::kill(child, 0) } == 0;
    assert!(child_alive(), "the child {child} outlived its parent");
    let second = Server::try_start_in(kind, dir.path(), &args);
    let still_running = child_alive();
    // SAFETY: `child` is the orphaned process this test made; SIGKILL ends it.
    unsafe { libc::kill(child, libc::SIGKILL) };
    drop(c);
    let second = second.unwrap_or_else(|e| panic!("{} restart beside the orphaned child: {e}", kind.label()));
    assert!(still_running, "the child was still running when the node restarted");
    assert!(second.full_log().contains(&format!("Node configuration loaded, I'm {id}")), "{}", second.log_text());
    assert_eq!(myid(&mut second.conn()), id);
}

#[test]
fn nodes_conf_lock_not_inherited_by_children() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for debugger in [false, true] {
        restart_beside_orphan_child(Kind::Ferredis, debugger);
        restart_beside_orphan_child(Kind::Redis, debugger);
    }
}

/// Two nodes MEET, split the slots, then redirect: -MOVED, -ASK while a slot migrates, ASKING on the importing
/// node, CLUSTER SLOTS. Returns every reply with ids and ports normalized (`A`/`B`).
fn two_node_redirections(ka: Kind, kb: Kind) -> Vec<String> {
    let (a, b) = (cluster_node(ka), cluster_node(kb));
    let (mut ca, mut cb) = (a.conn(), b.conn());
    let (na, nb) = (Norm::of(&a, &mut ca), Norm::of(&b, &mut cb));
    let meet = ca.cmd(&["CLUSTER", "MEET", "127.0.0.1", &nb.port, &nb.cport]);
    assert_eq!(meet, b"+OK\r\n");
    let knows = |c: &mut Conn, id: &str| {
        let nodes = String::from_utf8_lossy(&c.cmd(&["CLUSTER", "NODES"])).into_owned();
        nodes.lines().any(|l| l.starts_with(id) && !l.contains("handshake") && !l.contains("noaddr"))
    };
    wait_for("the nodes to know each other", || knows(&mut ca, &nb.id) && knows(&mut cb, &na.id));
    assert_eq!(ca.cmd(&["CLUSTER", "ADDSLOTSRANGE", "0", "8191"]), b"+OK\r\n");
    assert_eq!(cb.cmd(&["CLUSTER", "ADDSLOTSRANGE", "8192", "16383"]), b"+OK\r\n");
    wait_for("cluster_state:ok on both", || cluster_ok(&mut ca) && cluster_ok(&mut cb));
    let norm = |b: &[u8]| {
        escape(b)
            .replace(&na.id, "IDA")
            .replace(&nb.id, "IDB")
            .replace(&na.cport, "CPORTA")
            .replace(&nb.cport, "CPORTB")
            .replace(&na.port, "PORTA")
            .replace(&nb.port, "PORTB")
    };
    let mut out = Vec::new();
    let (ida, idb) = (na.id.clone(), nb.id.clone());
    let steps: Vec<(bool, Vec<&str>)> = vec![
        (false, vec!["GET", "bar"]),
        (true, vec!["SET", "foo", "1"]),
        (true, vec!["SET", "bar", "1"]),
        (true, vec!["MGET", "bar", "foo"]),
        (true, vec!["CLUSTER", "SETSLOT", "5061", "MIGRATING", &idb]),
        (false, vec!["CLUSTER", "SETSLOT", "5061", "IMPORTING", &ida]),
        (true, vec!["GET", "bar"]),
        (true, vec!["GET", "{bar}x"]),
        (true, vec!["MGET", "bar", "{bar}x"]),
        (false, vec!["GET", "{bar}x"]),
        (false, vec!["ASKING"]),
        (false, vec!["GET", "{bar}x"]),
        (false, vec!["GET", "{bar}x"]),
        (false, vec!["RESTORE-ASKING", "{bar}y", "0", "PAYLOAD"]),
        (false, vec!["RESTORE", "{bar}z", "0", "PAYLOAD"]),
        (false, vec!["CLUSTER", "COUNTKEYSINSLOT", "5061"]),
        (true, vec!["CLUSTER", "SETSLOT", "5061", "STABLE"]),
        (false, vec!["CLUSTER", "SETSLOT", "5061", "STABLE"]),
        (true, vec!["CLUSTER", "SLOTS"]),
        // (CLUSTER SHARDS lists the masters in Redis's hash-table order: compared on one node above.)
        (false, vec!["CLUSTER", "SLOTS"]),
    ];
    // A DUMP payload of this server's format for the RESTOREs.
    ca.cmd(&["SET", "{bar}tmp", "v"]);
    let dump = ca.cmd(&["DUMP", "{bar}tmp"]);
    ca.cmd(&["DEL", "{bar}tmp"]);
    let payload = Resp::parse(&dump).ok().and_then(|r| r.as_bytes().map(|b| b.to_vec())).expect("DUMP payload");
    for (on_a, cmd) in steps {
        let c = if on_a { &mut ca } else { &mut cb };
        let args: Vec<&[u8]> = cmd.iter().map(|a| if *a == "PAYLOAD" { &payload[..] } else { a.as_bytes() }).collect();
        let line = format!("{} {:?} -> {}", if on_a { "A" } else { "B" }, cmd, escape(&c.cmd(&args)));
        out.push(norm(line.as_bytes()));
    }
    // Idle links give back their send buffers (the cron's resize): at some moment between pings, every link of
    // both nodes shows `send-buffer-allocated` 0.
    let trimmed = |c: &mut Conn| {
        let links = String::from_utf8_lossy(&c.cmd(&["CLUSTER", "LINKS"])).into_owned();
        let values: Vec<&str> = links.split("send-buffer-allocated\r\n:").skip(1).collect();
        values.len() == 2 && values.iter().all(|v| v.starts_with("0\r\n"))
    };
    wait_for("idle links' send buffers trimmed", || trimmed(&mut ca) && trimmed(&mut cb));
    out
}

#[test]
fn redirections_between_nodes_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let redis = two_node_redirections(Kind::Redis, Kind::Redis);
    assert!(redis[0].contains("-MOVED 5061 127.0.0.1:PORTA"), "{}", redis[0]);
    assert_eq!(two_node_redirections(Kind::Ferredis, Kind::Ferredis), redis);
    // A ferredis node and a Redis node redirect to each other the same way.
    assert_eq!(two_node_redirections(Kind::Ferredis, Kind::Redis), redis);
}

/// `cluster-announce-hostname` is checked as Redis 7.0 checks it (cluster suite 27-endpoints, "Test hostname
/// validation").
#[test]
fn announced_hostname_is_validated_like_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let (fer, red) = (cluster_node(Kind::Ferredis), cluster_node(Kind::Redis));
    let (mut f, mut r) = (fer.conn(), red.conn());
    let long = "x".repeat(256);
    for v in [long.as_str(), "?.com", "a b", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.", ""] {
        let args = ["CONFIG", "SET", "cluster-announce-hostname", v];
        assert_eq!(f.cmd(&args), r.cmd(&args), "{v:?}");
    }
}

/// A runtime `cluster-announce-port` / `-bus-port` shows in myself's CLUSTER NODES line at once, and 0 restores
/// the real ports (unit/cluster/announced-endpoints).
#[test]
fn announced_ports_apply_at_once() {
    let fer = cluster_node(Kind::Ferredis);
    let mut f = fer.conn();
    let mine = |c: &mut Conn| {
        let nodes = String::from_utf8_lossy(&c.cmd(&["CLUSTER", "NODES"])).to_string();
        nodes.lines().find(|l| l.contains("myself")).unwrap_or("").to_string()
    };
    assert_eq!(f.cmd(&["CONFIG", "SET", "cluster-announce-port", "1234"]), b"+OK\r\n");
    assert!(mine(&mut f).contains(":1234@"), "{}", mine(&mut f));
    assert_eq!(f.cmd(&["CONFIG", "SET", "cluster-announce-bus-port", "4321"]), b"+OK\r\n");
    assert!(mine(&mut f).contains("@4321 "), "{}", mine(&mut f));
    f.cmd(&["CONFIG", "SET", "cluster-announce-port", "0"]);
    f.cmd(&["CONFIG", "SET", "cluster-announce-bus-port", "0"]);
    let line = mine(&mut f);
    assert!(line.contains(&format!(":{}@", fer.port)), "{line}");
    assert!(!line.contains("@4321"), "{line}");
}
