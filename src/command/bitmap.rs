//! Bitmap commands (Redis 7.0 `bitops.c`): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP and BITFIELD / BITFIELD_RO, on
//! plain string values.
//!
//! A bitmap is a string read most significant bit first: bit 0 is the top bit of byte 0. Every encoding reads as
//! its bytes (an `int` string as its decimal text, as Redis's `getObjectReadOnlyString`); the writers turn the
//! value into a `raw` string first and pad it with zero bytes up to the highest bit they touch (Redis's
//! `lookupStringForBitCommand`: `dbUnshareStringValue` + `sdsgrowzero`, so the capacity grows as an sds would).
//!
//! Counting and searching go a 64-bit word at a time ([`popcount`], `first_not`); only the partial bytes at the
//! two ends of a bit range are handled alone. BITFIELD reads and writes a field of up to 64 bits through one
//! 128-bit big-endian window of at most 9 bytes.
//!
//! Same replies, errors, order of checks, `dirty` counts, keyspace events (`setbit`; BITOP's `set` / `del`) and
//! propagation as Redis: a BITFIELD of GETs only is a read (not propagated, served by BITFIELD_RO too); a write
//! that changes nothing (SETBIT of a bit already so, BITFIELD OVERFLOW FAIL) is not propagated, although a key it
//! had to create or pad stays, as in Redis. Bit offsets past `proto-max-bulk-len` bytes are refused, except from
//! our master and the AOF (`mustObeyClient`). Like Redis, the writers are `denyoom`: refused while memory is over
//! `maxmemory`, and a string grows by what the offset asks for (the counting allocator sees the growth at once,
//! so the next denyoom command is judged with it).
//!
//! Deliberate difference: a padding allocation the system cannot satisfy (only reachable by our master or the
//! AOF, beyond any `proto-max-bulk-len` check) is answered with the OOM error instead of ending the process.
//!
//! Tested by the unit tests below and end to end against redis-server by `tests/types/bitmaps.rs`.

use super::shared::int_arg;
use super::{flag, Args, Command, Ctx, Group, KeySpec, KeySpecDef, KeyWrite, BASE, ONE_KEY};
use crate::command::Access;
use crate::config::notify as nc;
use crate::keyspace::object::{Entry, StrRef};
use crate::resp::reply::Reply;
use crate::util::parse_i64;

const ERR_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const ERR_BIT: &str = "ERR bit is not an integer or out of range";
const ERR_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[
    Command {
        name: "setbit",
        arity: 4,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write bitmap slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update")],
        group: Group::Bitmap,
        since: "2.2.0",
        summary: "Sets or clears the bit at offset in the string value stored at key",
        syntax: "key offset value{:integer}",
        handler: setbit,
        ..BASE
    },
    Command {
        name: "getbit",
        arity: 3,
        flags: flag::READONLY | flag::FAST,
        acl: "read bitmap fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::Bitmap,
        since: "2.2.0",
        summary: "Returns the bit value at offset in the string value stored at key",
        syntax: "key offset",
        handler: getbit,
        ..BASE
    },
    Command {
        name: "bitcount",
        arity: -2,
        flags: flag::READONLY,
        acl: "read bitmap slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::Bitmap,
        since: "2.6.0",
        summary: "Count set bits in a string",
        complexity: "O(N)",
        syntax: "key [start end [BYTE | BIT]{index_unit@7.0.0}]{index}",
        handler: bitcount,
        history: &[("7.0.0", "Added the `BYTE|BIT` option.")],
        ..BASE
    },
    Command {
        name: "bitpos",
        arity: -3,
        flags: flag::READONLY,
        acl: "read bitmap slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::Bitmap,
        since: "2.8.7",
        summary: "Find first bit set or clear in a string",
        complexity: "O(N)",
        syntax: "key bit [start [end [BYTE | BIT]{index_unit@7.0.0}]{end_index}]{index}",
        handler: bitpos,
        history: &[("7.0.0", "Added the `BYTE|BIT` option.")],
        ..BASE
    },
    Command {
        name: "bitop",
        arity: -4,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write bitmap slow",
        keys: KeySpec { first: 2, last: -1, step: 1 },
        key_specs: &[KeySpecDef::at(2, "OW update"), KeySpecDef::range(3, -1, 1, "RO access")],
        group: Group::Bitmap,
        since: "2.6.0",
        summary: "Perform bitwise operations between strings",
        complexity: "O(N)",
        syntax: "operation destkey{:key} key [key ...]",
        handler: bitop,
        ..BASE
    },
    Command {
        name: "bitfield",
        arity: -2,
        flags: flag::WRITE | flag::DENYOOM,
        acl: "write bitmap slow",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RW access update variable_flags")
            .notes("This command allows both access and modification of the key")],
        getkeys_flags: Some(bitfield_key_flags),
        group: Group::Bitmap,
        since: "3.2.0",
        summary: "Perform arbitrary bitfield integer operations on strings",
        complexity: "O(1) for each subcommand specified",
        syntax: "key [<encoding_offset= GET encoding offset> | <write= [OVERFLOW <WRAP | SAT | FAIL>]{wrap_sat_fail} \
                 <write_operation= <encoding_offset_value= SET encoding offset value{:integer}> | \
                 <encoding_offset_increment= INCRBY encoding offset increment>>>]{operation} ...",
        handler: bitfield,
        ..BASE
    },
    Command {
        name: "bitfield_ro",
        arity: -2,
        flags: flag::READONLY | flag::FAST,
        acl: "read bitmap fast",
        keys: ONE_KEY,
        key_specs: &[KeySpecDef::at(1, "RO access")],
        group: Group::Bitmap,
        since: "6.0.0",
        summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        complexity: "O(1) for each subcommand specified",
        syntax: "key [GET encoding offset [GET encoding offset ...]]{encoding_offset}",
        handler: bitfield_ro,
        ..BASE
    },
];

// ---------------------------------------------------------------------------------------------------------------
// Bit-level helpers.

