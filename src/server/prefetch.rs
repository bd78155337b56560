//! Cache warm-up of a pipelined batch: when a client's read brought several commands whose run mostly waits on
//! memory (a Bloom or Cuckoo filter's bits or buckets, scattered over megabytes: one or more cache misses each,
//! about as long as the rest of the command), the commands are parsed ahead into the client's
//! [`Preparsed`](crate::net::client::preparsed::Preparsed) list (which the command loop then takes them from, so
//! nothing is parsed twice) and each one's [`Command::prefetch`](crate::command::Command::prefetch) starts its
//! loads. The misses of the batch then overlap instead of coming one after another. RedisBloom, one command at a
//! time, waits for each in turn.
//!
//! Nothing changes: a prefetch only reads (the key's entry, the filter's geometry) and hints the CPU. Only the
//! first command's name is looked at when it has no warm-up (GET, SET, CMS.INCRBY...), so other traffic pays one
//! command-table lookup per read. Measured by `benches/bloom.sh`; the commands' replies are checked against
//! RedisBloom by `tests/types`.

use super::Server;
use crate::net::client::Client;

/// The most commands of one batch warmed up ahead: their lines must still be in the L1/L2 caches when their turn
/// comes (16 BF.ADDs ask for 128 lines).
const MAX_AHEAD: usize = 32;

impl Server {
    /// Parses the client's complete commands ahead and warms up their memory, when the first one has a warm-up.
    /// Called on the read path before [`Server::process_input`]; what it parsed and was not run is dropped after
    /// it, as for an I/O thread's parse.
    #[inline(always)]
    pub(super) fn prefetch_batch(&self, c: &mut Client) {
        // The common shape (`*<1 digit>\r\n$<1 digit>\r\n<name>`) is rejected from three bytes at a fixed place,
        // without scanning or a call: one read per command at `-P 1` pays only this.
        if matches!(c.query.readable(), [b'*', _, b'\r', _, b'$', _, b'\r', _, name @ ..] if !may_prefetch(name)) {
            return;
        }
        self.prefetch_batch_slow(c);
    }

    #[inline(never)]
    fn prefetch_batch_slow(&self, c: &mut Client) {
        // Not for a client that has yet to authenticate: its commands will be refused, it reads nothing.
        if !c.pre.is_empty() || c.parser.in_progress() || !c.state.authenticated {
            return;
        }
        let buf = c.query.readable();
        let Some(name) = first_name(buf) else { return };
        if !may_prefetch(name) || crate::command::lookup(name).and_then(|cmd| cmd.prefetch).is_none() {
            return;
        }
        let Some(db) = self.state.dbs.get(c.state.db) else { return };
        let limits = self.limits_for(true);
        let Client { query, parser, pre, scratch, spans, .. } = c;
        let buf = query.readable();
        pre.parse_ahead(buf, parser, limits, spans, scratch);
        // A lone command (no pipelining) would only wait for its loads a little earlier: not worth its lookups.
        if pre.pending(buf).nth(1).is_none() {
            return;
        }
        for args in pre.pending(buf).take(MAX_AHEAD) {
            if args.is_empty() {
                continue;
            }
            if let Some(f) = crate::command::lookup(args.get(0)).and_then(|cmd| cmd.prefetch) {
                f(db, args);
            }
        }
    }
}

/// Whether a command named `name` may have a warm-up: the Bloom and Cuckoo commands (`BF.`, `CF.`, any case). A
/// test of three bytes, so that other traffic (GET, SET at `-P 1`: one read per command) skips the table lookup.
#[inline]
fn may_prefetch(name: &[u8]) -> bool {
    matches!(name, [a, b, b'.', ..] if matches!(a | 0x20, b'b' | b'c') && b | 0x20 == b'f')
}

/// The name of the multibulk command at the front of `buf` (`*<n>\r\n$<len>\r\n<name>`) when it is there whole
/// and short enough to be a command's; `None` otherwise (an inline request, a partial one).
fn first_name(buf: &[u8]) -> Option<&[u8]> {
    if buf.first() != Some(&b'*') {
        return None;
    }
    let cr = buf.iter().take(24).position(|&b| b == b'\r')?;
    let mut i = cr + 2;
    if buf.get(i) != Some(&b'$') {
        return None;
    }
    i += 1;
    let mut len = 0usize;
    while let Some(&d) = buf.get(i).filter(|d| d.is_ascii_digit()) {
        len = len * 10 + (d - b'0') as usize;
        if len > 64 {
            return None;
        }
        i += 1;
    }
    if buf.get(i..i + 2) != Some(b"\r\n") {
        return None;
    }
    buf.get(i + 2..i + 2 + len)
}

#[cfg(test)]
mod tests {
    use super::first_name;

    #[test]
    fn first_name_reads_only_a_whole_multibulk_name() {
        assert_eq!(first_name(b"*3\r\n$6\r\nBF.ADD\r\n$2\r\nbf\r\n"), Some(&b"BF.ADD"[..]));
        assert_eq!(first_name(b"*1\r\n$4\r\nPING"), Some(&b"PING"[..]));
        assert_eq!(first_name(b"*1\r\n$4\r\nPIN"), None);
        assert_eq!(first_name(b"PING\r\n"), None);
        assert_eq!(first_name(b"*1\r\n$"), None);
        assert_eq!(first_name(b"*1\r\n$99\r\n"), None);
        assert_eq!(first_name(b"*1\r\n$\r\n"), Some(&b""[..]));
        assert_eq!(first_name(b""), None);
        assert_eq!(first_name(b"*1\r\n:4\r\n"), None);
    }

    #[test]
    fn only_the_filter_families_are_looked_up() {
        for name in [&b"BF.ADD"[..], b"bf.exists", b"CF.ADD", b"cf.mexists", b"Bf.Insert"] {
            assert!(super::may_prefetch(name), "{}", String::from_utf8_lossy(name));
        }
        for name in [&b"SET"[..], b"GET", b"CMS.INCRBY", b"TOPK.ADD", b"BF", b"", b"bfx.add", b"DF.ADD"] {
            assert!(!super::may_prefetch(name), "{}", String::from_utf8_lossy(name));
        }
        // Every command with a warm-up passes the test.
        for cmd in crate::command_spec::all_commands() {
            if cmd.prefetch.is_some() {
                assert!(super::may_prefetch(cmd.name.as_bytes()), "{}", cmd.name);
            }
        }
    }
}
