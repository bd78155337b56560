//! Passwords from the environment, for container images: `FERREDIS_PASSWORD` or `FERREDIS_PASSWORD_FILE` for
//! `requirepass`, `FERREDIS_MASTERAUTH` or `FERREDIS_MASTERAUTH_FILE` for `masterauth`.
//!
//! A `FROM scratch` image has no shell, so there is no entrypoint script to turn an environment variable into a
//! `--requirepass` option (and an option would show the password to anyone who lists processes). The server does
//! it itself, once, right after the configuration is loaded:
//!
//! - neither variable of a pair set (or both empty): nothing changes; the configuration stands as written;
//! - `FERREDIS_PASSWORD=secret`: `requirepass` becomes `secret`;
//! - `FERREDIS_PASSWORD_FILE=/run/secrets/ferredis`: `requirepass` becomes the file's content, one trailing
//!   newline (`\n` or `\r\n`) removed, as secret files usually end with one;
//! - and in both cases `protected-mode` is turned off: a server that requires a password may be reached from other
//!   hosts, which is what a container published on a port is for. Without a password protected mode stays as
//!   configured (on by default), so an image started without one only answers on loopback (its own health check);
//! - `FERREDIS_MASTERAUTH` / `FERREDIS_MASTERAUTH_FILE` set `masterauth` the same way (a replica's password for
//!   its master; the Compose example gives a replica both from one secret file). Protected mode is not touched.
//!
//! The environment wins over the config file: it is the deployment's last word, like a command-line option.
//! Both variables of a pair set, or an unreadable or empty file, stop the start with a clear
//! error (exit status 1, like a configuration error) instead of starting without the intended password. The
//! variables are read the same way on any host, not only in a container; an operator who never sets them sees no
//! difference. The passwords themselves are never logged; like any `requirepass`, CONFIG REWRITE would write them
//! into the config file (images keep that file read-only for the server's user, so the rewrite fails instead).
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
/// The variable holding the master's password (`masterauth`).
pub const MASTERAUTH_VAR: &str = "FERREDIS_MASTERAUTH";
/// The variable naming a file that holds the master's password.
pub const MASTERAUTH_FILE_VAR: &str = "FERREDIS_MASTERAUTH_FILE";

/// Applies the process environment to `cfg` (see the module documentation). `Err` is the message to print before
/// exiting with status 1.
pub fn apply_process_env(cfg: &mut Config) -> Result<(), String> {
    apply(cfg, |name| std::env::var_os(name))
}

/// Applies the variables `lookup` returns to `cfg`.
pub fn apply(cfg: &mut Config, lookup: impl Fn(&str) -> Option<OsString>) -> Result<(), String> {
    let requirepass = secret(&lookup, PASSWORD_VAR, PASSWORD_FILE_VAR)?;
    let masterauth = secret(&lookup, MASTERAUTH_VAR, MASTERAUTH_FILE_VAR)?;
    if let Some((password, source)) = requirepass {
        cfg.requirepass = Some(password);
        cfg.protected_mode = false;
        cfg.load_warnings.push(format!("requirepass set from {source}; protected-mode turned off"));
    }
    if let Some((password, source)) = masterauth {
        // As `masterauth <password>` stores it.
        cfg.extra.insert("masterauth", String::from_utf8_lossy(&password).into_owned());
        cfg.load_warnings.push(format!("masterauth set from {source}"));
    }
    Ok(())
}

/// The password one pair of variables gives (`var` itself, or the content of the file `file_var` names) and where
/// it came from, for the log; `None` when neither is set.
fn secret(
    lookup: &impl Fn(&str) -> Option<OsString>,
    var: &str,
    file_var: &str,
) -> Result<Option<(Vec<u8>, String)>, String> {
    let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
    match (get(var), get(file_var)) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(format!("Fatal error: both {var} and {file_var} are set; give the password one way")),
        (Some(v), None) => Ok(Some((std::os::unix::ffi::OsStringExt::into_vec(v), var.to_string()))),
        (None, Some(path)) => {
            let shown = path.to_string_lossy().into_owned();
            let mut body = std::fs::read(&path)
                .map_err(|e| format!("Fatal error, can't read the password file '{shown}' ({file_var}): {e}"))?;
            if body.ends_with(b"\n") {
                body.pop();
                if body.ends_with(b"\r") {
                    body.pop();
                }
            }
            if body.is_empty() {
                return Err(format!("Fatal error: the password file '{shown}' ({file_var}) is empty"));
            }
            Ok(Some((body, format!("{file_var} ({shown})"))))
        }
    }
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
    fn masterauth_from_its_own_variables_leaves_protected_mode() {
        let dir = std::env::temp_dir().join(format!("ferredis-envmasterauth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("pw");
        std::fs::write(&f, "shared secret\n").unwrap();
        let (r, cfg) = run(&[(MASTERAUTH_FILE_VAR, f.to_str().unwrap())]);
        assert_eq!(r, Ok(()));
        assert_eq!(cfg.stored_str("masterauth"), "shared secret");
        assert_eq!(cfg.requirepass, None);
        assert!(cfg.protected_mode);
        assert_eq!(cfg.load_warnings, vec![format!("masterauth set from FERREDIS_MASTERAUTH_FILE ({})", f.display())]);
        // One file for both passwords: a replica that also requires clients to authenticate.
        let (r, cfg) = run(&[(MASTERAUTH_FILE_VAR, f.to_str().unwrap()), (PASSWORD_FILE_VAR, f.to_str().unwrap())]);
        assert_eq!(r, Ok(()));
        assert_eq!(cfg.stored_str("masterauth"), "shared secret");
        assert_eq!(cfg.requirepass.as_deref(), Some(&b"shared secret"[..]));
        assert!(!cfg.protected_mode);
        let (r, cfg) = run(&[(MASTERAUTH_VAR, "m")]);
        assert_eq!(r, Ok(()));
        assert_eq!(cfg.stored_str("masterauth"), "m");
        assert_eq!(cfg.load_warnings, vec!["masterauth set from FERREDIS_MASTERAUTH"]);
        let (r, _) = run(&[(MASTERAUTH_VAR, "a"), (MASTERAUTH_FILE_VAR, "/x")]);
        assert!(r.unwrap_err().contains("both FERREDIS_MASTERAUTH and FERREDIS_MASTERAUTH_FILE are set"));
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
