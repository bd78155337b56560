//! Crash reports and the software watchdog, in Redis's wording (`debug.c`: `sigsegvHandler`, `bugReportStart`,
//! `logStackTrace`, `printCrashReport`, `bugReportEnd`, `watchdogSignalHandler`).
//!
//! A fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT), a Rust panic on any thread, and DEBUG
//! ASSERT/PANIC/SEGFAULT write the report to the log:
//!
//! ```text
//! === REDIS BUG REPORT START: Cut & paste starting from here ===
//! pid:M date # ferredis 1.0.0 crashed by signal: 11, si_code: 0      (or the ASSERTION FAILED / Guru Meditation lines)
//! pid:M date # Crashed running the instruction at: 0x...
//! ------ STACK TRACE ------         backtrace with demangled symbol names
//! ------ INFO OUTPUT ------         INFO all
//! ------ CLIENT LIST OUTPUT ------  CLIENT LIST
//! ------ CURRENT CLIENT INFO ------ the client whose command was running, its arguments (secrets redacted)
//! === REDIS BUG REPORT END. Make sure to include from START to END. ===
//! ```
//!
//! then the process dies by the same signal (a panic, ASSERT and PANIC: abort, or `exit(1)` with
//! `use-exit-on-panic yes`, exactly as Redis's `bugReportEnd`; like Redis a fatal signal always re-raises).
//!
//! # Signal safety
//! The signal handler runs on an alternate stack (so a stack overflow still reports) and only calls
//! async-signal-safe functions on memory prepared earlier (see [`crate::sys::fatal`]). Redis renders INFO and
//! CLIENT LIST inside its handler with the allocator, which a corrupted heap can deadlock or crash again; ferredis
//! instead prints a **snapshot** of both that the cron renders once a second ([`publish_snapshot`]). The
//! snapshot may be up to a second old and lists at most [`SNAPSHOT_MAX_CLIENTS`] clients. The running command is
//! recorded by the dispatcher ([`Running`], two pointer stores per command) and printed live.
//!
//! The watchdog (`watchdog-period`) arms a one-shot `ITIMER_REAL` timer each cron pass; if a pass of the event loop
//! takes longer than the period, SIGALRM arrives and its handler logs `--- WATCHDOG TIMER EXPIRED ---` with the
//! main thread's stack, and the server goes on.
//!
//! Tested by tests/operations/crash_reports.rs (each kind of crash, the watchdog, the exit status) and the unit tests
//! below.

use crate::args::Args;
use crate::config::LogLevel;
use crate::net::client::ClientState;
use crate::sys::fatal::{self as sys, SigWriter};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicPtr, Ordering};

/// Most CLIENT LIST lines in the once-a-second snapshot (the rest are counted): rendering costs about a
/// microsecond per client, and the snapshot must not pause a server with thousands of connections.
pub const SNAPSHOT_MAX_CLIENTS: usize = 256;

/// `crash-log-enabled`: with `no`, a fatal signal kills the process without a report. Like the other settings here,
/// stored by [`apply_config`] at start-up ([`server::startup::start`](crate::server::startup::start)), on CONFIG SET
/// ([`command::config`](crate::command::config)) and on every cron pass
/// ([`Server::ops_cron`](crate::server::Server::ops_cron)), and a static because the signal handlers and the panic hook
/// read it.
static CRASH_LOG: AtomicBool = AtomicBool::new(true);
/// `use-exit-on-panic`, stored by [`apply_config`] (see [`CRASH_LOG`]); read by the panic hook.
static EXIT_ON_PANIC: AtomicBool = AtomicBool::new(false);
/// The watchdog period in effect (ms, 0 = off): stored by [`apply_config`] (see [`CRASH_LOG`]), read by
/// [`watchdog_rearm`] on each cron pass.
static WATCHDOG_MS: AtomicI64 = AtomicI64::new(0);
/// The latest INFO + CLIENT LIST text and the one before (kept one more period, so a handler on another thread never
/// reads freed memory while the cron swaps). Replaced by [`publish_snapshot`], which the cron calls once a second
/// ([`Server::refresh_crash_snapshot`](crate::server::Server::refresh_crash_snapshot)); read by a signal-time report,
/// hence a static.
static SNAPSHOT: AtomicPtr<String> = AtomicPtr::new(std::ptr::null_mut());
/// The snapshot before `SNAPSHOT`, freed when the next one retires it (see above); written only by
/// [`publish_snapshot`].
static RETIRED: AtomicPtr<String> = AtomicPtr::new(std::ptr::null_mut());
/// The command being executed, set by the dispatcher for the duration of the call ([`set_running`] and
/// [`clear_running`] in [`Server::dispatch`](crate::server::Server::dispatch)); read by a crash report, in a signal
/// handler, hence a static.
static RUNNING: AtomicPtr<Running<'static>> = AtomicPtr::new(std::ptr::null_mut());

