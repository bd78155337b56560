//! Quicklist compression (`list-compress-depth`) against redis-server 7.0: the list commands on lists whose inner
//! nodes are LZF-compressed, reply bytes compared; DEBUG OBJECT's `ql_*` figures for the same lists; lists saved
//! and loaded compressed (DEBUG RELOAD, DUMP/RESTORE in both directions).
//!
//! `FERREDIS_BIN=/usr/bin/redis-server` runs the same tests redis-vs-redis to validate them.

use crate::common;

use common::*;

/// DEBUG OBJECT's quicklist part (from ` ql_nodes:` on).
fn ql_fields(c: &mut Conn, key: &str) -> String {
    let r = String::from_utf8_lossy(&c.cmd(&["DEBUG", "OBJECT", key])).into_owned();
    match r.find(" ql_nodes:") {
        Some(i) => r[i..].trim_end().to_string(),
        None => r,
    }
}

/// A value of one of several shapes: small integers, short words, compressible and incompressible mid-size
/// strings, and now and then a large one (a node of its own).
fn value(rng: &mut Prng) -> String {
    match rng.below(10) {
        0..=2 => format!("{}", rng.below(20) as i64 - 5),
        3..=4 => ["a", "b", "c", "pivot"][rng.below(4)].to_string(),
        5..=7 => format!("item-{:04}-{}", rng.below(50), "abc".repeat(rng.below(30))),
        8 => (0..rng.below(120) + 20).map(|_| (b'!' + rng.below(90) as u8) as char).collect(),
        _ => format!("{}{}", "z".repeat(3000 + rng.below(6000)), rng.below(100)),
    }
}

fn random_command(rng: &mut Prng) -> Vec<String> {
    let keys = ["l1", "l2", "l3"];
    let k = keys[rng.below(3)].to_string();
    let i = |rng: &mut Prng| format!("{}", rng.below(80) as i64 - 40);
    let s = |x: &str| x.to_string();
    match rng.below(22) {
        0..=4 => {
            let mut c = vec![s(if rng.chance(50) { "RPUSH" } else { "LPUSH" }), k];
            for _ in 0..rng.below(12) + 1 {
                c.push(value(rng));
            }
            c
        }
        5 => vec![s("LPOP"), k, format!("{}", rng.below(4) + 1)],
        6 => vec![s("RPOP"), k],
        7 => vec![s("LINDEX"), k, i(rng)],
        8 => vec![s("LSET"), k, i(rng), value(rng)],
        9 => vec![s("LINSERT"), k, s(if rng.chance(50) { "BEFORE" } else { "AFTER" }), value(rng), value(rng)],
        10 => vec![s("LREM"), k, format!("{}", rng.below(5) as i64 - 2), value(rng)],
        11 => vec![s("LPOS"), k, value(rng), s("RANK"), s(if rng.chance(50) { "1" } else { "-1" }), s("COUNT"), s("0")],
        12 => vec![s("LTRIM"), k, i(rng), i(rng)],
        13 | 14 => vec![s("LRANGE"), k, i(rng), i(rng)],
        15 => vec![s("LLEN"), k],
        16 => vec![s("LMOVE"), k, keys[rng.below(3)].to_string(), s("LEFT"), s("RIGHT")],
        17 => vec![s("RPOPLPUSH"), k, keys[rng.below(3)].to_string()],
        18 => vec![s("BLPOP"), k, s("0.01")],
        19 => vec![s("LMPOP"), s("2"), k, keys[rng.below(3)].to_string(), s("RIGHT"), s("COUNT"), s("3")],
        20 => vec![s("LRANGE"), k, s("0"), s("-1")],
        _ => vec![s("LPOS"), k, value(rng), s("MAXLEN"), format!("{}", rng.below(30))],
    }
}

