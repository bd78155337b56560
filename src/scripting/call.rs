//! `redis.call`'s command path (Redis's `scriptCall` in script.c): the script client takes the running script's
//! database, user and protocol, and the host runs the command ([`ScriptHost::call_command`]: admission with the
//! script's rules (existence and arity, `noscript`, stale replica, ACL, writes, OOM, with Redis's texts), then its
//! call path); the caller gets the reply bytes.
//!
//! A refused command counts as a rejected call of that command and as an error reply in `errorstats` (Redis's
//! `afterErrorReply`), so the script's own error reply for it is not counted again.

use super::{ScriptHost, SCRIPT_CLIENT_ID};
use crate::args::OwnedArgs;
use crate::net::client::{flags as cf, ClientState};

/// The outcome of one `redis.call` whose reply was handed to the caller's closure.
pub enum CallResult<R> {
    /// The command ran; what the closure made of its reply (encoded in the script client's protocol).
    Reply(R),
    /// Refused before running: Redis's text (`-CODE msg` keeps its code, a bare message is an ERR).
    Refused(String),
}

/// A new script client (Redis's fake Lua client: no connection, no blocking).
pub fn new_script_client(now_ms: i64) -> Box<ClientState> {
    // A client without a connection: SLOWLOG shows its peer as Redis's `?:0` (MONITOR shows `lua`).
    let mut c = ClientState::new(SCRIPT_CLIENT_ID, -1, "?:0".into(), String::new(), now_ms);
    c.flags |= cf::DENY_BLOCKING;
    Box::new(c)
}

/// Runs `argv` for the running script and gives its reply bytes to `on_reply` (the script client's buffer is
/// reused from call to call). `None` when no script is running (the natives check that first).
pub fn script_call<H: ScriptHost, R>(
    host: &mut H,
    argv: &OwnedArgs,
    on_reply: impl FnOnce(&[u8]) -> R,
) -> Option<CallResult<R>> {
    let now_ms = host.now_ms();
    let sc = host.scripting();
    let run = sc.run.as_ref()?;
    let (db, resp, user_id) = (run.db, run.resp, run.user_id);
    let mut c = match sc.client.take() {
        Some(c) => c,
        None => new_script_client(now_ms),
    };
    c.db = db;
    if c.user_id != user_id || c.user.is_empty() {
        c.user_id = user_id;
        c.user = run.user.clone();
    }
    c.reply.proto = if resp == 3 { crate::resp::reply::Proto::Resp3 } else { crate::resp::reply::Proto::Resp2 };
    c.reply.enabled = true;
    c.reply.buf.clear();
    c.reply.sent = 0;
    let result = match host.call_command(&mut c, argv.args()) {
        Ok(()) => {
            if c.reply.is_cut() {
                // Only a random pick with a huge negative count gets here (the script client has no output limit,
                // so its reply was capped, see `Reply::cap_unbounded`): the partial reply becomes an error.
                c.reply.clear_cut();
                c.reply.buf.clear();
                c.reply.raw_bytes(b"-ERR reply too big\r\n");
            }
            CallResult::Reply(on_reply(&c.reply.buf))
        }
        Err(msg) => CallResult::Refused(msg),
    };
    c.reply.buf.clear();
    c.reply.sent = 0;
    let sc = host.scripting();
    // SELECT inside the script moves the script client only; the next command starts from there.
    if let Some(r) = sc.run.as_mut() {
        r.db = c.db;
    }
    sc.client = Some(c);
    Some(result)
}
