//! Which node serves a command (Redis's `getNodeByQuery`): `-MOVED`, `-ASK`, `-CROSSSLOT`, `-TRYAGAIN`,
//! `-CLUSTERDOWN`; and the cluster's ok/fail state (Redis's `clusterUpdateState`).
//!
//! ```text
//!  keys of the command (EXEC: of every queued command; sharded pub/sub: its channels)
//!   none ─────────────────────────────────────────────────────────────────▶ served here
//!   two slots ────────────────────────────────────────────────────────────▶ -CROSSSLOT
//!   slot without owner ───────────────────────────────────────────────────▶ -CLUSTERDOWN Hash slot not served
//!   cluster_state:fail (unless reads/pubsub allowed when down) ───────────▶ -CLUSTERDOWN The cluster is down ...
//!   we migrate the slot, some key missing ─ none of them here ────────────▶ -ASK slot target
//!                                         └ some here ────────────────────▶ -TRYAGAIN
//!   we import the slot and the client said ASKING ─ several keys, some missing ▶ -TRYAGAIN, else served here
//!   READONLY client (or sharded pub/sub), a read, we replicate the owner ─▶ served here
//!   owner is another node ────────────────────────────────────────────────▶ -MOVED slot endpoint:port
//! ```
//!
//! The check runs in admission for a client's command ([`admission::admit`](crate::admission::admit)) and for
//! `redis.call`, only when the server runs in cluster mode: a standalone server pays one branch on
//! [`ServerState::cluster`](crate::state::ServerState::cluster). Those two entry points, and the check for a blocked
//! client, take the whole server state and live in [`state::cluster`](crate::state::cluster).

use super::{Cluster, NodeIdx, NO_NODE};
use crate::args::Args;
use crate::command_spec::{flag, Command};
use crate::net::client::flags as cf;

/// Redis's `CLUSTER_WRITABLE_DELAY`: a master waits this long after start before it declares the cluster ok.
const WRITABLE_DELAY_MS: i64 = 2000;
/// Bounds of the delay before a master back from a minority partition accepts writes again.
const MIN_REJOIN_DELAY_MS: i64 = 500;
const MAX_REJOIN_DELAY_MS: i64 = 5000;

/// Bookkeeping of `update_state`, the settings it reads (kept in step with the configuration by
/// [`sync_settings`]), and the current command's slot for `redis.call`'s checks.
pub struct Health {
    first_call_ms: i64,
    among_minority_ms: i64,
    /// `cluster-require-full-coverage`.
    pub require_full_coverage: bool,
    /// `cluster-node-timeout`, ms.
    pub node_timeout_ms: i64,
    /// The slot the running top-level command's keys hash to (Redis's `c->slot`), -1 without keys: a script may
    /// touch only that slot (unless it allows cross-slot access).
    pub query_slot: i32,
    /// The calling client's READONLY and ASKING flags, which its script's commands run with.
    pub query_flags: u32,
    /// `cluster-announce-ip` as last applied to `myself`.
    pub announced_ip: String,
}

impl Default for Health {
    fn default() -> Health {
        Health {
            first_call_ms: 0,
            among_minority_ms: 0,
            require_full_coverage: true,
            node_timeout_ms: 15000,
            query_slot: -1,
            query_flags: 0,
            announced_ip: String::new(),
        }
    }
}

/// Copies the settings `update_state` reads from the configuration.
pub fn sync_settings(cl: &mut Cluster, config: &crate::config::Config) {
    cl.health.require_full_coverage = config.stored_bool("cluster-require-full-coverage");
    cl.health.node_timeout_ms = config.stored_i64("cluster-node-timeout");
}

/// Recomputes `cluster_state` and `cluster_size` (Redis's `clusterUpdateState`).
pub fn update_state(cl: &mut Cluster, now_ms: i64) {
    cl.todo &= !super::todo::UPDATE_STATE;
    let h = &mut cl.health;
    if h.first_call_ms == 0 {
        h.first_call_ms = now_ms;
    }
    let me_master = cl.me().is_master();
    if me_master && !cl.state_ok && now_ms - cl.health.first_call_ms < WRITABLE_DELAY_MS {
        return;
    }
    let mut ok = true;
    if cl.health.require_full_coverage {
        ok = cl.slots.iter().all(|&o| o != NO_NODE && cl.node(o).is_some_and(|n| !n.has(super::flags::FAIL)));
    }
    let mut size = 0u32;
    let mut reachable = 0u32;
    for (_, n) in cl.iter() {
        if n.is_master() && n.numslots > 0 {
            size += 1;
            if !n.is_failing() {
                reachable += 1;
            }
        }
    }
    cl.size = size;
    if reachable < size / 2 + 1 {
        ok = false;
        cl.health.among_minority_ms = now_ms;
    }
    if ok != cl.state_ok {
        let rejoin = cl.health.node_timeout_ms.clamp(MIN_REJOIN_DELAY_MS, MAX_REJOIN_DELAY_MS);
        if ok && me_master && now_ms - cl.health.among_minority_ms < rejoin {
            return;
        }
        crate::log_warning!("Cluster state changed: {}", if ok { "ok" } else { "fail" });
        cl.state_ok = ok;
    }
}

