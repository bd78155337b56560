//! Deployment: the server under systemd (`supervised systemd|auto`, the sd_notify datagrams compared with
//! Debian's redis-server), the unit file (`systemd-analyze verify`/`security` when installed, and the unit run by
//! a real systemd booted in a podman container when that works here), `make install` into a
//! DESTDIR, the password from the environment, the container image (built and run with podman when it can run
//! containers here, else skipped with the reason), docker-compose.yml and the Kubernetes manifests (parsed by a
//! small YAML reader below and checked field by field).

use crate::common;

use common::{free_port, Conn, KillOnDrop, TempDir};
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn has_command(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()))
}

struct Proc {
    child: KillOnDrop,
    log: PathBuf,
}

impl Proc {
    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st;
            }
            assert!(Instant::now() < deadline, "server did not exit; log:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Starts `bin` in `dir` with `args` and `env` (everything else of the environment that matters removed), its
/// output in `dir/server.log`.
fn spawn(bin: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Proc {
    let log = dir.join("server.log");
    let out = std::fs::File::create(&log).expect("create log");
    let err = out.try_clone().expect("clone log");
    let mut cmd = Command::new(bin);
    cmd.args(args).current_dir(dir).stdin(Stdio::null()).stdout(out).stderr(err);
    for var in [
        "NOTIFY_SOCKET",
        "UPSTART_JOB",
        "FERREDIS_PASSWORD",
        "FERREDIS_PASSWORD_FILE",
        "FERREDIS_MASTERAUTH",
        "FERREDIS_MASTERAUTH_FILE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
    Proc { child: KillOnDrop(child), log }
}

fn wait_answering(p: &mut Proc, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(st)) = p.child.try_wait() {
            panic!("server exited ({st}); log:\n{}", p.log_text());
        }
        if let Ok(mut c) = Conn::try_connect(port) {
            if c.try_cmd(&["PING"]).is_ok() {
                return;
            }
        }
        assert!(Instant::now() < deadline, "server not answering on {port}; log:\n{}", p.log_text());
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// systemd: sd_notify over NOTIFY_SOCKET

/// One `field:value` of an INFO reply.
fn info_field(info: &str, field: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')))
        .unwrap_or_else(|| panic!("no {field} in INFO:\n{info}"))
        .trim()
        .to_string()
}

fn info_server(port: u16) -> String {
    String::from_utf8_lossy(&Conn::connect(port).cmd(&["INFO", "server"])).into_owned()
}

/// What a run under a fake systemd saw: the datagrams in order, the log, and INFO's `process_supervised`.
struct NotifyRun {
    datagrams: Vec<String>,
    log: String,
    supervised: String,
}

/// Runs `bin` under a fake systemd (a datagram socket the test owns) with `supervised`, reads INFO, then
/// SHUTDOWN NOSAVE.
fn notify_run(bin: &Path, supervised: &str, extra: &[&str]) -> NotifyRun {
    let dir = TempDir::new("deploy-notify");
    let sock = dir.path().join("notify.sock");
    let rx = UnixDatagram::bind(&sock).expect("bind the notify socket");
    rx.set_read_timeout(Some(Duration::from_secs(15))).expect("timeout");
    let port = free_port();
    let port_s = port.to_string();
    let mut args = vec!["--port", &port_s, "--bind", "127.0.0.1", "--save", "", "--supervised", supervised];
    args.extend_from_slice(extra);
    let mut p = spawn(bin, dir.path(), &args, &[("NOTIFY_SOCKET", sock.to_str().expect("UTF-8 path"))]);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    // The start: loading status, ready status, READY=1.
    while got.len() < 3 {
        match rx.recv(&mut buf) {
            Ok(n) => got.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(e) => panic!("no datagram after {got:?}: {e}; log:\n{}", p.log_text()),
        }
    }
    wait_answering(&mut p, port);
    let supervised = info_field(&info_server(port), "process_supervised");
    let mut c = Conn::connect(port);
    c.send(&["SHUTDOWN", "NOSAVE"]).expect("send SHUTDOWN");
    let (_, closed) = c.read_until_close(15_000);
    assert!(closed, "SHUTDOWN did not close the connection");
    let st = p.wait_exit();
    assert!(st.success(), "exit status {st}; log:\n{}", p.log_text());
    rx.set_nonblocking(true).expect("nonblocking");
    while let Ok(n) = rx.recv(&mut buf) {
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    NotifyRun { datagrams: got, log: p.log_text(), supervised }
}

const NOTIFY_SEQUENCE: [&str; 4] =
    ["STATUS=Redis is loading...\n", "STATUS=Ready to accept connections\n", "READY=1\n", "STOPPING=1\n"];
const SYSTEMD_NOTICE: &str = "Supervised by systemd. Please make sure you set appropriate values for \
                              TimeoutStartSec and TimeoutStopSec in your service unit.";

#[test]
fn supervised_systemd_sends_status_ready_and_stopping() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let run = notify_run(&common::ferredis_bin(), "systemd", &[]);
    let log = &run.log;
    assert_eq!(run.datagrams, NOTIFY_SEQUENCE, "log:\n{log}");
    assert!(log.contains(SYSTEMD_NOTICE), "{log}");
    // Ready only after the listeners are up: the log says so before READY=1 went out.
    assert!(log.contains("Ready to accept connections"), "{log}");
    assert_eq!(run.supervised, "systemd");
    // Debian's redis-server (built with systemd support) sends the same datagrams in the same order.
    let redis = notify_run(&common::redis_bin(), "systemd", &[]);
    assert_eq!(run.datagrams, redis.datagrams, "redis-server log:\n{}", redis.log);
    assert!(redis.log.contains(SYSTEMD_NOTICE), "{}", redis.log);
    assert_eq!(redis.supervised, "systemd");
}

#[test]
fn supervised_auto_picks_systemd_from_notify_socket() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let run = notify_run(&common::ferredis_bin(), "auto", &["--loglevel", "verbose"]);
    let log = &run.log;
    assert_eq!(run.datagrams, NOTIFY_SEQUENCE, "log:\n{log}");
    assert!(log.contains("Systemd supervision detected."), "{log}");
    assert!(log.contains(SYSTEMD_NOTICE), "{log}");
    assert_eq!(run.supervised, "systemd");
    let redis = notify_run(&common::redis_bin(), "auto", &["--loglevel", "verbose"]);
    assert_eq!(run.datagrams, redis.datagrams);
    assert!(redis.log.contains("Systemd supervision detected."), "{}", redis.log);
    assert_eq!(redis.supervised, "systemd");
}

#[test]
fn supervised_systemd_without_notify_socket_warns_and_runs() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for bin in [common::ferredis_bin(), common::redis_bin()] {
        let dir = TempDir::new("deploy-nosock");
        let port = free_port();
        let port_s = port.to_string();
        let mut p = spawn(
            &bin,
            dir.path(),
            &["--port", &port_s, "--bind", "127.0.0.1", "--save", "", "--supervised", "systemd"],
            &[],
        );
        wait_answering(&mut p, port);
        let log = p.log_text();
        assert!(log.contains("systemd supervision error: NOTIFY_SOCKET not found!"), "{}: {log}", bin.display());
        assert!(!log.contains("Supervised by systemd"), "{log}");
        // Not supervised after all: INFO says so, as Redis's does.
        assert_eq!(info_field(&info_server(port), "process_supervised"), "no", "{}", bin.display());
    }
}

/// INFO's `gcc_version` is the version of the rustc that built the server (Redis's is its C compiler's): the
/// dotted form scripts parse, and the compiler this checkout builds with.
#[test]
fn info_reports_the_compiler_version() {
    let dir = TempDir::new("deploy-info");
    let port = free_port();
    let port_s = port.to_string();
    let mut p = spawn(&common::ferredis_bin(), dir.path(), &["--port", &port_s, "--save", ""], &[]);
    wait_answering(&mut p, port);
    let info = info_server(port);
    let version = info_field(&info, "gcc_version");
    let parts: Vec<&str> = version.split('.').collect();
    assert!(parts.len() == 3 && parts.iter().all(|n| n.parse::<u32>().is_ok()), "gcc_version:{version}");
    assert_ne!(version, "0.0.0");
    assert_eq!(info_field(&info, "process_supervised"), "no");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    match Command::new(rustc).arg("-V").output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(text.starts_with(&format!("rustc {version}")), "gcc_version:{version}, but {text}");
        }
        _ => println!("skipped: comparing gcc_version with `rustc -V` (no rustc on PATH)"),
    }
}

/// `key=value` lines of a unit file's sections, in order (repeated keys kept).
fn unit_keys(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.to_string();
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("not a key=value line: {line}"));
        out.push((section.clone(), k.trim().to_string(), v.trim().to_string()));
    }
    out
}

