//! The dispatcher's ACL hooks, kept apart from the network code in `server.rs`: users loaded at start-up, the
//! permission check before each command (and again for each queued command at EXEC), the NOPERM replies and
//! ACL LOG entries they produce. The rules and the check itself are in [`crate::acl`].

use super::Server;
use crate::acl::{self, registry::registry, Denied, Reason};
use crate::command::{Args, Command, Ctx};
use crate::config::Config;
use crate::log_warning;
use crate::net::client::ClientState;

/// The ACL a server starts with (`ACLLoadUsersAtStartup`): the default user with `requirepass`, then the config's
/// `user` directives or the ACL file (not both). Err(exit code) after logging Redis's message.
pub(super) fn startup_acl(config: &Config) -> Result<acl::Acl, i32> {
    let mut a = acl::Acl::for_config(config);
    let allch = acl::pubsub_default_all(config);
    let aclfile = config.stored_str("aclfile");
    if !aclfile.is_empty() && !config.acl_users.is_empty() {
        log_warning!(
            "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. \
             This setup is very likely to lead to configuration errors and security holes, please define either an \
             ACL file or declare users directly in your redis.conf, but not both."
        );
        return Err(1);
    }
    if let Err(e) = acl::load_configured_users(&mut a, &config.acl_users, allch) {
        log_warning!("{e}");
        log_warning!("Critical error while loading ACLs. Exiting.");
        return Err(1);
    }
    if !aclfile.is_empty() {
        match acl::load_file(aclfile, allch) {
            Ok(users) => {
                a.replace_all(users, allch);
            }
            Err(e) => {
                log_warning!("Aborting Redis startup because of ACL errors: {e}");
                return Err(1);
            }
        }
    }
    Ok(a)
}

impl Server {
    /// Whether the client's user may run `cmd` with `args`. A user allowed everything costs one branch; a
    /// client whose user slot is gone (never expected) may run nothing. The AOF loading client has no user and
    /// may run anything, as in Redis.
    #[inline]
    pub(super) fn acl_denies(&self, c: &ClientState, cmd: &'static Command, args: Args) -> Option<Denied> {
        // Like Redis's clients without a user: the AOF loader and the master link run whatever they carry.
        if c.id == super::aof::AOF_CLIENT_ID || c.flags & crate::net::client::flags::MASTER != 0 {
            return None;
        }
        let Some(u) = self.state.acl.user(c.user_id) else {
            return Some(Denied { reason: Reason::Command, pos: 0 });
        };
        if let [s] = &u.selectors[..] {
            if s.allcommands && s.allkeys && s.allchannels {
                return None;
            }
        }
        // Commands built outside the table have no id: only no-auth ones may run.
        match registry().id_of(cmd) {
            Some(id) => acl::check(u, id, args).err(),
            None => Some(Denied { reason: Reason::Command, pos: 0 }),
        }
    }

    /// Logs a refused call in the ACL LOG (the command's full name, or the key or channel argument).
    pub(super) fn acl_log_denial(&mut self, c: &mut ClientState, d: Denied, full_name: &str, args: Args) {
        let object = match d.reason {
            Reason::Command => full_name.as_bytes().to_vec(),
            _ => args.get(d.pos).to_vec(),
        };
        crate::command::acl::log_denial(
            &mut Ctx { client: c, srv: &mut self.state },
            d.reason,
            object,
            None,
            full_name,
        );
    }

    /// The NOPERM refusal before a command runs (`processCommand`).
    pub(super) fn acl_reject(
        &mut self,
        c: &mut ClientState,
        cmd: &'static Command,
        full_name: &'static str,
        args: Args,
        d: Denied,
    ) {
        self.acl_log_denial(c, d, full_name, args);
        self.reject(c, cmd, full_name, &acl::noperm_message(d, full_name));
    }
}
