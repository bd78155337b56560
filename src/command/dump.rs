//! DUMP and RESTORE (Redis `cluster.c`): a value serialized in the RDB format, with the RDB version and a CRC-64
//! as footer ([`crate::persist::rdb::dump_payload`] / [`crate::persist::rdb::restore_payload`]).

use super::shared::int_arg;
use super::{flag, Args, Command, Ctx, KeySpecDef, BASE, ONE_KEY};
use crate::command::Access;
use crate::config::notify as nc;
use crate::persist::rdb;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "dump",
        arity: 2,
        flags: flag::READONLY,
        acl: "keyspace read slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        since: "2.6.0",
        summary: "Return a serialized version of the value stored at the specified key.",
        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
        syntax: "key",
        handler: dump,
        tips: "nondeterministic_output",
        ..BASE
    },
    Command {
        name: "restore",
        arity: -4,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "keyspace write slow dangerous",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "OW update")],
        since: "2.6.0",
        summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        syntax: "key ttl serialized-value [REPLACE]{@3.0.0} [ABSTTL]{@5.0.0} [IDLETIME seconds]{@5.0.0} [FREQ frequency{:integer}]{@5.0.0}",
        handler: restore,
        history: &[
            ("3.0.0", "Added the `REPLACE` modifier."),
            ("5.0.0", "Added the `ABSTTL` modifier."),
            ("5.0.0", "Added the `IDLETIME` and `FREQ` options."),
        ],
        ..BASE
    },
];

/// `sanitize-dump-payload`: whether RESTORE validates payloads deeply. `yes` always; `clients` for ordinary
/// clients, which are all ferredis has (no replication master, no ACL users with `skip-sanitize-payload`).
///
/// NOTE for the config owner: the directive is read from the stored-directive table by name; if it becomes a
/// typed [`Config`](crate::config::Config) field, change this one function.
pub fn sanitize_dump_payload(ctx: &Ctx) -> bool {
    matches!(ctx.config().extra.get("sanitize-dump-payload").map(String::as_str), Some("yes") | Some("clients"))
}

/// DUMP key
fn dump(ctx: &mut Ctx, args: Args) {
    let compression = ctx.config().stored_bool("rdbcompression");
    let (e, r) = ctx.lookup(Access::READ, args.get(1));
    match e {
        // RedisBloom's `rdb_save` compresses a t-digest before writing it, on the value itself: so does DUMP.
        Some(e) if matches!(e.value(), Some(crate::keyspace::object::Value::Prob(_))) => {
            let w = ctx.open_write(args.get(1));
            let (e, r) = ctx.door(&w).entry_reply();
            w.untouched();
            if let Some(e) = e {
                if let Some(crate::keyspace::object::Value::Prob(p)) = e.value_mut() {
                    p.prepare_save();
                }
                r.bulk(&rdb::dump_payload_with(e, compression));
            }
        }
        Some(e) => r.bulk(&rdb::dump_payload_with(e, compression)),
        None => r.null(),
    }
}

