//! How Redis 7.0.15 reports a failed RDB load, so that operators and tools that read Redis's logs find the same
//! lines in ours (rdb.c's `rdbReportError`, and the `eoferr` label of `rdbLoadRioWithLoadingCtx`).
//!
//! Redis reports a failure where it finds it: a damaged value through `rdbReportCorruptRDB`, a short read of a
//! stream's fields through `rdbReportReadError`. Every failure that only makes a read come back empty (the
//! connection closed, a string cut short, a value whose loader returned nothing) ends at the loader's `eoferr`:
//! "Short read or OOM loading DB..." and the report of "Unexpected EOF reading RDB file". What follows depends on
//! who is loading ([`Source`]):
//!
//! | source | corruption report | read error report | then |
//! |---|---|---|---|
//! | a command (DEBUG RELOAD, RESTORE) | verbose | verbose | the command fails |
//! | a file (start-up, a replica's disk sync) | warning | warning | redis-check-rdb's report, exit(1) |
//! | the master's socket (diskless load) | warning, "Failure loading rdb format", exit(1) | warning, "assuming connection error, resuming operation." | the sync is retried |
//!
//! The line numbers are those of Debian's build of 7.0.15 (the oracle these tests run), whose security patches
//! move rdb.c's lines by up to 9 from the upstream source: each was read from that build's log for a payload
//! made to fail there, except the few marked "by its neighbours", which take the shift of the probed sites
//! around them. The offset is the loader's progress counter (`loading_loaded_bytes`), as Redis prints it: 0 for
//! RESTORE and for files smaller than one progress step.
//!
//! Tested by the unit tests below and end to end by tests/replication/replication_reconnect.rs (the diskless
//! short read against Redis) and tests/persistence/corrupt_dump.rs (start-up and DEBUG RELOAD).

use super::RdbError;
use crate::log::LogLevel;

/// Who is loading, which decides the level of the reports and what happens after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A command (DEBUG RELOAD): Redis's `isRestoreContext` (a client is current), reports at verbose.
    Command,
    /// A file with no command running: start-up, or the file a replica received from its master.
    File,
    /// The master's socket during a diskless full sync.
    Socket,
}

/// How Redis reached the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `rdbReportCorruptRDB` at this line of rdb.c.
    Corrupt(u32),
    /// `rdbReportReadError` at this line, then the loader's `eoferr`.
    ReadError(u32),
    /// Straight to `eoferr` (a read that came back empty).
    Eof,
    /// A warning of its own, then `eoferr` (a function library that fails, and our own checks that Redis does
    /// not make, whose message is worth keeping).
    LoggedThenEof,
    /// A warning of its own and a plain failure with `EINVAL` (a wrong signature or an unknown format version).
    Plain,
    /// The file could not be opened: nothing is reported (the caller says why, if anything).
    NotOpened,
}

/// Where a set's repeated member is reported while the set is still an intset (the table has the hash table's).
pub const SET_INTSET_DUP_LINE: u32 = 1809;
/// Where `eoferr` reports "Unexpected EOF reading RDB file".
pub const EOF_LINE: u32 = 3249;
/// Where the checksum mismatch is reported.
const CRC_LINE: u32 = 3225;
/// Where a module AUX record with a bad `when` opcode is reported.
const WHEN_OPCODE_LINE: u32 = 3066;