/// The client and arguments of the running command; lives on the dispatcher's stack while recorded.
pub struct Running<'a> {
    pub client: &'a ClientState,
    pub args: Args<'a>,
}

/// Records `r` as the running command until [`clear_running`].
#[inline]
pub fn set_running(r: &Running<'_>) {
    RUNNING.store(r as *const Running<'_> as *mut Running<'static>, Ordering::Relaxed);
}

#[inline]
pub fn clear_running() {
    RUNNING.store(std::ptr::null_mut(), Ordering::Relaxed);
}

/// `crash-memcheck-enabled`, stored by [`apply_config`] (see [`CRASH_LOG`]); read by a crash report.
static MEMCHECK: AtomicBool = AtomicBool::new(true);
/// The thread that installed the handlers (the event loop's); the memory test runs only there. Set once by
/// [`install`] at start-up; read by a crash report in the signal handler.
static MAIN_THREAD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // used by the Linux-only code
fn on_main_thread() -> bool {
    // SAFETY: pthread_self has no preconditions.
    MAIN_THREAD.load(Ordering::Relaxed) == unsafe { libc::pthread_self() } as usize
}

/// Start-up: alternate stack, symbol table, fatal-signal handlers, the panic hook.
pub fn install() {
    if let Err(e) = sys::install_alt_stack() {
        crate::log_warning!("Can't set up the alternate signal stack: {e}");
    }
    // SAFETY: pthread_self has no preconditions.
    MAIN_THREAD.store(unsafe { libc::pthread_self() } as usize, Ordering::Relaxed);
    #[cfg(target_os = "linux")]
    crate::sys::memtest::init();
    sys::init_symbols();
    crate::log::refresh_tz_offset();
    sys::install_fatal_handlers(on_fatal_signal);
    install_panic_hook();
}

/// Redis's applyWatchdogPeriod raises a non-zero `watchdog-period` to two cron intervals, and CONFIG GET then
/// shows the raised value: done on the configuration before it is applied.
pub fn raise_watchdog_period(c: &mut crate::config::Config) {
    let ms = c.stored_i64("watchdog-period");
    let min = 2 * (1000 / c.hz.clamp(1, 500));
    if ms > 0 && ms < min {
        c.extra.insert("watchdog-period", min.to_string());
    }
}

/// Applies the crash and watchdog settings (start-up, CONFIG SET, every cron pass; cheap when nothing changed).
pub fn apply_config(c: &crate::config::Config, hz: i64) {
    CRASH_LOG.store(c.crash_log_enabled, Ordering::Relaxed);
    EXIT_ON_PANIC.store(c.stored_bool("use-exit-on-panic"), Ordering::Relaxed);
    MEMCHECK.store(c.stored_bool("crash-memcheck-enabled"), Ordering::Relaxed);
    let watchdog_ms = c.stored_i64("watchdog-period");
    // Like Redis's applyWatchdogPeriod: a period under two cron intervals would fire between healthy passes.
    let wanted = if watchdog_ms > 0 { watchdog_ms.max(2 * (1000 / hz.max(1))) } else { 0 };
    let old = WATCHDOG_MS.swap(wanted, Ordering::Relaxed);
    if old != wanted {
        if (old == 0) != (wanted == 0) {
            sys::set_alarm_handler(if wanted > 0 { Some(on_watchdog) } else { None });
        }
        // Stops the timer (0) or adjusts it to the new period at once, as Redis's applyWatchdogPeriod.
        sys::arm_alarm(wanted);
    }
}