/// RESTORE key ttl serialized-value \[REPLACE\] \[ABSTTL\] [IDLETIME seconds] [FREQ frequency]
pub(super) fn restore(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < args.len() {
        let more = args.len() - j - 1;
        if args.is(j, "replace") {
            replace = true;
        } else if args.is(j, "absttl") {
            absttl = true;
        } else if args.is(j, "idletime") && more >= 1 && freq.is_none() {
            let Some(v) = int_arg(ctx.reply(), args.get(j + 1)) else { return };
            if v < 0 {
                ctx.reply().error("ERR Invalid IDLETIME value, must be >= 0");
                return;
            }
            idle = Some(v);
            j += 1;
        } else if args.is(j, "freq") && more >= 1 && idle.is_none() {
            let Some(v) = int_arg(ctx.reply(), args.get(j + 1)) else { return };
            if !(0..=255).contains(&v) {
                ctx.reply().error("ERR Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
            freq = Some(v);
            j += 1;
        } else {
            ctx.reply().err_syntax();
            return;
        }
        j += 1;
    }
    if !replace && ctx.lookup(Access::WRITE, key).0.is_some() {
        ctx.reply().error("BUSYKEY Target key name already exists.");
        return;
    }
    let Some(mut ttl) = int_arg(ctx.reply(), args.get(2)) else { return };
    if ttl < 0 {
        ctx.reply().error("ERR Invalid TTL value, must be >= 0");
        return;
    }
    let th = ctx.settings().thresholds();
    let sanitize = sanitize_dump_payload(ctx);
    let mut e = match rdb::restore_payload(key, args.get(3), &th, sanitize) {
        Ok(e) => e,
        Err(m) => {
            ctx.reply().error(&format!("ERR {m}"));
            return;
        }
    };
    // With REPLACE the old value goes whatever its TTL (Redis 7.0's dbDelete, no lazy-expiry check first).
    let live = replace && is_live(ctx, key);
    let mut w = ctx.open_write(key);
    let replaced = if replace { ctx.door(&w).delete_typed() } else { None };
    let deleted = replaced.is_some();
    let now = ctx.now_ms();
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(now);
    }
    if ttl != 0 && ttl <= now && !ctx.settings().repl().is_replica() {
        // Already expired: the key is not created (and a replaced one is simply deleted).
        ctx.settle(&mut w, deleted as u64);
        if deleted {
            ctx.notify(nc::GENERIC, "del", key);
            let verb: &[u8] = if ctx.config().lazyfree_lazy_server_del { b"UNLINK" } else { b"DEL" };
            ctx.propagation().rewrite(&[verb, key]);
        }
        ctx.reply().ok();
        return;
    }
    let lfu = ctx.config().maxmemory_policy.is_lfu();
    let clock = ctx.settings().lru_clock();
    let idle = idle.map(|v| v as u64);
    let freq = freq.map(|v| v as u8);
    rdb::read::apply_lru_lfu(&mut e, lfu, freq, idle, clock, now);
    let new_type = e.obj_type();
    ctx.door(&w).insert_replacing(e);
    if ttl != 0 {
        ctx.door(&w).set_expire(ttl);
        if !absttl && ctx.propagation().enabled() {
            // Propagated with the absolute time: `RESTORE key <unix ms> payload [options] ABSTTL`.
            let mut nb = [0u8; 24];
            let at = crate::util::itoa_buf(ttl, &mut nb).to_vec();
            let mut argv: Vec<&[u8]> = args.iter().collect();
            argv[2] = &at;
            argv.push(b"ABSTTL");
            ctx.propagation().rewrite(&argv);
        }
    }
    ctx.changed(&mut w, 1);
    ctx.notify(nc::GENERIC, "restore", key);
    // Redis 8.2's `restoreCommand`: the replaced key's events follow `restore`.
    if let Some(old) = replaced.filter(|_| live) {
        ctx.notify_overwritten(key, ctx.client().db, old, new_type);
    }
    ctx.reply().ok();
}

/// Whether `key` is there for a lookup (not past its TTL, or lazy expiry is off): Redis 8's `restoreCommand` looks
/// the key up first, so a key past its TTL is no overwritten key for its `overwritten` / `type_changed` events.
fn is_live(ctx: &Ctx, key: &[u8]) -> bool {
    let clock = ctx.settings().lookup_clock();
    clock.expiry.off || !ctx.db().is_expired(key, clock.now_ms)
}

#[cfg(test)]
mod tests {
    use crate::command::test_support::Harness;
    use crate::command::{lookup, OwnedArgs};

    /// Runs a command whose arguments may be binary; returns the reply bytes.
    fn run(h: &mut Harness, argv: &[&[u8]]) -> Vec<u8> {
        h.run_args(&OwnedArgs::from_slices(argv)).into_bytes()
    }

    /// The bulk payload of a DUMP reply.
    fn dump(h: &mut Harness, key: &str) -> Vec<u8> {
        let a = OwnedArgs::from_slices(&[b"dump".as_slice(), key.as_bytes()]);
        let args = a.args();
        let cmd = lookup(b"dump").unwrap();
        let mut ctx = crate::command::Ctx::new(&mut h.client, &mut h.srv);
        (cmd.handler)(&mut ctx, args);
        drop(ctx);
        let out = h.client.reply.pending().to_vec();
        let n = h.client.reply.pending_len();
        h.client.reply.consume(n);
        let start = out.iter().position(|&b| b == b'\n').unwrap() + 1;
        out[start..out.len() - 2].to_vec()
    }

    #[test]
    fn dump_restore_round_trip_and_errors() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["dump", "nokey"]), "$-1\r\n");
        h.run(&["rpush", "l", "a", "b", "1"]);
        h.run(&["hset", "h", "f", "v"]);
        h.run(&["zadd", "z", "1.5", "m"]);
        h.run(&["sadd", "s", "1", "x"]);
        h.run(&["set", "str", "hello"]);
        for k in ["l", "h", "z", "s", "str"] {
            let p = dump(&mut h, k);
            let copy = format!("{k}-copy");
            assert_eq!(run(&mut h, &[b"restore", copy.as_bytes(), b"0", &p]), b"+OK\r\n");
            // A hash-table set's elements come out in table order, which depends on the table's seed.
            if k != "s" {
                assert_eq!(dump(&mut h, &copy), p, "{k}");
            } else {
                assert_eq!(h.run(&["scard", &copy]), ":2\r\n");
                assert_eq!(h.run(&["sismember", &copy, "x"]), ":1\r\n");
            }
            assert_eq!(
                run(&mut h, &[b"restore", copy.as_bytes(), b"0", &p]),
                b"-BUSYKEY Target key name already exists.\r\n"
            );
            assert_eq!(run(&mut h, &[b"restore", copy.as_bytes(), b"0", &p, b"REPLACE"]), b"+OK\r\n");
        }
        assert_eq!(h.run(&["lrange", "l-copy", "0", "-1"]), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\n1\r\n");
        let p = dump(&mut h, "str");
        assert_eq!(run(&mut h, &[b"restore", b"t", b"-1", &p]), b"-ERR Invalid TTL value, must be >= 0\r\n");
        assert_eq!(run(&mut h, &[b"restore", b"t", b"x", &p]), b"-ERR value is not an integer or out of range\r\n");
        assert_eq!(
            run(&mut h, &[b"restore", b"t", b"0", b"junkjunkjunk"]),
            b"-ERR DUMP payload version or checksum are wrong\r\n"
        );
        assert_eq!(run(&mut h, &[b"restore", b"t", b"0", &p, b"foo"]), b"-ERR syntax error\r\n");
        assert_eq!(
            run(&mut h, &[b"restore", b"t", b"0", &p, b"idletime", b"-1"]),
            b"-ERR Invalid IDLETIME value, must be >= 0\r\n"
        );
        assert_eq!(
            run(&mut h, &[b"restore", b"t", b"0", &p, b"freq", b"256"]),
            b"-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"
        );
        assert_eq!(
            run(&mut h, &[b"restore", b"t", b"0", &p, b"freq", b"1", b"idletime", b"1"]),
            b"-ERR syntax error\r\n"
        );
        let mut bad = vec![0x0b, 0x00];
        bad.extend_from_slice(&10u16.to_le_bytes());
        let crc = crate::persist::crc64::crc64(0, &bad);
        bad.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(run(&mut h, &[b"restore", b"t", b"0", &bad]), b"-ERR Bad data format\r\n");
        // TTLs: relative, absolute, already expired (with REPLACE: the old key is deleted).
        assert_eq!(run(&mut h, &[b"restore", b"t", b"100000", &p]), b"+OK\r\n");
        assert!(h.run(&["pttl", "t"]).starts_with(":"));
        assert_ne!(h.run(&["pttl", "t"]), ":-1\r\n");
        assert_eq!(run(&mut h, &[b"restore", b"t", b"1", &p, b"REPLACE", b"ABSTTL"]), b"+OK\r\n");
        assert_eq!(h.run(&["exists", "t"]), ":0\r\n");
        assert_eq!(run(&mut h, &[b"restore", b"t", b"0", &p, b"IDLETIME", b"1000"]), b"+OK\r\n");
        let idle: i64 = h.run(&["object", "idletime", "t"])[1..].trim().parse().unwrap();
        assert!((1000..1010).contains(&idle), "{idle}");
    }

    #[test]
    fn skip_checksum_validation_lets_a_bad_crc_through() {
        let mut h = Harness::new();
        h.run(&["set", "s", "hello"]);
        let mut p = dump(&mut h, "s");
        let n = p.len();
        p[n - 1] ^= 1;
        let wrong = b"-ERR DUMP payload version or checksum are wrong\r\n";
        assert_eq!(run(&mut h, &[b"restore", b"t", b"0", &p]), wrong);
        // DEBUG SET-SKIP-CHECKSUM-VALIDATION 1 (tested in debug.rs; the harness has DEBUG disabled).
        crate::persist::rdb::set_skip_checksum(true);
        assert_eq!(run(&mut h, &[b"restore", b"t", b"0", &p]), b"+OK\r\n");
        assert_eq!(h.run(&["get", "t"]), "$5\r\nhello\r\n");
        // The version is still checked, and so is the value behind the checksum.
        let mut newer = p.clone();
        // 12 is Redis 7.4's (hash fields with TTLs); 13 is newer than anything this server reads.
        newer[n - 10] = 13;
        assert_eq!(run(&mut h, &[b"restore", b"u", b"0", &newer]), wrong);
        let mut broken = p.clone();
        broken[1] = 0x3f;
        assert_eq!(run(&mut h, &[b"restore", b"u", b"0", &broken]), b"-ERR Bad data format\r\n");
        crate::persist::rdb::set_skip_checksum(false);
        assert_eq!(run(&mut h, &[b"restore", b"u", b"0", &p]), wrong);
    }

    #[test]
    fn table_entries() {
        let d = lookup(b"dump").unwrap();
        assert_eq!((d.arity, d.keys.first, d.keys.last, d.keys.step), (2, 1, 1, 1));
        let r = lookup(b"RESTORE").unwrap();
        assert_eq!(r.arity, -4);
        assert_eq!(r.history.len(), 3);
    }
}
