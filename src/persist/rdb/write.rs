//! The RDB writer and DUMP payloads.
//!
//! Everything is encoded into one `Vec<u8>` buffer that is handed to the output (and folded into the CRC) in
//! large chunks: after each key once it holds `SPILL_AT` bytes, and inside big collections so that one huge
//! value never needs a buffer of its own size. Strings are written straight from the entries and listpack/intset
//! blobs are copied as they are; the only per-key work besides copying is the integer check of short strings and
//! the LZF attempt for strings longer than 20 bytes (with a compressor whose table is reused, see
//! [`crate::persist::lzf`]). I/O errors are remembered and reported at the end (the writer stops writing after
//! the first one).

use super::{op, KeyStamp, SaveOptions, RDB_VERSION, RDB_VERSION_HFE};
use crate::keyspace::db::Db;
use crate::keyspace::object::{Entry, StrRef, Value, LRU_MASK};
use crate::keyspace::types::{hash::Hash, hash::View, list::List, set::Set, zset::ZSet};
use crate::persist::crc64::crc64;
use crate::util::{itoa_buf, parse_i64};
use std::io::{self, Write};

/// Buffered bytes that trigger a write to the output.
const SPILL_AT: usize = 1 << 20;

/// Where encoded bytes go when the buffer is full.
trait Spill {
    fn spill(&mut self, buf: &mut Vec<u8>);
    /// Whether an earlier spill failed (the encoder then stops early).
    fn failed(&self) -> bool {
        false
    }
}

/// Keeps everything in the buffer (DUMP payloads, serialized lengths).
struct KeepAll;

impl Spill for KeepAll {
    #[inline]
    fn spill(&mut self, _buf: &mut Vec<u8>) {}
}

/// Counts the bytes and keeps none (a serialized length).
struct Count(usize);

impl Spill for Count {
    fn spill(&mut self, buf: &mut Vec<u8>) {
        self.0 += buf.len();
        buf.clear();
    }
}

/// Writes the buffer to `w`, keeping the CRC and byte count; remembers the first error.
struct ToWriter<'w> {
    w: &'w mut dyn Write,
    crc: u64,
    checksum: bool,
    written: u64,
    err: Option<io::Error>,
}

impl Spill for ToWriter<'_> {
    fn failed(&self) -> bool {
        self.err.is_some()
    }

    fn spill(&mut self, buf: &mut Vec<u8>) {
        if buf.is_empty() {
            return;
        }
        if self.err.is_none() {
            if self.checksum {
                self.crc = crc64(self.crc, buf);
            }
            match self.w.write_all(buf) {
                Ok(()) => self.written += buf.len() as u64,
                Err(e) => self.err = Some(e),
            }
        }
        buf.clear();
        crate::persist::child_info::offer_cpu();
    }
}

/// Encoder state: the buffer and the options that change the bytes.
///
/// The sink is a trait object: it is called once per MiB of output, and one copy of the encoder (rather than one
/// per sink and writer type) keeps the static binary smaller.
struct Enc<'s> {
    buf: Vec<u8>,
    sink: &'s mut dyn Spill,
    compression: bool,
}