#[test]
fn systemd_unit_is_notify_hardened_and_verifies() {
    let text = read("deploy/systemd/ferredis.service");
    let keys = unit_keys(&text);
    let get = |k: &str| -> &str {
        keys.iter()
            .find(|(s, key, _)| s == "Service" && key == k)
            .map(|(_, _, v)| v.as_str())
            .unwrap_or_else(|| panic!("[Service] {k}= missing"))
    };
    assert_eq!(get("Type"), "notify");
    assert_eq!(
        get("ExecStart"),
        "/usr/local/bin/ferredis-server /etc/ferredis/ferredis.conf --supervised systemd --daemonize no"
    );
    for k in ["TimeoutStartSec", "TimeoutStopSec", "LimitNOFILE"] {
        assert!(get(k).chars().next().is_some_and(|c| c.is_ascii_digit()), "{k}={}", get(k));
    }
    assert_eq!(get("User"), "ferredis");
    assert_eq!(get("WorkingDirectory"), "/var/lib/ferredis");
    assert_eq!(get("StateDirectory"), "ferredis");
    assert_eq!(get("ReadWritePaths"), "-/var/lib/ferredis");
    for (k, v) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("SystemCallFilter", "@system-service"),
        ("SystemCallErrorNumber", "EPERM"),
    ] {
        assert_eq!(get(k), v, "{k}");
    }
    // What the server needs must stay allowed: no ProcSubset=pid (it reads /proc/meminfo and /proc/sys), no
    // private network, no ban on fork (BGSAVE).
    for banned in ["ProcSubset", "PrivateNetwork", "RestrictFileSystems"] {
        assert!(!keys.iter().any(|(_, k, _)| k == banned), "{banned} would break the server");
    }
    let sysusers = read("deploy/systemd/ferredis.sysusers");
    assert!(sysusers.lines().any(|l| l.starts_with("u ferredis ")), "{sysusers}");

    if !has_command("systemd-analyze") {
        println!("skipped: systemd-analyze verify (systemd-analyze is not installed; apt-get install systemd)");
        return;
    }
    // verify wants ExecStart's binary to exist: point it at the one under test.
    let dir = TempDir::new("deploy-unit");
    let unit = dir.path().join("ferredis.service");
    let bin = common::ferredis_bin();
    std::fs::write(&unit, text.replace("/usr/local/bin/ferredis-server", bin.to_str().expect("UTF-8 path")))
        .expect("write unit");
    let out = Command::new("systemd-analyze").arg("verify").arg(&unit).output().expect("run systemd-analyze");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "systemd-analyze verify failed: {stdout}{stderr}");
    // verify exits 0 even for unknown keys or bad values; it reports them on stderr.
    let problems: Vec<&str> = stderr.lines().filter(|l| l.contains("ferredis.service")).collect();
    assert!(problems.is_empty(), "systemd-analyze verify:\n{stderr}");

    // The hardening as systemd scores it (0 = locked down, 10 = exposed); 1.4 when this was written.
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&unit)
        .output()
        .expect("run systemd-analyze security");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let Some(score) = text.lines().find_map(|l| l.split("Overall exposure level for ferredis.service: ").nth(1)) else {
        println!("skipped: systemd-analyze security --offline (this systemd cannot score offline): {text}");
        return;
    };
    let score: f64 = score.split_whitespace().next().and_then(|s| s.parse().ok()).expect("a numeric score");
    assert!(score <= 2.0, "exposure {score} > 2.0:\n{text}");
}

/// Output of `podman exec <container> <args>` (stdout, trimmed), or the failure with its output.
fn exec_in(container: &str, args: &[&str]) -> Result<String, String> {
    run_ok(podman().arg("exec").arg(container).args(args))
}

/// Why `target/static/ferredis-server` cannot stand for this checkout: missing, or older than a source file (a
/// stale binary would test yesterday's server). These tests never build it (a static LTO build is minutes).
fn static_binary_unusable() -> Option<String> {
    let bin = repo().join("target/static/ferredis-server");
    let Ok(built) = std::fs::metadata(&bin).and_then(|m| m.modified()) else {
        return Some(
            "target/static/ferredis-server is missing (run `make static` first; this test does not build it)".into(),
        );
    };
    fn newest(dir: &Path) -> Option<std::time::SystemTime> {
        let mut best = None;
        for e in std::fs::read_dir(dir).ok()?.flatten() {
            let p = e.path();
            let t = if p.is_dir() { newest(&p) } else { e.metadata().ok().and_then(|m| m.modified().ok()) };
            best = best.max(t);
        }
        best
    }
    match newest(&repo().join("src")) {
        Some(src) if src > built => {
            Some("target/static/ferredis-server is older than src/ (run `make static` to test this checkout)".into())
        }
        _ => None,
    }
}

/// The stripped static server fits its budget, 3,955,000 bytes (3,000,000 for Redis 7.0's command set; deploy/README.md
/// says what the commands past 7.0 and Sentinel added). The budget is for the build `make static`
/// makes by default (musl, the standard library rebuilt by nightly `-Z build-std`), which it names in
/// target/static.build; a fallback build (no nightly rust-src: stable's prebuilt std, or glibc) is reported and
/// skipped, as `make static` reports it.
#[test]
fn static_server_fits_the_size_budget() {
    const BUDGET: u64 = 3_955_000;
    if let Some(why) = static_binary_unusable() {
        println!("skipped: {why}");
        return;
    }
    let build = std::fs::read_to_string(repo().join("target/static.build")).unwrap_or_default();
    let stripped = repo().join("target/static/ferredis-server.stripped");
    let size = std::fs::metadata(&stripped).expect("make static writes the stripped copy").len();
    let full = repo().join("target/static/ferredis-server");
    let full_size = std::fs::metadata(&full).expect("the static server").len();
    assert!(size < full_size, "the stripped copy ({size}) is smaller than the binary with symbols ({full_size})");
    let ldd = Command::new("ldd")
        .arg(&full)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
        .unwrap_or_default();
    assert!(
        ldd.contains("not a dynamic executable") || ldd.contains("statically linked"),
        "the static server links nothing dynamically: {ldd}"
    );
    if !build.contains("build-std") {
        println!(
            "skipped: the size budget applies to the musl + -Z build-std build; target/static holds {:?} \
             ({size} bytes stripped)",
            build.trim()
        );
        return;
    }
    assert!(build.starts_with("x86_64-unknown-linux-musl") || build.contains("musl"), "{build}");
    assert!(size <= BUDGET, "ferredis-server stripped is {size} bytes, over the {BUDGET}-byte budget ({build})");
}

/// The static build's crash reports name the stack (musl has no `backtrace(3)`; `sys/fatal.rs` unwinds with
/// libunwind, from the interrupted registers for a fatal signal): DEBUG SEGFAULT and DEBUG PANIC, each in a fresh
/// server, must show the command's frames under `------ STACK TRACE ------`.
#[test]
fn static_server_crash_reports_have_the_stack() {
    if let Some(why) = static_binary_unusable() {
        println!("skipped: {why}");
        return;
    }
    let bin = repo().join("target/static/ferredis-server");
    for (sub, frames) in [
        ("segfault", &["crash_segfault", "debugCommand", "process_input"][..]),
        ("panic", &["crash_panic", "debugCommand", "process_input"][..]),
    ] {
        let dir = TempDir::new("deploy-crash");
        let port = free_port();
        let port_s = port.to_string();
        let mut p = spawn(&bin, dir.path(), &["--port", &port_s, "--save", "", "--enable-debug-command", "yes"], &[]);
        wait_answering(&mut p, port);
        let mut c = Conn::connect(port);
        let _ = c.try_cmd(&["DEBUG", sub]);
        let st = p.wait_exit();
        assert!(!st.success(), "DEBUG {sub} ends the server");
        let log = p.log_text();
        let trace = log.split("------ STACK TRACE ------").nth(1).unwrap_or_else(|| panic!("no stack trace:\n{log}"));
        let trace = trace.split("------ ").next().unwrap_or_default();
        for f in frames {
            assert!(trace.contains(f), "DEBUG {sub}: {f} missing from the stack trace:\n{trace}");
        }
    }
}

