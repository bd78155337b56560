//! `FAILOVER` on a master (Redis 7.0's `failoverCommand` / `updateFailoverStatus` / `abortFailover`): the state
//! and its decisions; the I/O is [`link`](super::link)'s.
//!
//! ```text
//!  FAILOVER [TO host port [FORCE]] [TIMEOUT ms]
//!     │  writes paused (ClientPause::failover)
//!     ▼
//!  WaitForSync ── a (the) replica acked master_repl_offset ──▶ InProgress: REPLICAOF target,
//!     │  timeout, no FORCE: abort                                PSYNC replid offset FAILOVER
//!     │  timeout, FORCE: ─────────────────────────────────────▶    │ +CONTINUE / +FULLRESYNC: done
//!     └─ FAILOVER ABORT: abort                                     └ rejected / ABORT: back to master
//! ```
//!
//! Invariants: `state == None` exactly when no failover runs, and then writes are not held for it; `target` is
//! set when the state is `InProgress`.
//!
//! Tested by the unit tests below and end to end by tests/replication/replication.rs (ferredis and Redis 7.0 replicas).

use super::roles::{Replica, ReplicaState};

/// Where a failover stands (INFO's `master_failover_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum State {
    #[default]
    None,
    WaitForSync,
    InProgress,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::None => "no-failover",
            State::WaitForSync => "waiting-for-sync",
            State::InProgress => "failover-in-progress",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Failover {
    pub state: State,
    /// The replica to promote (given with TO, or the first one found in sync).
    pub target: Option<(String, u16)>,
    /// When waiting ends (ms; 0: no TIMEOUT).
    pub end_ms: i64,
    pub force: bool,
}

/// What the server must do for a failover that is waiting for its replica.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Become a replica of this one, with `PSYNC ... FAILOVER`.
    Promote(String, u16),
    /// Give up, with this reason (logged).
    Abort(&'static str),
}

/// The replica with this announced (or peer) address and listening port (Redis's `findReplica`).
pub fn find<'a>(replicas: &'a [Replica], host: &str, port: i64) -> Option<&'a Replica> {
    replicas.iter().find(|r| r.ip().eq_ignore_ascii_case(host) && i64::from(r.listening_port) == port)
}

/// Parsed `FAILOVER` arguments (after the name).
#[derive(Debug, PartialEq, Eq, Default)]
pub struct Request {
    pub abort: bool,
    pub to: Option<(String, i64)>,
    pub force: bool,
    pub timeout_ms: i64,
}

/// Parses the arguments as Redis does: each option once, `ABORT` only alone. Errors are full reply texts.
pub fn parse(args: &[&[u8]]) -> Result<Request, String> {
    if args.len() == 1 && args[0].eq_ignore_ascii_case(b"abort") {
        return Ok(Request { abort: true, ..Default::default() });
    }
    let mut req = Request::default();
    let mut j = 0;
    let int =
        |b: &[u8]| crate::util::parse_i64(b).ok_or_else(|| "ERR value is not an integer or out of range".to_string());
    while j < args.len() {
        let a = args[j];
        if a.eq_ignore_ascii_case(b"timeout") && j + 1 < args.len() && req.timeout_ms <= 0 {
            req.timeout_ms = int(args[j + 1])?;
            if req.timeout_ms <= 0 {
                return Err("ERR FAILOVER timeout must be greater than 0".into());
            }
            j += 2;
        } else if a.eq_ignore_ascii_case(b"to") && j + 2 < args.len() && req.to.is_none() {
            let port = int(args[j + 2])?;
            req.to = Some((String::from_utf8_lossy(args[j + 1]).into_owned(), port));
            j += 3;
        } else if a.eq_ignore_ascii_case(b"force") && !req.force {
            req.force = true;
            j += 1;
        } else {
            return Err("ERR syntax error".into());
        }
    }
    Ok(req)
}

/// The checks after parsing, in Redis's order; `Ok` carries the validated target.
pub fn validate(
    req: &Request,
    current: State,
    is_replica: bool,
    replicas: &[Replica],
) -> Result<Option<(String, u16)>, &'static str> {
    if current != State::None {
        return Err("ERR FAILOVER already in progress.");
    }
    if is_replica {
        return Err("ERR FAILOVER is not valid when server is a replica.");
    }
    if replicas.is_empty() {
        return Err("ERR FAILOVER requires connected replicas.");
    }
    if req.force && (req.timeout_ms == 0 || req.to.is_none()) {
        return Err("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
    }
    let Some((host, port)) = &req.to else { return Ok(None) };
    let Some(r) = find(replicas, host, *port) else {
        return Err("ERR FAILOVER target HOST and PORT is not a replica.");
    };
    if r.state != ReplicaState::Online {
        return Err("ERR FAILOVER target replica is not online.");
    }
    Ok(Some((host.clone(), r.listening_port)))
}

