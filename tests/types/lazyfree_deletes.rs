//! Which deletions free a big value in the background, compared with redis-server: the key-deletion door
//! (`Db::delete`) frees what a command deletes as a side effect as Redis's `dbDelete` does (lazily with
//! `lazyfree-lazy-server-del`), and a TTL set in the past frees it as `lazyfree-lazy-expire` says. Each scenario
//! runs on both servers and compares `lazyfreed_objects` (INFO memory) after it, with the replies.

use crate::common;

use common::*;

/// A set of 500 members (replacing whatever `key` held): hashtable-encoded, so freeing it is more than 64 steps of work (Redis's lazy-free
/// threshold) and it goes to the background when the policy says lazy.
fn big_set(c: &mut Conn, key: &str) {
    c.cmd(&["DEL", key]);
    let mut args = vec!["SADD".to_string(), key.to_string()];
    args.extend((0..500).map(|i| format!("member:{i}")));
    assert_eq!(c.cmd(&args), b":500\r\n");
}

fn lazyfreed(c: &mut Conn) -> i64 {
    wait_for("the lazy-free queue to drain", || info_field(c, "memory", "lazyfree_pending_objects") == "0");
    info_field(c, "memory", "lazyfreed_objects").parse().expect("lazyfreed_objects")
}

/// Runs `steps` (redis-cli-style lines; `BIG <key>` makes a big set, `RESTORE-OVER <src> <dst>` restores a DUMP
/// of `src` over `dst` with REPLACE) on a server started with `config`, and returns each reply and the lazy-freed
/// count after each step.
fn run(kind: Kind, config: &[&str], steps: &[&str]) -> Vec<String> {
    let s = Server::start(kind, config);
    let mut c = s.conn();
    let mut out = Vec::new();
    for line in steps {
        if let Some(key) = line.strip_prefix("BIG ") {
            big_set(&mut c, key);
            continue;
        }
        if let Some(n) = line.strip_prefix("SCRIPTS ") {
            for i in 0..n.parse::<usize>().expect("count") {
                c.cmd(&["SCRIPT", "LOAD", &format!("return {i}")]);
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("FUNCTIONS ") {
            // FUNCTIONS <library> <n>: one library registering n functions.
            let (lib, n) = rest.split_once(' ').expect("FUNCTIONS lib n");
            let mut code = format!("#!lua name={lib}\n");
            for i in 0..n.parse::<usize>().expect("count") {
                code.push_str(&format!("redis.register_function('{lib}_{i}', function() return {i} end)\n"));
            }
            assert_eq!(c.cmd(&["FUNCTION", "LOAD", &code]), format!("${}\r\n{lib}\r\n", lib.len()).into_bytes());
            continue;
        }
        let r = match line.strip_prefix("RESTORE-OVER ") {
            Some(rest) => {
                let (src, dst) = rest.split_once(' ').expect("RESTORE-OVER src dst");
                let dump = c.cmd(&["DUMP", src]);
                // A bulk reply: $<len>\r\n<payload>\r\n.
                let start = dump.iter().position(|&b| b == b'\n').expect("bulk header") + 1;
                let payload = &dump[start..dump.len() - 2];
                c.cmd(&[b"RESTORE".as_slice(), dst.as_bytes(), b"0", payload, b"REPLACE"])
            }
            None => c.cmd_str(line),
        };
        out.push(format!("{line} -> {} (lazyfreed {})", escape(&r), lazyfreed(&mut c)));
    }
    out
}

fn compare(config: &[&str], steps: &[&str]) {
    let f = run(Kind::Ferredis, config, steps);
    let r = run(Kind::Redis, config, steps);
    assert_eq!(f, r, "ferredis (left) and redis (right) differ for {config:?}");
}

const SIDE_EFFECT_DELETES: &[&str] = &[
    "BIG big",
    "SET s v",
    "RENAME s big",
    "BIG big",
    "SET s v",
    "COPY s big REPLACE",
    "BIG big",
    "RESTORE-OVER s big",
    "BIG big",
    "SUNIONSTORE big nosuchset",
    "BIG big",
    "SORT nosuchlist STORE big",
    "BIG big",
    "DEL big",
    "BIG big",
    "UNLINK big",
    "BIG big",
    "SET big overwritten",
];

#[test]
fn side_effect_deletes_follow_lazyfree_lazy_server_del() {
    if !crate::common::pair::have_redis() {
        return;
    }
    compare(&["--lazyfree-lazy-server-del", "yes"], SIDE_EFFECT_DELETES);
    compare(&["--lazyfree-lazy-server-del", "no"], SIDE_EFFECT_DELETES);
}

const PAST_TTLS: &[&str] =
    &["BIG a", "EXPIRE a -1", "BIG b", "PEXPIREAT b 1", "BIG c", "EXPIREAT c 100", "EXISTS a b c"];

#[test]
fn ttls_in_the_past_follow_lazyfree_lazy_expire() {
    if !crate::common::pair::have_redis() {
        return;
    }
    compare(&["--lazyfree-lazy-expire", "yes"], PAST_TTLS);
    compare(&["--lazyfree-lazy-expire", "no"], PAST_TTLS);
    // The server-deletion policy does not apply to them.
    compare(&["--lazyfree-lazy-server-del", "yes", "--lazyfree-lazy-expire", "no"], PAST_TTLS);
}

/// SCRIPT FLUSH and FUNCTION FLUSH free more than 64 scripts or functions in the background when ASYNC (or
/// `lazyfree-lazy-user-flush` without an argument), counting each script or function (Redis's
/// `freeLuaScriptsAsync` / `freeFunctionsAsync`); 64 or fewer, or SYNC, are freed at once and not counted. The
/// caches work again afterwards.
#[test]
fn script_and_function_flush_async() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let steps = [
        "SCRIPTS 64",
        "SCRIPT FLUSH ASYNC",
        "SCRIPTS 65",
        "SCRIPT FLUSH SYNC",
        "SCRIPTS 100",
        "SCRIPT FLUSH ASYNC",
        "EVAL \"return 7\" 0",
        "SCRIPTS 70",
        "SCRIPT FLUSH",
        "FUNCTIONS liba 64",
        "FUNCTION FLUSH ASYNC",
        "FUNCTIONS liba 40",
        "FUNCTIONS libb 40",
        "FUNCTION FLUSH SYNC",
        "FUNCTIONS liba 40",
        "FUNCTIONS libb 40",
        "FUNCTION FLUSH ASYNC",
        "FUNCTIONS libc 3",
        "FCALL libc_2 0",
        "FUNCTION STATS",
        "FUNCTIONS libd 80",
        "FUNCTION FLUSH",
        "FUNCTION STATS",
    ];
    compare(&[], &steps);
    let mut lazy_steps = vec!["CONFIG SET lazyfree-lazy-user-flush yes"];
    lazy_steps.extend_from_slice(&steps);
    compare(&[], &lazy_steps);
}
