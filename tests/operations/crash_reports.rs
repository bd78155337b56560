//! Crash reports and the watchdog (ferredis only: each test ends a process on purpose).
//!
//! Each crash must leave Redis's bug report in the `logfile` (header, a backtrace with symbol names, INFO, CLIENT
//! LIST, the current client) and end the process as Redis does: by the same signal for a fatal signal, by SIGABRT
//! after an assertion or a panic, or with exit code 1 under `use-exit-on-panic yes`.
//!
//! The stack overflow and the panic on a second thread have no server command that causes them (a server that
//! overflowed its stack or panicked on client input would be a bug, and Redis 7.0 has no DEBUG subcommand for
//! either), so they run in a child process: this test binary re-executed on an `#[ignore]`d helper test that sets
//! up the library's crash handling exactly as the server does (`ferredis::crash_report::install`) and then crashes.

use crate::common;

use common::{Kind, Server, TempDir};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

fn start_logged(tmp: &TempDir, extra: &[&str]) -> (Server, std::path::PathBuf) {
    let log = tmp.path().join("ferredis.log");
    let log_s = log.to_str().expect("utf-8 path").to_string();
    let mut args = vec!["--logfile", log_s.as_str()];
    args.extend_from_slice(extra);
    (Server::start(Kind::Ferredis, &args), log)
}

/// Sends a command that ends the server, waits for the exit, returns the status and the log.
fn crash_with(srv: &mut Server, log: &std::path::Path, cmd: &[&str]) -> (ExitStatus, String) {
    let mut c = srv.conn();
    c.send(cmd).expect("send");
    let (out, closed) = c.read_until_close(10_000);
    assert!(closed && out.is_empty(), "{cmd:?} answered {}", common::escape(&out));
    let st = srv.wait_exit(10_000).unwrap_or_else(|| panic!("{cmd:?} left the server running"));
    (st, std::fs::read_to_string(log).unwrap_or_default())
}

/// The parts every full report has.
fn assert_full_report(log: &str, frame: &str) {
    assert_eq!(log.matches("=== REDIS BUG REPORT START: Cut & paste starting from here ===").count(), 1, "{log}");
    assert!(log.contains("------ STACK TRACE ------"), "{log}");
    assert!(log.contains(frame), "backtrace without the symbol {frame}:\n{log}");
    assert!(log.contains("------ INFO OUTPUT ------") && log.contains("redis_version:7.0"), "{log}");
    assert!(log.contains("------ CLIENT LIST OUTPUT ------"), "{log}");
    assert!(log.contains("=== REDIS BUG REPORT END. Make sure to include from START to END. ==="), "{log}");
}