impl Enc<'_> {
    #[inline]
    fn maybe_spill(&mut self) {
        if self.buf.len() >= SPILL_AT {
            self.sink.spill(&mut self.buf);
        }
    }

    #[inline]
    fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// `rdbSaveLen`.
    #[inline]
    fn len(&mut self, n: u64) {
        if n < 1 << 6 {
            self.buf.push(n as u8);
        } else if n < 1 << 14 {
            self.buf.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
        } else if n <= u32::MAX as u64 {
            self.buf.push(0x80);
            self.buf.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            self.buf.push(0x81);
            self.buf.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// `rdbEncodeInteger`: the int encodings, for values that fit 32 bits.
    #[inline]
    fn try_int(&mut self, v: i64) -> bool {
        if (-128..=127).contains(&v) {
            self.buf.extend_from_slice(&[0xC0, v as u8]);
        } else if (-32768..=32767).contains(&v) {
            let b = (v as i16).to_le_bytes();
            self.buf.extend_from_slice(&[0xC1, b[0], b[1]]);
        } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
            let b = (v as i32).to_le_bytes();
            self.buf.extend_from_slice(&[0xC2, b[0], b[1], b[2], b[3]]);
        } else {
            return false;
        }
        true
    }

    /// `rdbSaveLongLongAsStringObject`.
    #[inline]
    fn int_string(&mut self, v: i64) {
        if !self.try_int(v) {
            let mut b = [0u8; 24];
            let s = itoa_buf(v, &mut b);
            self.len(s.len() as u64);
            self.buf.extend_from_slice(s);
        }
    }

    /// `rdbSaveRawString`: int encoding for short integer text, LZF when enabled and worth it, else verbatim.
    #[inline]
    fn string(&mut self, s: &[u8]) {
        if s.len() <= 11 {
            if let Some(v) = parse_i64(s) {
                if self.try_int(v) {
                    return;
                }
            }
        }
        if self.compression && s.len() > 20 && self.lzf(s) {
            return;
        }
        self.len(s.len() as u64);
        self.buf.extend_from_slice(s);
    }

    #[inline]
    fn str_ref(&mut self, s: StrRef<'_>) {
        match s {
            StrRef::Int(n) => self.int_string(n),
            StrRef::Bytes(b) => self.string(b),
        }
    }

    /// `rdbSaveLzfStringObject`: keeps the compressed form only when it is at least 4 bytes shorter.
    #[cold]
    fn lzf(&mut self, s: &[u8]) -> bool {
        crate::persist::lzf::with_compressor(|c, out| {
            let n = c.compress(s, out, s.len() - 4);
            if n == 0 {
                return false;
            }
            self.buf.push(0xC0 | op::ENC_LZF);
            self.len(n as u64);
            self.len(s.len() as u64);
            self.buf.extend_from_slice(&out[..n]);
            true
        })
    }

    /// `rdbSaveFunctions`: one FUNCTION2 record per library.
    fn functions(&mut self, codes: &[Vec<u8>]) {
        for code in codes {
            self.byte(op::FUNCTION2);
            self.string(code);
        }
    }

    /// The RDB type byte of a value (`rdbSaveObjectType`).
    fn type_byte(e: &Entry) -> u8 {
        match e.value() {
            None => op::TYPE_STRING,
            Some(Value::List(_)) => op::TYPE_LIST_QUICKLIST_2,
            Some(Value::Set(Set::IntSet(_))) => op::TYPE_SET_INTSET,
            Some(Value::Set(Set::HashTable(_))) => op::TYPE_SET,
            Some(Value::ZSet(ZSet::ListPack(_))) => op::TYPE_ZSET_LISTPACK,
            Some(Value::ZSet(ZSet::SkipList(_))) => op::TYPE_ZSET_2,
            Some(Value::Hash(h)) => match h.view() {
                View::ListPack(_) => op::TYPE_HASH_LISTPACK,
                View::ListPackEx(_) => op::TYPE_HASH_LISTPACK_EX,
                View::HashTable(_) if h.has_ttls() => op::TYPE_HASH_METADATA,
                View::HashTable(_) => op::TYPE_HASH,
            },
            // A stream that used idempotent producers needs Redis 8.6's type to keep that state; any other keeps
            // Redis 7.0's, so that 7.0 loads the file.
            Some(Value::Stream(s)) if s.idmp.is_some() => op::TYPE_STREAM_LISTPACKS_4,
            Some(Value::Stream(_)) => op::TYPE_STREAM_LISTPACKS_2,
            Some(Value::Json(_)) => op::TYPE_MODULE_2,
            Some(Value::Prob(_)) => op::TYPE_MODULE_2,
        }
    }

    /// The value's serialization (`rdbSaveObject`).
    fn value(&mut self, e: &Entry) {
        let v = match e.value() {
            None => {
                if let Some(s) = e.as_str() {
                    self.str_ref(s);
                }
                return;
            }
            Some(v) => v,
        };
        match v {
            Value::List(List::ListPack(lp)) => {
                self.len(1);
                self.len(op::CONTAINER_PACKED);
                self.string(lp.as_bytes());
            }
            Value::List(List::QuickList(q)) => {
                self.len(q.node_count() as u64);
                for node in q.nodes() {
                    self.len(op::CONTAINER_PACKED);
                    match node.lzf() {
                        // A compressed node goes out as its LZF bytes, whatever `rdbcompression` says (Redis's
                        // `rdbSaveLzfBlob` when `quicklistNodeIsCompressed`).
                        Some(z) => {
                            self.buf.push(0xC0 | op::ENC_LZF);
                            self.len(z.len() as u64);
                            self.len(node.sz() as u64);
                            self.buf.extend_from_slice(z);
                        }
                        None => self.string(node.listpack().as_bytes()),
                    }
                    self.maybe_spill();
                }
            }
            Value::Set(Set::IntSet(s)) => self.string(&s.to_redis_bytes()),
            Value::Set(Set::HashTable(d)) => {
                self.len(d.len() as u64);
                for m in d.iter() {
                    self.string(m.as_bytes());
                    self.maybe_spill();
                }
            }
            Value::Hash(h) => self.hash(h),
            Value::ZSet(ZSet::ListPack(lp)) => self.string(lp.as_bytes()),
            Value::ZSet(ZSet::SkipList(z)) => {
                // Greatest first, as Redis writes them (loading then always inserts at the head).
                self.len(z.list.len() as u64);
                for (m, score) in z.list.iter().rev() {
                    self.string(m);
                    self.buf.extend_from_slice(&score.to_le_bytes());
                    self.maybe_spill();
                }
            }
            Value::Stream(s) => self.stream(s),
            Value::Json(j) => {
                // A module value as RedisJSON 2.8 saves it: its type id with encoding version 3, the document as
                // one string (module opcode 5), then the module EOF opcode.
                use crate::keyspace::types::json::{rdb_module_id, RDB_ENCVER};
                self.len(rdb_module_id(RDB_ENCVER));
                self.len(5);
                self.string(&j.compact());
                self.len(0);
            }
            Value::Prob(p) => {
                // A module-type record (`rdbSaveObject` for `OBJ_MODULE`): the module id, the module's own
                // opcode-tagged values, then `RDB_MODULE_OPCODE_EOF`.
                self.len(p.module_id());
                p.save(&mut ModuleWriter(self));
                self.len(op::MODULE_OPCODE_EOF);
            }
        }
    }

    /// A hash. Redis 7.4's forms for fields with TTLs put the least expiry (8 bytes LE) first; in the table form
    /// each field's TTL is relative to it, plus one (0: no TTL).
    fn hash(&mut self, h: &Hash) {
        match h.view() {
            View::ListPack(lp) => self.string(lp.as_bytes()),
            View::ListPackEx(x) => {
                self.buf.extend_from_slice(&h.expiry_hint().to_le_bytes());
                self.string(x.lp.as_bytes());
            }
            View::HashTable(d) => {
                let least = h.has_ttls().then(|| h.iter_ttl().map(|(_, _, t)| t).filter(|&t| t != 0).min());
                if let Some(least) = least {
                    let least = least.unwrap_or(0);
                    self.buf.extend_from_slice(&least.to_le_bytes());
                    self.len(d.len() as u64);
                    for p in d.iter() {
                        let t = p.expire();
                        self.len(if t == 0 { 0 } else { t - least + 1 });
                        self.string(p.field());
                        self.string(p.value());
                        self.maybe_spill();
                    }
                    return;
                }
                self.len(d.len() as u64);
                for p in d.iter() {
                    self.string(p.field());
                    self.string(p.value());
                    self.maybe_spill();
                }
            }
        }
    }

    /// A stream as Redis 7.0 saves it (`RDB_TYPE_STREAM_LISTPACKS_2`): the nodes (master id as a 16-byte
    /// big-endian string, then the listpack as is), length, last id, first id, max deleted id, entries added, and
    /// the groups: name, last id, entries read, the PEL (raw id, delivery time ms LE, delivery count) and the
    /// consumers (name, seen time, their PEL's raw ids). A stream with idempotency state goes out as Redis 8.6's
    /// `RDB_TYPE_STREAM_LISTPACKS_4`: 7.2's consumers (an active time after the seen time: we keep none, the seen
    /// time stands for it) and, after the groups, the idempotency block: duration, max size, the producers (pid,
    /// then its iids oldest first, each with its entry id as two lengths), iids added, iids duplicates.
    fn stream(&mut self, s: &crate::keyspace::types::stream::Stream) {
        self.len(s.node_count() as u64);
        for (k, node) in s.nodes() {
            self.string(&k.to_be_bytes());
            match node.lzf() {
                // A closed node is kept LZF-compressed and goes out as those bytes, whatever `rdbcompression`
                // says (as a compressed list node does).
                Some((z, sz)) => {
                    self.buf.push(0xC0 | op::ENC_LZF);
                    self.len(z.len() as u64);
                    self.len(sz as u64);
                    self.buf.extend_from_slice(z);
                }
                None => {
                    if let Some(lp) = node.listpack() {
                        self.string(lp.as_bytes());
                    }
                }
            }
            self.maybe_spill();
        }
        self.len(s.length);
        for id in [s.last_id, s.first_id, s.max_deleted_entry_id] {
            self.len(id.ms);
            self.len(id.seq);
        }
        self.len(s.entries_added);
        self.len(s.groups.len() as u64);
        for (name, g) in &s.groups {
            self.string(name);
            self.len(g.last_id.ms);
            self.len(g.last_id.seq);
            self.len(g.entries_read as u64);
            self.len(g.pel.len() as u64);
            for (id, p) in &g.pel {
                self.buf.extend_from_slice(&id.to_be_bytes());
                self.buf.extend_from_slice(&p.delivery_time.to_le_bytes());
                self.len(p.delivery_count);
            }
            self.len(g.consumers.len() as u64);
            for (cname, c) in &g.consumers {
                self.string(cname);
                self.buf.extend_from_slice(&c.seen_time.to_le_bytes());
                if s.idmp.is_some() {
                    self.buf.extend_from_slice(&c.seen_time.to_le_bytes());
                }
                self.len(c.pel.len() as u64);
                for id in &c.pel {
                    self.buf.extend_from_slice(&id.to_be_bytes());
                }
            }
            self.maybe_spill();
        }
        if let Some(m) = s.idmp.as_deref() {
            self.len(m.duration);
            self.len(m.maxsize);
            self.len(m.producers().len() as u64);
            for (pid, p) in m.producers() {
                self.string(pid);
                self.len(p.len() as u64);
                for (iid, id) in p.entries() {
                    self.string(iid);
                    self.len(id.ms);
                    self.len(id.seq);
                }
                self.maybe_spill();
            }
            self.len(m.iids_added);
            self.len(m.iids_duplicates);
        }
    }

    /// One key with its expire and access opcodes (`rdbSaveKeyValuePair`).
    #[inline]
    fn key_value(&mut self, e: &Entry, expire_ms: Option<i64>, stamp: KeyStamp, decay: i64, now_ms: i64) {
        if let Some(t) = expire_ms {
            self.byte(op::EXPIRETIME_MS);
            self.buf.extend_from_slice(&t.to_le_bytes());
        }
        match stamp {
            KeyStamp::None => {}
            KeyStamp::Lru { lru_clock } => {
                let (clock, lru) = ((lru_clock & LRU_MASK) as u64, e.lru() as u64);
                // estimateObjectIdleTime, in seconds (the LRU clock ticks once a second).
                let idle = if clock >= lru { clock - lru } else { clock + (LRU_MASK as u64 - lru) };
                self.byte(op::IDLE);
                self.len(idle);
            }
            KeyStamp::Lfu => {
                let c = crate::keyspace::object::lfu_decayed_counter(e.lru(), decay, now_ms);
                self.byte(op::FREQ);
                self.byte(c.min(255) as u8);
            }
        }
        self.byte(Self::type_byte(e));
        self.string(e.key());
        self.value(e);
    }

    fn aux(&mut self, key: &str, val: &[u8]) {
        self.byte(op::AUX);
        self.string(key.as_bytes());
        self.string(val);
    }

    fn aux_int(&mut self, key: &str, v: i64) {
        let mut b = [0u8; 24];
        let s = itoa_buf(v, &mut b).to_vec();
        self.aux(key, &s);
    }
}