#[test]
fn list_commands_on_compressed_lists_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for (depth, fill, seed) in [("1", "4", 11u64), ("2", "4", 12), ("1", "-1", 13), ("3", "2", 14), ("1", "16", 15)] {
        let args = ["--list-compress-depth", depth, "--list-max-listpack-size", fill];
        let (fs, rs) = (Server::start(Kind::Ferredis, &args), Server::start(Kind::Redis, &args));
        let (mut f, mut r) = (fs.conn(), rs.conn());
        let mut rng = Prng::new(seed);
        for n in 0..1500 {
            let cmd = random_command(&mut rng);
            let (a, b) = (f.cmd(&cmd), r.cmd(&cmd));
            assert_eq!(
                escape(&a),
                escape(&b),
                "depth {depth} fill {fill} seed {seed} command #{n}: {}",
                display_args(&cmd)
            );
        }
        // Every element survives a save and load of the compressed lists.
        for k in ["l1", "l2", "l3"] {
            let before = f.cmd(&["LRANGE", k, "0", "-1"]);
            assert_eq!(escape(&before), escape(&r.cmd(&["LRANGE", k, "0", "-1"])));
            assert_eq!(f.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
            assert_eq!(escape(&f.cmd(&["LRANGE", k, "0", "-1"])), escape(&before), "{k} after DEBUG RELOAD");
        }
    }
}

#[test]
fn debug_object_figures_match_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let fs = Server::start(Kind::Ferredis, &[]);
    let rs = Server::start(Kind::Redis, &[]);
    let (mut f, mut r) = (fs.conn(), rs.conn());
    let mut n = 0;
    for depth in ["0", "1", "2"] {
        for fill in ["-2", "-1", "8", "128", "-5"] {
            for c in [&mut f, &mut r] {
                c.cmd(&["CONFIG", "SET", "list-compress-depth", depth]);
                c.cmd(&["CONFIG", "SET", "list-max-listpack-size", fill]);
            }
            n += 1;
            let key = format!("list{n}");
            let mut rng = Prng::new(n);
            for batch in 0..60 {
                let mut cmd = vec![if batch % 3 == 0 { "LPUSH" } else { "RPUSH" }.to_string(), key.clone()];
                for j in 0..50 {
                    cmd.push(if rng.chance(3) { "x".repeat(5000) } else { format!("element:{batch}:{j}") });
                }
                assert_eq!(f.cmd(&cmd), r.cmd(&cmd));
            }
            let (a, b) = (ql_fields(&mut f, &key), ql_fields(&mut r, &key));
            assert_eq!(a, b, "depth {depth} fill {fill}");
            // The list keeps the depth it was made with when the configuration changes.
            for c in [&mut f, &mut r] {
                c.cmd(&["CONFIG", "SET", "list-compress-depth", "3"]);
                c.cmd(&["RPUSH", &key, "one more"]);
            }
            assert_eq!(ql_fields(&mut f, &key), ql_fields(&mut r, &key), "depth {depth} fill {fill}, then 3");
            // DUMP from either server restores on the other to the same figures.
            let (df, dr) = (f.cmd(&["DUMP", &key]), r.cmd(&["DUMP", &key]));
            let payload = |d: &[u8]| Resp::parse(d).unwrap().as_bytes().unwrap().to_vec();
            let (pf, pr) = (payload(&df), payload(&dr));
            for (c, p) in [(&mut f, &pr), (&mut r, &pf)] {
                assert_eq!(c.cmd(&[b"RESTORE".as_slice(), b"copy", b"0", p]), b"+OK\r\n");
            }
            assert_eq!(f.cmd(&["LRANGE", "copy", "0", "-1"]), r.cmd(&["LRANGE", "copy", "0", "-1"]));
            assert_eq!(ql_fields(&mut f, "copy"), ql_fields(&mut r, "copy"), "RESTOREd depth {depth} fill {fill}");
            for c in [&mut f, &mut r] {
                c.cmd(&["DEL", "copy"]);
            }
        }
    }
}
