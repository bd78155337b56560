//! `client-output-buffer-limit` for every client class (Redis's `checkClientOutputBufferLimits` and
//! `closeClientOnOutputBufferLimitReached`): a client's class, the output that counts against its limits, the
//! soft limit's timer, and the CLOSE_ASAP flag for a client over them. Pub/Sub delivery checks them on every
//! message, the server after each command and write and the cron on idle clients; a replica's stream is limited
//! where it is fed.
//!
//! Tested by the unit tests below and end to end by `tests/protocol/` (output-buffer limits of normal and Pub/Sub
//! clients).

#![forbid(unsafe_code)]

use crate::config::{ClientBufferLimit, CLIENT_CLASS_NORMAL, CLIENT_CLASS_PUBSUB};
use crate::net::client::{flags, Client, ClientInfoFn, ClientState};

/// The output-buffer class of a client (Redis's `getClientType` without replication): pubsub when subscribed.
pub fn client_class(c: &ClientState) -> usize {
    if c.has(flags::REPLICA) && !c.has(flags::MONITOR) {
        crate::config::CLIENT_CLASS_REPLICA
    } else if c.subs.is_some() {
        // Subscribed (Redis's `CLIENT_PUBSUB`).
        CLIENT_CLASS_PUBSUB
    } else {
        CLIENT_CLASS_NORMAL
    }
}

/// Bytes of pending output counted against `client-output-buffer-limit` (Redis's
/// `getClientOutputBufferMemoryUsage`: the reply list, not the static buffer; see [`Reply::list_bytes`]).
///
/// [`Reply::list_bytes`]: crate::resp::reply::Reply::list_bytes
#[inline]
pub fn output_limit_bytes(c: &ClientState) -> u64 {
    c.reply.list_bytes() as u64
}

/// The output (in [`output_limit_bytes`]) at which the running command's reply closes the client, for
/// [`Reply::watch_limit`]; 0 = none. Redis checks the limits each time a reply block is added, with the clock
/// cached for the command: the hard limit closes at once, the soft one only when the client has already been above
/// it for longer than the soft seconds (else crossing it just starts the timer, which the check after the command
/// does here).
///
/// [`Reply::watch_limit`]: crate::resp::reply::Reply::watch_limit
#[inline]
pub fn close_limit_bytes(c: &ClientState, soft_since_s: i64, limits: &[ClientBufferLimit; 3], now_ms: i64) -> usize {
    let class = client_class(c);
    // A replica's output is the replication stream, limited where it is fed.
    if class == crate::config::CLIENT_CLASS_REPLICA {
        return 0;
    }
    let limit = &limits[class];
    let mut bytes = limit.hard_bytes;
    if limit.soft_bytes > 0
        && soft_since_s != 0
        && now_ms / 1000 - soft_since_s > limit.soft_seconds
        && (bytes == 0 || limit.soft_bytes < bytes)
    {
        bytes = limit.soft_bytes;
    }
    usize::try_from(bytes).unwrap_or(usize::MAX)
}

/// Redis's `checkClientOutputBufferLimits` + `closeClientOnOutputBufferLimitReached`: when the client's output is
/// over the hard limit of its class, or over the soft limit for longer than the soft seconds, it is flagged
/// CLOSE_ASAP (the server frees it before the next poll and never writes to it again), the event is logged and
/// counted in `disconnections` (the server's `client_outbuf_limit_disconnections`). `soft_since_s` is the client's
/// "soft limit first reached" time (0 = not above it). Returns true when the client was flagged now.
pub fn enforce_output_limit(
    c: &mut ClientState,
    soft_since_s: &mut i64,
    limits: &[ClientBufferLimit; 3],
    now_ms: i64,
    disconnections: &mut u64,
    info: ClientInfoFn,
) -> bool {
    // Nearly every command: nothing past the static buffer, no soft-limit timer running, no cut reply. No limit
    // can be reached then, and the full check below would change nothing (it runs after every command).
    if *soft_since_s == 0 && output_limit_bytes(c) == 0 && !c.reply.is_cut() {
        return false;
    }
    if c.has(flags::CLOSE_ASAP) {
        return false;
    }
    // A reply cut while it was built (see `Reply::watch_limit`) was over the limit then.
    if output_limit_reached(c, soft_since_s, limits, now_ms).is_none() && !c.reply.is_cut() {
        return false;
    }
    crate::log_warning!(
        "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
        info(c, now_ms)
    );
    c.flags |= flags::CLOSE_ASAP;
    *disconnections += 1;
    true
}