/// An 8-byte chunk as a native-endian word (the chunks come from `chunks_exact(8)`).
#[inline(always)]
fn word(w: &[u8]) -> u64 {
    u64::from_ne_bytes(w.try_into().unwrap_or([0; 8]))
}

/// Set bits in `b`, a 64-bit word at a time (the compiler unrolls and vectorizes the word loop).
pub fn popcount(b: &[u8]) -> u64 {
    let words = b.chunks_exact(8);
    let rest = words.remainder();
    let mut n: u64 = words.map(|w| word(w).count_ones() as u64).sum();
    n += rest.iter().map(|x| x.count_ones() as u64).sum::<u64>();
    n
}

/// Index of the first byte of `b` that is not `skip`, skipping whole 64-bit words of `skip` bytes first.
fn first_not(b: &[u8], skip: u8) -> Option<usize> {
    let skip_word = u64::from_ne_bytes([skip; 8]);
    let start = b.chunks_exact(8).position(|w| word(w) != skip_word).unwrap_or(b.len() / 8) * 8;
    b.get(start..)?.iter().position(|&x| x != skip).map(|i| start + i)
}

/// Set bits in the inclusive bit range `first..=last` of `p` (both inside `p`).
fn count_range(p: &[u8], first: u64, last: u64) -> u64 {
    let Some(bytes) = p.get((first >> 3) as usize..=(last >> 3) as usize) else { return 0 };
    let (Some(&head), Some(&tail)) = (bytes.first(), bytes.last()) else { return 0 };
    // Bits of the first byte before `first`, and of the last byte after `last` (disjoint when they are one byte).
    let before = head & !(0xffu8 >> (first & 7));
    let after = tail & (0xffu32 >> ((last & 7) + 1)) as u8;
    popcount(bytes) - before.count_ones() as u64 - after.count_ones() as u64
}

/// The first bit equal to `bit` in the inclusive bit range `first..=last` of `p` (both inside `p`).
fn find_bit(p: &[u8], first: u64, last: u64, bit: bool) -> Option<u64> {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let skip = if bit { 0u8 } else { 0xff };
    // Bits outside the range read as the value not looked for.
    let before = !(0xffu8 >> (first & 7));
    let after = (0xffu32 >> ((last & 7) + 1)) as u8;
    let edge = |x: u8, mask: u8| if bit { x & !mask } else { x | mask };
    let hit = |i: usize, x: u8| {
        let lead = if bit { x.leading_zeros() } else { (!x).leading_zeros() };
        i as u64 * 8 + lead as u64
    };
    let mut x = edge(*p.get(fb)?, before);
    if fb == lb {
        x = edge(x, after);
    }
    if x != skip {
        return Some(hit(fb, x));
    }
    if fb == lb {
        return None;
    }
    if let Some(i) = p.get(fb + 1..lb).and_then(|mid| first_not(mid, skip)) {
        let i = fb + 1 + i;
        return p.get(i).map(|&x| hit(i, x));
    }
    let x = edge(*p.get(lb)?, after);
    (x != skip).then(|| hit(lb, x))
}

/// Resolves a BITCOUNT/BITPOS `start end` pair (negative: from the end; in bytes, or bits with `bits`) against a
/// string of `len` bytes, clamping as Redis does: the inclusive bit range, or None when it is empty.
fn bit_range(start: i64, end: i64, len: usize, bits: bool) -> Option<(u64, u64)> {
    let total = if bits { (len as i64).saturating_mul(8) } else { len as i64 };
    let s = if start < 0 { total + start } else { start }.max(0);
    let e = if end < 0 { total + end } else { end }.max(0).min(total - 1);
    if s > e {
        return None;
    }
    let (s, e) = (s as u64, e as u64);
    Some(if bits { (s, e) } else { (s * 8, e * 8 + 7) })
}

/// The `bits`-wide (1..=64) unsigned field at bit `off` of `p`; bytes past the end read as zeros.
#[inline(never)]
fn get_field(p: &[u8], off: u64, bits: u32) -> u64 {
    let (byte, shift) = ((off >> 3) as usize, (off & 7) as u32);
    let mut w = [0u8; 16];
    let n = (shift + bits).div_ceil(8) as usize;
    if let Some(src) = p.get(byte..) {
        let n = n.min(src.len());
        w[..n].copy_from_slice(&src[..n]);
    }
    ((u128::from_be_bytes(w) << shift) >> (128 - bits)) as u64
}

/// [`get_field`] read as a two's complement integer.
fn get_signed(p: &[u8], off: u64, bits: u32) -> i64 {
    let v = get_field(p, off, bits);
    if bits < 64 && v >> (bits - 1) & 1 == 1 {
        (v | u64::MAX << bits) as i64
    } else {
        v as i64
    }
}

/// Stores the low `bits` (1..=64) bits of `v` at bit `off` of `p`, which holds the field.
fn set_field(p: &mut [u8], off: u64, bits: u32, v: u64) {
    let (byte, shift) = ((off >> 3) as usize, (off & 7) as u32);
    let n = (shift + bits).div_ceil(8) as usize;
    let Some(dst) = p.get_mut(byte..byte + n) else { return };
    let mut w = [0u8; 16];
    w[..n].copy_from_slice(dst);
    let low = 128 - shift - bits;
    let mask = (u128::MAX >> (128 - bits)) << low;
    let x = (u128::from_be_bytes(w) & !mask) | (((v as u128) << low) & mask);
    dst.copy_from_slice(&x.to_be_bytes()[..n]);
}

/// BITFIELD's OVERFLOW behaviours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// Whether `value + incr` leaves the range of a `bits`-wide unsigned field (Redis's
/// `checkUnsignedBitfieldOverflow`): 0, 1 (above) or -1 (below), and under WRAP / SAT the value to store instead.
#[inline(never)]
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> (i32, u64) {
    let max = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let dir = if value > max || (incr > 0 && incr > maxincr) {
        1
    } else if incr < 0 && incr < minincr {
        -1
    } else {
        return (0, 0);
    };
    let limit = match ow {
        Overflow::Wrap => value.wrapping_add(incr as u64) & !u64::MAX.checked_shl(bits).unwrap_or(0),
        Overflow::Sat if dir == 1 => max,
        _ => 0,
    };
    (dir, limit)
}

