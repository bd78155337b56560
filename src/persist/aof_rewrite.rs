//! An AOF base file as commands (`aof-use-rdb-preamble no`): the shortest command sequence that rebuilds the
//! dataset, as Redis's `rewriteAppendOnlyFileRio` writes it.
//!
//! ```text
//!   FUNCTION LOAD code             for each function library, first (`rewriteFunctions`)
//!   SELECT db                      for each non-empty database
//!   SET k v | RPUSH k e1..e64 | SADD k m1..m64 | ZADD k s1 m1..s64 m64 | HMSET k f1 v1..f64 v64
//!   PEXPIREAT k ms                 after a key with a TTL
//! ```
//!
//! Collections are split into commands of at most [`ITEMS_PER_CMD`] items so a replay never builds a huge
//! argument vector. Keys already expired are skipped. Tested by the unit tests below (the text of each type) and
//! by the restart tests, which load such a base file back.

use crate::keyspace::db::Db;
use crate::keyspace::object::{StrRef, Value};
use crate::resp::reply::encode_multibulk_into;
use std::io::{self, Write};

/// Redis's `AOF_REWRITE_ITEMS_PER_CMD`.
pub const ITEMS_PER_CMD: usize = 64;

fn str_bytes<'a>(s: StrRef<'a>, buf: &'a mut [u8; 24]) -> &'a [u8] {
    match s {
        StrRef::Bytes(b) => b,
        StrRef::Int(n) => crate::util::itoa_buf(n, buf),
    }
}

/// Writes commands rebuilding `dbs` to `w`. Flushes the internal buffer every few hundred KiB.
/// `key_delay_us` is `rdb-key-save-delay` (testing), applied after each key as in the RDB writer.
pub fn write_aof_commands<W: Write>(w: &mut W, dbs: &[Db], now_ms: i64, key_delay_us: i64) -> io::Result<()> {
    let mut out: Vec<u8> = Vec::with_capacity(1 << 20);
    for db in dbs {
        if db.is_empty() {
            continue;
        }
        let mut nb = [0u8; 24];
        let id = crate::util::itoa_buf(db.id as i64, &mut nb).to_vec();
        encode_multibulk_into(&mut out, [b"SELECT".as_slice(), &id].into_iter());
        for e in db.iter() {
            crate::persist::child_info::key_done();
            let key = e.key();
            let expire = if e.has_expire() { db.expire_of(key) } else { None };
            if expire.is_some_and(|t| t < now_ms) {
                continue;
            }
            match e.value() {
                None => {
                    let mut b = [0u8; 24];
                    let v = e.as_str().map_or(&[][..], |s| str_bytes(s, &mut b));
                    encode_multibulk_into(&mut out, [b"SET".as_slice(), key, v].into_iter());
                }
                Some(Value::List(l)) => {
                    let items: Vec<Vec<u8>> = l.iter().map(|s| s.to_vec()).collect();
                    emit_batches(&mut out, b"RPUSH", key, &items, 1);
                }
                Some(Value::Set(s)) => {
                    let items: Vec<Vec<u8>> = s
                        .iter()
                        .map(|m| {
                            let mut b = [0u8; 24];
                            str_bytes(m, &mut b).to_vec()
                        })
                        .collect();
                    emit_batches(&mut out, b"SADD", key, &items, 1);
                }
                Some(Value::ZSet(z)) => {
                    let mut items: Vec<Vec<u8>> = Vec::with_capacity(z.len() * 2);
                    for (m, score) in z.iter() {
                        items.push(crate::util::fmt_double(score).into_bytes());
                        let mut b = [0u8; 24];
                        items.push(str_bytes(m, &mut b).to_vec());
                    }
                    emit_batches(&mut out, b"ZADD", key, &items, 2);
                }
                Some(Value::Hash(h)) if h.has_ttls() => {
                    // Fields with TTLs (Redis 7.4's form): one HMSET per field, each followed by its HPEXPIREAT.
                    for (f, v, t) in h.iter_ttl() {
                        let (mut fb, mut vb) = ([0u8; 24], [0u8; 24]);
                        let f = str_bytes(f, &mut fb);
                        encode_multibulk_into(
                            &mut out,
                            [b"HMSET".as_slice(), key, f, str_bytes(v, &mut vb)].into_iter(),
                        );
                        if t != 0 {
                            let mut tb = [0u8; 24];
                            let ms = crate::util::itoa_buf(t as i64, &mut tb);
                            encode_multibulk_into(
                                &mut out,
                                [b"HPEXPIREAT".as_slice(), key, ms, b"FIELDS", b"1", f].into_iter(),
                            );
                        }
                    }
                }
                Some(Value::Hash(h)) => {
                    let mut items: Vec<Vec<u8>> = Vec::with_capacity(h.len() * 2);
                    for (f, v) in h.iter() {
                        let mut b = [0u8; 24];
                        items.push(str_bytes(f, &mut b).to_vec());
                        let mut b = [0u8; 24];
                        items.push(str_bytes(v, &mut b).to_vec());
                    }
                    emit_batches(&mut out, b"HMSET", key, &items, 2);
                }
                Some(Value::Stream(s)) => write_stream(&mut out, key, s),
                // RedisJSON has no AOF rewrite callback; its documents replay as one JSON.SET at the root.
                Some(Value::Json(j)) => {
                    encode_multibulk_into(&mut out, [b"JSON.SET".as_slice(), key, b"$", &j.compact()].into_iter())
                }
                Some(Value::Prob(p)) => write_prob(&mut out, key, e, p),
            }
            if let Some(t) = expire {
                let mut tb = [0u8; 24];
                let ms = crate::util::itoa_buf(t, &mut tb);
                encode_multibulk_into(&mut out, [b"PEXPIREAT".as_slice(), key, ms].into_iter());
            }
            if key_delay_us != 0 {
                crate::util::debug_delay(key_delay_us);
            }
            if out.len() >= 256 * 1024 {
                w.write_all(&out)?;
                out.clear();
            }
        }
    }
    w.write_all(&out)
}

