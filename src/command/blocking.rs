//! The command side of blocking: timeouts, blocking the calling client, serving only the ready key on a re-run,
//! CLIENT UNBLOCK. The queues themselves are [`crate::blocking`].

use super::{Args, Ctx};
use crate::args::OwnedArgs;
use crate::blocking::{BlockKind, Blocked, TimeoutReply};
use crate::net::client::flags;

/// Parses a blocking command's timeout in seconds (decimals allowed) as Redis's `getTimeoutFromObjectOrReply`
/// does, replying its error when invalid. Returns the absolute deadline in ms, 0 for "wait forever".
pub fn parse_timeout(ctx: &mut Ctx, arg: &[u8]) -> Option<i64> {
    match timeout_deadline(arg, ctx.now_ms()) {
        Ok(d) => Some(d),
        Err(e) => {
            ctx.reply().error(e);
            None
        }
    }
}

/// The pure part of [`parse_timeout`].
pub fn timeout_deadline(arg: &[u8], now_ms: i64) -> Result<i64, &'static str> {
    // Redis reads a long double; F80 decides what parses (hex, long-double range), the value itself only needs f64.
    let parsed = crate::command::longdouble::F80::parse(arg).and_then(|_| crate::util::parse_f64(arg));
    let Some(secs) = parsed else { return Err("ERR timeout is not a float or out of range") };
    let ms = (secs * 1000.0).ceil();
    // Out-of-range conversions yield LLONG_MIN on x86-64, which Redis then reports as negative.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_POW_63..TWO_POW_63).contains(&ms) {
        return Err("ERR timeout is negative");
    }
    let ms = ms as i64;
    if ms < 0 {
        return Err("ERR timeout is negative");
    }
    if ms == 0 {
        return Ok(0);
    }
    // Redis 7.0 lets a deadline past the end of time wrap around and then never times the client out.
    Ok(ms.checked_add(now_ms).unwrap_or(0))
}

/// Whether a (re-)running blocking command may consider `key`: always, except while the server serves one
/// particular ready key.
#[inline]
pub fn may_serve(ctx: &mut Ctx, key: &[u8]) -> bool {
    ctx.blocking().serving_key().is_none_or(|k| k == key)
}

/// Asks the server to block the calling client on `keys` until `deadline_ms` (0 = forever). A client that may not
/// block (MULTI/EXEC, scripts: `DENY_BLOCKING`) gets `deny_reply` at once instead.
pub fn block(ctx: &mut Ctx, args: Args, keys: &[&[u8]], deadline_ms: i64, kind: BlockKind, deny_reply: TimeoutReply) {
    block_with(ctx, args, keys, deadline_ms, kind, deny_reply, None);
}

/// [`block`] with XREAD's resolved wait.
pub fn block_with(
    ctx: &mut Ctx,
    args: Args,
    keys: &[&[u8]],
    deadline_ms: i64,
    kind: BlockKind,
    deny_reply: TimeoutReply,
    stream: Option<crate::blocking::StreamWait>,
) {
    if ctx.client().has(flags::DENY_BLOCKING) {
        deny_reply.send(ctx.reply());
        return;
    }
    let mut owned = OwnedArgs::default();
    for a in args.iter() {
        owned.push(a);
    }
    let db = ctx.client().db;
    ctx.blocking().request(Blocked {
        db,
        keys: keys.iter().map(|k| k.to_vec()).collect(),
        deadline_ms,
        kind,
        args: owned,
        stream,
    });
}

/// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
pub fn client_unblock(ctx: &mut Ctx, args: Args) {
    if args.len() > 4 {
        ctx.reply().error("ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.");
        return;
    }
    let Some(id) = crate::util::parse_i64(args.get(2)) else {
        ctx.reply().err_not_int();
        return;
    };
    let error = if args.len() == 4 {
        if args.is(3, "timeout") {
            false
        } else if args.is(3, "error") {
            true
        } else {
            ctx.reply().error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    } else {
        false
    };
    let id = id as u64;
    // WAIT's clients are blocked too (Redis 7.0 unblocks them with their acknowledgement count, or the error). A
    // client blocked in SHUTDOWN takes only the ERROR form: a SHUTDOWN has no timeout reply (Redis 7.0.15 panics
    // on "Unknown btype" there), so TIMEOUT answers 0 and leaves it waiting for the shutdown's own outcome.
    let in_shutdown = ctx.blocking().waits_in_shutdown(id);
    let waiting = ctx.settings().repl().waiting.iter().any(|w| w.id == id) || (in_shutdown && error);
    let b = ctx.blocking().registry_mut();
    if (b.is_blocked(id) || waiting) && !b.unblock_requests.iter().any(|&(x, _)| x == id) {
        b.unblock_requests.push((id, error));
        ctx.reply().int(1);
    } else {
        ctx.reply().int(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_parsing_matches_redis() {
        let now = 1_000_000;
        assert_eq!(timeout_deadline(b"0", now), Ok(0));
        assert_eq!(timeout_deadline(b"1", now), Ok(now + 1000));
        assert_eq!(timeout_deadline(b"0.5", now), Ok(now + 500));
        // Sub-millisecond timeouts round up to one millisecond; tiny negatives round to "forever".
        assert_eq!(timeout_deadline(b"1e-5", now), Ok(now + 1));
        assert_eq!(timeout_deadline(b"-0.0001", now), Ok(0));
        assert_eq!(timeout_deadline(b"0x10", now), Ok(now + 16_000));
        for neg in ["-1", "inf", "-inf", "1e400", "1e20", "9223372036854775807"] {
            assert_eq!(timeout_deadline(neg.as_bytes(), now), Err("ERR timeout is negative"), "{neg}");
        }
        for bad in ["x", "nan", "", " 1", "1e99999"] {
            assert_eq!(timeout_deadline(bad.as_bytes(), now), Err("ERR timeout is not a float or out of range"));
        }
        assert_eq!(timeout_deadline(b"9223372036850000", 1_700_000_000_000), Ok(0));
    }
}
