//! Records the git sha and a build id for `INFO server` and `--version`.
use std::process::Command;

fn main() {
    let sha = Command::new("git")
        .args(["rev-parse", "--short=8", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "00000000".to_string());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let host = std::env::var("HOSTNAME").unwrap_or_default();
    // A build id in Redis's style: a hex hash of host, time and sha.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in format!("{host}-{secs}-{sha}").bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    println!("cargo:rustc-env=FERREDIS_GIT_SHA1={sha}");
    println!("cargo:rustc-env=FERREDIS_GIT_DIRTY={}", if dirty { 1 } else { 0 });
    println!("cargo:rustc-env=FERREDIS_BUILD_ID={h:016x}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/index");
}