/// Why a command is not served here, and the error it gets (Redis's `CLUSTER_REDIR_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirect {
    /// The slot is served by that node.
    Moved(usize, NodeIdx),
    /// We are migrating the slot to that node and the keys are not here.
    Ask(usize, NodeIdx),
    CrossSlot,
    /// Several keys of a slot being migrated, only some of them here.
    TryAgain,
    Down,
    DownReadOnly,
    Unbound,
}

/// `cluster-preferred-endpoint-type`: the address a redirection or CLUSTER SLOTS gives for a node.
pub fn endpoint<'a>(config: &crate::config::Config, n: &'a super::Node) -> &'a str {
    match config.stored_str("cluster-preferred-endpoint-type") {
        "hostname" if n.hostname.is_empty() => "?",
        "hostname" => &n.hostname,
        "unknown-endpoint" => "",
        _ => &n.ip,
    }
}

impl Redirect {
    /// The error reply, without the leading `-` (Redis's `clusterRedirectClient`); `plain`: the client is a plain
    /// one of a `tls-cluster` (it is sent to the plaintext port).
    pub fn text(self, cl: Option<&Cluster>, config: &crate::config::Config, plain: bool) -> String {
        match self {
            Redirect::CrossSlot => "CROSSSLOT Keys in request don't hash to the same slot".into(),
            Redirect::TryAgain => "TRYAGAIN Multiple keys request during rehashing of slot".into(),
            Redirect::Down => "CLUSTERDOWN The cluster is down".into(),
            Redirect::DownReadOnly => "CLUSTERDOWN The cluster is down and only accepts read commands".into(),
            Redirect::Unbound => "CLUSTERDOWN Hash slot not served".into(),
            Redirect::Moved(slot, n) | Redirect::Ask(slot, n) => {
                let word = if matches!(self, Redirect::Ask(..)) { "ASK" } else { "MOVED" };
                let node = cl.and_then(|cl| cl.node(n));
                let (host, port) = node.map_or(("", 0), |n| (endpoint(config, n), n.port_for(plain)));
                format!("{word} {slot} {host}:{port}")
            }
        }
    }

    /// `redis.call`'s error for a command the script may not run here (Redis's `scriptVerifyClusterState`).
    pub fn script_text(self) -> &'static str {
        match self {
            Redirect::DownReadOnly => {
                "Script attempted to execute a write command while the cluster is down and readonly"
            }
            Redirect::Down => "Script attempted to execute a command while the cluster is down",
            _ => "Script attempted to access a non local key in a cluster node",
        }
    }
}

/// Whether the command can name keys at all (Redis runs the check only for commands with key specs, movable
/// keys, or EXEC).
#[inline]
pub fn may_have_keys(cmd: &Command) -> bool {
    !cmd.key_specs.is_empty() || cmd.keys.first > 0 || cmd.getkeys.is_some() || cmd.getkeys_flags.is_some()
}

/// Sharded pub/sub commands: their channels hash to slots like keys.
#[inline]
fn is_pubsubshard(cmd: &Command) -> bool {
    matches!(cmd.name, "spublish" | "ssubscribe" | "sunsubscribe")
}

/// Calls `f` with each key (for sharded pub/sub, each channel) of a call, stopping at its first error.
fn for_each_key<'k, E>(cmd: &Command, args: Args<'k>, mut f: impl FnMut(&'k [u8]) -> Result<(), E>) -> Result<(), E> {
    if is_pubsubshard(cmd) {
        let last = if cmd.name == "spublish" { 2.min(args.len()) } else { args.len() };
        for i in 1..last {
            f(args.get(i))?;
        }
        return Ok(());
    }
    // The common shape, one key at a fixed index (GET, SET, HSET, ...), without building a list.
    if let [s] = cmd.key_specs {
        if let (crate::command_spec::BeginSearch::Index(i), crate::command_spec::FindKeys::Range { lastkey: 0, .. }) =
            (s.begin_search, s.find_keys)
        {
            if cmd.getkeys.is_none() && cmd.getkeys_flags.is_none() && !s.flags.contains("not_key") {
                let i = i as usize;
                if i < args.len() {
                    f(args.get(i))?;
                }
                return Ok(());
            }
        }
    }
    for i in cmd.key_positions(args) {
        if i < args.len() {
            f(args.get(i))?;
        }
    }
    Ok(())
}

/// One check of [`node_by_query`]: the caller's flags and the flags the command runs under.
pub struct Query<'a> {
    pub cmd: &'static Command,
    pub args: Args<'a>,
    /// The command's flags as admission sees them (EVAL/FCALL: those its script declares).
    pub flags: u64,
    /// The client's READONLY / ASKING flags.
    pub client_flags: u32,
    /// EXEC: the client's queue.
    pub multi: Option<&'a crate::multi::MultiState>,
}

