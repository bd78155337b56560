//! The sentinel's operations that need the whole server state: publishing its events on its own pub/sub, and
//! saving its state in the config file (Redis's `sentinelEvent` publish step and `sentinelFlushConfig`).
//!
//! The model ([`crate::sentinel`]) only queues events and sets `flush_requested`; the server calls [`drain`] after
//! each timer run, each batch of replies and each SENTINEL command.

#![forbid(unsafe_code)]

use super::ServerState;
use crate::net::client::ClientState;

/// Publishes the queued events and, when asked, rewrites the config file. False when the rewrite failed (logged).
pub fn drain(srv: &mut ServerState, mut me: Option<&mut ClientState>) -> bool {
    let Some(s) = srv.sentinel.as_deref_mut() else { return true };
    let events = std::mem::take(&mut s.events);
    let flush = std::mem::replace(&mut s.flush_requested, false);
    for (channel, msg) in events {
        crate::state::pubsub::publish(srv, me.as_deref_mut(), false, channel.as_bytes(), msg.as_bytes());
    }
    if flush {
        return flush_config(srv);
    }
    true
}

/// Writes the sentinel state (and the rest of the configuration) to the config file now.
pub fn flush_config(srv: &mut ServerState) -> bool {
    let Some(s) = srv.sentinel.as_deref_mut() else { return true };
    s.flush_requested = false;
    let keyed = s.rewrite_lines();
    let users: Option<Vec<String>> = srv.config.stored_str("aclfile").is_empty().then(|| {
        srv.acl.users().map(|(_, u)| format!("user {} {}", String::from_utf8_lossy(&u.name), u.describe())).collect()
    });
    match crate::config::rewrite_full(&srv.config, users.as_deref(), Some(&keyed)) {
        Ok(()) => {
            crate::log_notice!("Sentinel new configuration saved on disk");
            true
        }
        Err(e) => {
            crate::log_warning!("WARNING: Sentinel was not able to save the new configuration on disk!!!: {e}");
            false
        }
    }
}