/// Redis's `checkClientOutputBufferLimits`: `Some(bytes counted)` when the client's output is over the hard limit
/// of its class, or over the soft limit for longer than the soft seconds. Keeps the "soft limit first reached"
/// time `soft_since_s` (0 = not above it). The caller decides how to close the client and logs it.
pub fn output_limit_reached(
    c: &ClientState,
    soft_since_s: &mut i64,
    limits: &[ClientBufferLimit; 3],
    now_ms: i64,
) -> Option<u64> {
    let limit = limits[client_class(c)];
    if limit.hard_bytes == 0 && limit.soft_bytes == 0 {
        return None;
    }
    let used = output_limit_bytes(c);
    let hard = limit.hard_bytes > 0 && used >= limit.hard_bytes;
    let mut soft = limit.soft_bytes > 0 && used >= limit.soft_bytes;
    let now_s = now_ms / 1000;
    if soft {
        if *soft_since_s == 0 {
            *soft_since_s = now_s;
            soft = false;
        } else if now_s - *soft_since_s <= limit.soft_seconds {
            soft = false;
        }
    } else {
        *soft_since_s = 0;
    }
    (hard || soft).then_some(used)
}

/// [`enforce_output_limit`] for a connection.
pub fn check_output_limits(
    c: &mut Client,
    limits: &[ClientBufferLimit; 3],
    now_ms: i64,
    disconnections: &mut u64,
    info: ClientInfoFn,
) -> bool {
    let Client { state, obuf_soft_limit_reached_s, .. } = c;
    enforce_output_limit(state, obuf_soft_limit_reached_s, limits, now_ms, disconnections, info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::client::REPLY_CHUNK_BYTES;

    fn client(id: u64) -> ClientState {
        ClientState::new(id, id as i32 + 100, "127.0.0.1:1".into(), "127.0.0.1:2".into(), 0)
    }

    #[test]
    fn output_limits_hard_and_soft() {
        let mut count = 0;
        let mut c = client(1);
        let mut since = 0;
        let limits = [
            ClientBufferLimit::default(),
            ClientBufferLimit::default(),
            ClientBufferLimit { hard_bytes: 1 << 20, soft_bytes: 1 << 18, soft_seconds: 2 },
        ];
        c.subs = Some(Default::default());
        c.reply.raw_bytes(&vec![b'x'; REPLY_CHUNK_BYTES + (1 << 18)]);
        assert!(!enforce_output_limit(&mut c, &mut since, &limits, 10_000, &mut count, crate::net::client::short_info));
        assert_eq!(since, 10);
        assert!(!enforce_output_limit(&mut c, &mut since, &limits, 12_000, &mut count, crate::net::client::short_info));
        assert!(enforce_output_limit(&mut c, &mut since, &limits, 13_000, &mut count, crate::net::client::short_info));
        assert!(c.has(flags::CLOSE_ASAP));
        assert_eq!(count, 1);
        let mut d = client(2);
        d.subs = Some(Default::default());
        let mut since = 0;
        d.reply.raw_bytes(&vec![b'x'; REPLY_CHUNK_BYTES + (1 << 20)]);
        assert!(enforce_output_limit(&mut d, &mut since, &limits, 0, &mut count, crate::net::client::short_info));
        // Normal clients have no limit here.
        let mut e = client(3);
        e.reply.raw_bytes(&vec![b'x'; REPLY_CHUNK_BYTES + (1 << 21)]);
        assert!(!enforce_output_limit(&mut e, &mut since, &limits, 0, &mut count, crate::net::client::short_info));
    }
}