/// Writes a complete RDB file (header through checksum) for `dbs` to `w`. Keys are written as they are, expired
/// ones included (as Redis does; the loader decides). `now_ms` is used for the LFU decay of FREQ stamps.
pub fn write_rdb<W: Write>(w: &mut W, dbs: &[Db], now_ms: i64, opts: &SaveOptions) -> io::Result<()> {
    write_counted(w, dbs, now_ms, opts).map(|_| ())
}

/// [`write_rdb`], returning the bytes written.
fn write_counted(w: &mut dyn Write, dbs: &[Db], now_ms: i64, opts: &SaveOptions) -> io::Result<u64> {
    let mut sink = ToWriter { w, crc: 0, checksum: opts.checksum, written: 0, err: None };
    let mut enc =
        Enc { buf: Vec::with_capacity(SPILL_AT + (64 << 10)), sink: &mut sink, compression: opts.compression };
    // A file holding hash fields with TTLs is a Redis 7.4 file (types 24/25); any other stays a 7.0 file.
    let version = if dbs.iter().any(|d| d.has_field_ttls()) { RDB_VERSION_HFE } else { RDB_VERSION };
    enc.buf.extend_from_slice(format!("REDIS{version:04}").as_bytes());
    let a = &opts.aux;
    enc.aux("redis-ver", crate::config::REDIS_VERSION.as_bytes());
    enc.aux_int("redis-bits", 64);
    enc.aux_int("ctime", a.ctime_s);
    enc.aux_int("used-mem", a.used_mem.min(i64::MAX as u64) as i64);
    if let Some(id) = &a.repl_id {
        enc.aux_int("repl-stream-db", a.repl_stream_db);
        enc.aux("repl-id", id.as_bytes());
        enc.aux_int("repl-offset", a.repl_offset);
    }
    enc.aux_int("aof-base", a.aof_base as i64);
    enc.functions(&opts.functions);
    'dbs: for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        enc.byte(op::SELECTDB);
        enc.len(i as u64);
        enc.byte(op::RESIZEDB);
        enc.len(db.len() as u64);
        enc.len(db.expires_len() as u64);
        for e in db.iter() {
            let expire = e.expire_ms();
            enc.key_value(e, expire, opts.stamp, opts.lfu_decay_time, now_ms);
            crate::persist::child_info::key_done();
            if opts.key_save_delay_us != 0 {
                crate::util::debug_delay(opts.key_save_delay_us);
            }
            if enc.buf.len() >= SPILL_AT {
                enc.sink.spill(&mut enc.buf);
                if enc.sink.failed() {
                    break 'dbs;
                }
            }
        }
    }
    enc.byte(op::EOF);
    enc.sink.spill(&mut enc.buf);
    drop(enc);
    let crc = if opts.checksum { sink.crc } else { 0 };
    let ToWriter { w, err, written, .. } = sink;
    if let Some(e) = err {
        return Err(e);
    }
    w.write_all(&crc.to_le_bytes())?;
    w.flush()?;
    Ok(written + 8)
}

