use crate::command::test_support::Harness;
use crate::command::OwnedArgs;
use crate::net::client::flags as cf;

/// Runs a command the way the dispatcher does for a client in MULTI: lookup, arity, queue hook, handler.
fn run(h: &mut Harness, argv: &[&str]) -> String {
    let a = OwnedArgs::from_slices(argv);
    let args = a.args();
    let (cmd, full) = match crate::command::table().resolve(args) {
        crate::command::Resolved::Found(cmd, full) => (cmd, full),
        crate::command::Resolved::UnknownSub(parent) => (parent, parent.name),
        crate::command::Resolved::Unknown => {
            super::flag_transaction(&mut h.client);
            return "-ERR unknown command\r\n".into();
        }
    };
    if !cmd.arity_ok(args.len()) {
        super::flag_transaction(&mut h.client);
        return "-ERR arity\r\n".into();
    }
    if h.client.has(cf::MULTI) && super::queue_hook(&mut h.client, &h.srv.watches, cmd, full, args) {
        let out = String::from_utf8_lossy(h.client.reply.pending()).into_owned();
        let n = h.client.reply.pending_len();
        h.client.reply.consume(n);
        return out;
    }
    h.run_args(&a)
}

#[test]
fn queue_and_exec() {
    let mut h = Harness::new();
    assert_eq!(run(&mut h, &["exec"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(run(&mut h, &["discard"]), "-ERR DISCARD without MULTI\r\n");
    assert_eq!(run(&mut h, &["multi"]), "+OK\r\n");
    assert_eq!(super::queued_count(&h.client), 0);
    assert_eq!(run(&mut h, &["multi"]), "-ERR MULTI calls can not be nested\r\n");
    assert_eq!(run(&mut h, &["watch", "k"]), "-ERR WATCH inside MULTI is not allowed\r\n");
    assert_eq!(run(&mut h, &["set", "k", "x"]), "+QUEUED\r\n");
    assert_eq!(run(&mut h, &["incr", "k"]), "+QUEUED\r\n");
    assert_eq!(run(&mut h, &["get", "k"]), "+QUEUED\r\n");
    assert_eq!(super::queued_count(&h.client), 3);
    assert_eq!(super::multi_mem(&h.client), (3 + 1 + 1 + 24) + (4 + 1 + 16) + (3 + 1 + 16));
    assert_eq!(run(&mut h, &["exec"]), "*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$1\r\nx\r\n");
    assert_eq!(super::queued_count(&h.client), -1);
    assert!(!h.client.has(cf::MULTI | cf::DENY_BLOCKING));
}

#[test]
fn queuing_errors_abort() {
    let mut h = Harness::new();
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["get"]), "-ERR arity\r\n");
    assert_eq!(run(&mut h, &["set", "k", "v"]), "+QUEUED\r\n");
    assert_eq!(run(&mut h, &["exec"]), "-EXECABORT Transaction discarded because of previous errors.\r\n");
    assert_eq!(run(&mut h, &["get", "k"]), "$-1\r\n");
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["shutdown"]), "-ERR Command not allowed inside a transaction\r\n");
    assert_eq!(run(&mut h, &["exec"]), "-EXECABORT Transaction discarded because of previous errors.\r\n");
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["slowlog", "reset"]), "+QUEUED\r\n");
    run(&mut h, &["set", "k", "v"]);
    assert_eq!(run(&mut h, &["discard"]), "+OK\r\n");
    assert_eq!(run(&mut h, &["get", "k"]), "$-1\r\n");
}

#[test]
fn watch_rules() {
    let mut h = Harness::new();
    assert_eq!(run(&mut h, &["watch", "k"]), "+OK\r\n");
    run(&mut h, &["set", "k", "1"]);
    run(&mut h, &["multi"]);
    run(&mut h, &["ping"]);
    assert_eq!(run(&mut h, &["exec"]), "*-1\r\n");
    assert!(h.srv.watches.is_empty());
    // UNWATCH forgets the touch.
    run(&mut h, &["watch", "k"]);
    run(&mut h, &["set", "k", "2"]);
    assert_eq!(run(&mut h, &["unwatch"]), "+OK\r\n");
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["exec"]), "*0\r\n");
    // FLUSHALL touches existing watched keys in every db; a missing key is no change.
    run(&mut h, &["watch", "k", "missing"]);
    run(&mut h, &["flushall"]);
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["exec"]), "*-1\r\n");
    run(&mut h, &["watch", "missing"]);
    run(&mut h, &["flushdb"]);
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["exec"]), "*0\r\n");
    // MOVE into the watched db, SWAPDB bringing the key in.
    run(&mut h, &["select", "1"]);
    run(&mut h, &["set", "m", "1"]);
    run(&mut h, &["select", "0"]);
    run(&mut h, &["watch", "m"]);
    run(&mut h, &["select", "1"]);
    run(&mut h, &["move", "m", "0"]);
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["exec"]), "*-1\r\n");
    run(&mut h, &["select", "0"]);
    run(&mut h, &["watch", "z"]);
    run(&mut h, &["select", "3"]);
    run(&mut h, &["set", "z", "1"]);
    run(&mut h, &["swapdb", "0", "3"]);
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["exec"]), "*-1\r\n");
    // COPY ... DB into a watched key.
    run(&mut h, &["select", "0"]);
    run(&mut h, &["watch", "c"]);
    run(&mut h, &["set", "src", "1"]);
    run(&mut h, &["select", "5"]);
    run(&mut h, &["select", "0"]);
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["exec"]), "*0\r\n");
    run(&mut h, &["watch", "c"]);
    run(&mut h, &["select", "5"]);
    run(&mut h, &["set", "src", "1"]);
    run(&mut h, &["copy", "src", "c", "db", "0"]);
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["exec"]), "*-1\r\n");
}

#[test]
fn watched_key_expiring_fails_exec() {
    let mut h = Harness::new();
    let now = h.srv.now_ms;
    run(&mut h, &["set", "k", "1", "px", "100"]);
    run(&mut h, &["watch", "k"]);
    run(&mut h, &["multi"]);
    h.srv.now_ms = now + 200;
    assert_eq!(run(&mut h, &["exec"]), "*-1\r\n");
    // Already expired when watched: no failure.
    run(&mut h, &["watch", "k"]);
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["exec"]), "*0\r\n");
}

#[test]
fn blocking_denied_during_exec_and_resp3_null() {
    let mut h = Harness::new();
    run(&mut h, &["hello", "3"]);
    run(&mut h, &["watch", "k"]);
    run(&mut h, &["set", "k", "1"]);
    run(&mut h, &["multi"]);
    assert_eq!(run(&mut h, &["exec"]), "_\r\n");
    run(&mut h, &["multi"]);
    run(&mut h, &["monitor"]);
    assert_eq!(run(&mut h, &["exec"]), "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n");
    assert!(!h.client.has(cf::MONITOR));
}