/// Where the command must run (Redis's `getNodeByQuery`): `Ok(slot)` to serve it here (the slot of its keys,
/// -1 for none), or the redirection.
/// `db0` is the database the keys are looked up in (a cluster node has only database 0), `now` the command's
/// time for their expiry.
pub fn node_by_query<'a>(
    db0: &crate::keyspace::db::Db,
    now: i64,
    config: &crate::config::Config,
    cl: &Cluster,
    q: &Query<'a>,
) -> Result<i32, Redirect> {
    let exec = crate::command_spec::is_exec(q.cmd);
    let pubsubshard = is_pubsubshard(q.cmd);
    let mut first: Option<&'a [u8]> = None;
    let mut slot = 0usize;
    let mut owner = NO_NODE;
    let (mut multiple, mut migrating, mut importing) = (false, false, false);
    let (mut missing, mut existing) = (0u32, 0u32);
    let mut visit = |key: &'a [u8]| -> Result<(), Redirect> {
        let this = super::key_hash_slot(key);
        match first {
            None => {
                // The first key: its slot and owner decide.
                first = Some(key);
                slot = this;
                owner = cl.slots[slot];
                if owner == NO_NODE {
                    return Err(Redirect::Unbound);
                }
                if owner == cl.myself && cl.migrating_to[slot] != NO_NODE {
                    migrating = true;
                } else if cl.importing_from[slot] != NO_NODE {
                    importing = true;
                }
            }
            Some(f) if f != key => {
                if this != slot {
                    return Err(Redirect::CrossSlot);
                }
                multiple = true;
            }
            Some(_) => {}
        }
        if (migrating || importing) && !pubsubshard {
            if db0.peek(key, now).is_some() {
                existing += 1;
            } else {
                missing += 1;
            }
        }
        Ok(())
    };
    if exec {
        let Some(m) = q.multi else { return Ok(-1) };
        for queued in &m.queue {
            for_each_key(queued.cmd, m.args.args(queued), &mut visit)?;
        }
    } else {
        for_each_key(q.cmd, q.args, &mut visit)?;
    }
    if first.is_none() {
        return Ok(-1);
    }
    if !cl.state_ok {
        if pubsubshard {
            if !config.stored_bool("cluster-allow-pubsubshard-when-down") {
                return Err(Redirect::Down);
            }
        } else if !config.stored_bool("cluster-allow-reads-when-down") {
            return Err(Redirect::Down);
        } else if q.flags & flag::WRITE != 0 {
            return Err(Redirect::DownReadOnly);
        }
    }
    // MIGRATE works on the local keys of an open slot.
    if (migrating || importing) && q.cmd.name == "migrate" {
        return Ok(slot as i32);
    }
    if migrating && missing > 0 {
        if existing > 0 {
            return Err(Redirect::TryAgain);
        }
        // Migrating to ourselves (a hand-made marking): Redis serves it, as the node asked for is this one.
        if cl.migrating_to[slot] == cl.myself {
            return Ok(slot as i32);
        }
        return Err(Redirect::Ask(slot, cl.migrating_to[slot]));
    }
    if importing && (q.client_flags & cf::ASKING != 0 || q.flags & flag::ASKING != 0) {
        if multiple && missing > 0 {
            return Err(Redirect::TryAgain);
        }
        return Ok(slot as i32);
    }
    let write = q.flags & flag::WRITE != 0 || (exec && q.multi.is_some_and(|m| m.cmd_flags & flag::WRITE != 0));
    let me = cl.me();
    if (q.client_flags & cf::READONLY != 0 || pubsubshard) && !write && me.is_replica() && me.replicaof == owner {
        return Ok(slot as i32);
    }
    if owner != cl.myself {
        return Err(Redirect::Moved(slot, owner));
    }
    Ok(slot as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{flags, Node, SLOTS};

    #[test]
    fn state_follows_coverage_minority_and_delays() {
        let mut cl = Cluster::new([b'a'; 40], 0, "nodes.conf".into());
        cl.health.node_timeout_ms = 1000;
        let b = cl.add_node(Node::new([b'b'; 40], flags::MASTER, 0));
        for s in 0..SLOTS {
            cl.add_slot(if s < 8192 { cl.myself } else { b }, s);
        }
        // A master waits 2 s after the first update before it says ok.
        update_state(&mut cl, 10_000);
        assert!(!cl.state_ok);
        update_state(&mut cl, 12_000);
        assert!(cl.state_ok);
        assert_eq!(cl.size, 2);
        // The other master fails: a slot of a FAIL node and the lost majority both make it fail.
        cl.node_mut(b).unwrap().flags |= flags::FAIL;
        update_state(&mut cl, 13_000);
        assert!(!cl.state_ok);
        // Back, but within the rejoin delay (node timeout clamped to 0.5-5 s) after the minority time.
        cl.node_mut(b).unwrap().flags &= !flags::FAIL;
        update_state(&mut cl, 13_400);
        assert!(!cl.state_ok);
        update_state(&mut cl, 14_100);
        assert!(cl.state_ok);
        // Without full coverage an unassigned slot does not matter; with it, it does.
        cl.del_slot(5);
        update_state(&mut cl, 15_000);
        assert!(!cl.state_ok);
        cl.health.require_full_coverage = false;
        update_state(&mut cl, 20_000);
        assert!(cl.state_ok);
    }
}
