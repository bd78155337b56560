//! The RDB loader, RESTORE payloads, and the visitor interface `ferredis-check-rdb` uses.
//!
//! Input comes through [`BufRead`]: bytes are taken straight from the reader's buffer when they are there (no copy)
//! and folded into the running CRC as they are consumed; only items that straddle the end of the buffer are
//! copied into a scratch vector. The loader consumes exactly the file's bytes, checksum included, so a caller
//! reading an AOF with an RDB preamble can continue with the same reader.
//!
//! Every length, offset and count comes from untrusted input: nothing is allocated from a length before the bytes
//! are there (vectors grow as data arrives), blobs are validated before they become values, and any
//! inconsistency is an [`RdbError`] naming the offset, never a panic.

use super::{op, LoadOptions, LoadStats, RdbError};
use crate::keyspace::db::Db;
use crate::keyspace::dict::HashedKey;
use crate::keyspace::object::{Entry, LRU_MASK};
use crate::keyspace::types::Thresholds;
use crate::persist::crc64::crc64;
use crate::persist::lzf;
use crate::util::itoa_buf;
use std::collections::VecDeque;
use std::io::{self, BufRead};

mod value;
use value::Loader;

/// What the trailer said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// Verified.
    Ok,
    /// The file was written with `rdbchecksum no` (a zero trailer).
    Disabled,
    /// Not verified (checking turned off, or a version-4-or-older file without a trailer).
    NotChecked,
}

/// Receives what the loader reads. [`read_rdb`] inserts into databases; the checker counts and prints.
pub trait LoadSink {
    fn aux(&mut self, _key: &[u8], _val: &[u8], _offset: u64) {}
    /// SELECTDB; an error stops the load (e.g. a db index beyond the configured number of databases).
    fn select_db(&mut self, db: u64, offset: u64) -> Result<(), String>;
    fn resize_db(&mut self, _keys: u64, _expires: u64) {}
    /// A key's name has been read; its value comes next.
    fn begin_key(&mut self, _rdb_type: u8, _key: &[u8]) {}
    /// A key dropped because its TTL had passed (`drop_expired`): a master restarting from its RDB propagates
    /// its deletion.
    fn expired(&mut self, _key: &[u8]) {}
    /// A loaded key (already expired ones too, unless `drop_expired`). An error stops the load.
    fn entry(&mut self, e: Entry, expire_ms: Option<i64>) -> Result<(), String>;
    /// The last key has been read (the EOF opcode): a sink that holds keys back must place them now. An error
    /// stops the load. No default, so that a wrapper cannot forget to pass it on.
    fn finish(&mut self) -> Result<(), String>;
    fn checksum(&mut self, _status: ChecksumStatus, _offset: u64) {}
}

// ---------------------------------------------------------------------------------------------------------------
// Input

/// The two [`BufRead`] methods the loader uses. The loader takes its reader as `dyn Input` rather than
/// `dyn BufRead`: a `dyn BufRead` vtable would also instantiate every provided `Read` method for each reader type.
trait Input {
    fn fill_buf(&mut self) -> io::Result<&[u8]>;
    fn consume(&mut self, n: usize);
}

impl<R: BufRead> Input for R {
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        BufRead::fill_buf(self)
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        BufRead::consume(self, n)
    }
}

/// Handed-out bytes are consumed (and checksummed) at least this often, so a reader that counts consumption (the
/// start-up load's progress, which decides when clients are served) sees it advance steadily.
const SETTLE_BYTES: usize = 16 * 1024;

/// The byte source: a [`BufRead`], the count of consumed bytes and their CRC.
struct Src<'r> {
    r: &'r mut dyn Input,
    /// Bytes handed out from the reader's buffer but not consumed yet (consumed at the next read).
    pending: usize,
    /// What the reader's `fill_buf` returns now without reading (`pending` included): the length of its last
    /// answer minus what was consumed since. Lets a read that fits skip one `fill_buf` call.
    buffered: usize,
    offset: u64,
    crc: u64,
    do_crc: bool,
    scratch: Vec<u8>,
}

/// A string as stored: an integer encoding, or bytes (borrowed from the input, or decompressed).
enum Str<'a> {
    Int(i64),
    Ref(&'a [u8]),
    Own(Vec<u8>),
}

