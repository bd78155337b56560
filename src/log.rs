//! The server log, in Redis's line format:
//!
//! ```text
//! 12345:M 22 Nov 2026 10:17:00.123 * Ready to accept connections
//! ^pid  ^role ^local time, ms      ^level (. debug, - verbose, * notice, # warning)
//! ```
//!
//! The role is `M` in the server process and `C` in anything else (before startup finished, forked children).
//! Lines go to stdout, or are appended to `logfile`; like Redis the file is opened per line (`O_APPEND`), so
//! logrotate works without a signal either way: after a move the next line creates the file, after copytruncate
//! the next line lands at offset 0. The descriptor kept open for signal handlers follows a move at the next line
//! or cron tick. `syslog-enabled yes` also sends each line through `syslog` (`syslog-ident`, `syslog-facility`).
//! Level and file can change at runtime (CONFIG SET). Wording of the events operators grep for (ready, saves,
//! rewrites, shutdown, loading) is Redis's.

use std::io::Write;
use std::sync::atomic::{AtomicI32, AtomicU8, Ordering};
use std::sync::Mutex;

/// `loglevel`'s values, least severe first (`Nothing` only for messages that must never print).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
    Nothing,
}

/// `loglevel`: set by [`set_level`] at start-up ([`server::startup::start`](crate::server::startup::start)) and by
/// CONFIG SET and its rollback; read by every log line on any thread, in every process. Like the log's other cells, a
/// static: logging is called from every layer and thread, and from signal handlers and fork children, none of which can
/// be handed the server state.
static LEVEL: AtomicU8 = AtomicU8::new(LogLevel::Notice as u8);
/// The server's pid once startup is done; other processes log with role `C`. Set once by [`set_server_pid`]
/// ([`server::startup::start`](crate::server::startup::start)); read by every log line.
static SERVER_PID: AtomicI32 = AtomicI32::new(0);
/// Whether the server is a replica: its lines then carry role `S`, as Redis's do. Set by [`set_replica_role`], which
/// [`state::repl::sync_feed`](crate::state::repl::sync_feed) calls as replication changes (a new master, a promotion, a
/// backlog created, the replication cron); read by every log line.
static REPLICA_ROLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Switches the role letter of the server's log lines between `M` (master) and `S` (replica).
pub fn set_replica_role(replica: bool) {
    REPLICA_ROLE.store(replica, Ordering::Relaxed);
}

fn server_role() -> u8 {
    if REPLICA_ROLE.load(Ordering::Relaxed) {
        b'S'
    } else {
        b'M'
    }
}
/// `logfile` (empty = stdout; the directive is immutable): set by [`set_file`] at start-up
/// ([`server::startup::start`](crate::server::startup::start)), and set again to the same path when a rotated file is
/// reopened ([`follow_rotation`] from the cron, or a line finding the file replaced). Each line opens it for appending.
static FILE: Mutex<String> = Mutex::new(String::new());
/// Descriptor the signal handler writes to: the log file opened in append mode, or -1 for stdout. A signal handler
/// may not lock or allocate, so the file is opened ahead of time. Replaced only by [`set_file`] (see [`FILE`]);
/// read by signal-time logging and crash reports.
static SIGNAL_FD: AtomicI32 = AtomicI32::new(-1);

/// Longest message logged, as Redis's `LOG_MAX_LEN`; longer ones are cut.
pub const LOG_MAX_LEN: usize = 1024;

fn level_from_u8(v: u8) -> LogLevel {
    match v {
        0 => LogLevel::Debug,
        1 => LogLevel::Verbose,
        2 => LogLevel::Notice,
        3 => LogLevel::Warning,
        _ => LogLevel::Nothing,
    }
}

/// Sets the minimum level written.
pub fn set_level(level: LogLevel) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

pub fn level() -> LogLevel {
    level_from_u8(LEVEL.load(Ordering::Relaxed))
}

/// Sets the log file; empty = stdout.
pub fn set_file(path: &str) {
    if let Ok(mut f) = FILE.lock() {
        f.clear();
        f.push_str(path);
    }
    let new_fd = if path.is_empty() {
        -1
    } else {
        use std::os::fd::IntoRawFd;
        std::fs::OpenOptions::new().create(true).append(true).open(path).map_or(-1, |f| f.into_raw_fd())
    };
    let old = SIGNAL_FD.swap(new_fd, Ordering::SeqCst);
    if old >= 0 {
        // SAFETY: `old` came from `into_raw_fd` above and nothing else owns it.
        unsafe { libc::close(old) };
    }
}

