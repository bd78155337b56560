//! The CLIENT LIST line (Redis's `catClientInfoString`): one client's fields as Redis 7.0.15 prints them. CLIENT
//! LIST and CLIENT INFO (`connection.rs`) print it, ACL LOG's entries carry it (`acl.rs`), the log names a
//! client by it (closed, evicted, misbehaving), and crash reports list every client with it. Not a command
//! family: it exports no `COMMANDS`.

use crate::net::client::{flags as cf, ClientState};

/// The `flags=` letters of a CLIENT LIST line (`N` for none). `dirty_cas`: a WATCHed key of the client was
/// touched.
fn client_flags(c: &ClientState, dirty_cas: bool) -> String {
    // In Redis's order.
    let letters = [
        (c.has(cf::REPLICA), 'S'),
        (c.has(cf::MASTER), 'M'),
        (c.has(cf::MONITOR), 'O'),
        (crate::pubsub::is_subscriber(c), 'P'),
        (c.has(cf::MULTI), 'x'),
        (c.has(cf::BLOCKED) || c.has(cf::POSTPONED), 'b'),
        (c.has(cf::TRACKING), 't'),
        (c.has(cf::TRACKING_BROKEN_REDIR), 'R'),
        (c.has(cf::TRACKING_BCAST), 'B'),
        (dirty_cas, 'd'),
        (c.has(cf::CLOSE_AFTER_REPLY), 'c'),
        (c.has(cf::CLOSE_ASAP), 'A'),
        (c.has(cf::UNIX_SOCKET), 'U'),
        (c.has(cf::READONLY), 'r'),
        (c.has(cf::NO_EVICT), 'e'),
        (c.has(cf::NO_TOUCH), 'T'),
    ];
    let flags: String = letters.iter().filter(|&&(on, _)| on).map(|&(_, l)| l).collect();
    if flags.is_empty() {
        "N".to_string()
    } else {
        flags
    }
}

/// One CLIENT LIST line (without the newline), fields as Redis 7.0.15 prints them. `cmd` overrides the last
/// command shown (the caller's line shows the CLIENT command being run, as in Redis). `dirty_cas`: a WATCHed key
/// of the client was touched.
pub(crate) fn client_line(c: &ClientState, now_ms: i64, cmd: Option<&str>, dirty_cas: bool) -> String {
    use std::fmt::Write;
    let flags = client_flags(c, dirty_cas);
    let mut events = String::new();
    if c.conn.readable {
        events.push('r');
    }
    if c.conn.writable {
        events.push('w');
    }
    let text = |v: &Option<Vec<u8>>| v.as_deref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    let subs = crate::pubsub::counts(c);
    // Output figures as they stand now (an idle client's written replies no longer count), as Redis reads them.
    let (obl, oll, omem) = crate::net::client::output_figures(&c.reply);
    let mut s = String::with_capacity(320);
    let _ = write!(
        s,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} \
         qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} \
         cmd={} user={} redir={} resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        text(&c.name),
        (now_ms - c.created_ms).max(0) / 1000,
        (now_ms - c.last_interaction_ms).max(0) / 1000,
        flags,
        c.db,
        subs.0,
        subs.1,
        subs.2,
        crate::command::multi::queued_count(c),
        c.conn.qbuf,
        c.conn.qbuf_free,
        c.conn.argv_mem,
        crate::command::multi::multi_mem(c),
        c.reply.rbs,
        c.reply.rbp,
        obl,
        oll,
        omem,
        c.conn.tot_mem,
        events,
        cmd.unwrap_or(c.last_cmd),
        c.user,
        if c.has(cf::TRACKING) { c.tracking.redirect as i64 } else { -1 },
        if c.reply.is_resp3() { 3 } else { 2 },
    );
    s
}

/// One client's CLIENT LIST line (Redis's `catClientInfoString`), as the log prints it for a closed connection.
pub fn client_info_string(c: &ClientState, now_ms: i64) -> String {
    client_line(c, now_ms, None, false)
}

/// CLIENT LIST's text for the connections (and `running`, the client taken out of its slot while its command
/// runs), for crash reports: at most `max` lines, then a count of the others.
pub fn client_list_text(srv: &crate::state::ServerState, running: Option<&ClientState>, max: usize) -> String {
    let mut v: Vec<&ClientState> = srv.clients.by_fd.iter().flatten().map(|c| &c.state).collect();
    if let Some(r) = running {
        if !v.iter().any(|c| c.id == r.id) {
            v.push(r);
        }
    }
    v.sort_by_key(|c| c.id);
    let mut out = String::new();
    for c in v.iter().take(max) {
        out.push_str(&client_line(c, srv.now_ms, None, srv.watches.is_dirty(c.id)));
        out.push('\n');
    }
    if v.len() > max {
        out.push_str(&format!("({} more clients not shown)\n", v.len() - max));
    }
    out
}
