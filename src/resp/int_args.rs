//! The integer-argument parsers that reply their own error (Redis's `get*FromObjectOrReply`): each returns the value,
//! or `None` once the standard error text is in the reply. Every command family uses them (through
//! `command::shared`), and so do the handlers that live with their feature (replication's WAIT and WAITAOF).

use super::reply::Reply;
use crate::util::parse_i64;

/// Parses an integer argument (Redis's `getLongLongFromObjectOrReply`), replying the standard error on failure.
#[inline]
pub fn int_arg(r: &mut Reply, a: &[u8]) -> Option<i64> {
    let v = parse_i64(a);
    if v.is_none() {
        r.err_not_int();
    }
    v
}

/// Parses a C `int` argument (`getIntFromObjectOrReply`): without `msg`, not an integer and out of `int` range are
/// different errors; with it, both reply `msg`.
pub fn i32_arg(r: &mut Reply, a: &[u8], msg: Option<&str>) -> Option<i32> {
    let v = range_long_arg(r, a, i32::MIN.into(), i32::MAX.into(), msg)?;
    // In range by the check above.
    i32::try_from(v).ok()
}

/// `getLongFromObjectOrReply` with an optional custom error message.
pub fn long_arg(r: &mut Reply, a: &[u8], msg: Option<&str>) -> Option<i64> {
    let v = parse_i64(a);
    if v.is_none() {
        match msg {
            Some(m) => r.error(m),
            None => r.err_not_int(),
        }
    }
    v
}

/// `getRangeLongFromObjectOrReply`: an integer within `min..=max`, else `msg` (or Redis's default range error).
pub fn range_long_arg(r: &mut Reply, a: &[u8], min: i64, max: i64, msg: Option<&str>) -> Option<i64> {
    let v = long_arg(r, a, msg)?;
    if v < min || v > max {
        match msg {
            Some(m) => r.error(m),
            None => r.error(&format!("ERR value is out of range, value must between {min} and {max}")),
        }
        return None;
    }
    Some(v)
}

/// `getPositiveLongFromObjectOrReply`: a non-negative integer; both failures reply `msg` (or the default).
pub fn positive_long_arg(r: &mut Reply, a: &[u8], msg: Option<&str>) -> Option<i64> {
    let m = msg.unwrap_or("ERR value is out of range, must be positive");
    match parse_i64(a) {
        Some(v) if v >= 0 => Some(v),
        _ => {
            r.error(m);
            None
        }
    }
}

/// A timeout in milliseconds (Redis's `getTimeoutFromObjectOrReply` with `UNIT_MILLISECONDS`, the one parser of
/// XREAD/XREADGROUP BLOCK, WAIT and CLIENT PAUSE): an integer, not negative. Returns the relative timeout (0 = no
/// timeout); each caller turns it into its deadline, because what a deadline past the end of time does differs
/// between them. The blocking commands' timeouts in seconds are `command::blocking::parse_timeout`.
pub fn ms_timeout_arg(r: &mut Reply, a: &[u8]) -> Option<i64> {
    match parse_i64(a) {
        None => {
            r.error("ERR timeout is not an integer or out of range");
            None
        }
        Some(t) if t < 0 => {
            r.error("ERR timeout is negative");
            None
        }
        Some(t) => Some(t),
    }
}