/// Logs from a signal handler, async-signal-safely, in Redis's format for that case:
/// `pid:signal-handler (unixtime) message`.
pub fn log_from_signal_handler(msg: &[u8]) {
    if !enabled(LogLevel::Warning) {
        return;
    }
    let mut line = [0u8; 256];
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        let k = bytes.len().min(line.len() - n);
        line[n..n + k].copy_from_slice(&bytes[..k]);
        n += k;
    };
    let mut num = [0u8; 24];
    // SAFETY: getpid and time(NULL) are async-signal-safe and take no pointers we own.
    let (pid, now) = unsafe { (libc::getpid(), libc::time(std::ptr::null_mut())) };
    put(crate::util::itoa_buf(pid as i64, &mut num));
    put(b":signal-handler (");
    // time_t is not i64 everywhere.
    #[allow(clippy::unnecessary_cast)]
    put(crate::util::itoa_buf(now as i64, &mut num));
    put(b") ");
    put(msg);
    put(b"\n");
    let fd = match SIGNAL_FD.load(Ordering::SeqCst) {
        -1 => 1,
        fd => fd,
    };
    // SAFETY: write is async-signal-safe; `line[..n]` is initialised memory.
    unsafe { libc::write(fd, line.as_ptr() as *const libc::c_void, n) };
}

/// The descriptor a signal handler writes the log to: the pre-opened log file, or stdout.
pub fn signal_fd() -> i32 {
    match SIGNAL_FD.load(Ordering::SeqCst) {
        -1 => 1,
        fd => fd,
    }
}

/// Local time's offset from UTC in seconds, kept for [`write_prefix_signal_safe`] (a signal handler may not call
/// `localtime_r`, which can take the time-zone lock). Set by [`refresh_tz_offset`]: at start-up
/// ([`crash_report::install`](crate::crash_report::install)) and by the cron
/// ([`Server::ops_cron`](crate::server::Server::ops_cron)), so DST changes are followed.
static TZ_OFFSET_S: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Recomputes the local time offset (start-up, cron).
pub fn refresh_tz_offset() {
    // SAFETY: time(NULL) takes no pointer we own; tm is plain data and localtime_r the thread-safe variant.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: time(NULL) only returns the time; it writes through no pointer.
    let now = unsafe { libc::time(std::ptr::null_mut()) };
    // SAFETY: both pointers are valid for the call.
    unsafe { libc::localtime_r(&now, &mut tm) };
    #[allow(clippy::unnecessary_cast)]
    TZ_OFFSET_S.store(tm.tm_gmtoff as i64, Ordering::Relaxed);
}