/// One check of a waiting failover (Redis's `updateFailoverStatus`): the timeout first, then a replica that has
/// acknowledged everything. Fixes the target when any replica would do.
pub fn update(f: &mut Failover, replicas: &[Replica], offset: i64, now_ms: i64) -> Option<Step> {
    if f.state != State::WaitForSync {
        return None;
    }
    if f.end_ms != 0 && f.end_ms <= now_ms {
        if f.force {
            if let Some((h, p)) = f.target.clone() {
                crate::log_notice!("FAILOVER to {h}:{p} time out exceeded, failing over.");
                f.state = State::InProgress;
                return Some(Step::Promote(h, p));
            }
        }
        return Some(Step::Abort("Replica never caught up before timeout"));
    }
    let synced = match &f.target {
        Some((h, p)) => find(replicas, h, i64::from(*p)).is_some_and(|r| r.ack_off == offset),
        None => match replicas.iter().find(|r| r.ack_off == offset) {
            Some(r) => {
                f.target = Some((r.ip().to_string(), r.listening_port));
                true
            }
            None => false,
        },
    };
    if !synced {
        return None;
    }
    let (h, p) = f.target.clone()?;
    f.state = State::InProgress;
    crate::log_notice!("Failover target {h}:{p} is synced, failing over.");
    Some(Step::Promote(h, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replica(ip: &str, port: u16, ack: i64, state: ReplicaState) -> Replica {
        Replica { state, listening_port: port, ack_off: ack, capa_eof: true, ..Replica::new(1, 3, ip.into(), 0) }
    }

    fn p(args: &[&str]) -> Result<Request, String> {
        let v: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        parse(&v)
    }

    #[test]
    fn parsing() {
        assert_eq!(p(&["abort"]).unwrap(), Request { abort: true, ..Default::default() });
        assert_eq!(p(&["abort", "timeout", "5"]).unwrap_err(), "ERR syntax error");
        assert_eq!(p(&["timeout", "0"]).unwrap_err(), "ERR FAILOVER timeout must be greater than 0");
        assert_eq!(p(&["timeout", "x"]).unwrap_err(), "ERR value is not an integer or out of range");
        assert_eq!(p(&["timeout", "5", "timeout", "6"]).unwrap_err(), "ERR syntax error");
        assert_eq!(p(&["to", "h"]).unwrap_err(), "ERR syntax error");
        assert_eq!(p(&["force", "force"]).unwrap_err(), "ERR syntax error");
        let r = p(&["TO", "h", "7", "FORCE", "TIMEOUT", "10"]).unwrap();
        assert_eq!(r, Request { abort: false, to: Some(("h".into(), 7)), force: true, timeout_ms: 10 });
    }

    #[test]
    fn validation_order() {
        let rs = vec![replica("127.0.0.1", 7000, 0, ReplicaState::Online)];
        let req = Request::default();
        assert_eq!(validate(&req, State::WaitForSync, false, &rs).unwrap_err(), "ERR FAILOVER already in progress.");
        assert!(validate(&req, State::None, true, &rs).unwrap_err().contains("when server is a replica"));
        assert!(validate(&req, State::None, false, &[]).unwrap_err().contains("requires connected replicas"));
        let force = Request { force: true, timeout_ms: 5, ..Default::default() };
        assert!(validate(&force, State::None, false, &rs).unwrap_err().contains("force option"));
        let to = |port| Request { to: Some(("127.0.0.1".into(), port)), ..Default::default() };
        assert!(validate(&to(1), State::None, false, &rs).unwrap_err().contains("is not a replica"));
        assert_eq!(validate(&to(7000), State::None, false, &rs).unwrap(), Some(("127.0.0.1".into(), 7000)));
        let waiting = vec![replica("127.0.0.1", 7000, 0, ReplicaState::WaitBgsaveEnd)];
        assert!(validate(&to(7000), State::None, false, &waiting).unwrap_err().contains("not online"));
    }

    #[test]
    fn waiting_for_the_replica() {
        let mut rs = vec![replica("10.0.0.1", 7000, 50, ReplicaState::Online)];
        let mut f = Failover { state: State::WaitForSync, end_ms: 1000, ..Default::default() };
        assert_eq!(update(&mut f, &rs, 100, 10), None);
        rs[0].ack_off = 100;
        assert_eq!(update(&mut f, &rs, 100, 10), Some(Step::Promote("10.0.0.1".into(), 7000)));
        assert_eq!(f.state, State::InProgress);
        assert_eq!(update(&mut f, &rs, 100, 10), None);
        // Timeout without FORCE aborts; with FORCE it promotes the target anyway.
        let mut f = Failover { state: State::WaitForSync, end_ms: 1000, ..Default::default() };
        assert_eq!(update(&mut f, &rs, 200, 1000), Some(Step::Abort("Replica never caught up before timeout")));
        let mut f =
            Failover { state: State::WaitForSync, end_ms: 1000, force: true, target: Some(("10.0.0.1".into(), 7000)) };
        assert_eq!(update(&mut f, &rs, 200, 1000), Some(Step::Promote("10.0.0.1".into(), 7000)));
    }
}