#[test]
fn systemd_unit_runs_under_real_systemd() {
    // This host has no systemd as PID 1, so boot one in a container whose root is this machine's own file system
    // behind an overlay (`--rootfs /:O`: writes are thrown away) and without network (`--network none`), up to
    // sysinit.target only (journald, sysusers; none of the host's services), then start the real unit in it.
    let bin = repo().join("target/static/ferredis-server");
    if let Some(why) = static_binary_unusable() {
        println!("skipped: {why}");
        return;
    }
    if !has_command("podman") || !Path::new("/lib/systemd/systemd").is_file() {
        println!("skipped: needs podman (apt-get install podman runc) and systemd installed on the host");
        return;
    }
    let dir = TempDir::new("deploy-systemd");
    let files = [
        (repo().join("deploy/systemd/ferredis.service"), "/etc/systemd/system/ferredis.service"),
        (repo().join("deploy/systemd/ferredis.sysusers"), "/etc/sysusers.d/ferredis.conf"),
        (repo().join("ferredis.conf"), "/etc/ferredis/ferredis.conf"),
        (bin, "/usr/local/bin/ferredis-server"),
    ];
    let name = format!("ferredis-systemd-test-{}", std::process::id());
    let mut c = podman();
    // CAP_SYS_ADMIN lets that systemd build the unit's mount namespace (ProtectSystem=, PrivateTmp=, ...); without
    // it systemd quietly runs the service without one.
    c.args(["run", "-d", "--name", &name, "--network", "none", "--systemd=always", "--cap-add", "SYS_ADMIN"]);
    c.args(["--ulimit", "nofile=10032:10032", "--ulimit", "nproc=4096:4096"]);
    // The host's /tmp and /run hold other programs' sockets, which podman's default copy-up cannot copy.
    c.args(["--tmpfs", "/tmp:rw,notmpcopyup", "--tmpfs", "/run:rw,notmpcopyup"]);
    for (i, (src, dst)) in files.iter().enumerate() {
        // Copies, so the container never holds the repository's files open.
        let copy = dir.path().join(format!("f{i}"));
        std::fs::copy(src, &copy).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        if dst.ends_with("ferredis.conf") && dst.starts_with("/etc/ferredis") {
            // The reference config plus syslog, to see the log reach /dev/log through PrivateDevices=.
            let mut text = std::fs::read_to_string(&copy).expect("read config copy");
            text.push_str("\nsyslog-enabled yes\nsyslog-ident ferredis-syslog-test\n");
            std::fs::write(&copy, text).expect("write config copy");
        }
        c.args(["-v", &format!("{}:{dst}:ro", copy.display())]);
    }
    c.args(["--rootfs", "/:O", "/lib/systemd/systemd", "--unit=sysinit.target"]);
    // Removed on every way out, including a failed start (which may leave a created container behind).
    let _container = Container(name.clone());
    if let Err(e) = run_ok(&mut c) {
        println!("skipped: podman cannot boot systemd in a container here: {e}");
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = exec_in(&name, &["systemctl", "is-system-running"]).unwrap_or_else(|e| e);
        if state.ends_with("running") || state.ends_with("degraded") {
            break;
        }
        if Instant::now() > deadline {
            println!("skipped: systemd did not come up in the container (last state: {state})");
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let journal = || exec_in(&name, &["journalctl", "-u", "ferredis", "-o", "cat", "--no-pager"]).unwrap_or_else(|e| e);
    // Type=notify: `systemctl start` returns once READY=1 arrived.
    if let Err(e) = exec_in(&name, &["systemctl", "start", "ferredis"]) {
        panic!("systemctl start ferredis: {e}\n{}", journal());
    }
    let show = |props: &str| exec_in(&name, &["systemctl", "show", "ferredis", "-p", props]).expect("systemctl show");
    assert_eq!(show("ActiveState"), "ActiveState=active", "{}", journal());
    assert_eq!(show("StatusText"), "StatusText=Ready to accept connections");
    assert_eq!(exec_in(&name, &["id", "-un", "ferredis"]).expect("the sysusers entry made a user"), "ferredis");
    // The sandbox is really in place around the server: seccomp, no new privileges, no capabilities, a read-only
    // root with only the state directory writable, no /home, a private /tmp.
    let pid = exec_in(&name, &["systemctl", "show", "ferredis", "-p", "MainPID", "--value"]).expect("MainPID");
    let status = exec_in(&name, &["cat", &format!("/proc/{pid}/status")]).expect("status");
    for want in ["Seccomp:\t2", "NoNewPrivs:\t1", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000"] {
        assert!(status.contains(want), "no {want:?} in the server's status:\n{status}");
    }
    let mounts = exec_in(&name, &["cat", &format!("/proc/{pid}/mountinfo")]).expect("mountinfo");
    let mount = |point: &str| {
        mounts
            .lines()
            .rfind(|l| l.split(' ').nth(4) == Some(point))
            .unwrap_or_else(|| panic!("no mount at {point}:\n{mounts}"))
            .to_string()
    };
    assert!(mount("/").split(' ').nth(5).is_some_and(|o| o.starts_with("ro")), "{}", mount("/"));
    assert!(mount("/var/lib/ferredis").split(' ').nth(5).is_some_and(|o| o.starts_with("rw")));
    assert!(mount("/home").contains("inaccessible"), "{}", mount("/home"));
    assert!(mount("/tmp").contains("systemd-private-"), "{}", mount("/tmp"));
    // Snapshots and an AOF rewrite (forked children) under the sandbox: only /var/lib/ferredis is writable.
    let cli = |args: &[&str]| {
        let mut argv = vec!["redis-cli", "-p", "6379"];
        argv.extend_from_slice(args);
        exec_in(&name, &argv).unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", journal()))
    };
    assert_eq!(cli(&["SET", "k", "v"]), "OK");
    assert_eq!(cli(&["CONFIG", "GET", "dir"]), "dir\n/var/lib/ferredis");
    // What INFO reads from /proc (ProtectProc=invisible, no ProcSubset) is still there.
    let info = cli(&["INFO", "memory"]);
    for field in ["used_memory_rss:", "total_system_memory:"] {
        let v = info.lines().find_map(|l| l.strip_prefix(field)).unwrap_or_else(|| panic!("no {field}: {info}"));
        assert!(v.trim().parse::<u64>().is_ok_and(|n| n > 0), "{field}{v}");
    }
    assert_eq!(cli(&["BGSAVE"]), "Background saving started");
    common::wait_for("the snapshot under systemd", || {
        cli(&["INFO", "persistence"]).contains("rdb_bgsave_in_progress:0")
    });
    assert_eq!(cli(&["CONFIG", "SET", "appendonly", "yes"]), "OK");
    common::wait_for("the AOF rewrite under systemd", || {
        journal().contains("Background AOF rewrite finished successfully")
    });
    let info = cli(&["INFO", "persistence"]);
    assert!(info.contains("rdb_last_bgsave_status:ok") && info.contains("aof_last_bgrewrite_status:ok"), "{info}");
    // SIGTERM from systemctl stop: the final save, STOPPING=1, exit status 0.
    exec_in(&name, &["systemctl", "stop", "ferredis"]).expect("systemctl stop");
    assert_eq!(show("Result"), "Result=success", "{}", journal());
    assert_eq!(show("ExecMainStatus"), "ExecMainStatus=0");
    let syslog =
        exec_in(&name, &["journalctl", "-t", "ferredis-syslog-test", "-o", "cat", "--no-pager"]).unwrap_or_else(|e| e);
    assert!(syslog.contains("Ready to accept connections"), "nothing reached syslog: {syslog}");
    let log = journal();
    for line in ["Supervised by systemd", "Saving the final RDB snapshot before exiting.", "ready to exit, bye bye"] {
        assert!(log.contains(line), "no {line:?} in the journal:\n{log}");
    }
    for bad in ["Operation not permitted", "Permission denied", "Read-only file system", "Bad system call"] {
        assert!(!log.contains(bad), "{bad:?} in the journal:\n{log}");
    }
    let files = exec_in(&name, &["ls", "-l", "/var/lib/ferredis"]).expect("ls");
    assert!(
        files.lines().any(|l| l.starts_with("-rw------- 1 ferredis ferredis") && l.ends_with(" dump.rdb")),
        "{files}"
    );
    assert!(files.lines().any(|l| l.starts_with("drwx") && l.ends_with(" appendonlydir")), "{files}");
}

// ---------------------------------------------------------------------------------------------------------------
// make install

fn make_install(destdir: &Path, extra: &[&str]) -> String {
    let bin_dir = common::ferredis_bin().parent().expect("binary directory").to_path_buf();
    let out = Command::new("make")
        .arg("-C")
        .arg(repo())
        .arg("--no-print-directory")
        .arg("install")
        .arg(format!("DESTDIR={}", destdir.display()))
        .arg(format!("BIN_DIR={}", bin_dir.display()))
        .args(extra)
        .output()
        .expect("run make (is make installed?)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "make install failed:\n{text}");
    text
}

fn files_under(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).expect("under root").to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[test]
fn make_install_puts_binaries_config_and_unit_in_place() {
    // BIN_DIR points at the binaries cargo built for this test run, so nothing is rebuilt.
    let dest = TempDir::new("deploy-install");
    let log = make_install(dest.path(), &[]);
    let bin_dir = common::ferredis_bin().parent().expect("binary directory").to_path_buf();
    let mut want: Vec<String> = ["ferredis-server", "ferredis-check-aof", "ferredis-check-rdb", "ferredis-cli"]
        .iter()
        .filter(|b| **b != "ferredis-cli" || bin_dir.join(b).is_file())
        .map(|b| format!("usr/local/bin/{b}"))
        .collect();
    want.extend(
        [
            "usr/local/bin/ferredis-sentinel",
            "etc/ferredis/ferredis.conf",
            "etc/ferredis/sentinel.conf",
            "usr/local/lib/systemd/system/ferredis.service",
            "usr/local/lib/systemd/system/ferredis-sentinel.service",
            "usr/local/lib/sysusers.d/ferredis.conf",
        ]
        .map(String::from),
    );
    want.sort();
    assert_eq!(files_under(dest.path()), want, "make install output:\n{log}");
    let root = dest.path();
    assert_eq!(std::fs::read_to_string(root.join("etc/ferredis/ferredis.conf")).unwrap(), read("ferredis.conf"));
    assert_eq!(
        std::fs::read_to_string(root.join("usr/local/lib/systemd/system/ferredis.service")).unwrap(),
        read("deploy/systemd/ferredis.service")
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(root.join("usr/local/bin/ferredis-server")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o755);
    let installed = root.join("usr/local/bin/ferredis-server");
    let out = Command::new(&installed).arg("--version").output().expect("run the installed server");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ferredis server v="));
    // ferredis-sentinel is the server under the name that starts a sentinel.
    let link = std::fs::read_link(root.join("usr/local/bin/ferredis-sentinel")).expect("a symbolic link");
    assert_eq!(link, Path::new("ferredis-server"));
    assert_eq!(
        std::fs::read_to_string(root.join("etc/ferredis/sentinel.conf")).unwrap(),
        read("deploy/sentinel/sentinel.conf")
    );
    assert_eq!(
        std::fs::read_to_string(root.join("usr/local/lib/systemd/system/ferredis-sentinel.service")).unwrap(),
        read("deploy/systemd/ferredis-sentinel.service")
    );

    // A second install keeps the administrator's config.
    std::fs::write(root.join("etc/ferredis/ferredis.conf"), "port 7000\n").unwrap();
    let log = make_install(dest.path(), &[]);
    assert!(log.contains("kept the existing"), "{log}");
    assert_eq!(std::fs::read_to_string(root.join("etc/ferredis/ferredis.conf")).unwrap(), "port 7000\n");

    // Another PREFIX and SYSCONFDIR: the unit follows them.
    let dest = TempDir::new("deploy-install-opt");
    make_install(dest.path(), &["PREFIX=/opt/ferredis", "SYSCONFDIR=/etc/opt"]);
    let unit = std::fs::read_to_string(dest.path().join("opt/ferredis/lib/systemd/system/ferredis.service")).unwrap();
    assert!(
        unit.contains(
            "\nExecStart=/opt/ferredis/bin/ferredis-server /etc/opt/ferredis/ferredis.conf --supervised systemd"
        ),
        "{unit}"
    );
    assert!(dest.path().join("opt/ferredis/bin/ferredis-server").is_file());
    assert!(dest.path().join("etc/opt/ferredis/ferredis.conf").is_file());
}

// ---------------------------------------------------------------------------------------------------------------
// Password from the environment (container images)

#[test]
fn password_from_environment_sets_requirepass_and_lifts_protected_mode() {
    let dir = TempDir::new("deploy-envpw");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "from-a-file\n").unwrap();
    let secret_s = secret.to_str().expect("UTF-8 path").to_string();
    for (env, password) in [
        (("FERREDIS_PASSWORD", "from env"), "from env"),
        (("FERREDIS_PASSWORD_FILE", secret_s.as_str()), "from-a-file"),
    ] {
        let port = free_port();
        let port_s = port.to_string();
        let mut p = spawn(&common::ferredis_bin(), dir.path(), &["--port", &port_s, "--save", ""], &[env]);
        wait_answering(&mut p, port);
        let mut c = Conn::connect(port);
        assert_eq!(c.cmd(&["PING"]), b"-NOAUTH Authentication required.\r\n");
        assert_eq!(c.cmd(&["AUTH", "wrong"]), b"-WRONGPASS invalid username-password pair or user is disabled.\r\n");
        assert_eq!(c.cmd(&["AUTH", password]), b"+OK\r\n");
        assert_eq!(c.cmd(&["CONFIG", "GET", "protected-mode"]), b"*2\r\n$14\r\nprotected-mode\r\n$2\r\nno\r\n");
        let log = p.log_text();
        assert!(log.contains(&format!("requirepass set from {}", env.0)), "{log}");
        assert!(!log.contains(password), "the password must not reach the log:\n{log}");
    }
    // Both at once, or a missing file: the server refuses to start.
    for env in [
        vec![("FERREDIS_PASSWORD", "a"), ("FERREDIS_PASSWORD_FILE", secret_s.as_str())],
        vec![("FERREDIS_PASSWORD_FILE", "/nonexistent/ferredis/secret")],
    ] {
        let port_s = free_port().to_string();
        let mut p = spawn(&common::ferredis_bin(), dir.path(), &["--port", &port_s], &env);
        let st = p.wait_exit();
        assert_eq!(st.code(), Some(1), "{env:?}: {}", p.log_text());
        assert!(p.log_text().starts_with("Fatal error"), "{}", p.log_text());
    }
}

/// The Compose example's replica: one secret file gives it `requirepass` and `masterauth`
/// (`FERREDIS_PASSWORD_FILE`, `FERREDIS_MASTERAUTH_FILE`), so the password is on no command line.
#[test]
fn replica_authenticates_to_its_master_with_a_password_file() {
    let dir = TempDir::new("deploy-masterauth");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "shared-secret\n").unwrap();
    let secret_s = secret.to_str().expect("UTF-8 path");
    let (mport, rport) = (free_port(), free_port());
    let (mport_s, rport_s) = (mport.to_string(), rport.to_string());
    let mdir = dir.path().join("master");
    let rdir = dir.path().join("replica");
    std::fs::create_dir_all(&mdir).unwrap();
    std::fs::create_dir_all(&rdir).unwrap();
    let bin = common::ferredis_bin();
    let mut master = spawn(&bin, &mdir, &["--port", &mport_s, "--save", ""], &[("FERREDIS_PASSWORD_FILE", secret_s)]);
    wait_answering(&mut master, mport);
    let mut replica = spawn(
        &bin,
        &rdir,
        &["--port", &rport_s, "--save", "", "--replicaof", "127.0.0.1", &mport_s],
        &[("FERREDIS_PASSWORD_FILE", secret_s), ("FERREDIS_MASTERAUTH_FILE", secret_s)],
    );
    wait_answering(&mut replica, rport);
    let mut m = Conn::connect(mport);
    assert_eq!(m.cmd(&["AUTH", "shared-secret"]), b"+OK\r\n");
    assert_eq!(m.cmd(&["SET", "k", "from the master"]), b"+OK\r\n");
    let mut r = Conn::connect(rport);
    assert_eq!(r.cmd(&["GET", "k"]), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(r.cmd(&["AUTH", "shared-secret"]), b"+OK\r\n");
    common::wait_for("the replica's sync with a password", || r.cmd(&["GET", "k"]) == b"$15\r\nfrom the master\r\n");
    assert_eq!(common::info_field(&mut r, "replication", "master_link_status"), "up");
    let log = replica.log_text();
    assert!(log.contains(&format!("masterauth set from FERREDIS_MASTERAUTH_FILE ({secret_s})")), "{log}");
    for p in [&master, &replica] {
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", p.child.id())).expect("cmdline");
        assert!(!String::from_utf8_lossy(&cmdline).contains("shared-secret"), "the password is on a command line");
        assert!(!p.log_text().contains("shared-secret"), "the password reached the log");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Container image

/// `ferredis-server <program> args...` runs that program: the image's entry point is the server, so this is how
/// `docker run IMAGE ferredis-cli -h host ping` reaches the CLI (the redis image's entrypoint script does the same
/// for `redis-cli`). The server under its sentinel name is itself; a missing program exits 127, as a shell's.
#[test]
fn server_runs_the_named_program() {
    let server = common::ferredis_bin();
    let cli = PathBuf::from(env!("CARGO_BIN_EXE_ferredis-cli"));
    let run = |bin: &Path, args: &[&str]| {
        let out = Command::new(bin).args(args).stdin(Stdio::null()).output().expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let direct = run(&cli, &["--version"]);
    assert_eq!(direct.0, Some(0));
    assert_eq!(run(&server, &["ferredis-cli", "--version"]), direct);
    let srv = common::Server::ferredis();
    let port = srv.port.to_string();
    assert_eq!(run(&server, &["ferredis-cli", "-p", &port, "set", "via", "server"]).1, "OK\n");
    assert_eq!(run(&server, &["ferredis-cli", "-p", &port, "get", "via"]).1, "server\n");
    let check = PathBuf::from(env!("CARGO_BIN_EXE_ferredis-check-rdb"));
    // The program sees its bare name as argv[0], as one found on PATH does.
    let out = Command::new(&check).arg0("ferredis-check-rdb").output().expect("run ferredis-check-rdb");
    let direct = (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(run(&server, &["ferredis-check-rdb"]), direct);
    assert_eq!(run(&server, &["ferredis-server", "--version"]), run(&server, &["--version"]));
    // Under its sentinel name the server is a sentinel, which refuses to start without a config file.
    let (code, out, err) = run(&server, &["ferredis-sentinel"]);
    assert_eq!(code, Some(1));
    assert!((out + &err).contains("Sentinel needs config file on disk to save state."));
    // Alone in a directory, the server has no CLI beside it.
    let dir = TempDir::new("deploy-alone");
    let alone = dir.path().join("ferredis-server");
    std::fs::copy(&server, &alone).expect("copy the server");
    let (code, _, err) = run(&alone, &["ferredis-cli", "ping"]);
    assert_eq!(code, Some(127), "{err}");
    assert!(err.contains(&format!("can't run {}", dir.path().join("ferredis-cli").display())), "{err}");
}

/// The final stage of the Dockerfile, from `FROM scratch` on, comments dropped.
fn final_stage(text: &str) -> Vec<String> {
    let start = text.find("\nFROM scratch").expect("a FROM scratch stage");
    text[start..].lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

#[test]
fn dockerfiles_agree_and_say_what_matters() {
    let main = read("Dockerfile");
    let prebuilt = read("deploy/docker/Dockerfile.prebuilt");
    let want: Vec<String> = final_stage(&main).iter().map(|l| l.replace("--from=build /out/", "out/")).collect();
    assert_eq!(final_stage(&prebuilt), want, "Dockerfile.prebuilt's stage must be the Dockerfile's final stage");
    assert!(main.contains("FROM rust:1-bookworm AS build"));
    assert!(main.contains("RUN make static"));
    for line in [
        "USER 10001:10001",
        "VOLUME /data",
        "EXPOSE 6379",
        "HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD [\"/usr/local/bin/ferredis-cli\", \
         \"ping\"]",
        "ENTRYPOINT [\"/usr/local/bin/ferredis-server\"]",
        "CMD [\"/etc/ferredis/ferredis.conf\"]",
    ] {
        assert!(want.iter().any(|l| l == line), "missing {line:?}");
    }
    let passwd = read("deploy/docker/passwd");
    assert!(passwd.lines().any(|l| l.starts_with("ferredis:x:10001:10001:")), "{passwd}");
    // The image's config loads, binds every address and keeps protected mode on.
    let conf = read("deploy/docker/ferredis.conf");
    let mut cfg = ferredis::config::Config::default();
    // `dir /data` would chdir this test process: check it textually and load the rest.
    assert!(conf.lines().any(|l| l == "dir /data"));
    cfg.apply_text(&conf.lines().filter(|l| !l.starts_with("dir ")).collect::<Vec<_>>().join("\n"))
        .expect("deploy/docker/ferredis.conf loads");
    assert_eq!(cfg.bind, ["*", "-::*"]);
    assert_eq!(cfg.port, 6379);
    assert!(cfg.protected_mode);
    assert_eq!(cfg.requirepass, None);
    assert!(!cfg.daemonize);
}

/// `podman` with the options this kind of host needs: runc when installed (crun refuses hybrid cgroup
/// hierarchies), and explicit ulimits (the default ones raise limits, which needs CAP_SYS_RESOURCE).
fn podman() -> Command {
    let mut c = Command::new("podman");
    if has_command("runc") {
        c.arg("--runtime").arg("runc");
    }
    c
}

fn run_ok(c: &mut Command) -> Result<String, String> {
    let out = c.output().map_err(|e| format!("{c:?}: {e}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!("{c:?} failed: {}", text.trim()))
    }
}

struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman().args(["rm", "-f", &self.0]).output();
    }
}

fn start_container(image: &str, port: u16, env: &[&str]) -> Result<Container, String> {
    // Named and guarded before the run, so a failed start leaves no created container behind.
    let guard = Container(format!("ferredis-image-test-{}-{port}", std::process::id()));
    let mut c = podman();
    c.args(["run", "-d", "--name", &guard.0, "--ulimit", "nofile=10032:10032", "--ulimit", "nproc=4096:4096"]);
    // As the Kubernetes manifest runs it: read-only root, no capabilities, no privilege gain (writes go to the
    // /data volume only).
    c.args(["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]);
    c.args(["-p", &format!("127.0.0.1:{port}:6379")]);
    for e in env {
        c.args(["-e", e]);
    }
    c.arg(image);
    run_ok(&mut c).map(|_| guard)
}

/// The reply to `args` through the published port once the server answers (the first replies may be resets
/// while the container starts).
fn container_reply(port: u16, args: &[&str]) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut c) = Conn::try_connect(port) {
            if let Ok(r) = c.try_cmd(args) {
                return r;
            }
        }
        assert!(Instant::now() < deadline, "the container never answered on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn container_image_builds_and_serves() {
    let static_dir = repo().join("target/static");
    if let Some(why) = static_binary_unusable() {
        println!("skipped: {why}");
        return;
    }
    if !has_command("podman") {
        println!("skipped: podman is not installed (apt-get install podman runc)");
        return;
    }
    // The build context of Dockerfile.prebuilt: deploy/docker/, the licence files, out/bin/ (the static
    // binaries), out/data/.
    let ctx = TempDir::new("deploy-image");
    for f in ["LICENSE", "THIRD-PARTY.md"] {
        std::fs::copy(repo().join(f), ctx.path().join(f)).unwrap();
    }
    std::fs::create_dir_all(ctx.path().join("deploy/docker")).unwrap();
    std::fs::create_dir_all(ctx.path().join("out/bin")).unwrap();
    std::fs::create_dir_all(ctx.path().join("out/data")).unwrap();
    for e in std::fs::read_dir(repo().join("deploy/docker")).unwrap().flatten() {
        std::fs::copy(e.path(), ctx.path().join("deploy/docker").join(e.file_name())).unwrap();
    }
    // The binaries with their symbols, as the Dockerfile copies them (not `make static`'s .stripped copies).
    for e in std::fs::read_dir(&static_dir).unwrap().flatten() {
        if !e.file_name().to_string_lossy().ends_with(".stripped") {
            std::fs::copy(e.path(), ctx.path().join("out/bin").join(e.file_name())).unwrap();
        }
    }
    let has_cli = static_dir.join("ferredis-cli").is_file();
    let image = format!("localhost/ferredis-deploy-test:{}", std::process::id());
    let built = run_ok(podman().args(["build", "-q", "--format", "docker", "-f"]).args([
        ctx.path().join("deploy/docker/Dockerfile.prebuilt").to_str().unwrap(),
        "-t",
        &image,
        ctx.path().to_str().unwrap(),
    ]));
    if let Err(e) = built {
        println!("skipped: podman cannot build images here: {e}");
        return;
    }
    struct Image(String);
    impl Drop for Image {
        fn drop(&mut self) {
            let _ = podman().args(["rmi", "-f", &self.0]).output();
        }
    }
    let _image = Image(image.clone());
    let inspect = run_ok(podman().args([
        "image",
        "inspect",
        "--format",
        "{{.Config.User}} {{json .Config.Healthcheck.Test}}",
        &image,
    ]))
    .expect("inspect the image");
    assert_eq!(inspect, r#"10001:10001 ["CMD","/usr/local/bin/ferredis-cli","ping"]"#);

    // No password: protected mode refuses clients from outside the container (the published port arrives from
    // the container network, not loopback).
    let port = free_port();
    let c = match start_container(&image, port, &[]) {
        Ok(c) => c,
        Err(e) => {
            println!("skipped: podman cannot run containers here: {e}");
            return;
        }
    };
    let r = container_reply(port, &["PING"]);
    assert!(r.starts_with(b"-DENIED Redis is running in protected mode"), "{}", common::escape(&r));
    if has_cli {
        let out = run_ok(podman().args(["exec", &c.0, "/usr/local/bin/ferredis-cli", "ping"])).expect("exec");
        assert_eq!(out, "PONG");
        run_ok(podman().args(["healthcheck", "run", &c.0])).expect("the health check passes");
        // `docker run IMAGE ferredis-cli ...` runs the CLI (the entry point starts it), here in the first
        // container's network namespace, so it reaches that server on loopback.
        let mut run = podman();
        run.args(["run", "--rm", "--ulimit", "nofile=10032:10032", "--ulimit", "nproc=4096:4096"]);
        run.args(["--network", &format!("container:{}", c.0), &image, "ferredis-cli", "ping"]);
        assert_eq!(run_ok(&mut run).expect("docker run IMAGE ferredis-cli"), "PONG");
    } else {
        println!("note: no ferredis-cli in target/static: the health check was not run");
    }
    drop(c);

    // With a password: remote clients authenticate, and the server (user 10001) writes to the /data volume.
    let port = free_port();
    let c = start_container(&image, port, &["FERREDIS_PASSWORD=container-secret"]).expect("run with a password");
    assert_eq!(container_reply(port, &["PING"]), b"-NOAUTH Authentication required.\r\n");
    let mut conn = Conn::connect(port);
    assert_eq!(conn.cmd(&["AUTH", "container-secret"]), b"+OK\r\n");
    assert_eq!(conn.cmd(&["SET", "k", "v"]), b"+OK\r\n");
    assert_eq!(conn.cmd(&["SAVE"]), b"+OK\r\n");
    assert_eq!(conn.cmd(&["CONFIG", "GET", "dir"]), b"*2\r\n$3\r\ndir\r\n$5\r\n/data\r\n");
    // Turning the AOF on forks a rewrite child that writes appendonlydir/ in the volume.
    assert_eq!(conn.cmd(&["CONFIG", "SET", "appendonly", "yes"]), b"+OK\r\n");
    common::wait_for("the AOF rewrite in the container", || {
        let info = String::from_utf8_lossy(&conn.cmd(&["INFO", "persistence"])).into_owned();
        info.contains("aof_rewrite_in_progress:0")
            && info.contains("aof_rewrite_scheduled:0")
            && info.contains("aof_enabled:1")
    });
    let info = String::from_utf8_lossy(&conn.cmd(&["INFO", "persistence"])).into_owned();
    assert!(info.contains("aof_last_bgrewrite_status:ok"), "{info}");
    let logs = run_ok(podman().args(["logs", &c.0])).unwrap_or_default()
        + &String::from_utf8_lossy(&podman().args(["logs", &c.0]).output().map(|o| o.stderr).unwrap_or_default());
    assert!(logs.contains("requirepass set from FERREDIS_PASSWORD"), "{logs}");
    assert!(logs.contains("DB saved on disk"), "{logs}");
    assert!(logs.contains("Background AOF rewrite finished successfully"), "{logs}");
}

// ---------------------------------------------------------------------------------------------------------------
// A YAML subset reader: block maps and lists, `- key: value` items, plain and quoted scalars, simple flow lists
// of scalars, `|` literal blocks, comments and `---` document separators. Enough for the manifests here; it
// panics on anything else rather than guessing.

#[derive(Clone, Debug, PartialEq)]
enum Yaml {
    Null,
    Str(String),
    List(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    fn get(&self, key: &str) -> &Yaml {
        self.opt(key).unwrap_or_else(|| panic!("no key {key:?} in {self:?}"))
    }

    fn opt(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows a dotted path; a numeric part indexes a list.
    fn at(&self, path: &str) -> &Yaml {
        path.split('.').fold(self, |y, part| match (y, part.parse::<usize>()) {
            (Yaml::List(items), Ok(i)) => items.get(i).unwrap_or_else(|| panic!("{path}: no item {i}")),
            _ => y.get(part),
        })
    }

    fn str(&self) -> &str {
        match self {
            Yaml::Str(s) => s,
            other => panic!("not a scalar: {other:?}"),
        }
    }

    fn list(&self) -> &[Yaml] {
        match self {
            Yaml::List(v) => v,
            other => panic!("not a list: {other:?}"),
        }
    }

    fn strs(&self) -> Vec<&str> {
        self.list().iter().map(Yaml::str).collect()
    }
}

struct YamlReader {
    lines: Vec<String>,
    pos: usize,
}

fn indent_of(l: &str) -> usize {
    l.len() - l.trim_start_matches(' ').len()
}

fn is_blank_or_comment(l: &str) -> bool {
    let t = l.trim();
    t.is_empty() || t.starts_with('#')
}

fn strip_comment(s: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && (i == 0 || b[i - 1] == b' ') => return s[..i].trim_end(),
            _ => {}
        }
    }
    s.trim_end()
}

fn scalar(raw: &str) -> Yaml {
    let s = strip_comment(raw).trim();
    if s.starts_with('{') {
        panic!("flow maps are not supported by this reader: {s}");
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let items = inner.split(',').map(str::trim).filter(|i| !i.is_empty()).map(scalar).collect();
        return Yaml::List(items);
    }
    if let Some(q) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return Yaml::Str(q.replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    if let Some(q) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return Yaml::Str(q.replace("''", "'"));
    }
    if s.is_empty() || s == "~" || s == "null" {
        return Yaml::Null;
    }
    Yaml::Str(s.to_string())
}

/// `key: rest` (rest may be empty) when the line is a map entry.
fn map_entry(t: &str) -> Option<(String, String)> {
    if t.starts_with('"') || t.starts_with('\'') || t.starts_with('-') && (t == "-" || t.starts_with("- ")) {
        return None;
    }
    if let Some(k) = t.strip_suffix(':') {
        return Some((k.to_string(), String::new()));
    }
    let i = t.find(": ")?;
    Some((t[..i].to_string(), t[i + 2..].to_string()))
}

impl YamlReader {
    fn docs(text: &str) -> Vec<Yaml> {
        let mut docs = Vec::new();
        let mut cur: Vec<String> = Vec::new();
        for l in text.lines().chain(std::iter::once("---")) {
            if l.trim_end() == "---" {
                if cur.iter().any(|l| !is_blank_or_comment(l)) {
                    let mut r = YamlReader { lines: std::mem::take(&mut cur), pos: 0 };
                    let y = r.block(0);
                    r.skip_blank();
                    assert!(r.pos == r.lines.len(), "unparsed YAML from line {}: {:?}", r.pos + 1, r.lines[r.pos]);
                    docs.push(y);
                }
                cur.clear();
            } else {
                assert!(!l.contains('\t'), "tabs in YAML: {l:?}");
                cur.push(l.to_string());
            }
        }
        docs
    }

    fn skip_blank(&mut self) {
        while self.pos < self.lines.len() && is_blank_or_comment(&self.lines[self.pos]) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<(usize, String)> {
        self.skip_blank();
        self.lines.get(self.pos).map(|l| (indent_of(l), l.trim().to_string()))
    }

    /// The block whose first line is the next one, at least `min` indented.
    fn block(&mut self, min: usize) -> Yaml {
        match self.peek() {
            None => Yaml::Null,
            Some((ind, _)) if ind < min => Yaml::Null,
            Some((ind, t)) if t == "-" || t.starts_with("- ") => self.list(ind),
            Some((ind, _)) => self.map(ind),
        }
    }

    fn list(&mut self, ind: usize) -> Yaml {
        let mut items = Vec::new();
        while let Some((i, t)) = self.peek() {
            if i != ind || !(t == "-" || t.starts_with("- ")) {
                assert!(i <= ind, "bad indentation at line {}: {t:?}", self.pos + 1);
                break;
            }
            let rest = t.strip_prefix('-').unwrap_or("").trim_start().to_string();
            if rest.is_empty() {
                self.pos += 1;
                items.push(self.block(ind + 1));
            } else if map_entry(&rest).is_some() {
                // `- key: value`: a map whose first entry sits on the dash line, two columns in.
                self.lines[self.pos] = format!("{}{rest}", " ".repeat(ind + 2));
                items.push(self.map(ind + 2));
            } else {
                self.pos += 1;
                items.push(scalar(&rest));
            }
        }
        Yaml::List(items)
    }

    fn map(&mut self, ind: usize) -> Yaml {
        let mut kv: Vec<(String, Yaml)> = Vec::new();
        while let Some((i, t)) = self.peek() {
            if i != ind || t == "-" || t.starts_with("- ") {
                assert!(i <= ind, "bad indentation at line {}: {t:?}", self.pos + 1);
                break;
            }
            let (key, rest) =
                map_entry(&t).unwrap_or_else(|| panic!("not a map entry at line {}: {t:?}", self.pos + 1));
            self.pos += 1;
            let rest = strip_comment(&rest).to_string();
            let value = if rest == "|" || rest == "|-" {
                self.literal(ind, rest == "|")
            } else if rest.is_empty() {
                match self.peek() {
                    // A list may sit at the key's own indentation.
                    Some((i, t)) if i == ind && (t == "-" || t.starts_with("- ")) => self.list(ind),
                    Some((i, _)) if i > ind => self.block(ind + 1),
                    _ => Yaml::Null,
                }
            } else {
                scalar(&rest)
            };
            assert!(!kv.iter().any(|(k, _)| *k == key), "duplicate key {key:?}");
            kv.push((key, value));
        }
        Yaml::Map(kv)
    }

    /// A `|` block: the following lines indented deeper than the key (blank lines included), less their common
    /// indentation.
    fn literal(&mut self, ind: usize, keep_newline: bool) -> Yaml {
        let mut body: Vec<String> = Vec::new();
        let mut strip = None;
        while self.pos < self.lines.len() {
            let l = &self.lines[self.pos];
            if !l.trim().is_empty() && indent_of(l) <= ind {
                break;
            }
            if !l.trim().is_empty() {
                let s = *strip.get_or_insert(indent_of(l));
                assert!(indent_of(l) >= s, "literal block indentation at line {}", self.pos + 1);
                body.push(l[s..].to_string());
            } else {
                body.push(String::new());
            }
            self.pos += 1;
        }
        while body.last().is_some_and(String::is_empty) {
            body.pop();
        }
        let mut s = body.join("\n");
        if keep_newline {
            s.push('\n');
        }
        Yaml::Str(s)
    }
}

#[test]
fn yaml_reader_handles_the_subset() {
    let docs = YamlReader::docs(
        "# c\na: 1\nb:\n  - x\n  - \"y # not a comment\"\n  - k: v\n    j: w # comment\nc: |\n  line 1\n\n  line 2\n\
         d:\n- 'q''s'\ne: [a, \"b\"]\n---\nf:\n  g:\n    h: ~\n",
    );
    assert_eq!(docs.len(), 2);
    let a = &docs[0];
    assert_eq!(a.get("a").str(), "1");
    assert_eq!(a.get("b").list()[0].str(), "x");
    assert_eq!(a.get("b").list()[1].str(), "y # not a comment");
    assert_eq!(a.at("b.2.j").str(), "w");
    assert_eq!(a.get("c").str(), "line 1\n\nline 2\n");
    assert_eq!(a.get("d").strs(), ["q's"]);
    assert_eq!(a.get("e").strs(), ["a", "b"]);
    assert_eq!(docs[1].at("f.g.h"), &Yaml::Null);
}

/// Kubernetes quantities: `2Gi`, `512Mi`, `1G`, plain bytes.
fn k8s_bytes(q: &str) -> u64 {
    let split = q.find(|c: char| !c.is_ascii_digit()).unwrap_or(q.len());
    let (n, unit) = q.split_at(split);
    let n: u64 = n.parse().unwrap_or_else(|_| panic!("bad quantity {q}"));
    n * match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "k" => 1000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        _ => panic!("unit of {q}"),
    }
}

#[test]
fn kubernetes_manifests_fit_together() {
    let load = |f: &str| {
        let mut docs = YamlReader::docs(&read(&format!("deploy/k8s/{f}")));
        assert_eq!(docs.len(), 1, "{f}: one object per file");
        docs.remove(0)
    };
    let cm = load("configmap.yaml");
    let svc = load("service.yaml");
    let sts = load("statefulset.yaml");
    let kust = load("kustomization.yaml");
    assert_eq!(kust.get("resources").strs(), ["configmap.yaml", "service.yaml", "statefulset.yaml"]);
    assert_eq!(cm.get("kind").str(), "ConfigMap");
    assert_eq!(svc.get("kind").str(), "Service");
    assert_eq!(sts.get("kind").str(), "StatefulSet");
    assert_eq!(sts.get("apiVersion").str(), "apps/v1");

    // The config: loads in ferredis, with dir and maxmemory set.
    let conf = cm.get("data").get("ferredis.conf").str();
    let conf_lines: Vec<&str> = conf.lines().collect();
    assert!(conf_lines.contains(&"dir /data"), "{conf}");
    let mut cfg = ferredis::config::Config::default();
    cfg.apply_text(&conf_lines.iter().filter(|l| !l.starts_with("dir ")).copied().collect::<Vec<_>>().join("\n"))
        .expect("the ConfigMap's ferredis.conf loads");
    assert!(cfg.maxmemory > 0, "maxmemory must be set");
    assert!(cfg.protected_mode, "protected mode stays on until a password is given");

    // The headless service and the StatefulSet name each other and select the pods.
    let labels = sts.at("spec.template.metadata.labels");
    assert_eq!(svc.at("spec.clusterIP").str(), "None");
    assert_eq!(sts.at("spec.serviceName").str(), svc.at("metadata.name").str());
    assert_eq!(sts.at("spec.selector.matchLabels"), labels);
    assert_eq!(svc.at("spec.selector"), labels);

    let pod = sts.at("spec.template.spec");
    let containers = pod.get("containers").list();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    // Ports: the container port is the configured one, and the service targets it by name.
    let port = &c.get("ports").list()[0];
    assert_eq!(port.get("containerPort").str(), cfg.port.to_string());
    assert_eq!(svc.at("spec.ports.0.port").str(), cfg.port.to_string());
    assert_eq!(svc.at("spec.ports.0.targetPort").str(), port.get("name").str());
    // The config file the container is started with is the ConfigMap, mounted where args point.
    let mounts = c.get("volumeMounts").list();
    let mount_of =
        |name: &str| mounts.iter().find(|m| m.get("name").str() == name).unwrap_or_else(|| panic!("no mount {name}"));
    assert_eq!(c.get("args").strs(), [format!("{}/ferredis.conf", mount_of("config").get("mountPath").str())]);
    let config_volume =
        pod.get("volumes").list().iter().find(|v| v.get("name").str() == "config").expect("config volume");
    assert_eq!(config_volume.at("configMap.name").str(), cm.at("metadata.name").str());
    // The data volume: a claim template mounted at `dir`.
    let claim = &sts.at("spec.volumeClaimTemplates").list()[0];
    assert_eq!(mount_of(claim.at("metadata.name").str()).get("mountPath").str(), "/data");
    assert!(k8s_bytes(claim.at("spec.resources.requests.storage").str()) > 0);
    // Probes: startup and readiness want PONG (`ferredis-cli -e ping`, whose behaviour while loading
    // readiness_probe_fails_while_the_server_loads checks), liveness checks the port. The startup probe allows an
    // hour for the first load.
    let probe = ["/usr/local/bin/ferredis-cli", "-e", "ping"];
    assert_eq!(c.at("readinessProbe.exec.command").strs(), probe);
    assert_eq!(c.at("startupProbe.exec.command").strs(), probe);
    let seconds = |path: &str| c.at(path).str().parse::<u64>().unwrap_or_else(|_| panic!("{path}"));
    assert!(seconds("startupProbe.periodSeconds") * seconds("startupProbe.failureThreshold") >= 3600);
    assert_eq!(c.at("livenessProbe.tcpSocket.port").str(), port.get("name").str());
    // A locally built image: `:latest` would otherwise mean imagePullPolicy Always, a pull that fails.
    assert_eq!(c.get("imagePullPolicy").str(), "IfNotPresent");
    // Memory: limit >= 1.5 x maxmemory + 256Mi (the rule stated in statefulset.yaml), and requests = limits.
    let limit = k8s_bytes(c.at("resources.limits.memory").str());
    assert!(
        limit >= cfg.maxmemory + cfg.maxmemory / 2 + (256 << 20),
        "limits.memory {limit} is below 1.5 x maxmemory ({}) + 256Mi",
        cfg.maxmemory
    );
    assert_eq!(c.at("resources.requests.memory").str(), c.at("resources.limits.memory").str());
    assert!(read("deploy/k8s/statefulset.yaml").contains("resources.limits.memory >= 1.5 x maxmemory + 256Mi"));
    // The image's user, and the password from an optional Secret.
    assert_eq!(pod.at("securityContext.runAsUser").str(), "10001");
    assert_eq!(pod.at("securityContext.fsGroup").str(), "10001");
    // The password from an optional Secret, for the server and for the probes' ferredis-cli alike.
    let env = c.get("env").list();
    assert_eq!(env.iter().map(|e| e.get("name").str()).collect::<Vec<_>>(), ["FERREDIS_PASSWORD", "REDISCLI_AUTH"]);
    for e in env {
        assert_eq!(e.at("valueFrom.secretKeyRef.name").str(), "ferredis-auth");
        assert_eq!(e.at("valueFrom.secretKeyRef.key").str(), "password");
        assert_eq!(e.at("valueFrom.secretKeyRef.optional").str(), "true");
    }

    // kubectl renders the kustomization offline, when installed.
    if has_command("kubectl") {
        let out = Command::new("kubectl").arg("kustomize").arg(repo().join("deploy/k8s")).output().expect("kubectl");
        assert!(out.status.success(), "kubectl kustomize: {}", String::from_utf8_lossy(&out.stderr));
        let rendered = YamlReader::docs(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(rendered.len(), 3);
    } else {
        println!("skipped: kubectl kustomize (kubectl is not installed)");
    }
}

/// The StatefulSet's readiness probe, run as the kubelet runs it (its command, in the pod's environment: the
/// password in REDISCLI_AUTH) against a server still loading a dataset slowed by `key-load-delay`: it fails while
/// the server answers -LOADING, as redis-cli's `-e` does against redis-server, and passes once the server answers
/// PONG. Without `-e` the CLI exits 0 on the error reply, which is why the probe has it.
#[test]
fn readiness_probe_fails_while_the_server_loads() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let sts = YamlReader::docs(&read("deploy/k8s/statefulset.yaml")).remove(0);
    let probe = sts.at("spec.template.spec.containers.0.readinessProbe.exec.command").strs();
    assert_eq!(probe[0], "/usr/local/bin/ferredis-cli");
    let probe_args: Vec<String> = probe[1..].iter().map(|a| a.to_string()).collect();
    let cli = PathBuf::from(env!("CARGO_BIN_EXE_ferredis-cli"));
    let password = "probe-secret";
    let run = |bin: &Path, args: &[String], port: u16| {
        let out = Command::new(bin)
            .args(["-p", &port.to_string()])
            .args(args)
            .env("REDISCLI_AUTH", password)
            .stdin(Stdio::null())
            .output()
            .expect("run the CLI");
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text.trim().to_string())
    };
    // A dataset of 300 keys, which loads for 30 seconds at 100 ms a key; each key is over 1024 bytes in the file,
    // so the loading server serves clients after every key (`loading-process-events-interval-bytes`).
    let data = TempDir::new("deploy-probe-data");
    let port = free_port();
    let port_s = port.to_string();
    let mut p = spawn(&common::ferredis_bin(), data.path(), &["--port", &port_s, "--rdbcompression", "no"], &[]);
    wait_answering(&mut p, port);
    let mut c = Conn::connect(port);
    let value = "v".repeat(2000);
    for i in 0..300 {
        assert_eq!(c.cmd(&["SET", &format!("key:{i}"), &value]), b"+OK\r\n");
    }
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    drop(p);
    let rdb = data.path().join("dump.rdb");
    for (bin, reference_cli) in [(common::ferredis_bin(), cli.clone()), (common::redis_bin(), common::redis_cli_bin())]
    {
        let dir = TempDir::new("deploy-probe");
        std::fs::copy(&rdb, dir.path().join("dump.rdb")).expect("copy the dataset");
        let port = free_port();
        let port_s = port.to_string();
        let args = ["--port", &port_s, "--save", "", "--requirepass", password, "--key-load-delay", "100000"];
        let mut p =
            spawn(&bin, dir.path(), &[&args[..], &["--loading-process-events-interval-bytes", "1024"]].concat(), &[]);
        // AUTH is served while loading; PING gets -LOADING.
        let loading = |c: &mut Conn| {
            c.try_cmd(&["AUTH", password]).is_ok_and(|r| r == b"+OK\r\n")
                && c.try_cmd(&["PING"]).is_ok_and(|r| r.starts_with(b"-LOADING"))
        };
        common::wait_for("the server answering -LOADING", || {
            assert!(!matches!(p.child.try_wait(), Ok(Some(_))), "{} exited: {}", bin.display(), p.log_text());
            Conn::try_connect(port).is_ok_and(|mut c| loading(&mut c))
        });
        let (code, out) = run(&cli, &probe_args, port);
        let (ref_code, ref_out) = run(&reference_cli, &["-e".to_string(), "ping".to_string()], port);
        let (plain_code, plain_out) = run(&cli, &["ping".to_string()], port);
        // Still loading after the runs: each of them met the -LOADING server.
        assert!(loading(&mut Conn::connect(port)), "{} finished loading during the probe", bin.display());
        assert_eq!(code, Some(1), "{}: the probe passed while loading: {out}", bin.display());
        assert!(out.starts_with("LOADING"), "{out}");
        assert_eq!((ref_code, ref_out), (code, out.clone()), "the reference CLI against {}", bin.display());
        assert_eq!((plain_code, plain_out), (Some(0), out), "without -e any answer passes");
    }
    // Loaded: the probe passes, with the password from the environment.
    let dir = TempDir::new("deploy-probe-ready");
    std::fs::copy(&rdb, dir.path().join("dump.rdb")).expect("copy the dataset");
    let port = free_port();
    let port_s = port.to_string();
    let mut p = spawn(
        &common::ferredis_bin(),
        dir.path(),
        &["--port", &port_s, "--save", ""],
        &[("FERREDIS_PASSWORD", password)],
    );
    wait_answering(&mut p, port);
    common::wait_for("the probe to pass", || run(&cli, &probe_args, port) == (Some(0), "PONG".to_string()));
    let mut c = Conn::connect(port);
    assert_eq!(c.cmd(&["AUTH", password]), b"+OK\r\n");
    assert_eq!(c.cmd(&["DBSIZE"]), b":300\r\n");
    // Without the password the probe fails (NOAUTH): the manifest gives the CLI REDISCLI_AUTH.
    let out = Command::new(&cli).args(["-p", &port_s]).args(&probe_args).output().expect("run the CLI");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn compose_file_has_a_master_a_replica_profile_and_an_exporter() {
    let text = read("docker-compose.yml");
    let docs = YamlReader::docs(&text);
    let services = docs[0].get("services");
    // The password: one secret from the environment, read by the servers as a file.
    let secret = docs[0].at("secrets.ferredis-password");
    assert_eq!(secret.get("environment").str(), "FERREDIS_PASSWORD");
    let secret_file = "/run/secrets/ferredis-password";
    let master = services.get("master");
    assert_eq!(master.get("build").str(), ".");
    assert_eq!(master.get("volumes").strs(), ["master-data:/data"]);
    assert_eq!(master.at("environment.FERREDIS_PASSWORD_FILE").str(), secret_file);
    assert_eq!(master.get("secrets").strs(), ["ferredis-password"]);
    assert_eq!(master.get("ports").strs(), ["127.0.0.1:6379:6379"]);
    let replica = services.get("replica");
    assert_eq!(replica.get("profiles").strs(), ["replica"]);
    let cmd = replica.get("command").strs();
    assert_eq!(cmd, ["/etc/ferredis/ferredis.conf", "--replicaof", "master", "6379"]);
    assert_eq!(replica.at("environment.FERREDIS_PASSWORD_FILE").str(), secret_file);
    assert_eq!(replica.at("environment.FERREDIS_MASTERAUTH_FILE").str(), secret_file);
    assert_eq!(replica.get("secrets").strs(), ["ferredis-password"]);
    assert_eq!(replica.get("image").str(), master.get("image").str());
    assert!(docs[0].get("volumes").opt("replica-data").is_some());
    // No password on a server's command line or in its environment.
    for svc in [master, replica] {
        assert!(svc.opt("command").is_none_or(|c| c.strs().iter().all(|a| !a.contains('$'))));
        let Yaml::Map(env) = svc.get("environment") else { panic!("environment is a map") };
        assert!(env.iter().all(|(k, v)| k.ends_with("_FILE") && !v.str().contains('$')), "{env:?}");
    }
    // The exporter scrapes the master with the same password; the image is the version the exporter test runs.
    let exporter = services.get("exporter");
    assert_eq!(exporter.get("image").str(), "oliver006/redis_exporter:v1.45.0");
    assert_eq!(exporter.at("environment.REDIS_ADDR").str(), "redis://master:6379");
    assert!(exporter.at("environment.REDIS_PASSWORD").str().starts_with("${FERREDIS_PASSWORD:?"));
    assert_eq!(exporter.get("ports").strs(), ["127.0.0.1:9121:9121"]);
    assert!(exporter.opt("profiles").is_none(), "the exporter runs beside the master");
    assert!(!text.contains("once replication lands"));
}