/// The signed counterpart of [`unsigned_overflow`] (Redis's `checkSignedBitfieldOverflow`, whose intermediate
/// differences wrap).
#[inline(never)]
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> (i32, i64) {
    let max = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let dir = if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        1
    } else if value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
        -1
    } else {
        return (0, 0);
    };
    let limit = match ow {
        Overflow::Wrap => {
            let mut c = (value as u64).wrapping_add(incr as u64);
            if bits < 64 {
                let high = u64::MAX << bits;
                if c >> (bits - 1) & 1 == 1 {
                    c |= high;
                } else {
                    c &= !high;
                }
            }
            c as i64
        }
        Overflow::Sat if dir == 1 => max,
        Overflow::Sat => min,
        Overflow::Fail => 0,
    };
    (dir, limit)
}

// ---------------------------------------------------------------------------------------------------------------
// Argument parsing.

/// Redis's `getBitOffsetFromArgument`: a bit offset, or with `width` > 0 (BITFIELD) also `#n`, meaning n fields of
/// `width` bits. Negative offsets and offsets past `proto-max-bulk-len` bytes are refused, except from our master
/// and the AOF.
fn bit_offset(ctx: &mut Ctx, a: &[u8], width: u32) -> Option<u64> {
    let (digits, mul) = match a.split_first() {
        Some((b'#', rest)) if width > 0 => (rest, width as i64),
        _ => (a, 1),
    };
    let off = parse_i64(digits).map(|n| n.wrapping_mul(mul));
    match off {
        Some(n)
            if n >= 0
                && (crate::net::client::must_obey(ctx.client())
                    || ((n >> 3) as u64) < ctx.settings().proto_max_bulk_len()) =>
        {
            Some(n as u64)
        }
        _ => {
            ctx.reply().error(ERR_OFFSET);
            None
        }
    }
}

/// Redis's `getBitfieldTypeFromArgument`: `i1`..`i64` or `u1`..`u63` as (signed, width). The width is read as a C
/// string (up to a NUL byte), as Redis does.
fn bitfield_type(r: &mut Reply, a: &[u8]) -> Option<(bool, u32)> {
    let parsed = match a.split_first() {
        Some((&c @ (b'i' | b'u'), rest)) => {
            let signed = c == b'i';
            let rest = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
            parse_i64(rest).filter(|&n| n >= 1 && n <= if signed { 64 } else { 63 }).map(|n| (signed, n as u32))
        }
        _ => None,
    };
    if parsed.is_none() {
        r.error(ERR_TYPE);
    }
    parsed
}

// ---------------------------------------------------------------------------------------------------------------
// The string a writer works on.

/// A zero-filled buffer of `n` bytes, or None when the system cannot provide it.
fn zeroed(n: usize) -> Option<Vec<u8>> {
    let mut v = Vec::new();
    // Allocated at once with the capacity Redis's `sdsnewlen` gives, so the entry keeps it without a reallocation.
    v.try_reserve_exact(super::admin::sds_new_alloc(n).max(n)).ok()?;
    v.resize(n, 0);
    Some(v)
}

/// Pads `buf` with zero bytes to `need` bytes, growing its capacity as `sdsMakeRoomFor` does; false when the
/// system cannot provide the memory.
fn grow_zero(buf: &mut Vec<u8>, need: usize) -> bool {
    if need <= buf.len() {
        return true;
    }
    // Beyond what any allocator class rounds, reserve exactly and fallibly (reachable with a big
    // proto-max-bulk-len, or from our master).
    if need > 1 << 32 {
        if buf.try_reserve_exact(need - buf.len()).is_err() {
            return false;
        }
    } else {
        super::admin::sds_reserve(buf, need - buf.len());
    }
    buf.resize(need, 0);
    true
}

/// Redis's `lookupStringForBitCommand`: runs `f` on the string at `key`, made `raw` and padded with zeros so that
/// bit `max_bit` exists, or on a new zeroed string added under `key`. `f` gets the bytes, the reply sink and
/// whether the string is new or grew. None after WRONGTYPE (or the OOM error of a padding that cannot be had).
/// One instance for both writers (`dyn`): the binary has a size budget.
///
/// The write comes back with the answer, for the caller to settle with the changes `f` reported.
#[inline(never)]
fn with_bits<'k>(
    ctx: &mut Ctx,
    key: &'k [u8],
    max_bit: u64,
    f: &mut dyn FnMut(&mut [u8], &mut Reply, bool) -> u64,
) -> Option<(u64, KeyWrite<'k>)> {
    let need = (max_bit >> 3) as usize + 1;
    let lru = ctx.settings().fresh_lru();
    let (e, r, w) = ctx.write(key);
    if let Some(e) = e {
        if e.raw_capacity().is_none() {
            // Not raw: an int or embstr string becomes a new raw copy (`dbUnshareStringValue`).
            let Some(len) = e.as_str().map(|s| s.len()) else {
                r.err_wrongtype();
                w.untouched();
                return None;
            };
            let _ = e.raw_mut();
            super::admin::set_raw_capacity(e, super::admin::sds_new_alloc(len));
        }
        let Some(buf) = e.raw_mut() else {
            r.err_wrongtype();
            w.untouched();
            return None;
        };
        let old_len = buf.len();
        if !grow_zero(buf, need) {
            r.error(crate::state::evict::pool::OOM_ERR);
            w.untouched();
            return None;
        }
        let grew = buf.len() != old_len;
        return Some((f(buf, r, grew), w));
    }
    let Some(mut buf) = zeroed(need) else {
        ctx.reply().error(crate::state::evict::pool::OOM_ERR);
        return None;
    };
    let out = f(&mut buf, ctx.reply(), true);
    let mut e = Entry::new_raw(key, buf);
    e.set_lru(lru);
    super::admin::set_raw_capacity(&mut e, super::admin::sds_new_alloc(need));
    let w = ctx.open_write(key);
    ctx.door(&w).insert(e);
    Some((out, w))
}

