//! `ferredis-check-aof`: the checker behind the binary, with redis-check-aof 7.0's arguments, output and exit
//! codes, so scripts written for one work with the other.
//!
//! ```text
//! ferredis-check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>
//!   a manifest            → checks the base, then each incr, in order (only the last file may be cut)
//!   a file starting REDIS → an RDB-preamble AOF
//!   anything else         → an old-style RESP AOF
//! exit 0: valid (or fixed); exit 1: invalid, or any error
//! ```
//!
//! The checker is deliberately a separate, line-oriented scanner rather than [`super::AofReader`]: redis-check-aof
//! reports positions, line counts and messages that come from the way it walks the file (`fgets` into a
//! 128-byte buffer for `*`/`$` lines, "ok up to" only advancing outside MULTI, one error message kept for the
//! whole run), and matching its output needs the same walk. Two known differences:
//! - RDB parts (an `.rdb` base, an RDB preamble) are checked by the function given to
//!   [`Checker::with_rdb_checker`] (the binary passes the RDB loader); without one only the
//!   `REDIS` magic is verified, the rest of that file is skipped, and the output says so. redis-check-aof runs
//!   its full RDB checker there, which prints its own report.
//! - When redis-check-aof prints the two bytes after a short `*`/`$` line it shows stale stack bytes for the
//!   second one; we show `00`.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::manifest::{Manifest, ManifestError, MANIFEST_MAX_LINE};

const AOF_CHECK_OK: i32 = 0;
const AOF_CHECK_EMPTY: i32 = 1;
const AOF_CHECK_TRUNCATED: i32 = 2;
const AOF_CHECK_TIMESTAMP_TRUNCATED: i32 = 3;

/// Redis's `AOF_ANNOTATION_LINE_MAX_LEN`.
const ANNOTATION_LINE_MAX: usize = 1024;

/// A request to end the program with this status (Redis calls `exit` from deep inside the checks).
#[derive(Debug, PartialEq, Eq)]
pub struct Exit(pub i32);

type Res<T> = Result<T, Exit>;

/// A `FILE*` opened "r+": buffered reads with `ftello`/`feof`, truncation through the descriptor.
struct CFile {
    r: BufReader<File>,
    pos: u64,
    eof: bool,
}

impl CFile {
    /// `fgets(buf, n)`: at most `n - 1` bytes, stopping after '\n'; `None` if nothing could be read.
    fn fgets(&mut self, n: usize) -> io::Result<Option<Vec<u8>>> {
        let mut out = Vec::new();
        while out.len() < n - 1 {
            let avail = self.r.fill_buf()?;
            if avail.is_empty() {
                self.eof = true;
                break;
            }
            let room = (n - 1 - out.len()).min(avail.len());
            let take = memchr::memchr(b'\n', &avail[..room]).map_or(room, |i| i + 1);
            out.extend_from_slice(&avail[..take]);
            self.r.consume(take);
            self.pos += take as u64;
            if out.last() == Some(&b'\n') {
                break;
            }
        }
        Ok(if out.is_empty() { None } else { Some(out) })
    }

    /// `fread(len)`, in pieces so a corrupt huge length costs no more memory than the file has.
    fn fread(&mut self, len: u64, out: &mut Vec<u8>) -> io::Result<u64> {
        out.clear();
        let got = (&mut self.r).take(len).read_to_end(out)? as u64;
        self.pos += got;
        if got < len {
            self.eof = true;
        }
        Ok(got)
    }

    /// The next byte without consuming it (`fgets(buf, 2)` + `fseek(-1)`).
    fn peek(&mut self) -> io::Result<Option<u8>> {
        let avail = self.r.fill_buf()?;
        if avail.is_empty() {
            self.eof = true;
            return Ok(None);
        }
        Ok(Some(avail[0]))
    }

    fn truncate(&self, len: u64) -> io::Result<()> {
        self.r.get_ref().set_len(len)
    }
}

use crate::util::strtol;