/// Re-arms the watchdog timer (the cron does it on each pass, as Redis's `serverCron`).
#[inline]
pub fn watchdog_rearm() {
    let ms = WATCHDOG_MS.load(Ordering::Relaxed);
    if ms > 0 {
        sys::arm_alarm(ms);
    }
}

/// Whether the configured report is on (DEBUG ASSERT/PANIC check it as Redis's `_serverAssert`).
pub fn crash_log_enabled() -> bool {
    CRASH_LOG.load(Ordering::Relaxed)
}

/// Replaces the INFO + CLIENT LIST snapshot printed by a signal-time report.
pub fn publish_snapshot(text: String) {
    let new = Box::into_raw(Box::new(text));
    let old = SNAPSHOT.swap(new, Ordering::AcqRel);
    let older = RETIRED.swap(old, Ordering::AcqRel);
    if !older.is_null() {
        // SAFETY: `older` came from Box::into_raw above and was unlinked from both statics, so no reader can reach
        // it any more (a reader holding it would have had a whole snapshot period to finish).
        drop(unsafe { Box::from_raw(older) });
    }
}

fn fd() -> i32 {
    crate::log::signal_fd()
}

/// The start of a log line at warning level, async-signal-safely (what [`sys::write_registers`] starts its lines
/// with).
fn warning_prefix(w: &mut SigWriter) {
    crate::log::write_prefix_signal_safe(w, LogLevel::Warning);
}

/// A whole log line at warning level, async-signal-safely.
fn line(w: &mut SigWriter, parts: &[&[u8]]) {
    warning_prefix(w);
    for p in parts {
        w.bytes(p);
    }
    w.str("\n");
}

/// `\n\n=== REDIS BUG REPORT START ...`; printed once per process even if a second crash happens while reporting.
pub fn bug_report_start(w: &mut SigWriter) {
    /// Set by the first report's header, here, in whichever signal handler or panic prints it first.
    static STARTED: AtomicBool = AtomicBool::new(false);
    if !STARTED.swap(true, Ordering::SeqCst) {
        w.str("\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n");
    }
}

/// `------ STACK TRACE ------` with the faulting instruction (if known) and the backtrace of the calling thread.
///
/// `uctx` is a signal handler's saved context (null outside handlers): where the platform's `backtrace` cannot
/// step through the signal frame (musl), the trace starts from the interrupted code's registers instead, and
/// then its first frame is the interrupted instruction itself.
pub fn log_stack_trace(w: &mut SigWriter, eip: usize, skip: usize, uctx: *mut libc::c_void) {
    let mut trace = [std::ptr::null_mut(); 100];
    let mut skip = skip;
    let mut n = sys::backtrace_from_context(uctx, &mut trace);
    if n == 0 {
        n = sys::backtrace(&mut trace);
    } else {
        skip = 0;
    }
    w.str("\n------ STACK TRACE ------\n");
    if eip != 0 {
        w.str("EIP:\n");
        sys::write_frame(w, eip as *mut libc::c_void);
    }
    w.str("\nBacktrace:\n");
    for &frame in trace.iter().take(n).skip(skip.min(n)) {
        sys::write_frame(w, frame);
    }
    if n == 0 {
        w.str("Sorry: no support for backtrace().\n");
    }
}