// ---------------------------------------------------------------------------------------------------------------
// Handlers.

/// SETBIT key offset value
fn setbit(ctx: &mut Ctx, args: Args) {
    let key = args.get(1);
    let Some(off) = bit_offset(ctx, args.get(2), 0) else { return };
    let on = match parse_i64(args.get(3)) {
        Some(v) if v & !1 == 0 => v == 1,
        _ => {
            ctx.reply().error(ERR_BIT);
            return;
        }
    };
    let (byte, mask) = ((off >> 3) as usize, 0x80u8 >> (off & 7));
    // Answers bit 0: the old value, bit 1: whether the string changed.
    let done = with_bits(ctx, key, off, &mut |buf, _, grew| {
        let Some(b) = buf.get_mut(byte) else { return 0 };
        let old = *b & mask != 0;
        let changed = grew || old != on;
        if changed {
            *b = if on { *b | mask } else { *b & !mask };
        }
        old as u64 | (changed as u64) << 1
    });
    let Some((done, mut w)) = done else { return };
    ctx.settle(&mut w, (done >> 1) & 1);
    if done & 2 != 0 {
        ctx.notify(nc::STRING, "setbit", key);
    }
    let old = done & 1;
    ctx.reply().int(old as i64);
}

/// The string at `key` for GETBIT, BITCOUNT and BITPOS: its bytes (an integer-encoded one's text written into
/// `tmp`) and the reply, or None after replying `missing` (no key) or WRONGTYPE.
fn read_bits<'c>(
    ctx: &'c mut Ctx,
    key: &[u8],
    tmp: &'c mut [u8; 24],
    missing: i64,
) -> Option<(&'c [u8], &'c mut Reply)> {
    let (e, r) = ctx.lookup(Access::READ, key);
    let Some(e) = e else {
        r.int(missing);
        return None;
    };
    let Some(s) = e.as_str() else {
        r.err_wrongtype();
        return None;
    };
    Some((s.bytes(tmp), r))
}

/// GETBIT key offset
fn getbit(ctx: &mut Ctx, args: Args) {
    let Some(off) = bit_offset(ctx, args.get(2), 0) else { return };
    let mut tmp = [0u8; 24];
    let Some((p, r)) = read_bits(ctx, args.get(1), &mut tmp, 0) else { return };
    let set = p.get((off >> 3) as usize).is_some_and(|&b| b & (0x80 >> (off & 7)) != 0);
    r.int(set as i64);
}

/// BIT or BYTE (case-insensitive) as whether the unit is bits; None after a syntax error.
fn index_unit(r: &mut Reply, a: &[u8]) -> Option<bool> {
    super::shared::word_flag(r, a, "bit", "byte")
}

/// BITCOUNT key [start end [BYTE | BIT]]
fn bitcount(ctx: &mut Ctx, args: Args) {
    let mut tmp = [0u8; 24];
    let Some((p, r)) = read_bits(ctx, args.get(1), &mut tmp, 0) else { return };
    let range = match args.len() {
        2 => bit_range(0, -1, p.len(), false),
        4 | 5 => {
            let Some(start) = int_arg(r, args.get(2)) else { return };
            let Some(end) = int_arg(r, args.get(3)) else { return };
            // Checked before the unit is read, as Redis does.
            if start < 0 && end < 0 && start > end {
                r.int(0);
                return;
            }
            let bits = match args.len() {
                5 => match index_unit(r, args.get(4)) {
                    Some(b) => b,
                    None => return,
                },
                _ => false,
            };
            bit_range(start, end, p.len(), bits)
        }
        _ => {
            r.err_syntax();
            return;
        }
    };
    r.int(range.map_or(0, |(a, b)| count_range(p, a, b)) as i64);
}

/// BITPOS key bit [start [end [BYTE | BIT]]]
fn bitpos(ctx: &mut Ctx, args: Args) {
    let bit = match int_arg(ctx.reply(), args.get(2)) {
        Some(b @ (0 | 1)) => b == 1,
        Some(_) => {
            ctx.reply().error("ERR The bit argument must be 1 or 0.");
            return;
        }
        None => return,
    };
    let mut tmp = [0u8; 24];
    // A missing key is an endless run of zeros.
    let Some((p, r)) = read_bits(ctx, args.get(1), &mut tmp, if bit { -1 } else { 0 }) else { return };
    let (range, end_given) = match args.len() {
        3 => (bit_range(0, -1, p.len(), false), false),
        4..=6 => {
            let Some(start) = int_arg(r, args.get(3)) else { return };
            // The unit is read before the end, as Redis does.
            let bits = match args.len() {
                6 => match index_unit(r, args.get(5)) {
                    Some(b) => b,
                    None => return,
                },
                _ => false,
            };
            let end = match args.len() {
                4 => -1,
                _ => match int_arg(r, args.get(4)) {
                    Some(e) => e,
                    None => return,
                },
            };
            (bit_range(start, end, p.len(), bits), args.len() > 4)
        }
        _ => {
            r.err_syntax();
            return;
        }
    };
    let pos = match range {
        None => -1,
        Some((a, b)) => match find_bit(p, a, b, bit) {
            Some(pos) => pos as i64,
            // Looking for a clear bit past an open range finds the zero padding right after it.
            None if !bit && !end_given => b as i64 + 1,
            None => -1,
        },
    };
    r.int(pos);
}

/// BITOP's operation. The last four came with Redis 8.2; each reads a source shorter than the longest as zeros.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
    /// The first source's bits set in none of the others: `X & !(Y1 | Y2 | ...)`.
    Diff,
    /// The other sources' bits not set in the first: `!X & (Y1 | Y2 | ...)`.
    Diff1,
    /// The first source's bits set in at least one other: `X & (Y1 | Y2 | ...)`.
    AndOr,
    /// The bits set in exactly one source.
    One,
}