/// printf's `%02x` of a C `char` (signed, so bytes ≥ 0x80 print as `ffffff80`).
fn hex_char(c: u8) -> String {
    format!("{:02x}", c as i8 as i32 as u32)
}

/// glibc's `dirname`.
fn dirname(path: &[u8]) -> Vec<u8> {
    let mut end = path.len();
    while end > 1 && path[end - 1] == b'/' {
        end -= 1;
    }
    let p = &path[..end];
    match p.iter().rposition(|&c| c == b'/') {
        None => b".".to_vec(),
        Some(i) => {
            let mut j = i;
            while j > 0 && p[j - 1] == b'/' {
                j -= 1;
            }
            if j == 0 {
                b"/".to_vec()
            } else {
                p[..j].to_vec()
            }
        }
    }
}

fn as_path(b: &[u8]) -> &Path {
    Path::new(std::ffi::OsStr::from_bytes(b))
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Checks the RDB at the reader's position (offset 0 of the file) and leaves the reader just after it; the
/// error text is printed. May print its own report to the writer.
pub type RdbChecker<'a> = dyn FnMut(&mut BufReader<File>, &mut dyn Write) -> Result<(), String> + 'a;

/// The state redis-check-aof keeps in globals for the whole run.
pub struct Checker<'a> {
    rdb: Option<&'a mut RdbChecker<'a>>,
    out: &'a mut dyn Write,
    stdin: &'a mut dyn BufRead,
    /// Writes one server-log line (manifest errors are reported through Redis's logger).
    log: &'a mut dyn FnMut(&mut dyn Write, &str),
    to_timestamp: i64,
    line: i64,
    error: Vec<u8>,
    epos: u64,
    scratch: Vec<u8>,
}