/// The commands rebuilding a stream, as Redis's `rewriteStreamObject`: one XADD per entry (an empty stream as
/// `XADD key MAXLEN 0 0-1 x y`), XSETID with ENTRIESADDED and MAXDELETEDID, then per group XGROUP CREATE with
/// ENTRIESREAD and per consumer an XCLAIM ... FORCE for each pending entry (XGROUP CREATECONSUMER when none);
/// a stream with idempotency state then gets XCFGSET with its bounds and an XIDMPRECORD per remembered iid whose
/// entry is still in the stream (the command records existing entries only, as Redis 8.8's), each producer's oldest
/// first. The lifetime counters start again from the iids recorded, and iids of removed entries are lost; an RDB
/// preamble keeps both.
fn write_stream(out: &mut Vec<u8>, key: &[u8], s: &crate::keyspace::types::stream::Stream) {
    use crate::keyspace::types::stream::StreamId;
    let int = |n: i64| n.to_string().into_bytes();
    if s.length > 0 {
        for e in s.range(StreamId::MIN, StreamId::MAX, false) {
            let mut argv: Vec<Vec<u8>> = vec![b"XADD".to_vec(), key.to_vec(), e.id.to_bytes()];
            for (f, v) in e.fields() {
                argv.push(f);
                argv.push(v);
            }
            encode_multibulk_into(out, argv.iter().map(|a| a.as_slice()));
        }
    } else {
        encode_multibulk_into(out, [&b"XADD"[..], key, b"MAXLEN", b"0", b"0-1", b"x", b"y"].into_iter());
    }
    let last = s.last_id.to_bytes();
    let added = int(s.entries_added as i64);
    let maxdel = s.max_deleted_entry_id.to_bytes();
    encode_multibulk_into(
        out,
        [&b"XSETID"[..], key, &last, b"ENTRIESADDED", &added, b"MAXDELETEDID", &maxdel].into_iter(),
    );
    for (name, g) in &s.groups {
        let gid = g.last_id.to_bytes();
        let read = int(g.entries_read);
        encode_multibulk_into(out, [&b"XGROUP"[..], b"CREATE", key, name, &gid, b"ENTRIESREAD", &read].into_iter());
        for (cname, c) in &g.consumers {
            if c.pel.is_empty() {
                encode_multibulk_into(out, [&b"XGROUP"[..], b"CREATECONSUMER", key, name, cname].into_iter());
                continue;
            }
            for id in &c.pel {
                let Some(p) = g.pel.get(id) else { continue };
                let idb = id.to_bytes();
                let time = int(p.delivery_time);
                let count = int(p.delivery_count as i64);
                encode_multibulk_into(
                    out,
                    [
                        &b"XCLAIM"[..],
                        key,
                        name,
                        cname,
                        b"0",
                        &idb,
                        b"TIME",
                        &time,
                        b"RETRYCOUNT",
                        &count,
                        b"JUSTID",
                        b"FORCE",
                    ]
                    .into_iter(),
                );
            }
        }
    }
    if let Some(m) = s.idmp.as_deref() {
        let (d, ms) = (int(m.duration as i64), int(m.maxsize as i64));
        encode_multibulk_into(out, [&b"XCFGSET"[..], key, b"IDMP-DURATION", &d, b"IDMP-MAXSIZE", &ms].into_iter());
        for (pid, p) in m.producers() {
            for (iid, id) in p.entries().filter(|(_, id)| s.contains(*id)) {
                let idb = id.to_bytes();
                encode_multibulk_into(out, [&b"XIDMPRECORD"[..], key, pid, iid, &idb].into_iter());
            }
        }
    }
}