#[test]
fn debug_segfault_reports_and_dies_by_sigsegv() {
    let tmp = TempDir::new("crash-segv");
    let (mut srv, log) = start_logged(&tmp, &[]);
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["SET", "k", "v"]), b"+OK\r\n");
    let (st, text) = crash_with(&mut srv, &log, &["DEBUG", "SEGFAULT"]);
    assert_eq!(st.signal(), Some(libc::SIGSEGV), "{st:?}");
    assert!(
        text.contains(&format!(" # ferredis {} crashed by signal: 11, si_code: 2", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains(" # Accessing address: 0x"), "{text}");
    assert!(text.contains(" # Crashed running the instruction at: 0x"), "{text}");
    assert_full_report(&text, "ferredis::command::debug::crash_segfault");
    assert!(text.contains("------ CURRENT CLIENT INFO ------"), "{text}");
    assert!(text.contains("argv[0]: 'DEBUG'\nargv[1]: 'SEGFAULT'\n"), "{text}");
    assert!(text.contains("\n------ REGISTERS ------\n"), "{text}");
    assert!(text.contains("\nRAX:") && text.contains("\nRIP:") && text.contains("\nCSGSFS:"), "{text}");
    assert_eq!(text.matches(") -> ").count(), 16, "16 words of stack content:\n{text}");
    assert!(text.contains("\n------ FAST MEMORY TEST ------\n*** Preparing to test memory region "), "{text}");
    assert!(text.contains("Fast memory test PASSED, however your memory can still be broken."), "{text}");
}

#[test]
fn crash_memcheck_disabled_skips_the_memory_test() {
    let tmp = TempDir::new("crash-nomem");
    let (mut srv, log) = start_logged(&tmp, &["--crash-memcheck-enabled", "no"]);
    let (st, text) = crash_with(&mut srv, &log, &["DEBUG", "SEGFAULT"]);
    assert_eq!(st.signal(), Some(libc::SIGSEGV));
    assert_full_report(&text, "ferredis::command::debug::crash_segfault");
    assert!(!text.contains("FAST MEMORY TEST"), "{text}");
}

#[test]
fn a_fatal_signal_from_another_process_names_the_sender() {
    let tmp = TempDir::new("crash-kill");
    let (mut srv, log) = start_logged(&tmp, &[]);
    // SAFETY: signalling the child we started.
    assert_eq!(unsafe { libc::kill(srv.pid() as i32, libc::SIGBUS) }, 0);
    let st = srv.wait_exit(10_000).expect("SIGBUS ends the server");
    assert_eq!(st.signal(), Some(libc::SIGBUS));
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(text.contains("crashed by signal: 7, si_code: 0"), "{text}");
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    assert!(text.contains(&format!("Killed by PID: {}, UID: {uid}", std::process::id())), "{text}");
    assert_full_report(&text, "ferredis::event_loop");
    // No command was running: no current client section.
    assert!(!text.contains("CURRENT CLIENT INFO"), "{text}");
}

#[test]
fn debug_assert_reports_once_and_aborts() {
    let tmp = TempDir::new("crash-assert");
    let (mut srv, log) = start_logged(&tmp, &[]);
    let (st, text) = crash_with(&mut srv, &log, &["DEBUG", "ASSERT"]);
    assert_eq!(st.signal(), Some(libc::SIGABRT), "{st:?}");
    assert!(text.contains(" # === ASSERTION FAILED ===\n"), "{text}");
    assert!(text.contains("'1 == 2' is not true"), "{text}");
    // The abort that ends the process must not add a second report.
    assert_full_report(&text, "ferredis::command::debug::crash_assert");
    assert!(!text.contains("crashed by signal"), "{text}");
}

#[test]
fn debug_panic_with_use_exit_on_panic_exits_1_and_redacts_nothing_else() {
    let tmp = TempDir::new("crash-panic");
    let (mut srv, log) = start_logged(&tmp, &["--use-exit-on-panic", "yes"]);
    let (st, text) = crash_with(&mut srv, &log, &["DEBUG", "PANIC"]);
    assert_eq!(st.code(), Some(1), "{st:?}");
    assert!(text.contains("Guru Meditation: DEBUG PANIC called at Unix time"), "{text}");
    assert_full_report(&text, "ferredis::command::debug::crash_panic");
    assert!(text.contains("argv[1]: 'PANIC'"), "{text}");
}

#[test]
fn crash_log_disabled_dies_without_a_report() {
    let tmp = TempDir::new("crash-off");
    let (mut srv, log) = start_logged(&tmp, &[]);
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["CONFIG", "SET", "crash-log-enabled", "no"]), b"+OK\r\n");
    // The cron applies it within a tick; a PING round trip after a short wait is enough.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (st, text) = crash_with(&mut srv, &log, &["DEBUG", "SEGFAULT"]);
    assert_eq!(st.signal(), Some(libc::SIGSEGV));
    assert!(!text.contains("REDIS BUG REPORT"), "{text}");
}

#[test]
fn watchdog_logs_a_slow_pass_and_the_server_goes_on() {
    let tmp = TempDir::new("watchdog");
    // With the AOF on, the background fsync thread exists too: the signal must still land on the event loop's
    // thread, whose stack (DEBUG SLEEP) is the one worth printing.
    let (mut srv, log) = start_logged(&tmp, &["--watchdog-period", "200", "--appendonly", "yes"]);
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "2"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert!(srv.alive());
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(text.contains(":signal-handler (") && text.contains("--- WATCHDOG TIMER EXPIRED ---"), "{text}");
    // The frame carries Redis's name for it (`debugCommand`), which tools reading Redis's logs look for.
    assert!(
        text.contains("ferredis::command::debug::debugCommand"),
        "watchdog backtrace without the sleeping frame:\n{text}"
    );
    // As Redis: a period under two cron intervals is raised, and CONFIG GET shows the raised value.
    assert_eq!(c.cmd(&["CONFIG", "SET", "watchdog-period", "50"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["CONFIG", "GET", "watchdog-period"]), b"*2\r\n$15\r\nwatchdog-period\r\n$3\r\n200\r\n");
    // CONFIG SET turns it off: another slow pass logs nothing more.
    let before = text.matches("WATCHDOG TIMER EXPIRED").count();
    assert_eq!(c.cmd(&["CONFIG", "SET", "watchdog-period", "0"]), b"+OK\r\n");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "1"]), b"+OK\r\n");
    let after = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(after.matches("WATCHDOG TIMER EXPIRED").count(), before, "{after}");
    assert!(!after.contains("REDIS BUG REPORT"), "{after}");
}

