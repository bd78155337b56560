//! redis-py for the tests that run it (cluster, Sentinel): `python3` with `target/pydeps` on its path, and redis-py
//! installed there from PyPI on first use (`make deps` does it ahead).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where redis-py is installed for the tests.
pub fn pydeps() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pydeps")
}

/// `python3 <args>` with `target/pydeps` first on `PYTHONPATH`.
pub fn python(args: &[&str]) -> Command {
    let mut c = Command::new("python3");
    let mut path = pydeps().into_os_string();
    if let Some(old) = std::env::var_os("PYTHONPATH") {
        path.push(":");
        path.push(old);
    }
    c.args(args).env("PYTHONPATH", path);
    c
}

fn imports_redis() -> bool {
    python(&["-c", "import redis.cluster, redis.sentinel"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Whether redis-py can be imported, installing it from PyPI into target/pydeps when it cannot; `Err` says why not.
pub fn redis_py() -> Result<(), String> {
    if imports_redis() {
        return Ok(());
    }
    let target = pydeps();
    let out = python(&["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--retries", "0"])
        .args(["--timeout", "20", "--target"])
        .arg(&target)
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .arg("redis")
        .output()
        .map_err(|e| format!("python3 not runnable: {e}"))?;
    if imports_redis() {
        Ok(())
    } else {
        Err(format!(
            "redis-py not importable and `python3 -m pip install --target {} redis` failed: {}",
            target.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