impl BitOp {
    const NAMES: [(&'static [u8], BitOp); 8] = [
        (b"and", BitOp::And),
        (b"or", BitOp::Or),
        (b"xor", BitOp::Xor),
        (b"not", BitOp::Not),
        (b"diff", BitOp::Diff),
        (b"diff1", BitOp::Diff1),
        (b"andor", BitOp::AndOr),
        (b"one", BitOp::One),
    ];

    fn parse(word: &[u8]) -> Option<BitOp> {
        Self::NAMES.iter().find(|(n, _)| word.eq_ignore_ascii_case(n)).map(|&(_, op)| op)
    }

    /// The operations that combine the first source with the union of the others (they need two sources).
    fn against_union(self) -> bool {
        matches!(self, BitOp::Diff | BitOp::Diff1 | BitOp::AndOr)
    }
}

/// Looks every BITOP source up (expiry, hits and misses, WRONGTYPE): which ones exist, None once an error was
/// replied.
fn bitop_sources_present(ctx: &mut Ctx, args: Args) -> Option<Vec<bool>> {
    let n = args.len() - 3;
    let mut present = vec![false; n];
    for (j, found) in present.iter_mut().enumerate() {
        let (e, r) = ctx.lookup(Access::READ, args.get(3 + j));
        let Some(e) = e else { continue };
        if e.as_str().is_none() {
            r.err_wrongtype();
            return None;
        }
        *found = true;
    }
    Some(present)
}

/// The result of `op` over the sources (the shorter ones padded with zeros); empty when all are.
fn bitop_compute(op: BitOp, srcs: &[&[u8]]) -> Vec<u8> {
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut res = Vec::new();
    if let (true, Some((first, rest))) = (maxlen > 0, srcs.split_first()) {
        // The capacity the stored string gets (`sdsnewlen`), so storing it reallocates nothing.
        res.reserve_exact(super::admin::sds_new_alloc(maxlen));
        res.extend_from_slice(first);
        res.resize(maxlen, 0);
        if op == BitOp::Not {
            res.iter_mut().for_each(|b| *b = !*b);
        }
        if op.against_union() || op == BitOp::One {
            bitop_combine(op, &mut res, rest, maxlen);
            return res;
        }
        // One loop for the three binary operations (the binary has a size budget): each mask is all ones
        // for its own operation only.
        let (and, or, xor) = match op {
            BitOp::And => (0xffu8, 0u8, 0u8),
            BitOp::Or => (0, 0xff, 0),
            BitOp::Xor => (0, 0, 0xff),
            _ => (0, 0, 0),
        };
        for s in rest {
            let (head, tail) = res.split_at_mut(s.len());
            head.iter_mut().zip(s.iter()).for_each(|(r, &y)| *r = (*r & y & and) | ((*r | y) & or) | ((*r ^ y) & xor));
            if op == BitOp::And {
                tail.fill(0);
            }
        }
    }
    res
}

/// DIFF, DIFF1 and ANDOR (the first source, in `res`, against the union of the `rest`), and ONE (bits set in one
/// source only: an XOR that clears, for good, every bit seen in two sources).
fn bitop_combine(op: BitOp, res: &mut [u8], rest: &[&[u8]], maxlen: usize) {
    if op == BitOp::One {
        let mut common = vec![0u8; maxlen];
        for s in rest {
            for ((r, c), &y) in res.iter_mut().zip(common.iter_mut()).zip(s.iter()) {
                *c |= *r & y;
                *r = (*r ^ y) & !*c;
            }
        }
        return;
    }
    let mut union = vec![0u8; maxlen];
    for s in rest {
        union.iter_mut().zip(s.iter()).for_each(|(u, &y)| *u |= y);
    }
    for (r, &u) in res.iter_mut().zip(&union) {
        *r = match op {
            BitOp::Diff => *r & !u,
            BitOp::Diff1 => !*r & u,
            _ => *r & u,
        };
    }
}

/// Stores BITOP's result at `dest` (deleting it for an empty result), notifies, and replies the length.
fn bitop_store(ctx: &mut Ctx, dest: &[u8], result: Vec<u8>) {
    let len = result.len();
    let event = if len > 0 {
        // Redis's setKey: a write lookup of the old value (touched; under LFU the new value keeps its counter),
        // the TTL dropped, the result a fresh raw string.
        let fresh = ctx.settings().fresh_lru();
        let old_lru = ctx.lookup(Access::WRITE, dest).0.map(|e| e.lru());
        let mut e = Entry::new_raw(dest, result);
        e.set_lru(if ctx.config().maxmemory_policy.is_lfu() { old_lru.unwrap_or(fresh) } else { fresh });
        super::admin::set_raw_capacity(&mut e, super::admin::sds_new_alloc(len));
        let mut w = ctx.open_write(dest);
        ctx.door(&w).insert(e);
        ctx.changed(&mut w, 1);
        Some((nc::STRING, "set"))
    } else {
        // Redis's dbDelete, without a lookup first.
        ctx.delete_key(dest).then_some((nc::GENERIC, "del"))
    };
    if let Some((class, name)) = event {
        ctx.notify(class, name, dest);
    }
    ctx.reply().int(len as i64);
}

/// BITOP <AND | OR | XOR | NOT | DIFF | DIFF1 | ANDOR | ONE> destkey key [key ...]
fn bitop(ctx: &mut Ctx, args: Args) {
    let Some(op) = BitOp::parse(args.get(1)) else {
        ctx.reply().err_syntax();
        return;
    };
    if op == BitOp::Not && args.len() != 4 {
        ctx.reply().error("ERR BITOP NOT must be called with a single source key.");
        return;
    }
    if op.against_union() && args.len() < 5 {
        let name = String::from_utf8_lossy(args.get(1)).to_ascii_uppercase();
        ctx.reply().error(&format!("ERR BITOP {name} must be called with at least two source keys."));
        return;
    }
    // Look every source up first (expiry, hits and misses, WRONGTYPE), then read them all at once.
    let Some(present) = bitop_sources_present(ctx, args) else { return };
    let mut ints = vec![[0u8; 24]; present.len()];
    let result = {
        let db = ctx.db();
        let srcs: Vec<&[u8]> = ints
            .iter_mut()
            .zip(&present)
            .enumerate()
            .map(|(j, (buf, &here))| match db.find(args.get(3 + j)).and_then(|e| e.as_str()) {
                _ if !here => &b""[..],
                Some(StrRef::Bytes(b)) => b,
                // An int-encoded source reads as its decimal text.
                Some(StrRef::Int(v)) => crate::util::itoa_buf(v, buf),
                None => b"",
            })
            .collect();
        bitop_compute(op, &srcs)
    };
    bitop_store(ctx, args.get(2), result);
}

/// One parsed BITFIELD operation.
#[derive(Clone, Copy, Debug)]
struct FieldOp {
    offset: u64,
    /// SET's value or INCRBY's increment.
    value: i64,
    kind: FieldKind,
    overflow: Overflow,
    bits: u32,
    signed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldKind {
    Get,
    Set,
    Incrby,
}

/// BITFIELD's key flags for COMMAND GETKEYSANDFLAGS (Redis's `bitfieldGetKeys`): a read unless a SET or INCRBY
/// (or something unparsable) appears.
fn bitfield_key_flags(args: Args) -> Vec<(usize, &'static str)> {
    let mut readonly = true;
    let mut i = 2;
    while i < args.len() {
        let rem = args.len() - i - 1;
        if args.is(i, "get") && rem >= 2 {
            i += 3;
        } else if (args.is(i, "set") || args.is(i, "incrby")) && rem >= 3 {
            readonly = false;
            break;
        } else if args.is(i, "overflow") && rem >= 1 {
            i += 2;
        } else {
            readonly = false;
            break;
        }
    }
    vec![(1, if readonly { "RO access" } else { "RW access update" })]
}

/// BITFIELD key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding
/// offset increment> ...]
fn bitfield(ctx: &mut Ctx, args: Args) {
    bitfield_generic(ctx, args, false)
}

/// BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]
fn bitfield_ro(ctx: &mut Ctx, args: Args) {
    bitfield_generic(ctx, args, true)
}

/// BITFIELD's operations, parsed: the list, whether they are all GETs, and the highest bit a write touches.
struct FieldOps {
    ops: Vec<FieldOp>,
    readonly: bool,
    highest: u64,
}

/// Parses every BITFIELD operation (OVERFLOW applying to the writes after it); None once an error was replied.
fn parse_bitfield_ops(ctx: &mut Ctx, args: Args) -> Option<FieldOps> {
    let mut f = FieldOps { ops: Vec::new(), readonly: true, highest: 0 };
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let rem = args.len() - j - 1;
        let kind = if args.is(j, "get") && rem >= 2 {
            FieldKind::Get
        } else if args.is(j, "set") && rem >= 3 {
            FieldKind::Set
        } else if args.is(j, "incrby") && rem >= 3 {
            FieldKind::Incrby
        } else if args.is(j, "overflow") && rem >= 1 {
            let t = args.get(j + 1);
            overflow = if t.eq_ignore_ascii_case(b"wrap") {
                Overflow::Wrap
            } else if t.eq_ignore_ascii_case(b"sat") {
                Overflow::Sat
            } else if t.eq_ignore_ascii_case(b"fail") {
                Overflow::Fail
            } else {
                ctx.reply().error("ERR Invalid OVERFLOW type specified");
                return None;
            };
            j += 2;
            continue;
        } else {
            ctx.reply().err_syntax();
            return None;
        };
        let (signed, bits) = bitfield_type(ctx.reply(), args.get(j + 1))?;
        let offset = bit_offset(ctx, args.get(j + 2), bits)?;
        let mut value = 0;
        if kind != FieldKind::Get {
            f.readonly = false;
            f.highest = f.highest.max(offset.saturating_add(bits as u64 - 1));
            value = int_arg(ctx.reply(), args.get(j + 3))?;
        }
        f.ops.push(FieldOp { offset, value, kind, overflow, bits, signed });
        j += if kind == FieldKind::Get { 3 } else { 4 };
    }
    Some(f)
}

/// BITFIELD with GETs only: replies each over the string at `key`, which is not created.
fn bitfield_read(ctx: &mut Ctx, key: &[u8], ops: &[FieldOp]) {
    let (e, r) = ctx.lookup(Access::READ, key);
    let mut tmp = [0u8; 24];
    let p: &[u8] = match e {
        None => b"",
        Some(e) => match e.as_str() {
            Some(s) => s.bytes(&mut tmp),
            None => {
                r.err_wrongtype();
                return;
            }
        },
    };
    r.array(ops.len());
    for op in ops {
        reply_get(r, p, op);
    }
}

/// What a SET or INCRBY over `p` does: `(reply, new field bits, old field bits, overflowed)`.
fn field_write(p: &[u8], op: &FieldOp) -> (i64, u64, u64, i32) {
    let incr = op.kind == FieldKind::Incrby;
    if op.signed {
        let old = get_signed(p, op.offset, op.bits);
        let (ovf, new, ret) = if incr {
            let (ovf, limit) = signed_overflow(old, op.value, op.bits, op.overflow);
            let new = if ovf != 0 { limit } else { old.wrapping_add(op.value) };
            (ovf, new, new)
        } else {
            let (ovf, limit) = signed_overflow(op.value, 0, op.bits, op.overflow);
            (ovf, if ovf != 0 { limit } else { op.value }, old)
        };
        (ret, new as u64, old as u64, ovf)
    } else {
        let old = get_field(p, op.offset, op.bits);
        let (ovf, new, ret) = if incr {
            let (ovf, limit) = unsigned_overflow(old, op.value, op.bits, op.overflow);
            let new = if ovf != 0 { limit } else { old.wrapping_add(op.value as u64) };
            (ovf, new, new)
        } else {
            let v = op.value as u64;
            let (ovf, limit) = unsigned_overflow(v, 0, op.bits, op.overflow);
            (ovf, if ovf != 0 { limit } else { v }, old)
        };
        (ret as i64, new, old, ovf)
    }
}

/// Redis's `bitfieldGeneric`: every operation is parsed (and refused) before the key is looked at.
fn bitfield_generic(ctx: &mut Ctx, args: Args, ro_command: bool) {
    let key = args.get(1);
    let Some(FieldOps { ops, readonly, highest }) = parse_bitfield_ops(ctx, args) else { return };

    if readonly {
        bitfield_read(ctx, key, &ops);
        return;
    }
    if ro_command {
        ctx.reply().error("ERR BITFIELD_RO only supports the GET subcommand");
        return;
    }
    let changes = with_bits(ctx, key, highest, &mut |p, r, grew| {
        r.array(ops.len());
        let mut changes = 0u64;
        for op in &ops {
            if op.kind == FieldKind::Get {
                reply_get(r, p, op);
                continue;
            }
            let (ret, new, old_bits, ovf) = field_write(p, op);
            if ovf != 0 && op.overflow == Overflow::Fail {
                r.null();
                continue;
            }
            r.int(ret);
            set_field(p, op.offset, op.bits, new);
            if grew || old_bits != new {
                changes += 1;
            }
        }
        changes
    });
    let Some((n, mut w)) = changes else { return };
    ctx.settle(&mut w, n);
    if n > 0 {
        ctx.notify(nc::STRING, "setbit", key);
    }
}

/// Replies one BITFIELD GET over `p` (zero past its end).
fn reply_get(r: &mut Reply, p: &[u8], op: &FieldOp) {
    if op.signed {
        r.int(get_signed(p, op.offset, op.bits));
    } else {
        r.int(get_field(p, op.offset, op.bits) as i64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::test_support::Harness;

    #[test]
    fn fields_round_trip() {
        let mut p = [0u8; 10];
        for bits in 1..=64u32 {
            for off in [0u64, 1, 7, 8, 13] {
                p.fill(0xa5);
                let v = 0x8123_4567_89ab_cdefu64 >> (64 - bits);
                set_field(&mut p, off, bits, v);
                assert_eq!(get_field(&p, off, bits), v, "bits {bits} off {off}");
                // The neighbours are untouched.
                if off > 0 {
                    assert_eq!(get_field(&p, 0, off as u32), get_field(&[0xa5; 10], 0, off as u32));
                }
            }
        }
        assert_eq!(get_signed(&[0xff], 0, 8), -1);
        assert_eq!(get_signed(&[0x80], 0, 1), -1);
        assert_eq!(get_signed(&[0x7f], 0, 8), 127);
        assert_eq!(get_field(&[0xff], 4, 8), 0xf0);
        assert_eq!(get_field(&[], 1000, 64), 0);
    }

    #[test]
    fn overflow_rules() {
        assert_eq!(unsigned_overflow(100, 257, 8, Overflow::Wrap), (1, 101));
        assert_eq!(unsigned_overflow(100, 257, 8, Overflow::Sat), (1, 255));
        assert_eq!(unsigned_overflow(100, -255, 8, Overflow::Sat), (-1, 0));
        assert_eq!(unsigned_overflow(100, 1, 8, Overflow::Sat), (0, 0));
        assert_eq!(signed_overflow(100, 257, 8, Overflow::Wrap), (1, 101));
        assert_eq!(signed_overflow(100, 257, 8, Overflow::Sat), (1, 127));
        assert_eq!(signed_overflow(100, -255, 8, Overflow::Sat), (-1, -128));
        assert_eq!(signed_overflow(i64::MAX, 1, 64, Overflow::Wrap), (1, i64::MIN));
        assert_eq!(signed_overflow(i64::MIN, -1, 64, Overflow::Sat), (-1, i64::MIN));
        assert_eq!(signed_overflow(-5, 0, 64, Overflow::Fail), (0, 0));
    }

    #[test]
    fn ranges_and_search() {
        let p = b"\x00\xff\x0f\x00";
        assert_eq!(count_range(p, 0, 31), 12);
        assert_eq!(count_range(p, 9, 9), 1);
        assert_eq!(count_range(p, 12, 20), 5);
        assert_eq!(find_bit(p, 0, 31, true), Some(8));
        assert_eq!(find_bit(p, 9, 31, false), Some(16));
        assert_eq!(find_bit(p, 8, 15, false), None);
        assert_eq!(find_bit(p, 28, 31, true), None);
        let long = [0u8; 100];
        assert_eq!(find_bit(&long, 3, 797, true), None);
        assert_eq!(find_bit(&long, 3, 797, false), Some(3));
        assert_eq!(bit_range(0, -1, 0, false), None);
        assert_eq!(bit_range(-100, 100, 4, false), Some((0, 31)));
        assert_eq!(bit_range(5, 2, 4, true), None);
        assert_eq!(bit_range(i64::MIN, i64::MAX, 4, true), Some((0, 31)));
        let data: Vec<u8> = (0..1000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let slow: u64 = data.iter().map(|b| b.count_ones() as u64).sum();
        assert_eq!(popcount(&data), slow);
        assert_eq!(popcount(&data[3..]), slow - data[..3].iter().map(|b| b.count_ones() as u64).sum::<u64>());
    }

    /// Redis 8.2's operations against a model that decides each bit from its definition: over random sources of
    /// different lengths (shorter ones read as zeros), some missing.
    #[test]
    fn redis_82_operations_match_their_definitions() {
        let mut rng = crate::util::Rng::new(0x9e37_79b9_7f4a_7c15u64);
        let mut next = move || rng.next_u64();
        for round in 0..200 {
            let n = 2 + (next() % 4) as usize;
            let srcs: Vec<Vec<u8>> = (0..n).map(|_| (0..next() % 70).map(|_| next() as u8).collect()).collect();
            let refs: Vec<&[u8]> = srcs.iter().map(|v| v.as_slice()).collect();
            let maxlen = refs.iter().map(|s| s.len()).max().unwrap_or(0);
            let bit = |s: &[u8], i: usize| s.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0);
            for op in [BitOp::Diff, BitOp::Diff1, BitOp::AndOr, BitOp::One] {
                let got = bitop_compute(op, &refs);
                assert_eq!(got.len(), maxlen, "round {round}");
                for i in 0..maxlen * 8 {
                    let x = bit(refs[0], i);
                    let others = refs[1..].iter().filter(|s| bit(s, i)).count();
                    let want = match op {
                        BitOp::Diff => x && others == 0,
                        BitOp::Diff1 => !x && others > 0,
                        BitOp::AndOr => x && others > 0,
                        _ => usize::from(x) + others == 1,
                    };
                    assert_eq!(bit(&got, i), want, "round {round} bit {i}");
                }
            }
        }
        // ONE of a single source is that source.
        assert_eq!(bitop_compute(BitOp::One, &[b"\x81\x00"]), b"\x81\x00");
    }

    #[test]
    fn redis_82_operations_as_commands() {
        let mut h = Harness::new();
        h.run(&["set", "a", "p"]); // 0111 0000
        h.run(&["set", "b", "<!"]); // 0011 1100, 0010 0001
        assert_eq!(
            h.run(&["bitop", "diff", "d", "a"]),
            "-ERR BITOP DIFF must be called with at least two source keys.\r\n"
        );
        assert_eq!(
            h.run(&["bitop", "AndOr", "d", "a"]),
            "-ERR BITOP ANDOR must be called with at least two source keys.\r\n"
        );
        assert_eq!(h.run(&["bitop", "diff", "d", "a", "b"]), ":2\r\n");
        assert_eq!(h.run(&["get", "d"]), "$2\r\n@\0\r\n");
        assert_eq!(h.run(&["bitop", "diff1", "d", "a", "b"]), ":2\r\n");
        assert_eq!(h.run(&["get", "d"]), "$2\r\n\x0c!\r\n");
        assert_eq!(h.run(&["bitop", "andor", "d", "a", "b", "nokey"]), ":2\r\n");
        assert_eq!(h.run(&["get", "d"]), "$2\r\n0\0\r\n");
        // A twice: its bits are in two sources, so only B's own bits are left.
        assert_eq!(h.run(&["bitop", "one", "d", "a", "b", "a"]), ":2\r\n");
        assert_eq!(h.run(&["get", "d"]), "$2\r\n\x0c!\r\n");
        // A missing first source reads as zeros; all sources missing deletes the destination.
        assert_eq!(h.run(&["bitop", "diff1", "d", "nokey", "a"]), ":1\r\n");
        assert_eq!(h.run(&["get", "d"]), "$1\r\np\r\n");
        assert_eq!(h.run(&["bitop", "diff", "d", "nokey", "nokey2"]), ":0\r\n");
        assert_eq!(h.run(&["exists", "d"]), ":0\r\n");
        h.run(&["lpush", "l", "x"]);
        assert!(h.run(&["bitop", "one", "d", "a", "l"]).starts_with("-WRONGTYPE"));
    }

    #[test]
    fn commands() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["setbit", "k", "7", "1"]), ":0\r\n");
        assert_eq!(h.run(&["setbit", "k", "7", "1"]), ":1\r\n");
        assert_eq!(h.run(&["get", "k"]), "$1\r\n\x01\r\n");
        assert_eq!(h.run(&["getbit", "k", "7"]), ":1\r\n");
        assert_eq!(h.run(&["getbit", "k", "100"]), ":0\r\n");
        assert_eq!(h.run(&["setbit", "k", "-1", "1"]), format!("-{ERR_OFFSET}\r\n"));
        assert_eq!(h.run(&["setbit", "k", "4294967296", "1"]), format!("-{ERR_OFFSET}\r\n"));
        assert_eq!(h.run(&["setbit", "k", "1", "2"]), format!("-{ERR_BIT}\r\n"));
        h.run(&["set", "n", "12"]);
        assert_eq!(h.run(&["bitcount", "n"]), ":6\r\n");
        assert_eq!(h.run(&["getbit", "n", "2"]), ":1\r\n");
        assert_eq!(h.run(&["setbit", "n", "0", "0"]), ":0\r\n");
        assert_eq!(h.run(&["object", "encoding", "n"]), "$3\r\nraw\r\n");
        assert_eq!(h.run(&["bitop", "not", "d", "k"]), ":1\r\n");
        assert_eq!(h.run(&["bitcount", "d"]), ":7\r\n");
        assert_eq!(h.run(&["bitop", "and", "d", "nokey"]), ":0\r\n");
        assert_eq!(h.run(&["exists", "d"]), ":0\r\n");
        assert_eq!(
            h.run(&["bitop", "not", "d", "k", "k"]),
            "-ERR BITOP NOT must be called with a single source key.\r\n"
        );
        assert_eq!(h.run(&["bitfield", "bf", "set", "u8", "#1", "255", "get", "u4", "8"]), "*2\r\n:0\r\n:15\r\n");
        assert_eq!(
            h.run(&["bitfield_ro", "bf", "set", "u8", "0", "1"]),
            "-ERR BITFIELD_RO only supports the GET subcommand\r\n"
        );
        assert_eq!(h.run(&["bitfield", "bf", "overflow", "fail", "incrby", "u8", "8", "1"]), "*1\r\n$-1\r\n");
        assert_eq!(h.run(&["bitfield", "bf", "get", "u64", "0"]), format!("-{ERR_TYPE}\r\n"));
        assert_eq!(h.run(&["bitpos", "bf", "1"]), ":8\r\n");
        assert_eq!(h.run(&["bitpos", "bf", "0", "1"]), ":16\r\n");
        assert_eq!(h.run(&["bitpos", "bf", "0", "1", "1"]), ":-1\r\n");
    }
}