/// INFO, CLIENT LIST and the current client. `live` is a fresh INFO + CLIENT LIST text when the caller could
/// render one (DEBUG ASSERT/PANIC run on the main thread with the state at hand); else the cron's snapshot.
pub fn print_crash_report(w: &mut SigWriter, live: Option<&str>) {
    match live {
        Some(text) => {
            w.str(text);
        }
        None => {
            let p = SNAPSHOT.load(Ordering::Acquire);
            if p.is_null() {
                w.str("\n------ INFO OUTPUT ------\n(no snapshot taken yet)\n");
            } else {
                // SAFETY: published by `publish_snapshot` and freed only two publications later.
                w.str(unsafe { &*p });
            }
        }
    }
    log_current_client(w);
    // Redis's doFastMemoryTest. Only on the event loop's thread: a test running beside it would race its writes.
    #[cfg(target_os = "linux")]
    if MEMCHECK.load(Ordering::Relaxed) && on_main_thread() {
        crate::sys::memtest::run_and_report(w);
    }
}

/// Redis's `logCurrentClient`: the running client's fields and its arguments (repr, at most 128 bytes each).
fn log_current_client(w: &mut SigWriter) {
    let p = RUNNING.load(Ordering::Relaxed);
    if p.is_null() {
        return;
    }
    // SAFETY: the dispatcher publishes a pointer to a `Running` on its own stack and clears it before that frame
    // returns; a crash while it is set leaves the frame (and the client and arguments it borrows) alive.
    let r = unsafe { &*p };
    let c = r.client;
    w.str("\n------ CURRENT CLIENT INFO ------\n");
    w.str("id=").dec(c.id as i64).str(" addr=").str(&c.addr).str(" laddr=").str(&c.laddr);
    w.str(" fd=").dec(c.fd as i64).str(" name=").bytes(c.name.as_deref().unwrap_or(b""));
    w.str(" db=").dec(c.db as i64).str(" user=").str(&c.user).str("\n");
    for (j, a) in r.args.iter().enumerate() {
        w.str("argv[").dec(j as i64).str("]: '");
        if is_redacted(r.args, j) {
            w.str("(redacted)");
        } else {
            write_repr(w, &a[..a.len().min(128)]);
        }
        w.str("'\n");
    }
}

/// Whether argument `j` is a secret Redis replaces with `(redacted)` (its `redactClientCommandArgument` calls in
/// AUTH, HELLO's AUTH option, ACL SETUSER and MIGRATE's AUTH/AUTH2).
pub fn is_redacted(args: Args, j: usize) -> bool {
    if args.is_empty() || j == 0 {
        return false;
    }
    if args.is(0, "auth") {
        // AUTH with too many arguments is refused before it redacts anything.
        return args.len() <= 3;
    }
    if args.is(0, "config") {
        // CONFIG SET redacts the values of its sensitive parameters (an odd argument count is a syntax error).
        return args.is(1, "set")
            && args.len() % 2 == 0
            && j >= 3
            && j % 2 == 1
            && ["masterauth", "masteruser", "requirepass"].iter().any(|n| args.is(j - 1, n));
    }
    if args.is(0, "acl") {
        return args.is(1, "setuser") && j >= 2;
    }
    if args.is(0, "hello") {
        return (2..j).any(|k| args.is(k, "auth") && (j == k + 1 || j == k + 2));
    }
    if args.is(0, "migrate") {
        return (6..j)
            .any(|k| (args.is(k, "auth") && j == k + 1) || (args.is(k, "auth2") && (j == k + 1 || j == k + 2)));
    }
    false
}

/// `sdscatrepr` without allocating: printable bytes as they are, others escaped.
fn write_repr(w: &mut SigWriter, b: &[u8]) {
    for &c in b {
        match c {
            b'\\' => w.str("\\\\"),
            b'"' => w.str("\\\""),
            b'\n' => w.str("\\n"),
            b'\r' => w.str("\\r"),
            b'\t' => w.str("\\t"),
            0x07 => w.str("\\a"),
            0x08 => w.str("\\b"),
            0x20..=0x7e => w.bytes(&[c]),
            _ => {
                let hex = b"0123456789abcdef";
                w.bytes(&[b'\\', b'x', hex[(c >> 4) as usize], hex[(c & 15) as usize]])
            }
        };
    }
}

/// `=== REDIS BUG REPORT END ...` with Redis's closing text.
pub fn bug_report_end_text(w: &mut SigWriter) {
    w.str(
        "\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n       Please report the crash \
         to the ferredis maintainers with this log.\n\n",
    );
    w.flush();
}