/// Writes the `pid:M 22 Nov 2026 10:17:00.123 # ` prefix of a log line using only async-signal-safe calls
/// (`getpid`, `clock_gettime`) and the cached time-zone offset.
pub fn write_prefix_signal_safe(w: &mut crate::sys::fatal::SigWriter, level: LogLevel) {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime and getpid are async-signal-safe; `ts` is a valid timespec.
    let pid = unsafe {
        libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts);
        libc::getpid()
    };
    #[allow(clippy::unnecessary_cast)]
    let local = ts.tv_sec as i64 + TZ_OFFSET_S.load(Ordering::Relaxed);
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let role = if SERVER_PID.load(Ordering::Relaxed) == pid { [server_role(), b' '] } else { *b"C " };
    w.dec(pid as i64).str(":").bytes(&role);
    w.dec_pad(d, 2).str(" ").str(MONTHS[(m - 1).clamp(0, 11) as usize]).str(" ").dec(y).str(" ");
    w.dec_pad(secs / 3600, 2).str(":").dec_pad(secs / 60 % 60, 2).str(":").dec_pad(secs % 60, 2).str(".");
    #[allow(clippy::unnecessary_cast)]
    w.dec_pad(ts.tv_nsec as i64 / 1_000_000, 3).str(" ");
    w.str(match level {
        LogLevel::Debug => ". ",
        LogLevel::Verbose => "- ",
        LogLevel::Notice => "* ",
        LogLevel::Warning | LogLevel::Nothing => "# ",
    });
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`): the log's
/// timestamps and Sentinel's `ctime` text.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + (m <= 2) as i64, m, d)
}

/// Makes the signal handler's descriptor follow a rotated log: when the path now names another file (moved away
/// and recreated) or nothing, the descriptor is reopened (creating the file, as the next line would). Called by the
/// cron (one `stat` and one `fstat`); a line written through [`log_raw`] does the same check.
pub fn follow_rotation() {
    let path = FILE.lock().map(|f| f.clone()).unwrap_or_default();
    if path.is_empty() || SIGNAL_FD.load(Ordering::SeqCst) < 0 {
        return;
    }
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(&path) {
        Ok(m) => follow_file(m.ino(), m.dev(), &path),
        Err(_) => set_file(&path),
    }
}

/// Marks the calling process as the server (role `M` in log lines).
pub fn set_server_pid() {
    SERVER_PID.store(std::process::id() as i32, Ordering::Relaxed);
}

/// Whether a message at `level` would be written.
#[inline]
pub fn enabled(level: LogLevel) -> bool {
    level != LogLevel::Nothing && level as u8 >= LEVEL.load(Ordering::Relaxed)
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `22 Nov 2026 10:17:00.123` in local time.
pub fn timestamp(now_ms: i64) -> String {
    #[allow(deprecated)] // musl's libc crate deprecates the time_t alias (64-bit from musl 1.2); the cast is right.
    let secs = (now_ms.div_euclid(1000)) as libc::time_t;
    let ms = now_ms.rem_euclid(1000);
    // SAFETY: tm is plain data; all-zero is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r is the thread-safe variant.
    unsafe { libc::localtime_r(&secs, &mut tm) };
    let mon = MONTHS.get(tm.tm_mon as usize).copied().unwrap_or("???");
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        mon,
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        ms
    )
}

fn level_char(level: LogLevel) -> char {
    match level {
        LogLevel::Debug => '.',
        LogLevel::Verbose => '-',
        LogLevel::Notice => '*',
        LogLevel::Warning | LogLevel::Nothing => '#',
    }
}

/// Formats one complete log line (with the trailing newline).
pub fn format_line(pid: u32, role: char, now_ms: i64, level: LogLevel, msg: &str) -> String {
    let mut cut = msg.len().min(LOG_MAX_LEN);
    while !msg.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}:{} {} {} {}\n", pid, role, timestamp(now_ms), level_char(level), &msg[..cut])
}

/// Writes `msg` at `level` if the level is enabled.
pub fn log(level: LogLevel, msg: &str) {
    if !enabled(level) {
        return;
    }
    log_raw(level, msg);
}

/// Whether lines also go to syslog (`syslog-enabled yes`): set once by [`open_syslog`] at start-up
/// ([`server::startup::start`](crate::server::startup::start)); read by every log line.
static SYSLOG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The syslog facility of a `syslog-facility` name (Redis's `syslog_facility_enum`).
pub fn syslog_facility(name: &str) -> Option<libc::c_int> {
    Some(match name {
        "user" => libc::LOG_USER,
        "local0" => libc::LOG_LOCAL0,
        "local1" => libc::LOG_LOCAL1,
        "local2" => libc::LOG_LOCAL2,
        "local3" => libc::LOG_LOCAL3,
        "local4" => libc::LOG_LOCAL4,
        "local5" => libc::LOG_LOCAL5,
        "local6" => libc::LOG_LOCAL6,
        "local7" => libc::LOG_LOCAL7,
        _ => return None,
    })
}

/// The syslog priority of a level (Redis's `syslogLevelMap`).
pub fn syslog_priority(level: LogLevel) -> libc::c_int {
    match level {
        LogLevel::Debug => libc::LOG_DEBUG,
        LogLevel::Verbose => libc::LOG_INFO,
        LogLevel::Notice => libc::LOG_NOTICE,
        LogLevel::Warning | LogLevel::Nothing => libc::LOG_WARNING,
    }
}

/// `openlog(ident, LOG_PID | LOG_NDELAY | LOG_NOWAIT, facility)` as Redis does at start-up; from then on every
/// line is also sent to syslog (the message only: syslog adds its own time, ident and pid).
pub fn open_syslog(ident: &str, facility: &str) {
    let Ok(id) = std::ffi::CString::new(ident) else { return };
    let facility = syslog_facility(facility).unwrap_or(libc::LOG_LOCAL0);
    // openlog keeps the pointer: the ident must live as long as the process.
    let id: &'static std::ffi::CStr = Box::leak(id.into_boxed_c_str());
    // SAFETY: `id` is a NUL-terminated string that is never freed.
    unsafe { libc::openlog(id.as_ptr(), libc::LOG_PID | libc::LOG_NDELAY | libc::LOG_NOWAIT, facility) };
    SYSLOG.store(true, Ordering::Relaxed);
}

fn to_syslog(level: LogLevel, msg: &str) {
    let mut cut = msg.len().min(LOG_MAX_LEN);
    while !msg.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut buf = Vec::with_capacity(cut + 1);
    buf.extend(msg.as_bytes()[..cut].iter().map(|&b| if b == 0 { b' ' } else { b }));
    buf.push(0);
    // SAFETY: "%s" with one NUL-terminated string argument.
    unsafe { libc::syslog(syslog_priority(level), c"%s".as_ptr(), buf.as_ptr() as *const libc::c_char) };
}

/// Writes `msg` regardless of the configured level (the level still picks the marker character).
pub fn log_raw(level: LogLevel, msg: &str) {
    if SYSLOG.load(Ordering::Relaxed) {
        to_syslog(level, msg);
    }
    let pid = std::process::id();
    let role = if SERVER_PID.load(Ordering::Relaxed) == pid as i32 { server_role() as char } else { 'C' };
    let line = format_line(pid, role, crate::util::now_ms(), level, msg);
    let path = FILE.lock().map(|f| f.clone()).unwrap_or_default();
    if path.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    } else if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&path) {
        let _ = f.write_all(line.as_bytes());
        // A line that created a new file (the old one was moved away by logrotate) takes the signal handler's
        // descriptor along at once.
        if let Ok(m) = f.metadata() {
            use std::os::unix::fs::MetadataExt;
            follow_file(m.ino(), m.dev(), &path);
        }
    }
}

/// Reopens the signal handler's descriptor on `path` unless it already is the file `(ino, dev)`.
fn follow_file(ino: u64, dev: u64, path: &str) {
    let fd = SIGNAL_FD.load(Ordering::SeqCst);
    if fd < 0 {
        return;
    }
    // SAFETY: stat is plain data; all-zero is valid. fstat writes into it for a descriptor we own.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is valid for writes; fstat of a bad descriptor only fails.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return;
    }
    #[allow(clippy::unnecessary_cast)]
    if st.st_ino as u64 != ino || st.st_dev as u64 != dev {
        set_file(path);
    }
}

/// Writes `text` as it is (no pid/time/level prefix) to the log's destination: the start-up logo.
pub fn write_raw(text: &str) {
    let path = FILE.lock().map(|f| f.clone()).unwrap_or_default();
    if path.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    } else if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&path) {
        let _ = f.write_all(text.as_bytes());
    }
}

/// `log_at!(LogLevel::Notice, "fmt", args..)`: formats only when the level is enabled.
#[macro_export]
macro_rules! log_at {
    ($level:expr, $($arg:tt)*) => {{
        let level = $level;
        if $crate::log::enabled(level) {
            $crate::log::log_raw(level, &format!($($arg)*));
        }
    }};
}

#[macro_export]
macro_rules! log_debug { ($($arg:tt)*) => { $crate::log_at!($crate::log::LogLevel::Debug, $($arg)*) }; }
#[macro_export]
macro_rules! log_verbose { ($($arg:tt)*) => { $crate::log_at!($crate::log::LogLevel::Verbose, $($arg)*) }; }
#[macro_export]
macro_rules! log_notice { ($($arg:tt)*) => { $crate::log_at!($crate::log::LogLevel::Notice, $($arg)*) }; }
#[macro_export]
macro_rules! log_warning { ($($arg:tt)*) => { $crate::log_at!($crate::log::LogLevel::Warning, $($arg)*) }; }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_has_redis_shape() {
        let line = format_line(4242, 'M', 1_700_000_000_123, LogLevel::Notice, "Server initialized");
        // pid:role, then "dd Mon yyyy hh:mm:ss.mmm", level char, message.
        let (head, rest) = line.split_once(' ').unwrap();
        assert_eq!(head, "4242:M");
        let parts: Vec<&str> = rest.trim_end().splitn(6, ' ').collect();
        assert_eq!(parts[0].len(), 2);
        assert!(MONTHS.contains(&parts[1]));
        assert_eq!(parts[2].len(), 4);
        assert!(parts[3].ends_with(".123") && parts[3].len() == 12);
        assert_eq!(parts[4], "*");
        assert_eq!(parts[5], "Server initialized");
        assert!(line.ends_with('\n'));
    }

    #[test]
    fn long_messages_are_cut() {
        let msg = "é".repeat(LOG_MAX_LEN);
        let line = format_line(1, 'C', 0, LogLevel::Warning, &msg);
        assert!(line.len() < LOG_MAX_LEN + 64);
        assert!(line.contains(" # é"));
    }

    #[test]
    fn syslog_mapping_is_redis() {
        assert_eq!(syslog_priority(LogLevel::Debug), libc::LOG_DEBUG);
        assert_eq!(syslog_priority(LogLevel::Verbose), libc::LOG_INFO);
        assert_eq!(syslog_priority(LogLevel::Notice), libc::LOG_NOTICE);
        assert_eq!(syslog_priority(LogLevel::Warning), libc::LOG_WARNING);
        assert_eq!(syslog_facility("user"), Some(libc::LOG_USER));
        assert_eq!(syslog_facility("local0"), Some(libc::LOG_LOCAL0));
        assert_eq!(syslog_facility("local7"), Some(libc::LOG_LOCAL7));
        assert_eq!(syslog_facility("kern"), None);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn levels_filter() {
        assert!(!enabled(LogLevel::Nothing));
        assert_eq!(level_from_u8(LogLevel::Verbose as u8), LogLevel::Verbose);
    }
}
