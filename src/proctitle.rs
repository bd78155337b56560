//! `set-proc-title` and `proc-title-template` (Redis's `redisSetProcTitle`, `expandProcTitleTemplate`,
//! `sdstemplate`): the template's `{variables}` are expanded from the configuration and the result, trimmed of
//! spaces, becomes the process title through [`crate::sys::proctitle`].
//!
//! Variables: `{title}` (the executable as started, or a forked child's role), `{listen-addr}` (first bind address
//! and port, or `unixsocket:PATH` when no TCP port), `{server-mode}` (empty for a standalone server), `{port}`,
//! `{tls-port}`, `{unixsocket}`, `{config-file}` (absolute path or `-`). `{{` is a literal `{`. A template is
//! valid when every variable is known and the expansion with an empty title is not empty.
//!
//! Children are titled `ferredis-rdb-bgsave` and `ferredis-aof-rewrite`: Redis's `redis-rdb-bgsave` and
//! `redis-aof-rewrite` with the product's name, like `ferredis-server` for `redis-server`.
//!
//! Tested by the unit tests below and tests/operations/log_events.rs (`ps` of a running server and of a BGSAVE child).

#![forbid(unsafe_code)]

use crate::config::Config;
use std::sync::Mutex;

/// Title of a forked RDB child.
pub const RDB_CHILD_TITLE: &str = "ferredis-rdb-bgsave";
/// Title of a forked AOF rewrite child.
pub const AOF_CHILD_TITLE: &str = "ferredis-aof-rewrite";

/// What the variables expand to.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    pub port: u16,
    pub tls_port: i64,
    pub bind0: Option<String>,
    pub unixsocket: Option<String>,
    pub config_file: Option<String>,
    /// `cluster-enabled yes`: `{server-mode}` is `[cluster]`.
    pub cluster: bool,
}

impl Vars {
    pub fn of(c: &Config) -> Vars {
        Vars {
            port: c.port,
            tls_port: c.stored_i64("tls-port"),
            bind0: c.bind.first().cloned(),
            unixsocket: c.unixsocket.clone(),
            config_file: c.config_file.clone(),
            cluster: c.stored_bool("cluster-enabled"),
        }
    }

    fn get(&self, name: &str, title: &str) -> Option<String> {
        Some(match name {
            "title" => title.to_string(),
            "listen-addr" => {
                if self.port != 0 || self.tls_port != 0 {
                    let port = if self.port != 0 { self.port as i64 } else { self.tls_port };
                    format!("{}:{port}", self.bind0.as_deref().unwrap_or("*"))
                } else {
                    format!("unixsocket:{}", self.unixsocket.as_deref().unwrap_or(""))
                }
            }
            "server-mode" => {
                if self.cluster {
                    "[cluster]".to_string()
                } else {
                    String::new()
                }
            }
            "config-file" => self.config_file.clone().unwrap_or_else(|| "-".into()),
            "port" => self.port.to_string(),
            "tls-port" => self.tls_port.to_string(),
            "unixsocket" => self.unixsocket.clone().unwrap_or_default(),
            _ => return None,
        })
    }
}

/// Expands `template`; `None` for an unknown variable or an unterminated `{`.
pub fn expand(template: &str, title: &str, vars: &Vars) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return None;
        }
        if let Some(r) = after.strip_prefix('{') {
            out.push('{');
            rest = r;
            continue;
        }
        let close = after.find('}')?;
        out.push_str(&vars.get(&after[..close], title)?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out.trim_matches(' ').to_string())
}

/// Redis's `validateProcTitleTemplate`.
pub fn is_valid(template: &str, vars: &Vars) -> bool {
    expand(template, "", vars).is_some_and(|s| !s.is_empty())
}

/// The config's check of `proc-title-template` (file, command line and CONFIG SET).
impl crate::config::TitleTemplates for crate::config::Owners {
    fn is_valid(template: &str, c: &Config) -> bool {
        is_valid(template, &Vars::of(c))
    }
}

/// The template and variables in effect, for titles set outside the main configuration path (forked children). Set by
/// [`apply`] (start-up in [`server::startup::start`](crate::server::startup::start), CONFIG SET and its rollback in
/// [`command::config`](crate::command::config)); read by [`set_child`] in a fork child
/// ([`persist::engine`](crate::persist::engine)'s fork), which has no configuration at hand, hence a static.
static CURRENT: Mutex<Option<(String, Vars)>> = Mutex::new(None);

/// The executable as started (Redis's `server.exec_argv[0]`).
fn exec_name() -> String {
    crate::sys::proctitle::original_args()
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ferredis-server".into())
}

/// Sets the server's title from the configuration (start-up, CONFIG SET proc-title-template). Does nothing with
/// `set-proc-title no`.
pub fn apply(c: &Config) {
    if !c.set_proc_title {
        return;
    }
    let vars = Vars::of(c);
    if let Some(t) = expand(&c.proc_title_template, &exec_name(), &vars) {
        crate::sys::proctitle::set(&t);
    }
    if let Ok(mut cur) = CURRENT.lock() {
        *cur = Some((c.proc_title_template.clone(), vars));
    }
}

/// In a forked child: its role as `{title}` (and as the kernel's thread name).
pub fn set_child(role: &str) {
    let Some((template, vars)) = CURRENT.lock().ok().and_then(|c| c.clone()) else { return };
    if let Some(t) = expand(&template, role, &vars) {
        crate::sys::proctitle::set(&t);
        crate::sys::proctitle::set_comm(role);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars {
            port: 7777,
            tls_port: 0,
            bind0: Some("127.0.0.1".into()),
            unixsocket: None,
            config_file: None,
            cluster: false,
        }
    }

    #[test]
    fn expands_like_redis() {
        let v = vars();
        assert_eq!(
            expand("{title} {listen-addr} {server-mode}", "ferredis-server", &v).unwrap(),
            "ferredis-server 127.0.0.1:7777"
        );
        assert_eq!(expand("{{x} {port} {tls-port} {config-file}", "", &v).unwrap(), "{x} 7777 0 -");
        assert_eq!(expand("--my--title", "t", &v).unwrap(), "--my--title");
        // A lone `}` is literal.
        assert_eq!(expand("a}b", "", &v).unwrap(), "a}b");
        let unix = Vars { port: 0, unixsocket: Some("/tmp/s".into()), ..vars() };
        assert_eq!(expand("{listen-addr} [{unixsocket}]", "", &unix).unwrap(), "unixsocket:/tmp/s [/tmp/s]");
    }

    #[test]
    fn validation_like_redis() {
        let v = vars();
        assert!(is_valid("{title}{port}", &v));
        assert!(!is_valid("{title}", &v)); // empty with an empty title
        assert!(!is_valid("   {server-mode} ", &v));
        assert!(!is_valid("{unknown}", &v));
        assert!(!is_valid("{title", &v));
        assert!(!is_valid("x{", &v));
        assert!(is_valid("x}", &v));
    }
}