/// Ends the process after a panic or an assertion (Redis's `bugReportEnd(0, 0)`): `_exit(1)` with
/// `use-exit-on-panic yes`, else abort (the fatal handlers are removed first so abort adds no second report).
pub fn end_after_panic() -> ! {
    sys::reset_fatal_handlers();
    if EXIT_ON_PANIC.load(Ordering::Relaxed) {
        sys::exit_now(1);
    }
    std::process::abort();
}

/// The report for a Rust panic or DEBUG ASSERT/PANIC, after the caller wrote its header lines through
/// `header`. Runs in normal context, so allocation is fine here.
pub fn panic_report(header: impl FnOnce(&mut SigWriter), live: Option<&str>) -> ! {
    let mut w = SigWriter::new(fd());
    bug_report_start(&mut w);
    header(&mut w);
    if crash_log_enabled() {
        log_stack_trace(&mut w, 0, 1, std::ptr::null_mut());
        print_crash_report(&mut w, live);
    }
    bug_report_end_text(&mut w);
    end_after_panic()
}

/// Writes one warning line (for the `header` of [`panic_report`]).
pub fn warn_line(w: &mut SigWriter, msg: &str) {
    line(w, &[msg.as_bytes()]);
}

/// A panic on any thread (the event loop, the background fsync thread) is a server bug: Redis's bug report with
/// the panic as its "Guru Meditation" line, then the end of the process. A thread must never die silently and leave
/// the server half working.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let place = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let thread = std::thread::current().name().unwrap_or("unnamed").to_string();
        panic_report(
            |w| {
                warn_line(w, "------------------------------------------------");
                warn_line(w, "!!! Software Failure. Press left mouse button to continue");
                warn_line(w, &format!("Guru Meditation: {msg} #{place} (thread {thread})"));
            },
            None,
        )
    }));
}

/// `si_code` of a signal sent with kill(2) (not exported by the libc crate on every platform).
#[cfg(any(target_os = "linux", target_os = "android"))]
const SI_USER: libc::c_int = 0;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SI_USER: libc::c_int = 0x10001;

/// The fatal-signal handler (Redis's `sigsegvHandler`).
extern "C" fn on_fatal_signal(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    if !CRASH_LOG.load(Ordering::Relaxed) {
        sys::die_by_signal(sig);
    }
    let mut w = SigWriter::new(fd());
    bug_report_start(&mut w);
    let mut num = [0u8; 24];
    let mut num2 = [0u8; 24];
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler (checked for null anyway).
    let (code, addr, pid, uid) = match unsafe { info.as_ref() } {
        // SAFETY: si_addr/si_pid/si_uid read the union fields the kernel filled for this signal.
        Some(i) => unsafe { (i.si_code, i.si_addr() as usize, i.si_pid(), i.si_uid()) },
        None => (0, 0, -1, 0),
    };
    crate::log::write_prefix_signal_safe(&mut w, LogLevel::Warning);
    w.str("ferredis ").str(crate::config::FERREDIS_VERSION).str(" crashed by signal: ").dec(sig as i64);
    w.str(", si_code: ").dec(code as i64).str("\n");
    if sig == libc::SIGSEGV || sig == libc::SIGBUS {
        crate::log::write_prefix_signal_safe(&mut w, LogLevel::Warning);
        w.str("Accessing address: ").hex(addr).str("\n");
    }
    if code == SI_USER && pid != -1 {
        line(
            &mut w,
            &[
                b"Killed by PID: ",
                crate::util::itoa_buf(pid as i64, &mut num),
                b", UID: ",
                crate::util::itoa_buf(uid as i64, &mut num2),
            ],
        );
    }
    let eip = sys::pc_of_context(uctx);
    if eip != 0 {
        crate::log::write_prefix_signal_safe(&mut w, LogLevel::Warning);
        w.str("Crashed running the instruction at: ").hex(eip).str("\n");
    }
    log_stack_trace(&mut w, eip, 1, uctx);
    sys::write_registers(&mut w, uctx, warning_prefix);
    print_crash_report(&mut w, None);
    bug_report_end_text(&mut w);
    sys::die_by_signal(sig);
}