/// Writes `temp-<pid>.rdb` in the target's directory, fsyncs it, renames it over `path` and fsyncs the
/// directory (Redis's `rdbSave`). Returns the bytes written. On error the temp file is removed.
pub fn save_file(path: &std::path::Path, dbs: &[Db], now_ms: i64, opts: &SaveOptions) -> io::Result<u64> {
    let tmp = temp_path(path, std::process::id() as i32);
    let dir = tmp.parent().map_or_else(|| std::path::PathBuf::from("."), |d| d.to_path_buf());
    let result = (|| {
        let f = std::fs::File::create(&tmp)?;
        let mut w = SyncEvery::new(f, if opts.incremental_fsync { AUTOSYNC_BYTES } else { 0 });
        let n = write_counted(&mut w, dbs, now_ms, opts)?;
        let f = w.into_inner();
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            // Directory fsync makes the rename durable; some filesystems refuse it, which Redis tolerates too.
            let _ = d.sync_all();
        }
        Ok(n)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The temporary file a save by process `pid` writes before renaming it over `path`: `temp-<pid>.rdb` beside it
/// (the parent cleans it up when a child dies).
pub fn temp_path(path: &std::path::Path, pid: i32) -> std::path::PathBuf {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    dir.join(format!("temp-{pid}.rdb"))
}

/// Redis's `REDIS_AUTOSYNC_BYTES`: with `rdb-save-incremental-fsync` (and `aof-rewrite-incremental-fsync` for AOF
/// bases) the file is fsynced every this many bytes, so the kernel never holds a huge dirty backlog that one final
/// fsync would have to flush at once.
pub const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;

/// A file writer that fdatasyncs every `every` bytes (0: never).
pub struct SyncEvery {
    f: std::fs::File,
    every: u64,
    since: u64,
}

impl SyncEvery {
    pub fn new(f: std::fs::File, every: u64) -> SyncEvery {
        SyncEvery { f, every, since: 0 }
    }

    pub fn into_inner(self) -> std::fs::File {
        self.f
    }
}

impl Write for SyncEvery {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.f.write(buf)?;
        self.since += n as u64;
        if self.every > 0 && self.since >= self.every {
            self.f.sync_data()?;
            self.since = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.f.flush()
    }
}

/// Encodes a value (the type byte optional), with or without LZF for long strings (`rdbcompression`).
fn encode_value_with(e: &Entry, with_type: bool, compression: bool) -> Vec<u8> {
    let mut enc = Enc { buf: Vec::new(), sink: &mut KeepAll, compression };
    if with_type {
        enc.byte(Enc::type_byte(e));
    }
    enc.value(e);
    enc.buf
}

/// DUMP payload: type byte, value, RDB version (2 bytes LE), CRC-64 of all that (8 bytes LE).
pub fn dump_payload(e: &Entry) -> Vec<u8> {
    dump_payload_with(e, true)
}

/// [`dump_payload`] following `rdbcompression` (Redis's DUMP compresses long strings only when it is on).
pub fn dump_payload_with(e: &Entry, compression: bool) -> Vec<u8> {
    let mut p = encode_value_with(e, true, compression);
    let hfe = matches!(e.value(), Some(Value::Hash(h)) if h.has_ttls() || matches!(h.view(), View::ListPackEx(_)));
    p.extend_from_slice(&(if hfe { RDB_VERSION_HFE } else { RDB_VERSION }).to_le_bytes());
    let crc = crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// `FUNCTION DUMP` payload: a FUNCTION2 record per library, RDB version (2 bytes LE), CRC-64 (8 bytes LE).
/// Library code longer than 20 bytes is LZF-compressed when `compression` (`rdbcompression`), as Redis does.
pub fn function_dump_payload(codes: &[Vec<u8>], compression: bool) -> Vec<u8> {
    let mut enc = Enc { buf: Vec::new(), sink: &mut KeepAll, compression };
    enc.functions(codes);
    let mut p = enc.buf;
    p.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// Length of the value's RDB serialization, type byte excluded (`DEBUG OBJECT` serializedlength, Redis's
/// `rdbSavedObjectLen`): the bytes a save would write, counted a buffer at a time rather than kept.
pub fn serialized_len(e: &Entry) -> usize {
    let mut count = Count(0);
    let tail = {
        let mut enc = Enc { buf: Vec::new(), sink: &mut count, compression: true };
        enc.value(e);
        enc.buf.len()
    };
    count.0 + tail
}

/// The RDB writer as a module's `RedisModule_Save*` target (Redis's `RedisModule_SaveUnsigned`, `SaveDouble`,
/// `SaveStringBuffer`: an opcode, then the value).
struct ModuleWriter<'w, 's>(&'w mut Enc<'s>);

impl crate::keyspace::types::prob::ModuleOut for ModuleWriter<'_, '_> {
    fn unsigned(&mut self, v: u64) {
        self.0.len(op::MODULE_OPCODE_UINT);
        self.0.len(v);
    }
    fn double(&mut self, v: f64) {
        self.0.len(op::MODULE_OPCODE_DOUBLE);
        self.0.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn string(&mut self, s: &[u8]) {
        self.0.len(op::MODULE_OPCODE_STRING);
        self.0.string(s);
        self.0.maybe_spill();
    }
}