/// Runs the ignored helper `name` of this test binary in a child process with crash handling installed and the
/// log in `log`; returns its exit status.
fn run_child(name: &str, log: &std::path::Path) -> ExitStatus {
    let exe = std::env::current_exe().expect("test binary path");
    // The test's full name in this binary: its module path without the crate's name.
    let full = match module_path!().split_once("::") {
        Some((_, module)) => format!("{module}::{name}"),
        None => name.to_string(),
    };
    std::process::Command::new(exe)
        .args(["--ignored", "--exact", &full, "--nocapture", "--test-threads=1"])
        .env("FERREDIS_CRASH_CHILD_LOG", log)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("spawn the test binary")
}

/// In the child: log to the given file and install the server's crash handling.
fn child_setup() -> bool {
    let Ok(log) = std::env::var("FERREDIS_CRASH_CHILD_LOG") else { return false };
    ferredis::log::set_file(&log);
    ferredis::log::set_server_pid();
    ferredis::crash_report::install();
    true
}

#[inline(never)]
#[allow(unconditional_recursion)] // the point: the stack runs out
fn recurse_forever(depth: u64) -> u64 {
    let pad = std::hint::black_box([depth; 64]);
    recurse_forever(depth + 1).wrapping_add(pad[(depth % 64) as usize])
}

#[test]
#[ignore = "helper: run by stack_overflow_reports_on_the_alternate_stack in a child process"]
fn child_stack_overflow() {
    if child_setup() {
        // The test harness's main thread allocates from the main heap while it reports the test as started; the
        // report's memory test writes patterns over that heap (restoring it after), so the overflow waits until
        // that thread sleeps. (The server has the same exposure while another thread allocates during a crash
        // report: Redis stops its other threads before the memory test, ferredis does not yet.)
        std::thread::sleep(std::time::Duration::from_millis(200));
        std::hint::black_box(recurse_forever(0));
    }
}

#[test]
fn stack_overflow_reports_on_the_alternate_stack() {
    let tmp = TempDir::new("crash-stack");
    let log = tmp.path().join("child.log");
    let st = run_child("child_stack_overflow", &log);
    assert_eq!(st.signal(), Some(libc::SIGSEGV), "{st:?}");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(text.contains("crashed by signal: 11"), "{text}");
    assert!(text.contains("crash_reports::recurse_forever"), "{text}");
    // The registers are there; the words at the stack pointer are not readable after an overflow, so they are left
    // out instead of faulting again.
    assert!(text.contains("------ REGISTERS ------") && text.contains(" RSP:"), "{text}");
    assert_eq!(text.matches(") -> ").count(), 0, "{text}");
    // The memory test skips the stack it runs on and still passes.
    assert!(text.contains("Fast memory test PASSED"), "{text}");
    assert!(text.contains("=== REDIS BUG REPORT END."), "{text}");
}

#[test]
#[ignore = "helper: run by panic_on_a_second_thread_reports_and_aborts in a child process"]
fn child_thread_panic() {
    if child_setup() {
        let t = std::thread::Builder::new()
            .name("fsync-worker".into())
            .spawn(|| {
                let v: Vec<u8> = std::hint::black_box(Vec::new());
                v[3]
            })
            .expect("spawn");
        let _ = t.join();
        // Only reached if the panic did not end the process.
        std::process::exit(3);
    }
}

#[test]
fn panic_on_a_second_thread_reports_and_aborts() {
    let tmp = TempDir::new("crash-thread");
    let log = tmp.path().join("child.log");
    let st = run_child("child_thread_panic", &log);
    assert_eq!(st.signal(), Some(libc::SIGABRT), "{st:?}");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(text.matches("=== REDIS BUG REPORT START").count(), 1, "{text}");
    assert!(text.contains("Guru Meditation: index out of bounds"), "{text}");
    assert!(text.contains("(thread fsync-worker)"), "{text}");
    // Not on the event loop's thread: no memory test racing it.
    assert!(!text.contains("FAST MEMORY TEST"), "{text}");
    assert!(text.contains("------ STACK TRACE ------"), "{text}");
    assert!(text.contains("=== REDIS BUG REPORT END."), "{text}");
}