/// Messages reported where Redis reports them: the start of the message, the line, and whether it is a read
/// error (`rdbReportReadError`) rather than a corruption. Where Redis reports one message at several places, the
/// line is that of the encoding Redis 7.0 writes, and the loader names the other where it finds one
/// ([`RdbError::line`]).
const SITES: &[(&str, u32, bool)] = &[
    ("Unknown length encoding ", 236, false),
    ("Invalid LZF compressed string", 413, false),
    ("Unknown RDB string encoding type ", 529, false),
    ("Duplicate set members detected", 1829, false),
    ("Zset with NAN score detected", 1882, false),
    ("Duplicate zset fields detected", 1894, false),
    ("Hash with dup elements", 1951, false),
    // By its neighbours.
    ("Duplicate hash fields detected", 1969, false),
    ("Quicklist integrity check failed.", 2048, false),
    ("Listpack integrity check failed.", 2071, false),
    ("Ziplist integrity check failed.", 2081, false),
    ("Zipmap integrity check failed.", 2130, false),
    ("List ziplist integrity check failed.", 2189, false),
    ("Intset integrity check failed.", 2214, false),
    ("Zset ziplist integrity check failed.", 2229, false),
    ("Zset listpack integrity check failed.", 2255, false),
    ("Hash ziplist integrity check failed.", 2275, false),
    ("Hash listpack integrity check failed.", 2301, false),
    ("Stream node key entry is not the size of a stream ID", 2343, false),
    ("Stream listpack integrity check failed.", 2362, false),
    // By their neighbours.
    ("Empty listpack inside stream", 2374, false),
    ("Listpack re-added with existing key", 2386, false),
    ("Stream length inconsistent with rax entries", 2430, false),
    ("Duplicated consumer group name ", 2480, false),
    ("Duplicated global PEL entry loading stream consumer group", 2516, false),
    ("Duplicate stream consumer detected.", 2543, false),
    ("Consumer entry not found in group global PEL", 2573, false),
    // Unverified: Debian's build rejects a repeated id earlier, with a check and a message of its own.
    ("Duplicated consumer PEL entry  loading a stream consumer group", 2584, false),
    ("Stream CG PEL entry without consumer", 2611, false),
    // By their neighbours.
    ("Unknown RDB encoding type ", 2681, true),
    ("bad when_opcode", WHEN_OPCODE_LINE, true),
    ("RDB CRC error", CRC_LINE, false),
];

/// The message of a read that came back empty.
const EOF_MSG: &str = "Unexpected EOF reading RDB file";
/// Our loader's prefix for an I/O error of its reader.
const READ_ERROR: &str = "Read error: ";

/// How Redis would have reached the failure `e`.
pub fn kind(e: &RdbError) -> Kind {
    let msg = e.msg.as_str();
    if msg == EOF_MSG || msg.starts_with(READ_ERROR) {
        return Kind::Eof;
    }
    if msg.starts_with("Can't open RDB file") {
        return Kind::NotOpened;
    }
    if msg == "Wrong signature trying to load DB from file" || msg.starts_with("Can't handle RDB format version") {
        return Kind::Plain;
    }
    let site = |line: u32| if e.line != 0 { e.line } else { line };
    match SITES.iter().find(|(start, _, _)| msg.starts_with(start)) {
        Some(&(_, line, true)) => Kind::ReadError(site(line)),
        Some(&(_, line, false)) => Kind::Corrupt(site(line)),
        None => Kind::LoggedThenEof,
    }
}

/// What to log for a failed load, and whether Redis would exit after it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub lines: Vec<(LogLevel, String)>,
    /// Redis exits here: a damaged file (after redis-check-rdb's report, which the caller prints), or a damaged
    /// payload from the master; the caller logs "Terminating server after rdb file reading failure." and exits.
    pub fatal: bool,
}

/// The lines Redis logs for failure `e` of a load from `source`, whose progress counter stood at `loaded_bytes`.
pub fn report(e: &RdbError, source: Source, loaded_bytes: u64) -> Report {
    let mut r = Report::default();
    let kind = kind(e);
    if let Kind::Corrupt(line) | Kind::ReadError(line) = kind {
        if line == CRC_LINE && !e.detail.is_empty() {
            r.lines.push((LogLevel::Warning, format!("{}. Aborting now.", e.detail)));
        }
        let corrupt = matches!(kind, Kind::Corrupt(_));
        if r.internal_error(source, loaded_bytes, line, &e.msg, corrupt) || line == CRC_LINE {
            return r;
        }
    }
    match kind {
        Kind::NotOpened => return r,
        Kind::Plain => {
            r.lines.push((LogLevel::Warning, e.msg.clone()));
            return r;
        }
        Kind::LoggedThenEof => r.lines.push((LogLevel::Warning, e.msg.clone())),
        _ => {}
    }
    r.lines.push((LogLevel::Warning, "Short read or OOM loading DB. Unrecoverable error, aborting now.".into()));
    r.internal_error(source, loaded_bytes, EOF_LINE, EOF_MSG, false);
    r
}