impl<'a> Checker<'a> {
    pub fn new(
        out: &'a mut dyn Write,
        stdin: &'a mut dyn BufRead,
        log: &'a mut dyn FnMut(&mut dyn Write, &str),
    ) -> Checker<'a> {
        Checker {
            rdb: None,
            out,
            stdin,
            log,
            to_timestamp: 0,
            line: 1,
            error: Vec::new(),
            epos: 0,
            scratch: Vec::new(),
        }
    }

    /// Uses `f` for RDB parts instead of checking only their magic.
    pub fn with_rdb_checker(mut self, f: &'a mut RdbChecker<'a>) -> Checker<'a> {
        self.rdb = Some(f);
        self
    }

    fn print(&mut self, s: &str) {
        let _ = self.out.write_all(s.as_bytes());
    }

    fn set_error(&mut self, msg: &[u8]) {
        let mut e = format!("0x{:>16x}: ", self.epos).into_bytes();
        e.extend_from_slice(&msg[..msg.len().min(1023)]);
        e.truncate(1043);
        self.error = e;
    }

    /// `consumeNewline` on the bytes at `b` (missing bytes read as NUL).
    fn consume_newline(&mut self, b: &[u8]) -> bool {
        if b.len() >= 2 && &b[..2] == b"\r\n" {
            self.line += 1;
            return true;
        }
        let c0 = b.first().copied().unwrap_or(0);
        let c1 = if c0 == 0 { 0 } else { b.get(1).copied().unwrap_or(0) };
        let msg = format!("Expected \\r\\n, got: {}{}", hex_char(c0), hex_char(c1));
        self.set_error(msg.as_bytes());
        false
    }

    fn read_long(&mut self, f: &mut CFile, prefix: u8) -> Res<Option<i64>> {
        self.epos = f.pos;
        let buf = match f.fgets(128) {
            Ok(Some(b)) => b,
            Ok(None) | Err(_) => return Ok(None),
        };
        if buf[0] != prefix {
            let mut msg = format!("Expected prefix '{}', got: '", prefix as char).into_bytes();
            msg.push(buf[0]);
            msg.push(b'\'');
            self.set_error(&msg);
            return Ok(None);
        }
        let (v, end, _) = strtol(&buf[1..]);
        let rest = &buf[1 + end..];
        let rest = &rest[..memchr::memchr(0, rest).map_or(rest.len(), |i| i + 1)];
        if self.consume_newline(rest) {
            Ok(Some(v))
        } else {
            Ok(None)
        }
    }

    /// `readString`: the argument without its CRLF, or `None` (error recorded, or EOF).
    fn read_string(&mut self, f: &mut CFile) -> Res<Option<Vec<u8>>> {
        let Some(len) = self.read_long(f, b'$')? else { return Ok(None) };
        if !(0..=i64::MAX - 2).contains(&len) {
            let msg = format!("Expected to read string of {len} bytes, which is not in the suitable range");
            self.set_error(msg.as_bytes());
            return Ok(None);
        }
        let want = len as u64 + 2;
        self.epos = f.pos;
        let mut data = std::mem::take(&mut self.scratch);
        let real = f.fread(want, &mut data).unwrap_or(0);
        if real != want {
            let msg = format!("Expected to read {want} bytes, got {real} bytes");
            self.set_error(msg.as_bytes());
            self.scratch = data;
            return Ok(None);
        }
        let n = data.len();
        if !self.consume_newline(&data[n - 2..]) {
            self.scratch = data;
            return Ok(None);
        }
        data.truncate(n - 2);
        Ok(Some(data))
    }

    /// `processRESP`: one command; tracks MULTI/EXEC nesting in `multi`.
    fn process_resp(&mut self, f: &mut CFile, filepath: &[u8], multi: &mut i32) -> Res<bool> {
        let Some(argc) = self.read_long(f, b'*')? else { return Ok(false) };
        let mut i = 0;
        while i < argc {
            let Some(s) = self.read_string(f)? else { return Ok(false) };
            if i == 0 {
                // strcasecmp on a C string: the name ends at its first NUL.
                let name = &s[..memchr::memchr(0, &s).unwrap_or(s.len())];
                if name.eq_ignore_ascii_case(b"multi") {
                    let was = *multi;
                    *multi += 1;
                    if was != 0 {
                        self.set_error(format!("Unexpected MULTI in AOF {}", show(filepath)).as_bytes());
                        return Ok(false);
                    }
                } else if name.eq_ignore_ascii_case(b"exec") {
                    *multi -= 1;
                    if *multi != 0 {
                        self.set_error(format!("Unexpected EXEC in AOF {}", show(filepath)).as_bytes());
                        return Ok(false);
                    }
                }
            }
            self.scratch = s;
            i += 1;
        }
        Ok(true)
    }

    /// `processAnnotations`: `Ok(false)` when the file was cut at a `#TS:` past `--truncate-to-timestamp`.
    fn process_annotations(&mut self, f: &mut CFile, filepath: &[u8], last_file: bool) -> Res<bool> {
        self.epos = f.pos;
        let buf = match f.fgets(ANNOTATION_LINE_MAX) {
            Ok(Some(b)) => b,
            _ => {
                self.print(&format!("Failed to read annotations from AOF {}, aborting...\n", show(filepath)));
                return Err(Exit(1));
            }
        };
        if self.to_timestamp != 0 && buf.starts_with(b"#TS:") {
            let (ts, end, overflow) = strtol(&buf[4..]);
            let next = buf.get(4 + end).copied().unwrap_or(0);
            if overflow || next != b'\r' {
                self.print("Invalid timestamp annotation\n");
                return Err(Exit(1));
            }
            if ts <= self.to_timestamp {
                return Ok(true);
            }
            let to = self.to_timestamp;
            if self.epos == 0 {
                self.print(&format!("AOF {} has nothing before timestamp {to}, aborting...\n", show(filepath)));
                return Err(Exit(1));
            }
            if !last_file {
                self.print(&format!(
                    "Failed to truncate AOF {} to timestamp {to} to offset {} because it is not the last file.\n",
                    show(filepath),
                    self.epos
                ));
                self.print(
                    "If you insist, please delete all files after this file according to the manifest file and \
                     delete the corresponding records in manifest file manually. Then re-run redis-check-aof.\n",
                );
                return Err(Exit(1));
            }
            if f.truncate(self.epos).is_err() {
                self.print(&format!("Failed to truncate AOF {} to timestamp {to}\n", show(filepath)));
                return Err(Exit(1));
            }
            return Ok(false);
        }
        Ok(true)
    }

    /// `checkSingleAof`: returns one of the AOF_CHECK_* codes.
    fn check_single(&mut self, name: &[u8], filepath: &[u8], last_file: bool, fix: bool, preamble: bool) -> Res<i32> {
        let file = match OpenOptions::new().read(true).write(true).open(as_path(filepath)) {
            Ok(f) => f,
            Err(e) => {
                self.print(&format!(
                    "Cannot open file {}: {}, aborting...\n",
                    show(filepath),
                    crate::sys::error_text(&e)
                ));
                return Err(Exit(1));
            }
        };
        let size = match file.metadata() {
            Ok(m) => m.len(),
            Err(_) => {
                self.print(&format!("Cannot stat file: {}, aborting...\n", show(name)));
                return Err(Exit(1));
            }
        };
        if size == 0 {
            return Ok(AOF_CHECK_EMPTY);
        }
        let mut f = CFile { r: BufReader::with_capacity(64 * 1024, file), pos: 0, eof: false };
        if preamble {
            if let Some(code) = self.check_preamble(&mut f, name)? {
                return Ok(code);
            }
        }
        let Some(pos) = self.scan_commands(&mut f, name, filepath, last_file)? else {
            return Ok(AOF_CHECK_TIMESTAMP_TRUNCATED);
        };
        let diff = size as i64 - pos as i64;
        if diff == 0 && self.to_timestamp != 0 {
            let to = self.to_timestamp;
            self.print(&format!("Truncate nothing in AOF {} to timestamp {to}\n", show(name)));
            return Ok(AOF_CHECK_OK);
        }
        self.print(&format!(
            "AOF analyzed: filename={}, size={size}, ok_up_to={pos}, ok_up_to_line={}, diff={diff}\n",
            show(name),
            self.line
        ));
        if diff > 0 {
            return self.fix_tail(&mut f, name, size, pos, fix, last_file);
        }
        Ok(AOF_CHECK_OK)
    }

    /// The RDB preamble of an AOF, checked by the RDB checker when there is one; `Some(code)` when the check of
    /// the file ends there (no checker: only the magic was verified).
    fn check_preamble(&mut self, f: &mut CFile, name: &[u8]) -> Res<Option<i32>> {
        if let Some(rdb) = self.rdb.as_mut() {
            let res = rdb(&mut f.r, &mut *self.out);
            let at = std::io::Seek::stream_position(&mut f.r);
            match (res, at) {
                (Ok(()), Ok(p)) => {
                    f.pos = p;
                    self.print("RDB preamble is OK, proceeding with AOF tail...\n");
                }
                (res, _) => {
                    if let Err(e) = res {
                        self.print(&format!("{e}\n"));
                    }
                    self.print("RDB preamble of AOF file is not sane, aborting.\n");
                    return Err(Exit(1));
                }
            }
            Ok(None)
        } else {
            // No RDB checker: the caller detected the REDIS magic, and that is all we verify.
            self.print(&format!(
                "[ferredis] RDB part of {} not checked: only the REDIS magic is verified (no RDB checker built in \
                 yet); the rest of the file is skipped.\n",
                show(name)
            ));
            Ok(Some(AOF_CHECK_OK))
        }
    }

    /// Reads the annotations and commands up to the end or the first error (printed); the offset the file is
    /// valid up to (outside a MULTI), or `None` when it was truncated at the `--truncate-to-timestamp` time.
    fn scan_commands(&mut self, f: &mut CFile, name: &[u8], filepath: &[u8], last_file: bool) -> Res<Option<u64>> {
        let mut pos = 0u64;
        let mut multi = 0i32;
        loop {
            if multi == 0 {
                pos = f.pos;
            }
            let c = match f.peek() {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(_) => {
                    self.print(&format!("Failed to read from AOF {}, aborting...\n", show(name)));
                    return Err(Exit(1));
                }
            };
            if c == b'#' {
                if !self.process_annotations(f, filepath, last_file)? {
                    return Ok(None);
                }
            } else if c == b'*' {
                if !self.process_resp(f, filepath, &mut multi)? {
                    break;
                }
            } else {
                self.print(&format!("AOF {} format error\n", show(name)));
                break;
            }
        }
        if f.eof && multi != 0 && self.error.is_empty() {
            self.set_error(b"Reached EOF before reading EXEC for MULTI");
        }
        if !self.error.is_empty() {
            let mut e = self.error.clone();
            e.push(b'\n');
            let _ = self.out.write_all(&e);
        }
        Ok(Some(pos))
    }

    /// A file valid only up to `pos`: with `--fix`, and if it is the last file, truncated there once the user
    /// confirms.
    fn fix_tail(&mut self, f: &mut CFile, name: &[u8], size: u64, pos: u64, fix: bool, last_file: bool) -> Res<i32> {
        let diff = size as i64 - pos as i64;
        if !fix {
            self.print(&format!("AOF {} is not valid. Use the --fix option to try fixing it.\n", show(name)));
            return Err(Exit(1));
        }
        if !last_file {
            self.print(&format!("Failed to truncate AOF {} because it is not the last file\n", show(name)));
            return Err(Exit(1));
        }
        self.print(&format!(
            "This will shrink the AOF {} from {size} bytes, with {diff} bytes, to {pos} bytes\n",
            show(name)
        ));
        self.print("Continue? [y/N]: ");
        let _ = self.out.flush();
        let mut answer = [0u8; 1];
        let ok = matches!(self.stdin.read(&mut answer), Ok(1)) && answer[0].eq_ignore_ascii_case(&b'y');
        if !ok {
            self.print("Aborting...\n");
            return Err(Exit(1));
        }
        if f.truncate(pos).is_err() {
            self.print(&format!("Failed to truncate AOF {}\n", show(name)));
            return Err(Exit(1));
        }
        Ok(AOF_CHECK_TRUNCATED)
    }

    fn open_or_exit(&mut self, path: &[u8]) -> Res<File> {
        File::open(as_path(path)).map_err(|e| {
            self.print(&format!("Cannot open file {}: {}\n", show(path), crate::sys::error_text(&e)));
            Exit(1)
        })
    }

    fn file_is_rdb(&mut self, path: &[u8]) -> Res<bool> {
        let mut f = self.open_or_exit(path)?;
        let size = match f.metadata() {
            Ok(m) => m.len(),
            Err(_) => {
                self.print(&format!("Cannot stat file: {}\n", show(path)));
                return Err(Exit(1));
            }
        };
        if size < 8 {
            return Ok(false);
        }
        let mut sig = [0u8; 5];
        Ok(f.read_exact(&mut sig).is_ok() && &sig == b"REDIS")
    }

    fn file_is_manifest(&mut self, path: &[u8]) -> Res<bool> {
        let file = self.open_or_exit(path)?;
        match file.metadata() {
            Ok(m) if m.len() == 0 => return Ok(false),
            Ok(_) => {}
            Err(_) => {
                self.print(&format!("Cannot stat file: {}\n", show(path)));
                return Err(Exit(1));
            }
        }
        let mut f = CFile { r: BufReader::new(file), pos: 0, eof: false };
        let mut is_manifest = false;
        loop {
            match f.fgets(MANIFEST_MAX_LINE + 1) {
                Ok(Some(buf)) => {
                    if buf[0] != b'#' && buf.starts_with(b"file") {
                        is_manifest = true;
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    self.print(&format!("Cannot read file: {}\n", show(path)));
                    return Err(Exit(1));
                }
            }
        }
        Ok(is_manifest)
    }

    fn report(&mut self, kind: &str, name: &[u8], ret: i32) {
        let to = self.to_timestamp;
        let n = show(name);
        match ret {
            AOF_CHECK_OK => self.print(&format!("{kind}AOF {n} is valid\n")),
            AOF_CHECK_EMPTY => self.print(&format!("{kind}AOF {n} is empty\n")),
            AOF_CHECK_TIMESTAMP_TRUNCATED => self.print(&format!("Successfully truncated AOF {n} to timestamp {to}\n")),
            _ => self.print(&format!("Successfully truncated AOF {n}\n")),
        }
    }

    fn check_multi_part(&mut self, dirpath: &[u8], manifest_path: &[u8], fix: bool) -> Res<()> {
        self.print("Start checking Multi Part AOF\n");
        let _ = self.out.flush();
        let m = match Manifest::load(as_path(manifest_path)) {
            Ok(m) => m,
            Err(e) => {
                let lines = match &e {
                    ManifestError::Open { err, .. } => vec![format!(
                        "Fatal error: can't open the AOF manifest file {} for reading: {}",
                        show(manifest_path),
                        crate::sys::error_text(err)
                    )],
                    _ => e.log_lines(),
                };
                for l in lines {
                    (self.log)(self.out, &l);
                }
                return Err(Exit(1));
            }
        };
        let total = m.loadable_count();
        let mut num = 0;
        let path_of = |name: &[u8]| {
            let mut p = dirpath.to_vec();
            p.push(b'/');
            p.extend_from_slice(name);
            p
        };
        if let Some(base) = &m.base {
            let path = path_of(&base.name);
            num += 1;
            let last = num == total;
            let rdb = self.file_is_rdb(&path)?;
            self.print(&format!("Start to check BASE AOF ({} format).\n", if rdb { "RDB" } else { "RESP" }));
            let ret = self.check_single(&base.name, &path, last, fix, rdb)?;
            self.report("BASE ", &base.name, ret);
        }
        if !m.incrs.is_empty() {
            self.print("Start to check INCR files.\n");
            for incr in &m.incrs {
                let path = path_of(&incr.name);
                num += 1;
                let last = num == total;
                let ret = self.check_single(&incr.name, &path, last, fix, false)?;
                self.report("INCR ", &incr.name, ret);
            }
        }
        self.print("All AOF files and manifest are valid\n");
        Ok(())
    }

    fn check_old_style(&mut self, path: &[u8], fix: bool, preamble: bool) -> Res<()> {
        self.print("Start checking Old-Style AOF\n");
        let ret = self.check_single(path, path, true, fix, preamble)?;
        self.report("", path, ret);
        Ok(())
    }

    /// `redis_check_aof_main`: returns the exit status.
    pub fn run(&mut self, args: &[Vec<u8>]) -> i32 {
        let r = self.run_inner(args);
        let _ = self.out.flush();
        match r {
            Ok(()) => 0,
            Err(Exit(code)) => code,
        }
    }

    fn run_inner(&mut self, args: &[Vec<u8>]) -> Res<()> {
        let prog = args.first().map(|a| show(a)).unwrap_or_else(|| "ferredis-check-aof".into());
        let usage = |me: &mut Self| {
            me.print(&format!("Usage: {prog} [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>\n"));
            Err(Exit(1))
        };
        let (filepath, fix) = match args.len() {
            2 => (args[1].clone(), false),
            3 if args[1] == b"--fix" => (args[2].clone(), true),
            4 if args[1] == b"--truncate-to-timestamp" => {
                let (v, end, overflow) = strtol(&args[2]);
                // As C's strtol + `*endptr != '\0'`: an empty string is 0.
                if overflow || end != args[2].len() {
                    self.print("Invalid timestamp, aborting...\n");
                    return Err(Exit(1));
                }
                self.to_timestamp = v;
                (args[3].clone(), false)
            }
            _ => return usage(self),
        };
        let dirpath = dirname(&filepath);
        if self.file_is_manifest(&filepath)? {
            self.check_multi_part(&dirpath, &filepath, fix)
        } else if self.file_is_rdb(&filepath)? {
            self.check_old_style(&filepath, fix, true)
        } else {
            self.check_old_style(&filepath, fix, false)
        }
    }
}