impl Str<'_> {
    #[inline]
    fn bytes<'b>(&'b self, buf: &'b mut [u8; 24]) -> &'b [u8] {
        match self {
            Str::Int(n) => itoa_buf(*n, buf),
            Str::Ref(b) => b,
            Str::Own(v) => v,
        }
    }

    fn into_vec(self) -> Vec<u8> {
        match self {
            Str::Int(n) => {
                let mut b = [0u8; 24];
                itoa_buf(n, &mut b).to_vec()
            }
            Str::Ref(b) => b.to_vec(),
            Str::Own(v) => v,
        }
    }
}

impl<'r> Src<'r> {
    fn new(r: &'r mut dyn Input, do_crc: bool) -> Self {
        Src { r, pending: 0, buffered: 0, offset: 0, crc: 0, do_crc, scratch: Vec::new() }
    }

    /// Consumes what was handed out from the reader's buffer, folding it into the CRC in one piece (a CRC over
    /// a few KB runs at table speed; one per 1-byte read would cost a call and a tail loop each).
    #[inline]
    fn settle(&mut self) {
        if self.pending != 0 {
            if self.do_crc {
                if let Ok(Some(b)) = self.r.fill_buf().map(|b| b.get(..self.pending)) {
                    self.crc = crc64(self.crc, b);
                }
            }
            self.r.consume(self.pending);
            self.buffered = self.buffered.saturating_sub(self.pending);
            self.pending = 0;
        }
    }

    /// The CRC of every byte handed out so far.
    fn crc(&mut self) -> u64 {
        self.settle();
        self.crc
    }

    fn err(&self, msg: impl Into<String>) -> RdbError {
        RdbError::new(self.offset, msg)
    }

    fn eof(&self) -> RdbError {
        self.err("Unexpected EOF reading RDB file")
    }

    /// Bytes available in the reader's buffer (filling it if empty).
    #[inline]
    fn available(&mut self) -> Result<usize, RdbError> {
        loop {
            match self.r.fill_buf() {
                Ok(b) => {
                    self.buffered = b.len();
                    return Ok(b.len());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.err(format!("Read error: {e}"))),
            }
        }
    }

    /// The next `n` bytes, borrowed from the reader's buffer when they are all there.
    /// Bytes stay in the reader's buffer (`pending` grows) until a read does not fit in what is left of it or
    /// [`SETTLE_BYTES`] have gathered; then they are consumed and checksummed together ([`Src::settle`]).
    #[inline]
    fn bytes(&mut self, n: usize) -> Result<&[u8], RdbError> {
        if n > self.buffered.saturating_sub(self.pending) || self.pending >= SETTLE_BYTES {
            self.settle();
            if self.available()? < n {
                return self.slow_bytes(n);
            }
        }
        let (start, off) = (self.pending, self.offset);
        // fill_buf without a read in between returns what is left of the same buffer for any sane BufRead
        // (`buffered` counts on that); a reader that shrinks it gets an error, not a panic.
        let b = match self.r.fill_buf().map(|b| b.get(start..start.saturating_add(n))) {
            Ok(Some(b)) => b,
            Ok(None) => return Err(RdbError::new(off, "Read error: the reader's buffer shrank")),
            Err(e) => return Err(RdbError::new(off, format!("Read error: {e}"))),
        };
        self.pending += n;
        self.offset += n as u64;
        Ok(b)
    }

    /// Copies `n` bytes spanning several buffer fills into the scratch vector (grown as data arrives, so a
    /// corrupt huge length ends in an EOF error, not a huge allocation).
    fn slow_bytes(&mut self, n: usize) -> Result<&[u8], RdbError> {
        self.scratch.clear();
        while self.scratch.len() < n {
            let avail = self.available()?;
            if avail == 0 {
                return Err(self.eof());
            }
            let take = avail.min(n - self.scratch.len());
            let b = match self.r.fill_buf().map(|b| b.get(..take)) {
                Ok(Some(b)) => b,
                Ok(None) => return Err(RdbError::new(self.offset, "Read error: the reader's buffer shrank")),
                Err(e) => return Err(RdbError::new(self.offset, format!("Read error: {e}"))),
            };
            if self.do_crc {
                self.crc = crc64(self.crc, b);
            }
            self.scratch.extend_from_slice(b);
            self.r.consume(take);
            self.buffered = self.buffered.saturating_sub(take);
        }
        self.offset += n as u64;
        Ok(&self.scratch)
    }

