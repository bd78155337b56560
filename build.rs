//! Records the git sha, a build id and the compiler's version for `INFO server` and `--version`, and sets
//! `cfg(bsd)` on the BSD family.
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
    println!("cargo:rustc-env=FERREDIS_RUSTC_VERSION={}", rustc_version());
    // `cfg(bsd)`: the BSD family, macOS included, where the poller is kqueue and a socket address carries its own
    // length; one name instead of the six-system list at each place that depends on it.
    println!("cargo::rustc-check-cfg=cfg(bsd)");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(os.as_str(), "macos" | "ios" | "freebsd" | "openbsd" | "netbsd" | "dragonfly") {
        println!("cargo:rustc-cfg=bsd");
    }
    // In a linked worktree `.git` is a file, so ask git where HEAD and the index really are (a watched path that
    // does not exist would rerun this script, and rebuild the crate, on every cargo command).
    for name in ["HEAD", "index"] {
        let path = Command::new("git")
            .args(["rev-parse", "--git-path", name])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        if let Some(path) = path.filter(|p| std::path::Path::new(p).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The dotted version of the rustc building this crate (`rustc 1.95.0 (59807616e 2026-04-14)` and
/// `rustc 1.97.0-nightly (...)` give `1.95.0` and `1.97.0`), `0.0.0` when it cannot be asked. Cargo names the
/// compiler in `RUSTC` and rebuilds everything, this script included, when it changes.
fn rustc_version() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc).arg("-V").output().ok().filter(|o| o.status.success());
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    let version = text.split_whitespace().nth(1).unwrap_or_default();
    let dotted: String = version.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    if dotted.split('.').count() == 3 && dotted.split('.').all(|p| !p.is_empty()) {
        dotted
    } else {
        "0.0.0".to_string()
    }
}