impl Report {
    /// One `rdbReportError`; true when it ends the load's reporting (Redis exits, or for a file would).
    fn internal_error(&mut self, source: Source, loaded_bytes: u64, line: u32, msg: &str, corrupt: bool) -> bool {
        let text = format!("Internal error in RDB reading offset {loaded_bytes}, function at rdb.c:{line} -> {msg}");
        match source {
            Source::Command => {
                self.lines.push((LogLevel::Verbose, text));
                false
            }
            Source::File => {
                self.lines.push((LogLevel::Warning, text));
                self.fatal = true;
                true
            }
            Source::Socket if corrupt => {
                self.lines.push((LogLevel::Warning, format!("{text}. Failure loading rdb format")));
                self.fatal = true;
                true
            }
            Source::Socket => {
                self.lines.push((
                    LogLevel::Warning,
                    format!(
                        "{text}. Failure loading rdb format from socket, assuming connection error, resuming \
                         operation."
                    ),
                ));
                false
            }
        }
    }
}

/// The rdb.c line of the `rdbReportError` for a failure found inside a value or a string, which redis-check-rdb
/// (its own loop around Redis's value loader) also reports through it: "Internal error in RDB reading offset 0,
/// function at rdb.c:`line` -> ..." in its report, then "Terminating server after rdb file reading failure."
/// `None` for the failures of the loop itself (the checksum, the opcodes), which it reports in its own words.
pub fn value_site(e: &RdbError) -> Option<u32> {
    match kind(e) {
        Kind::Corrupt(line) | Kind::ReadError(line) if line != CRC_LINE && line != WHEN_OPCODE_LINE => Some(line),
        _ => None,
    }
}

/// What Redis logs (at verbose) when a RESTORE payload fails with `e`: only the failures it reports where it finds
/// them (a value that just ends early is refused silently).
pub fn restore_line(e: &RdbError) -> Option<String> {
    match kind(e) {
        Kind::Corrupt(line) | Kind::ReadError(line) => {
            Some(format!("Internal error in RDB reading offset 0, function at rdb.c:{line} -> {}", e.msg))
        }
        _ => None,
    }
}

/// The `strerror(errno)` Redis prints after a failed load from the master's socket ("Failed trying to load the
/// MASTER synchronization DB from socket: ..."). A closed connection sets no error code, so Redis prints the one
/// left over from its non-blocking connect (EINPROGRESS); a read that timed out is its ETIMEDOUT.
pub fn socket_errno_text(e: &RdbError) -> String {
    match kind(e) {
        Kind::Plain => "Invalid argument".into(),
        _ => match e.msg.strip_prefix(READ_ERROR) {
            Some("timeout") => "Connection timed out".into(),
            Some(text) if text != "connection lost" => text.find(" (os error").map_or(text, |i| &text[..i]).to_string(),
            _ => "Operation now in progress".into(),
        },
    }
}