/// SIGALRM: one pass of the event loop has run longer than `watchdog-period` (Redis's `watchdogSignalHandler`).
extern "C" fn on_watchdog(_sig: libc::c_int, _info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    // SAFETY: errno is thread-local; the handler restores it so the interrupted code sees its own value.
    let saved_errno = unsafe { *errno_location() };
    let mut w = SigWriter::new(fd());
    crate::log::log_from_signal_handler(b"\n--- WATCHDOG TIMER EXPIRED ---");
    log_stack_trace(&mut w, sys::pc_of_context(uctx), 1, uctx);
    w.flush();
    crate::log::log_from_signal_handler(b"--------\n");
    // SAFETY: as above.
    unsafe { *errno_location() = saved_errno };
}

#[cfg(target_os = "linux")]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: __errno_location has no preconditions and returns the calling thread's errno slot.
    unsafe { libc::__errno_location() }
}

#[cfg(not(target_os = "linux"))]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: __error has no preconditions and returns the calling thread's errno slot.
    unsafe { libc::__error() }
}

/// The INFO + CLIENT LIST part of a report, from rendered texts (`\r\n` INFO lines as Redis prints them).
pub fn report_text(info: &str, client_list: &str) -> String {
    let mut s = String::with_capacity(info.len() + client_list.len() + 80);
    s.push_str("\n------ INFO OUTPUT ------\n");
    s.push_str(info);
    s.push_str("\n------ CLIENT LIST OUTPUT ------\n");
    s.push_str(client_list);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(words: &[&str]) -> crate::args::OwnedArgs {
        let mut o = crate::args::OwnedArgs::default();
        for w in words {
            let s = o.buf.len() as u32;
            o.buf.extend_from_slice(w.as_bytes());
            o.spans.push((s, o.buf.len() as u32));
        }
        o
    }

    fn redacted(words: &[&str]) -> Vec<usize> {
        let o = owned(words);
        let a = Args::new(&o.buf, &o.spans);
        (0..a.len()).filter(|&j| is_redacted(a, j)).collect()
    }

    #[test]
    fn redaction_follows_redis() {
        assert_eq!(redacted(&["AUTH", "secret"]), vec![1]);
        assert_eq!(redacted(&["auth", "user", "secret"]), vec![1, 2]);
        assert_eq!(redacted(&["HELLO", "3", "AUTH", "user", "pw", "SETNAME", "x"]), vec![3, 4]);
        assert_eq!(redacted(&["ACL", "SETUSER", "bob", "on", ">pw"]), vec![2, 3, 4]);
        assert_eq!(redacted(&["ACL", "LIST"]), Vec::<usize>::new());
        assert_eq!(redacted(&["MIGRATE", "h", "1", "k", "0", "5", "AUTH", "pw", "KEYS", "a"]), vec![7]);
        assert_eq!(redacted(&["MIGRATE", "h", "1", "", "0", "5", "AUTH2", "u", "pw"]), vec![7, 8]);
        assert_eq!(redacted(&["SET", "auth", "x"]), Vec::<usize>::new());
        assert_eq!(redacted(&["AUTH", "a", "b", "c"]), Vec::<usize>::new());
        assert_eq!(redacted(&["CONFIG", "SET", "masterauth", ""]), vec![3]);
        assert_eq!(redacted(&["config", "set", "maxmemory", "1", "REQUIREPASS", "x", "masteruser", "u"]), vec![5, 7]);
        assert_eq!(redacted(&["CONFIG", "SET", "masterauth"]), Vec::<usize>::new());
        assert_eq!(redacted(&["CONFIG", "GET", "masterauth"]), Vec::<usize>::new());
        assert_eq!(redacted(&["CONFIG", "SET", "x", "masterauth"]), Vec::<usize>::new());
    }
}
