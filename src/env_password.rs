//! The password from the environment, for container images: `FERREDIS_PASSWORD` or `FERREDIS_PASSWORD_FILE`.
//!
//! A `FROM scratch` image has no shell, so there is no entrypoint script to turn an environment variable into a
//! `--requirepass` option. The server does it itself, once, right after the configuration is loaded:
//!
//! - neither variable set (or both empty): nothing changes; the configuration stands as written;
//! - `FERREDIS_PASSWORD=secret`: `requirepass` becomes `secret`;
//! - `FERREDIS_PASSWORD_FILE=/run/secrets/ferredis`: `requirepass` becomes the file's content, one trailing
//!   newline (`\n` or `\r\n`) removed, as secret files usually end with one;
//! - and in both cases `protected-mode` is turned off: a server that requires a password may be reached from other
//!   hosts, which is what a container published on a port is for. Without a password protected mode stays as
//!   configured (on by default), so an image started without one only answers on loopback (its own health check).
//!
//! The environment wins over the config file: it is the deployment's last word, like a command-line option.
//! Both variables set, or an unreadable or empty file, stop the start with a clear
//! error (exit status 1, like a configuration error) instead of starting without the intended password. The
//! variables are read the same way on any host, not only in a container; an operator who never sets them sees no
//! difference. The password itself is never logged; like any `requirepass`, CONFIG REWRITE would write it into
//! the config file (images keep that file read-only for the server's user, so the rewrite fails instead).
//!
//! Tested by the unit tests below (a lookup function stands in for the environment) and end to end by
//! `tests/operations/deploy.rs` (a server started with each variable, and the container test when podman can run it).

#![forbid(unsafe_code)]

use crate::config::Config;
use std::ffi::OsString;

/// The variable holding the password itself.
pub const PASSWORD_VAR: &str = "FERREDIS_PASSWORD";
/// The variable naming a file that holds the password (Docker/Kubernetes secrets).
pub const PASSWORD_FILE_VAR: &str = "FERREDIS_PASSWORD_FILE";

/// Applies the process environment to `cfg` (see the module documentation). `Err` is the message to print before
/// exiting with status 1.
pub fn apply_process_env(cfg: &mut Config) -> Result<(), String> {
    apply(cfg, |name| std::env::var_os(name))
}

/// Applies the variables `lookup` returns to `cfg`.
pub fn apply(cfg: &mut Config, lookup: impl Fn(&str) -> Option<OsString>) -> Result<(), String> {
    let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
    let (password, source) = match (get(PASSWORD_VAR), get(PASSWORD_FILE_VAR)) {
        (None, None) => return Ok(()),
        (Some(_), Some(_)) => {
            return Err(format!(
                "Fatal error: both {PASSWORD_VAR} and {PASSWORD_FILE_VAR} are set; give the password one way"
            ))
        }
        (Some(v), None) => (std::os::unix::ffi::OsStringExt::into_vec(v), PASSWORD_VAR.to_string()),
        (None, Some(path)) => {
            let shown = path.to_string_lossy().into_owned();
            let mut body = std::fs::read(&path).map_err(|e| {
                format!("Fatal error, can't read the password file '{shown}' ({PASSWORD_FILE_VAR}): {e}")
            })?;
            if body.ends_with(b"\n") {
                body.pop();
                if body.ends_with(b"\r") {
                    body.pop();
                }
            }
            if body.is_empty() {
                return Err(format!("Fatal error: the password file '{shown}' ({PASSWORD_FILE_VAR}) is empty"));
            }
            (body, format!("{PASSWORD_FILE_VAR} ({shown})"))
        }
    };
    cfg.requirepass = Some(password);
    cfg.protected_mode = false;
    cfg.load_warnings.push(format!("requirepass set from {source}; protected-mode turned off"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(vars: &[(&str, &str)]) -> (Result<(), String>, Config) {
        let mut cfg = Config::default();
        let r = apply(&mut cfg, |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v)));
        (r, cfg)
    }

    #[test]
    fn nothing_set_changes_nothing() {
        let (r, cfg) = run(&[]);
        assert_eq!(r, Ok(()));
        assert_eq!(cfg.requirepass, None);
        assert!(cfg.protected_mode);
        assert!(cfg.load_warnings.is_empty());
        // Empty values count as unset (a compose file's `FERREDIS_PASSWORD: ""`).
        let (r, cfg) = run(&[(PASSWORD_VAR, ""), (PASSWORD_FILE_VAR, "")]);
        assert_eq!(r, Ok(()));
        assert_eq!(cfg.requirepass, None);
        assert!(cfg.protected_mode);
    }

    #[test]
    fn password_variable_sets_requirepass_and_lifts_protected_mode() {
        let (r, cfg) = run(&[(PASSWORD_VAR, "s3cret pass")]);
        assert_eq!(r, Ok(()));
        assert_eq!(cfg.requirepass.as_deref(), Some(&b"s3cret pass"[..]));
        assert!(!cfg.protected_mode);
        assert_eq!(cfg.load_warnings, vec!["requirepass set from FERREDIS_PASSWORD; protected-mode turned off"]);
        assert!(!cfg.load_warnings[0].contains("s3cret"), "the password must not be logged");
    }

    #[test]
    fn password_file_loses_one_trailing_newline() {
        let dir = std::env::temp_dir().join(format!("ferredis-envpw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (body, want) in [("abc\n", "abc"), ("abc\r\n", "abc"), ("abc", "abc"), ("a b\n\n", "a b\n")] {
            let f = dir.join("pw");
            std::fs::write(&f, body).unwrap();
            let (r, cfg) = run(&[(PASSWORD_FILE_VAR, f.to_str().unwrap())]);
            assert_eq!(r, Ok(()), "{body:?}");
            assert_eq!(cfg.requirepass.as_deref(), Some(want.as_bytes()), "{body:?}");
            assert!(!cfg.protected_mode);
        }
        let f = dir.join("empty");
        std::fs::write(&f, "\n").unwrap();
        let (r, cfg) = run(&[(PASSWORD_FILE_VAR, f.to_str().unwrap())]);
        assert!(r.unwrap_err().contains("is empty"));
        assert_eq!(cfg.requirepass, None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn errors_stop_the_start() {
        let (r, cfg) = run(&[(PASSWORD_VAR, "a"), (PASSWORD_FILE_VAR, "/x")]);
        assert!(r.unwrap_err().contains("both FERREDIS_PASSWORD and FERREDIS_PASSWORD_FILE are set"));
        assert!(cfg.protected_mode);
        let (r, _) = run(&[(PASSWORD_FILE_VAR, "/nonexistent/ferredis/pw")]);
        let e = r.unwrap_err();
        assert!(e.starts_with("Fatal error, can't read the password file '/nonexistent/ferredis/pw'"), "{e}");
    }
}
