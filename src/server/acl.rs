//! The server's ACL start-up: users loaded from the configuration or the ACL file. The permission check before
//! each command (and again for each queued command at EXEC) and its ACL LOG entries are in [`crate::admission`];
//! the rules and the check itself in [`crate::acl`].

use crate::acl;
use crate::config::Config;
use crate::log_warning;

/// The ACL a server starts with (`ACLLoadUsersAtStartup`): the default user with `requirepass`, then the config's
/// `user` directives or the ACL file (not both). Err(exit code) after logging Redis's message.
pub(super) fn startup_acl(config: &Config) -> Result<acl::Acl, i32> {
    let mut a = acl::Acl::for_config(config);
    let env = acl::RuleEnv::of(config);
    let aclfile = config.stored_str("aclfile");
    if !aclfile.is_empty() && !config.acl_users.is_empty() {
        log_warning!(
            "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. \
             This setup is very likely to lead to configuration errors and security holes, please define either an \
             ACL file or declare users directly in your redis.conf, but not both."
        );
        return Err(1);
    }
    if let Err(e) = acl::load_configured_users(&mut a, &config.acl_users, env) {
        log_warning!("{e}");
        log_warning!("Critical error while loading ACLs. Exiting.");
        return Err(1);
    }
    if !aclfile.is_empty() {
        match acl::load_file(aclfile, env) {
            Ok(users) => {
                a.replace_all(users, env);
            }
            Err(e) => {
                log_warning!("Aborting Redis startup because of ACL errors: {e}");
                return Err(1);
            }
        }
    }
    Ok(a)
}