/// Runs the checker as the binary does: stdout, stdin, Redis-format log lines on stdout.
pub fn main_with_args(args: &[Vec<u8>]) -> i32 {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut log = |w: &mut dyn Write, msg: &str| {
        let line = crate::log::format_line(
            std::process::id(),
            'C',
            crate::util::now_ms(),
            crate::config::LogLevel::Warning,
            msg,
        );
        let _ = w.write_all(line.as_bytes());
    };
    // RDB parts (bases and old-style preambles) are checked by the RDB loader, with nothing kept.
    let mut rdb = |r: &mut BufReader<File>, _: &mut dyn Write| -> Result<(), String> {
        struct Discard;
        impl crate::persist::rdb::LoadSink for Discard {
            fn select_db(&mut self, _db: u64, _offset: u64) -> Result<(), String> {
                Ok(())
            }
            fn entry(&mut self, _e: crate::keyspace::object::Entry, _expire_ms: Option<i64>) -> Result<(), String> {
                Ok(())
            }
            fn finish(&mut self) -> Result<(), String> {
                Ok(())
            }
        }
        let opts = crate::persist::rdb::LoadOptions { drop_expired: false, ..Default::default() };
        crate::persist::rdb::read_rdb_with(r, &mut Discard, &opts).map(|_| ()).map_err(|e| e.to_string())
    };
    Checker::new(&mut out, &mut input, &mut log).with_rdb_checker(&mut rdb).run(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], stdin: &[u8]) -> (i32, String) {
        let mut out = Vec::new();
        let mut input = stdin;
        let mut log = |w: &mut dyn Write, msg: &str| {
            let _ = writeln!(w, "LOG # {msg}");
        };
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        let code = Checker::new(&mut out, &mut input, &mut log).run(&args);
        (code, String::from_utf8_lossy(&out).into_owned())
    }

    fn tmpdir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("ferredis-check-aof-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }

    #[test]
    fn helpers_behave_like_libc() {
        assert_eq!(strtol(b"12\r\n"), (12, 2, false));
        assert_eq!(strtol(b" -7x"), (-7, 3, false));
        assert_eq!(strtol(b"abc"), (0, 0, false));
        assert_eq!(strtol(b"99999999999999999999"), (i64::MAX, 20, true));
        assert_eq!(hex_char(0x80), "ffffff80");
        assert_eq!(hex_char(0x0a), "0a");
        assert_eq!(dirname(b"a.manifest"), b".");
        assert_eq!(dirname(b"/x/y/a.manifest"), b"/x/y");
        assert_eq!(dirname(b"/a"), b"/");
        assert_eq!(dirname(b"d//a"), b"d");
    }

    #[test]
    fn usage_and_bad_timestamp() {
        let (code, out) = run(&["ferredis-check-aof"], b"");
        assert_eq!(code, 1);
        assert_eq!(
            out,
            "Usage: ferredis-check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>\n"
        );
        let (code, out) = run(&["x", "--truncate-to-timestamp", "12a", "f"], b"");
        assert_eq!((code, out.as_str()), (1, "Invalid timestamp, aborting...\n"));
    }

    #[test]
    fn truncated_old_style_file_and_fix() {
        let d = tmpdir("trunc");
        let p = d.join("t.aof");
        std::fs::write(&p, b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nab").expect("write");
        let ps = p.to_str().expect("utf8");
        let (code, out) = run(&["c", ps], b"");
        assert_eq!(code, 1);
        assert_eq!(
            out,
            format!(
                "Start checking Old-Style AOF\n0x              1f: Expected to read 3 bytes, got 2 bytes\n\
                 AOF analyzed: filename={ps}, size=33, ok_up_to=14, ok_up_to_line=8, diff=19\n\
                 AOF {ps} is not valid. Use the --fix option to try fixing it.\n"
            )
        );
        let (code, out) = run(&["c", "--fix", ps], b"n\n");
        assert_eq!(code, 1);
        assert!(out.ends_with("Continue? [y/N]: Aborting...\n"), "{out}");
        let (code, out) = run(&["c", "--fix", ps], b"y\n");
        assert_eq!(code, 0, "{out}");
        assert!(out.ends_with(&format!("Successfully truncated AOF {ps}\n")), "{out}");
        assert_eq!(std::fs::metadata(&p).expect("stat").len(), 14);
        let (code, out) = run(&["c", ps], b"");
        assert_eq!(code, 0);
        assert!(out.ends_with(&format!("AOF {ps} is valid\n")), "{out}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn multi_without_exec_and_timestamp_truncation() {
        let d = tmpdir("multi");
        let p = d.join("m.aof");
        std::fs::write(&p, b"*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nPING\r\n").expect("write");
        let ps = p.to_str().expect("utf8");
        let (code, out) = run(&["c", ps], b"");
        assert_eq!(code, 1);
        assert!(out.contains("0x              17: Reached EOF before reading EXEC for MULTI\n"), "{out}");
        assert!(out.contains("size=29, ok_up_to=0, ok_up_to_line=7, diff=29"), "{out}");

        let p = d.join("ts.aof");
        std::fs::write(&p, b"#TS:100\r\n*1\r\n$4\r\nPING\r\n#TS:200\r\n*1\r\n$4\r\nPING\r\n").expect("write");
        let ps = p.to_str().expect("utf8");
        let (code, out) = run(&["c", "--truncate-to-timestamp", "150", ps], b"");
        assert_eq!(code, 0, "{out}");
        assert!(out.ends_with(&format!("Successfully truncated AOF {ps} to timestamp 150\n")), "{out}");
        assert_eq!(std::fs::read(&p).expect("read"), b"#TS:100\r\n*1\r\n$4\r\nPING\r\n".to_vec());
        let (code, out) = run(&["c", "--truncate-to-timestamp", "50", ps], b"");
        assert_eq!(code, 1);
        assert!(out.contains("has nothing before timestamp 50, aborting..."), "{out}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn rdb_preamble_with_and_without_a_checker() {
        let d = tmpdir("rdb");
        let p = d.join("pre.aof");
        let mut data = b"REDIS0010<fake rdb>".to_vec();
        data.extend_from_slice(b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI");
        std::fs::write(&p, &data).expect("write");
        let ps = p.to_str().expect("utf8");
        let (code, out) = run(&["c", ps], b"");
        assert_eq!(code, 0);
        assert!(out.contains("not checked: only the REDIS magic is verified"), "{out}");

        let args: Vec<Vec<u8>> = ["c", ps].iter().map(|a| a.as_bytes().to_vec()).collect();
        let mut out = Vec::new();
        let mut input: &[u8] = b"";
        let mut log = |_: &mut dyn Write, _: &str| {};
        let mut rdb = |r: &mut BufReader<File>, _: &mut dyn Write| -> Result<(), String> {
            let mut skip = [0u8; 19];
            r.read_exact(&mut skip).map_err(|e| e.to_string())
        };
        let code = Checker::new(&mut out, &mut input, &mut log).with_rdb_checker(&mut rdb).run(&args);
        let out = String::from_utf8_lossy(&out);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("RDB preamble is OK, proceeding with AOF tail...\n"), "{out}");
        assert!(out.contains("ok_up_to=33, ok_up_to_line=6, diff=10"), "{out}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn manifest_errors_go_through_the_log() {
        let d = tmpdir("manifest");
        let p = d.join("appendonly.aof.manifest");
        std::fs::write(&p, b"file a seq 1 type x\n").expect("write");
        let (code, out) = run(&["c", p.to_str().expect("utf8")], b"");
        assert_eq!(code, 1);
        assert_eq!(
            out,
            "Start checking Multi Part AOF\nLOG # \n*** FATAL AOF MANIFEST FILE ERROR ***\n\n\
             LOG # Reading the manifest file, at line 1\n\nLOG # >>> 'file a seq 1 type x'\n\n\
             LOG # Unknown AOF file type\n\n"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