/// An AUX field as the loader reads it: the ones Redis logs, as it logs them (`rdbLoadRioWithLoadingCtx`), so a
/// load that fails midway has logged what it read.
pub fn log_aux_field(key: &[u8], val: &[u8]) {
    let v = String::from_utf8_lossy(val);
    let int = |s: &str| s.trim().parse::<i64>().unwrap_or(0);
    match key {
        [b'%', ..] => crate::log_notice!("RDB '{}': {v}", String::from_utf8_lossy(key)),
        b"redis-ver" => crate::log_notice!("Loading RDB produced by version {v}"),
        b"ctime" => crate::log_notice!("RDB age {} seconds", (crate::util::now_ms() / 1000 - int(&v)).max(0)),
        b"used-mem" => crate::log_notice!("RDB memory usage when created {:.2} Mb", int(&v) as f64 / 1024.0 / 1024.0),
        b"aof-preamble" if int(&v) != 0 => crate::log_notice!("RDB has an AOF tail"),
        b"aof-base" if int(&v) != 0 => crate::log_notice!("RDB is base AOF"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(msg: &str) -> RdbError {
        RdbError::new(123, msg)
    }

    fn texts(r: &Report) -> Vec<String> {
        r.lines.iter().map(|(l, t)| format!("{l:?} {t}")).collect()
    }

    #[test]
    fn short_read_from_the_socket_resumes() {
        let r = report(&err("Read error: connection lost"), Source::Socket, 6291059);
        assert!(!r.fatal);
        assert_eq!(
            texts(&r),
            [
                "Warning Short read or OOM loading DB. Unrecoverable error, aborting now.",
                "Warning Internal error in RDB reading offset 6291059, function at rdb.c:3249 -> Unexpected EOF \
                 reading RDB file. Failure loading rdb format from socket, assuming connection error, resuming \
                 operation.",
            ]
        );
        assert_eq!(socket_errno_text(&err("Read error: connection lost")), "Operation now in progress");
        assert_eq!(socket_errno_text(&err("Read error: timeout")), "Connection timed out");
        assert_eq!(
            socket_errno_text(&err("Read error: Connection reset by peer (os error 104)")),
            "Connection reset by peer"
        );
    }

    #[test]
    fn corruption_from_the_socket_is_fatal() {
        let r = report(&err("Duplicate set members detected"), Source::Socket, 0);
        assert!(r.fatal);
        assert_eq!(
            texts(&r),
            ["Warning Internal error in RDB reading offset 0, function at rdb.c:1829 -> Duplicate set members \
                 detected. Failure loading rdb format"]
        );
    }

    #[test]
    fn a_command_reports_at_verbose_and_goes_on_to_eoferr() {
        let r = report(&err("Zset with NAN score detected"), Source::Command, 0);
        assert!(!r.fatal);
        assert_eq!(
            texts(&r),
            [
                "Verbose Internal error in RDB reading offset 0, function at rdb.c:1882 -> Zset with NAN score \
                 detected",
                "Warning Short read or OOM loading DB. Unrecoverable error, aborting now.",
                "Verbose Internal error in RDB reading offset 0, function at rdb.c:3249 -> Unexpected EOF reading \
                 RDB file",
            ]
        );
    }

    #[test]
    fn a_bad_checksum_is_reported_alone() {
        let mut e = err("RDB CRC error");
        e.detail = "Wrong RDB checksum expected: (1) but got (2)".into();
        let r = report(&e, Source::Command, 0);
        assert_eq!(
            texts(&r),
            [
                "Warning Wrong RDB checksum expected: (1) but got (2). Aborting now.",
                "Verbose Internal error in RDB reading offset 0, function at rdb.c:3225 -> RDB CRC error",
            ]
        );
        assert!(report(&e, Source::File, 0).fatal);
    }

    #[test]
    fn a_file_stops_at_the_first_report() {
        let r = report(&err("Unexpected EOF reading RDB file"), Source::File, 0);
        assert!(r.fatal);
        assert_eq!(r.lines.len(), 2);
        assert_eq!(
            r.lines[1].1,
            "Internal error in RDB reading offset 0, function at rdb.c:3249 -> Unexpected EOF reading RDB file"
        );
    }

    #[test]
    fn restore_logs_only_what_redis_reports() {
        assert_eq!(
            restore_line(&err("Hash listpack integrity check failed.")).as_deref(),
            Some("Internal error in RDB reading offset 0, function at rdb.c:2301 -> Hash listpack integrity check failed.")
        );
        assert_eq!(restore_line(&err("Unexpected EOF reading RDB file")), None);
    }

    #[test]
    fn plain_and_unknown_failures() {
        let r = report(&err("Wrong signature trying to load DB from file"), Source::Socket, 0);
        assert_eq!(texts(&r), ["Warning Wrong signature trying to load DB from file"]);
        assert_eq!(socket_errno_text(&err("Can't handle RDB format version 99")), "Invalid argument");
        let r = report(&err("Failed loading library, bad"), Source::Socket, 0);
        assert_eq!(r.lines[0].1, "Failed loading library, bad");
        assert_eq!(r.lines.len(), 3);
        assert!(!r.fatal);
    }

    #[test]
    fn read_errors_resume_then_report_the_eof() {
        let r = report(&err("bad when_opcode"), Source::Socket, 0);
        assert!(!r.fatal);
        assert_eq!(r.lines.len(), 3);
        assert!(r.lines[0].1.contains("rdb.c:3066 -> bad when_opcode. Failure loading rdb format from socket"));
    }
}