    #[inline]
    fn u8(&mut self) -> Result<u8, RdbError> {
        Ok(self.bytes(1)?[0])
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    /// `rdbLoadLenByRef`: (value, is an encoding).
    #[inline]
    fn len_enc(&mut self) -> Result<(u64, bool), RdbError> {
        let b = self.u8()?;
        match b >> 6 {
            0 => Ok(((b & 0x3f) as u64, false)),
            1 => {
                let c = self.u8()?;
                Ok(((((b & 0x3f) as u64) << 8) | c as u64, false))
            }
            3 => Ok(((b & 0x3f) as u64, true)),
            _ if b == 0x80 => Ok((u32::from_be_bytes(self.array()?) as u64, false)),
            _ if b == 0x81 => Ok((u64::from_be_bytes(self.array()?), false)),
            _ => Err(self.err(format!("Unknown length encoding {} in rdbLoadLen()", b >> 6))),
        }
    }

    /// `rdbLoadLen` (an encoding byte reads as its 6-bit value, as in Redis).
    #[inline]
    fn len(&mut self) -> Result<u64, RdbError> {
        Ok(self.len_enc()?.0)
    }

    /// A length used as a count or size in memory.
    #[inline]
    fn usize_len(&mut self) -> Result<usize, RdbError> {
        let n = self.len()?;
        usize::try_from(n).map_err(|_| self.err(format!("Length {n} too large")))
    }

    /// `rdbGenericLoadStringObject`.
    #[inline]
    fn string(&mut self) -> Result<Str<'_>, RdbError> {
        let (n, enc) = self.len_enc()?;
        if enc {
            return match n as u8 {
                op::ENC_INT8 => Ok(Str::Int(self.u8()? as i8 as i64)),
                op::ENC_INT16 => Ok(Str::Int(i16::from_le_bytes(self.array()?) as i64)),
                op::ENC_INT32 => Ok(Str::Int(i32::from_le_bytes(self.array()?) as i64)),
                op::ENC_LZF => Ok(Str::Own(self.lzf()?)),
                _ => Err(self.err(format!("Unknown RDB string encoding type {n}"))),
            };
        }
        let n = usize::try_from(n).map_err(|_| self.err(format!("String length {n} too large")))?;
        Ok(Str::Ref(self.bytes(n)?))
    }

    fn lzf(&mut self) -> Result<Vec<u8>, RdbError> {
        let clen = self.usize_len()?;
        let len = self.usize_len()?;
        let r = lzf::decompress(self.bytes(clen)?, len);
        r.map_err(|_| self.err("Invalid LZF compressed string"))
    }

    /// A string as [`Src::string`] reads it, except that LZF data comes back still compressed, with its length.
    fn string_or_lzf(&mut self) -> Result<Result<Str<'_>, (&[u8], usize)>, RdbError> {
        let (n, enc) = self.len_enc()?;
        if !enc {
            let n = usize::try_from(n).map_err(|_| self.err(format!("String length {n} too large")))?;
            return Ok(Ok(Str::Ref(self.bytes(n)?)));
        }
        Ok(Ok(match n as u8 {
            op::ENC_INT8 => Str::Int(self.u8()? as i8 as i64),
            op::ENC_INT16 => Str::Int(i16::from_le_bytes(self.array()?) as i64),
            op::ENC_INT32 => Str::Int(i32::from_le_bytes(self.array()?) as i64),
            op::ENC_LZF => {
                let clen = self.usize_len()?;
                let len = self.usize_len()?;
                return Ok(Err((self.bytes(clen)?, len)));
            }
            _ => return Err(self.err(format!("Unknown RDB string encoding type {n}"))),
        }))
    }

    /// A string as owned bytes.
    fn owned(&mut self) -> Result<Vec<u8>, RdbError> {
        Ok(self.string()?.into_vec())
    }
}

