//! What a command must pass before it runs, the checks the client dispatcher (`Server::call_checked`, Redis's
//! `processCommand`) and `redis.call` (`scripting::call`, Redis's `scriptCall`) share. Each caller applies them
//! in its own order and with its own exemptions (the master's stream, an AOF being replayed, a script run with
//! `obey`), and words a few refusals its own way (a script on a stale replica gets "Can not execute the command on
//! a stale replica"), as Redis does; the conditions and the shared texts live here once.
//!
//! Not here: arity and command lookup (`command::CommandTable::resolve`), ACL (`acl`), OOM (the dispatcher's
//! `evict::rejects_command` evicts first; a script's decision was taken when it started), loading and busy-script
//! refusals (the dispatcher only).

use crate::state::ServerState;

/// Refusal of a write on a read-only replica.
pub const READONLY: &str = "READONLY You can't write against a read only replica.";
/// Refusal of a write when `min-replicas-to-write` is not met.
pub const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";
/// The dispatcher's refusal on a replica whose link is down and that does not serve stale data.
pub const MASTERDOWN: &str = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/// A replica whose link with its master is down, configured not to serve stale data: only `stale` commands run.
#[inline]
pub fn stale_replica(st: &ServerState) -> bool {
    let r = &st.repl;
    r.master.is_some()
        && r.link_state != crate::repl::LinkState::Connected
        && !st.config.stored_bool("replica-serve-stale-data")
}

/// A replica with `replica-read-only`: writes are refused unless they come from its master.
#[inline]
pub fn read_only_replica(st: &ServerState) -> bool {
    st.repl.master.is_some() && st.config.stored_bool("replica-read-only")
}

/// A master below `min-replicas-to-write` good replicas: writes are refused with [`NOREPLICAS`].
#[inline]
pub fn too_few_replicas(st: &ServerState) -> bool {
    crate::repl::too_few_replicas(st)
}

/// After a persistence failure, why writes are refused (`-MISCONF`, without the dash), or `None`.
#[inline]
pub fn disk_error(st: &ServerState) -> Option<String> {
    if st.persist.stats.last_bgsave_ok && st.persist.stats.aof_error.is_none() {
        return None;
    }
    crate::persist::engine::disk_error(&st.persist.stats, &st.config)
}