/// `FUNCTION LOAD <code>` for each library payload (Redis's `rewriteFunctions`), before the keys.
pub fn write_function_loads<W: Write>(w: &mut W, codes: &[Vec<u8>]) -> io::Result<()> {
    let mut out = Vec::new();
    for code in codes {
        encode_multibulk_into(&mut out, [b"FUNCTION".as_slice(), b"LOAD", code].into_iter());
    }
    w.write_all(&out)
}

/// `verb key item...` in commands of at most [`ITEMS_PER_CMD`] items (`group` arguments make one item).
fn emit_batches(out: &mut Vec<u8>, verb: &[u8], key: &[u8], items: &[Vec<u8>], group: usize) {
    for chunk in items.chunks(ITEMS_PER_CMD * group) {
        let argv = [verb, key].into_iter().chain(chunk.iter().map(|v| v.as_slice()));
        let argv: Vec<&[u8]> = argv.collect();
        encode_multibulk_into(out, argv.into_iter());
    }
}

/// A probabilistic value as RedisBloom's `aof_rewrite` callbacks emit it: a Bloom filter as BF.LOADCHUNK of its
/// header and then of each chunk (`BFAofRewrite`), a cuckoo filter likewise with CF.LOADCHUNK (`CFAofRewrite`); the others as RESTORE of their DUMP payload
/// (`RMUtil_DefaultAofRewrite`).
fn write_prob(
    out: &mut Vec<u8>,
    key: &[u8],
    e: &crate::keyspace::object::Entry,
    p: &crate::keyspace::types::prob::Prob,
) {
    use crate::keyspace::types::prob::Prob;
    match p {
        Prob::Bloom(b) => {
            let hdr = b.encode_header();
            encode_multibulk_into(out, [b"BF.LOADCHUNK".as_slice(), key, b"1", &hdr].into_iter());
            let mut iter = 1;
            loop {
                let (next, chunk) = b.chunk(iter);
                if next == 0 {
                    break;
                }
                let mut nb = [0u8; 24];
                let n = crate::util::itoa_buf(next, &mut nb);
                encode_multibulk_into(out, [b"BF.LOADCHUNK".as_slice(), key, n, chunk].into_iter());
                iter = next;
            }
        }
        Prob::Cuckoo(c) => {
            let hdr = c.encode_header();
            encode_multibulk_into(out, [b"CF.LOADCHUNK".as_slice(), key, b"1", &hdr].into_iter());
            let mut pos = 1;
            while let Some((next, chunk)) = c.chunk(pos) {
                let mut nb = [0u8; 24];
                let n = crate::util::itoa_buf(next, &mut nb);
                encode_multibulk_into(out, [b"CF.LOADCHUNK".as_slice(), key, n, chunk].into_iter());
                pos = next;
            }
        }
        _ => {
            let payload = crate::persist::rdb::write::dump_payload(e);
            encode_multibulk_into(out, [b"RESTORE".as_slice(), key, b"0", &payload].into_iter());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::object::Entry;

    #[test]
    fn strings_collections_and_ttls() {
        let mut db = Db::new(2);
        db.insert(Entry::new_embstr(b"s", b"v"));
        let mut e = Entry::new_embstr(b"t", b"1");
        e.set_lru(0);
        db.insert(e);
        db.set_expire(b"t", i64::MAX - 1);
        let mut l = crate::keyspace::types::list::List::new();
        let th = crate::keyspace::types::Thresholds::default();
        for i in 0..70 {
            l.push(i.to_string().as_bytes(), false, &th);
        }
        db.insert(Entry::new_value(b"l", Value::List(l)));
        let mut out = Vec::new();
        write_aof_commands(&mut out, std::slice::from_ref(&db), 0, 0).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"), "{text}");
        assert!(text.contains("*3\r\n$3\r\nSET\r\n$1\r\ns\r\n$1\r\nv\r\n"));
        assert!(text.contains("$9\r\nPEXPIREAT\r\n$1\r\nt\r\n$19\r\n9223372036854775806\r\n"));
        // 70 elements: one RPUSH of 64 and one of 6.
        assert!(text.contains("*66\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\n0\r\n"));
        assert!(text.contains("*8\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$2\r\n64\r\n"));
    }

    #[test]
    fn function_libraries_as_commands() {
        let mut out = Vec::new();
        write_function_loads(&mut out, &[b"#!lua name=a\nx".to_vec()]).unwrap();
        assert_eq!(out, b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$14\r\n#!lua name=a\nx\r\n");
    }

    #[test]
    fn expired_keys_are_skipped() {
        let mut db = Db::new(0);
        db.insert(Entry::new_embstr(b"gone", b"v"));
        db.set_expire(b"gone", 10);
        let mut out = Vec::new();
        write_aof_commands(&mut out, std::slice::from_ref(&db), 1000, 0).unwrap();
        assert!(!String::from_utf8(out).unwrap().contains("gone"));
    }
}