/// Sets an entry's LRU/LFU field as a fresh object's (`createObject`), then from IDLE/FREQ as Redis's
/// `objectSetLRUOrLFU` does: FREQ counts under an LFU policy, IDLE (seconds) under the others. Returns whether
/// IDLE/FREQ applied.
pub fn apply_lru_lfu(
    e: &mut Entry,
    lfu: bool,
    freq: Option<u8>,
    idle_s: Option<u64>,
    lru_clock: u32,
    now_ms: i64,
) -> bool {
    if lfu {
        match freq {
            Some(f) => {
                e.set_lru((crate::keyspace::object::lfu_minutes(now_ms) << 8) | f as u32);
                true
            }
            None => {
                e.set_lru(crate::keyspace::object::lfu_init(now_ms));
                false
            }
        }
    } else {
        match idle_s {
            Some(idle) => {
                let idle = i64::try_from(idle).unwrap_or(i64::MAX);
                let mut abs = (lru_clock & LRU_MASK) as i64 - idle;
                if abs < 0 {
                    abs = abs.saturating_add(LRU_MASK as i64);
                }
                e.set_lru(abs as u32 & LRU_MASK);
                true
            }
            None => {
                e.set_lru(lru_clock);
                false
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The file

/// Reads one RDB (header through checksum), handing everything to `sink`. The reader is left right after the
/// checksum (or the EOF opcode for files older than version 5).
///
/// Generic only here: the loader itself takes the reader and the sink as trait objects, so the binaries carry one
/// copy of it for every reader and sink type (a copy per type cost about 60 KB each; the indirect calls are a
/// few per field read, against a decode and an allocation).
pub fn read_rdb_with<R: BufRead, S: LoadSink>(
    r: &mut R,
    sink: &mut S,
    opts: &LoadOptions,
) -> Result<LoadStats, RdbError> {
    read_rdb_dyn(r, sink, opts)
}

fn read_rdb_dyn(r: &mut dyn Input, sink: &mut dyn LoadSink, opts: &LoadOptions) -> Result<LoadStats, RdbError> {
    let mut l = Loader { src: Src::new(r, opts.checksum), opts, fbuf: Vec::new() };
    let mut stats = LoadStats::default();
    let mut doing = "start";
    let r = run(&mut l, sink, &mut stats, &mut doing);
    match r {
        Ok(()) => {
            l.src.settle();
            stats.bytes_read = l.src.offset;
            Ok(stats)
        }
        Err(mut e) => {
            if e.doing == "start" {
                e.doing = doing;
            }
            Err(e)
        }
    }
}

fn run(
    l: &mut Loader<'_, '_>,
    sink: &mut dyn LoadSink,
    stats: &mut LoadStats,
    doing: &mut &'static str,
) -> Result<(), RdbError> {
    read_header(l, stats)?;
    let mut meta = KeyMeta::default();
    let mut key: Vec<u8> = Vec::new();
    loop {
        *doing = "read-type";
        let ty = l.src.u8()?;
        match opcode(l, sink, stats, doing, ty, &mut meta)? {
            Opcode::Done => continue,
            Opcode::Eof => break,
            Opcode::Key => {}
        }
        load_key(l, sink, stats, doing, ty, &mut key, &meta)?;
        meta = KeyMeta::default();
    }
    read_checksum(l, sink, stats, doing)
}

/// The file's `REDIS` signature and its format version, which must be one we read.
fn read_header(l: &mut Loader<'_, '_>, stats: &mut LoadStats) -> Result<(), RdbError> {
    let header = l.src.array::<9>()?;
    if &header[..5] != b"REDIS" {
        return Err(l.err("Wrong signature trying to load DB from file"));
    }
    let digits = header[5..].iter().take_while(|c| c.is_ascii_digit()).fold(0u32, |a, &c| a * 10 + (c - b'0') as u32);
    if digits < 1 || digits > super::RDB_VERSION_HFE as u32 {
        return Err(l.err(format!("Can't handle RDB format version {digits}")));
    }
    stats.rdb_version = digits;
    Ok(())
}

/// The modifiers read before a key (`EXPIRETIME`, `FREQ`, `IDLE`): they apply to the next key only.
#[derive(Default)]
struct KeyMeta {
    expire: Option<i64>,
    freq: Option<u8>,
    idle: Option<u64>,
}

/// What [`opcode`] found: a record it read (on to the next), the end of the data, or the type of a key.
enum Opcode {
    Done,
    Eof,
    Key,
}

/// Reads the record of opcode `ty` when it is not a key's type: a key's modifiers into `meta`, the end, a db
/// selection or size hint, an AUX field, a module's AUX data (skipped) or a function library.
fn opcode(
    l: &mut Loader<'_, '_>,
    sink: &mut dyn LoadSink,
    stats: &mut LoadStats,
    doing: &mut &'static str,
    ty: u8,
    meta: &mut KeyMeta,
) -> Result<Opcode, RdbError> {
    match ty {
        op::EXPIRETIME => {
            *doing = "read-expire";
            meta.expire = Some(i32::from_le_bytes(l.src.array()?) as i64 * 1000);
        }
        op::EXPIRETIME_MS => {
            *doing = "read-expire";
            meta.expire = Some(i64::from_le_bytes(l.src.array()?));
        }
        op::FREQ => meta.freq = Some(l.src.u8()?),
        op::IDLE => meta.idle = Some(l.src.len()?),
        op::EOF => {
            sink.finish().map_err(|m| l.err(m))?;
            return Ok(Opcode::Eof);
        }
        op::SELECTDB => {
            *doing = "read-len";
            let id = l.src.len()?;
            sink.select_db(id, l.src.offset).map_err(|m| l.err(m))?;
        }
        op::RESIZEDB => {
            *doing = "read-len";
            let keys = l.src.len()?;
            let expires = l.src.len()?;
            sink.resize_db(keys, expires);
        }
        op::AUX => {
            *doing = "read-aux";
            let k = l.src.owned()?;
            let v = l.src.owned()?;
            sink.aux(&k, &v, l.src.offset);
            stats.aux.push((k, v));
        }
        op::MODULE_AUX => {
            *doing = "read-module-aux";
            let id = l.src.len()?;
            let when_opcode = l.src.len()?;
            let _when = l.src.len()?;
            if when_opcode != 2 {
                return Err(l.err("bad when_opcode"));
            }
            skip_module_value(&mut l.src)?;
            stats.module_aux_skipped += 1;
            warn(stats, format!("Skipped module AUX data (module id {id:#x}): modules are not supported"));
        }
        op::FUNCTION | op::FUNCTION2 => {
            *doing = "read-functions";
            let code =
                function_record(&mut l.src, ty).map_err(|(m, _)| l.err(format!("Failed loading library, {m}")))?;
            stats.functions.push(code);
        }
        _ => return Ok(Opcode::Key),
    }
    Ok(Opcode::Done)
}

/// A key of type `ty`: its name, then its value, given to the sink with the modifiers read before it (or
/// skipped: empty, or expired when the options drop those).
fn load_key(
    l: &mut Loader<'_, '_>,
    sink: &mut dyn LoadSink,
    stats: &mut LoadStats,
    doing: &mut &'static str,
    ty: u8,
    key: &mut Vec<u8>,
    meta: &KeyMeta,
) -> Result<(), RdbError> {
    let opts = l.opts;
    let KeyMeta { expire, freq, idle } = *meta;
    // A key: its name, then its value. Types a 7.0 server does not know are refused before the key, as
    // Redis does, except the 7.2 ones, whose message names the key.
    if !op::is_object_type(ty) && !matches!(ty, op::TYPE_SET_LISTPACK | op::TYPE_STREAM_LISTPACKS_3) {
        return Err(l.err(format!("Invalid object type: {ty}")));
    }
    *doing = "read-key";
    key.clear();
    {
        let key_err = |mut e: RdbError| {
            e.key_type = Some(ty);
            e.doing = "read-key";
            e
        };
        let s = l.src.string().map_err(key_err)?;
        let mut b = [0u8; 24];
        key.extend_from_slice(s.bytes(&mut b));
    }
    sink.begin_key(ty, key);
    *doing = "read-object-value";
    let with_key = |mut e: RdbError| {
        e.key = Some(key.clone());
        e.key_type = Some(ty);
        e.doing = "read-object-value";
        e
    };
    let value = l.value(ty, key).map_err(with_key)?;
    match value {
        None => {
            stats.empty_keys_skipped += 1;
            if stats.empty_keys_skipped <= 10 {
                warn(stats, format!("rdbLoadObject skipping empty key: {}", String::from_utf8_lossy(key)));
            }
        }
        Some(mut e) => {
            if expire.is_some() {
                stats.expires += 1;
            }
            if opts.drop_expired && expire.is_some_and(|t| t < opts.now_ms) {
                stats.expired_skipped += 1;
                sink.expired(key);
            } else {
                apply_lru_lfu(&mut e, opts.lfu, freq, idle, opts.lru_clock, opts.now_ms);
                let off = l.src.offset;
                sink.entry(e, expire).map_err(|m| with_key(RdbError::new(off, m)))?;
                stats.keys += 1;
            }
        }
    }
    Ok(())
}

/// The CRC64 at the end of a version 5+ file, checked when the options ask for it; the sink learns the outcome.
fn read_checksum(
    l: &mut Loader<'_, '_>,
    sink: &mut dyn LoadSink,
    stats: &mut LoadStats,
    doing: &mut &'static str,
) -> Result<(), RdbError> {
    let opts = l.opts;
    if stats.rdb_version >= 5 {
        *doing = "check-sum";
        let expected = l.src.crc();
        let file = u64::from_le_bytes(l.src.array()?);
        let status = if !opts.checksum {
            ChecksumStatus::NotChecked
        } else if file == 0 {
            warn(stats, "RDB file was saved with checksum disabled: no check performed.".into());
            ChecksumStatus::Disabled
        } else if file != expected {
            // redis-check-rdb's words; the server logs the two values (`RdbError::detail`).
            let mut e = l.err("RDB CRC error");
            e.detail = format!("Wrong RDB checksum expected: ({expected:x}) but got ({file:x})");
            return Err(e);
        } else {
            ChecksumStatus::Ok
        };
        sink.checksum(status, l.src.offset);
    } else {
        sink.checksum(ChecksumStatus::NotChecked, l.src.offset);
    }
    Ok(())
}

/// Redis's `serverLogHexDump` at warning level: the description and size, then the bytes in hex.
fn log_hex_dump(descr: &str, b: &[u8]) {
    crate::log_warning!("{descr} (hexdump of {} bytes):", b.len());
    let mut hex = String::with_capacity(b.len() * 2);
    for x in b {
        hex.push(char::from(b"0123456789abcdef"[(x >> 4) as usize]));
        hex.push(char::from(b"0123456789abcdef"[(x & 15) as usize]));
    }
    crate::log_warning!("{hex}");
}

/// A warning about the file: logged when it happens (as Redis's `serverLog(LL_WARNING, ...)` in `rdbLoad`) and
/// kept in the stats.
fn warn(stats: &mut LoadStats, msg: String) {
    crate::log_warning!("{msg}");
    stats.warnings.push(msg);
}

/// Skips a module value in its self-describing form (as `redis-check-rdb` does): opcode/value pairs up to EOF.
fn skip_module_value(src: &mut Src<'_>) -> Result<(), RdbError> {
    loop {
        match src.len()? {
            0 => return Ok(()),
            1 | 2 => {
                src.len()?;
            }
            3 => {
                src.bytes(4)?;
            }
            4 => {
                src.bytes(8)?;
            }
            5 => {
                src.string()?;
            }
            o => return Err(src.err(format!("Unknown module opcode {o} in module value"))),
        }
    }
}

/// Largest RESIZEDB hint honoured (4M keys: a table of about 50 MB).
pub const RESIZE_HINT_MAX: u64 = 1 << 22;

/// Inserts loaded keys into databases.
pub struct DbSink<'a> {
    dbs: &'a mut [Db],
    cur: usize,
    allow_dup: bool,
    /// The hash of the key whose value is being read (from [`LoadSink::begin_key`]).
    next: Option<HashedKey>,
    /// Loaded keys not yet in their table, oldest first, at most [`LOAD_AHEAD`]: each key is hashed and its slot
    /// fetched into the cache when its name is read, and inserted [`LOAD_AHEAD`] keys later, so the cache misses
    /// of consecutive inserts overlap (a big table's slots are all misses, and they were half the load's time).
    pending: VecDeque<(HashedKey, Entry)>,
}

/// How many loaded keys [`DbSink`] holds back before inserting them.
const LOAD_AHEAD: usize = 16;

impl<'a> DbSink<'a> {
    /// A sink filling `dbs`; `allow_dup` lets a loaded key replace an existing one.
    pub fn new(dbs: &'a mut [Db], allow_dup: bool) -> DbSink<'a> {
        DbSink { dbs, cur: 0, allow_dup, next: None, pending: VecDeque::with_capacity(LOAD_AHEAD) }
    }

    /// Inserts one held-back key into the current database.
    fn place(&mut self, k: HashedKey, e: Entry) -> Result<(), String> {
        let Some(db) = self.dbs.get_mut(self.cur) else { return Err("no database selected".into()) };
        let old = db.insert_hashed_with_expire(k, e);
        db.finish_rehash_now();
        if let Some(old) = old {
            if !self.allow_dup {
                let k = String::from_utf8_lossy(old.key());
                return Err(format!("RDB has duplicated key '{k}' in DB {}", self.cur));
            }
        }
        Ok(())
    }

    /// Inserts every held-back key (before the database changes, and at the end).
    fn flush(&mut self) -> Result<(), String> {
        while let Some((k, e)) = self.pending.pop_front() {
            self.place(k, e)?;
        }
        Ok(())
    }
}

impl LoadSink for DbSink<'_> {
    /// RESIZEDB: the tables get their final size up front, so loading does not rehash (Redis does the same).
    /// The hint comes from the file, so it is capped (a hostile 2^60 must not allocate): databases beyond
    /// [`RESIZE_HINT_MAX`] keys grow as usual for the rest.
    fn resize_db(&mut self, keys: u64, _expires: u64) {
        if let Some(db) = self.dbs.get_mut(self.cur) {
            db.reserve(keys.min(RESIZE_HINT_MAX) as usize);
        }
    }

    /// The key is hashed and its slot fetched into the cache while its value is parsed.
    #[inline]
    fn begin_key(&mut self, _rdb_type: u8, key: &[u8]) {
        self.next = self.dbs.get(self.cur).map(|db| db.hash_ahead(key));
    }

    fn select_db(&mut self, db: u64, _offset: u64) -> Result<(), String> {
        self.flush()?;
        self.next = None;
        if db >= self.dbs.len() as u64 {
            return Err(format!(
                "FATAL: Data file was created with a Redis server configured to handle more than {} databases",
                self.dbs.len()
            ));
        }
        self.cur = db as usize;
        Ok(())
    }

    #[inline]
    fn entry(&mut self, mut e: Entry, expire_ms: Option<i64>) -> Result<(), String> {
        let Some(db) = self.dbs.get(self.cur) else { return Err("no database selected".into()) };
        e.set_expire(expire_ms);
        // begin_key hashed this key (the reader calls it just before); any other caller gets it hashed here.
        let k = match self.next.take() {
            Some(k) => k,
            None => db.hash_ahead(e.key()),
        };
        if self.pending.len() == LOAD_AHEAD {
            if let Some((k0, e0)) = self.pending.pop_front() {
                self.place(k0, e0)?;
            }
        }
        self.pending.push_back((k, e));
        Ok(())
    }

    fn finish(&mut self) -> Result<(), String> {
        self.flush()
    }
}

/// Reads one RDB (header through checksum) into `dbs`: keys are added to what is there; a key that already
/// exists (in the file twice, or before the load) is an error, where Redis would abort, unless
/// [`LoadOptions::allow_dup`] (then it is replaced). Leaves `r` right after the checksum.
pub fn read_rdb<R: BufRead>(r: &mut R, dbs: &mut [Db], opts: &LoadOptions) -> Result<LoadStats, RdbError> {
    let mut sink = DbSink::new(dbs, opts.allow_dup);
    read_rdb_with(r, &mut sink, opts)
}

/// [`read_rdb`] from a file.
pub fn load_file(path: &std::path::Path, dbs: &mut [Db], opts: &LoadOptions) -> Result<LoadStats, RdbError> {
    let f = std::fs::File::open(path)
        .map_err(|e| RdbError::new(0, format!("Can't open RDB file {}: {e}", path.display())))?;
    let mut r = io::BufReader::with_capacity(1 << 20, f);
    read_rdb(&mut r, dbs, opts)
}

/// One library after a FUNCTION2 opcode (its payload), or after a FUNCTION opcode of the 7.0 release
/// candidates (name, engine, optional description, code), turned into the payload form as Redis does
/// (`rdbFunctionLoad`). The error is Redis's text and the reader's own error.
fn function_record(src: &mut Src<'_>, ty: u8) -> Result<Vec<u8>, (&'static str, RdbError)> {
    if ty == op::FUNCTION2 {
        return src.owned().map_err(|e| ("Failed loading library payload", e));
    }
    let name = src.owned().map_err(|e| ("Failed loading library name", e))?;
    let engine = src.owned().map_err(|e| ("Failed loading engine name", e))?;
    let has_desc = src.len().map_err(|e| ("Failed loading library description indicator", e))?;
    if has_desc != 0 {
        src.owned().map_err(|e| ("Failed loading library description", e))?;
    }
    let blob = src.owned().map_err(|e| ("Failed loading library blob", e))?;
    let mut code = b"#!".to_vec();
    code.extend_from_slice(&engine);
    code.extend_from_slice(b" name=");
    code.extend_from_slice(&name);
    code.push(b'\n');
    code.extend_from_slice(&blob);
    Ok(code)
}

/// The library payloads of a `FUNCTION DUMP` payload (FUNCTION2 records, RDB version, CRC-64), for
/// `FUNCTION RESTORE`. Errors are Redis's reply texts (without `ERR `).
pub fn read_function_payload(payload: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    verify_footer(payload)?;
    let body_end = payload.len() - 10;
    let mut input: &[u8] = payload;
    let mut src = Src::new(&mut input, false);
    let mut codes = Vec::new();
    // As Redis, records are read while more than the footer is left; a record may run into the footer.
    while (src.offset as usize) < body_end {
        let ty = src.u8().map_err(|_| String::from("can not read data type"))?;
        if ty != op::FUNCTION && ty != op::FUNCTION2 {
            return Err("given type is not a function".into());
        }
        codes.push(function_record(&mut src, ty).map_err(|(m, _)| m.to_string())?);
    }
    Ok(codes)
}

/// `verifyDumpPayload`: the RDB version (not newer than ours) and the CRC-64 in the last 10 bytes.
fn verify_footer(payload: &[u8]) -> Result<(), String> {
    const BAD_FOOTER: &str = "DUMP payload version or checksum are wrong";
    if payload.len() < 10 {
        return Err(BAD_FOOTER.into());
    }
    let footer = &payload[payload.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > super::RDB_VERSION_HFE {
        return Err(BAD_FOOTER.into());
    }
    if super::skip_checksum() {
        return Ok(());
    }
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&footer[2..]);
    if crc64(0, &payload[..payload.len() - 8]) != u64::from_le_bytes(crc) {
        return Err(BAD_FOOTER.into());
    }
    Ok(())
}

/// Parses a RESTORE payload into an entry for `key` (checks the version and CRC; deep validation when
/// `sanitize`). The error is Redis's reply text without the `ERR ` prefix.
pub fn restore_payload(key: &[u8], payload: &[u8], thresholds: &Thresholds, sanitize: bool) -> Result<Entry, String> {
    let opts = LoadOptions {
        checksum: false,
        sanitize,
        thresholds: *thresholds,
        defer_stream_checks: false,
        ..LoadOptions::default()
    };
    restore_payload_with(key, payload, &opts)
}

/// [`restore_payload`] with the loader's options as given (the fuzz targets reach the file loader's paths).
pub fn restore_payload_with(key: &[u8], payload: &[u8], opts: &LoadOptions) -> Result<Entry, String> {
    verify_footer(payload)?;
    // As Redis, the value is parsed from the whole payload (footer included), without checking what is left.
    let mut input: &[u8] = payload;
    let mut l = Loader { src: Src::new(&mut input, false), opts, fbuf: Vec::new() };
    let bad = || String::from("Bad data format");
    let ty = l.src.u8().map_err(|_| bad())?;
    if !op::is_object_type(ty) {
        return Err(bad());
    }
    match l.value(ty, key) {
        Ok(Some(e)) => Ok(e),
        Ok(None) => Err(bad()),
        Err(e) => {
            // Redis's rdbReportError in a RESTORE context: logged at verbose, the client only sees the reply.
            if let Some(line) = super::report::restore_line(&e) {
                crate::log_verbose!("{line}");
            }
            Err(bad())
        }
    }
}
