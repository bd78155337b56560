//! Reading AOF files back for loading (Redis's `loadSingleAppendOnlyFile`, minus executing the commands).
//!
//! ```text
//!  file:  [REDIS…rdb preamble…][#TS:1700000000\r\n][*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n][*1\r\n$4\r\nMU…
//!          ^ detect_format says Rdb;  ^ annotations   ^ one command                        ^ valid_up_to
//!            the caller loads it,       are skipped                                          (end of the last
//!            then AofReader::at_offset                                                       complete command)
//! ```
//!
//! Failures are classified the way the loader needs them:
//! - [`AofReadError::Truncated`]: the file ends inside a command, or inside a MULTI without its EXEC. With
//!   `aof-load-truncated yes` the caller truncates the file to `valid_up_to` when it is the **last** file of the
//!   manifest (else loading fails, as in Redis) and goes on.
//! - [`AofReadError::Format`]: bytes that cannot be an AOF (wrong prefix, bad length, missing CRLF).
//! - [`AofReadError::Io`]: the read itself failed.
//!
//! Transactions: MULTI and the commands after it are yielded like any other; the caller queues them as a client
//! in MULTI would and runs them at EXEC. If the file ends before EXEC the error is `Truncated` with
//! `valid_up_to` = the offset before MULTI and `open_multi: true`: the caller drops its queue. Redis uses the same
//! offset at a clean EOF inside MULTI; when the file is cut *inside a command* within a MULTI, Redis truncates at
//! the last complete command instead (leaving a dangling MULTI in the file); we cut before the MULTI in both cases
//! so the file never ends in an open transaction.
//!
//! Memory stays bounded by the data actually present: counts and lengths from the file are never used to
//! preallocate, so a corrupt huge length hits EOF (Truncated) instead of allocating.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::manifest::Manifest;

/// Longest `*`/`$`/`#` line, as Redis's `fgets` into `AOF_ANNOTATION_LINE_MAX_LEN` (1024 with the NUL).
pub const LINE_MAX: usize = 1023;
/// Largest argument count accepted (Redis's multibulk limit is `INT_MAX`).
pub const MAX_ARGC: u64 = i32::MAX as u64;
/// Reuse an argument buffer only below this capacity, so one huge value does not stay allocated.
const ARG_REUSE_MAX: usize = 1 << 20;

/// What an AOF file starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// Zero bytes (Redis's AOF_EMPTY).
    Empty,
    /// Starts with the `REDIS` magic: an RDB base file or an old RDB-preamble AOF. The caller loads the RDB part
    /// from offset 0, then continues with [`AofReader::at_offset`] where the RDB ended.
    Rdb,
    /// RESP commands from the first byte.
    Resp,
}

/// Looks at the first five bytes and seeks back to 0.
pub fn detect_format<R: Read + Seek>(f: &mut R) -> io::Result<FileFormat> {
    f.seek(SeekFrom::Start(0))?;
    let mut sig = [0u8; 5];
    let mut got = 0;
    while got < sig.len() {
        match f.read(&mut sig[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    f.seek(SeekFrom::Start(0))?;
    Ok(match got {
        0 => FileFormat::Empty,
        5 if &sig == b"REDIS" => FileFormat::Rdb,
        _ => FileFormat::Resp,
    })
}

#[derive(Debug)]
pub enum AofReadError {
    /// Unexpected end of file. `valid_up_to` is the offset to truncate to; `open_multi` when that cuts an
    /// unfinished transaction ("Revert incomplete MULTI/EXEC transaction").
    Truncated {
        valid_up_to: u64,
        open_multi: bool,
    },
    /// Bad bytes at `offset` (the start of the offending line).
    Format {
        offset: u64,
        msg: String,
    },
    Io(io::Error),
}

impl std::fmt::Display for AofReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AofReadError::Truncated { valid_up_to, open_multi: false } => {
                write!(f, "unexpected end of file (valid up to offset {valid_up_to})")
            }
            AofReadError::Truncated { valid_up_to, open_multi: true } => {
                write!(f, "MULTI without EXEC at end of file (valid up to offset {valid_up_to})")
            }
            AofReadError::Format { offset, msg } => write!(f, "bad file format at offset {offset}: {msg}"),
            AofReadError::Io(e) => write!(f, "read error: {}", crate::sys::error_text(e)),
        }
    }
}

impl std::error::Error for AofReadError {}

impl From<io::Error> for AofReadError {
    fn from(e: io::Error) -> Self {
        AofReadError::Io(e)
    }
}

/// Yields the commands of an AOF one at a time.
pub struct AofReader<R> {
    r: R,
    /// Absolute offset of the next unread byte.
    pos: u64,
    valid_up_to: u64,
    valid_before_multi: u64,
    in_multi: bool,
    line: Vec<u8>,
}

impl<R: BufRead> AofReader<R> {
    /// A reader at the start of a file.
    pub fn new(r: R) -> AofReader<R> {
        AofReader::at_offset(r, 0)
    }

    /// A reader whose input is already at `offset` in the file (after an RDB preamble), so the offsets it
    /// reports are file offsets.
    pub fn at_offset(r: R, offset: u64) -> AofReader<R> {
        AofReader { r, pos: offset, valid_up_to: offset, valid_before_multi: offset, in_multi: false, line: Vec::new() }
    }

    /// Offset just after the last complete command (where a truncated file would be cut).
    pub fn valid_up_to(&self) -> u64 {
        self.valid_up_to
    }

    /// Offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    /// Inside a MULTI whose EXEC has not been read yet.
    pub fn in_multi(&self) -> bool {
        self.in_multi
    }

    pub fn into_inner(self) -> R {
        self.r
    }

    /// Reads the next command into `argv` (whose buffers are reused). `Ok(false)` at a clean end of file.
    pub fn next_command(&mut self, argv: &mut Vec<Vec<u8>>) -> Result<bool, AofReadError> {
        // Fast path: a well-formed command that lies whole in the read buffer is sliced straight out of it. Anything
        // else (a command across the buffer's end, an annotation, a malformed byte) takes the line-by-line path
        // below from the same position, which reports errors exactly.
        let buffered = match self.r.fill_buf() {
            Ok(buf) => parse_buffered(buf, argv),
            Err(_) => None,
        };
        if let Some(n) = buffered {
            self.r.consume(n);
            self.pos += n as u64;
            self.after_command(argv);
            return Ok(true);
        }
        let start = loop {
            let start = self.pos;
            let eof = self.read_line()?;
            if self.line.is_empty() {
                if self.in_multi {
                    return Err(AofReadError::Truncated { valid_up_to: self.valid_before_multi, open_multi: true });
                }
                return Ok(false);
            }
            if self.line[0] == b'#' {
                if !eof && !self.line.ends_with(b"\n") {
                    return Err(self.format(start, "annotation line too long".into()));
                }
                continue;
            }
            break (start, eof);
        };
        let (start, eof) = start;
        let argc = self.header_number(b'*', start, eof)?;
        if argc < 1 {
            return Err(self.format(start, format!("invalid argument count {argc}")));
        }
        if argc > MAX_ARGC {
            return Err(self.format(start, format!("argument count {argc} out of range")));
        }
        let argc = argc as usize;
        for j in 0..argc {
            let at = self.pos;
            let eof = self.read_line()?;
            let len = self.header_number(b'$', at, eof)?;
            let arg = reuse_arg(argv, j);
            let got = (&mut self.r).take(len).read_to_end(arg)? as u64;
            self.pos += got;
            if got < len {
                return Err(self.truncated());
            }
            let mut crlf = [0u8; 2];
            let n = read_full(&mut self.r, &mut crlf)?;
            self.pos += n as u64;
            if n < 2 {
                return Err(self.truncated());
            }
            if &crlf != b"\r\n" {
                return Err(self.format(self.pos - 2, format!("expected CRLF after argument, got {}", hex2(&crlf))));
            }
        }
        argv.truncate(argc);
        self.after_command(argv);
        Ok(true)
    }

    /// Transaction bookkeeping after a complete command, and the new valid end.
    fn after_command(&mut self, argv: &[Vec<u8>]) {
        let name = &argv[0];
        if name.eq_ignore_ascii_case(b"multi") {
            // Redis moves the mark on every MULTI; a nested MULTI (which Redis never writes) would then leave the
            // outer one in the file after a cut. Keeping the outermost makes one cut always enough.
            if !self.in_multi {
                self.valid_before_multi = self.valid_up_to;
            }
            self.in_multi = true;
        } else if name.eq_ignore_ascii_case(b"exec") {
            self.in_multi = false;
        }
        self.valid_up_to = self.pos;
    }

    fn truncated(&self) -> AofReadError {
        let valid_up_to = if self.in_multi { self.valid_before_multi } else { self.valid_up_to };
        AofReadError::Truncated { valid_up_to, open_multi: self.in_multi }
    }

    fn format(&self, offset: u64, msg: String) -> AofReadError {
        AofReadError::Format { offset, msg }
    }

    /// Parses the `<prefix><digits>\r\n` line in `self.line`, which started at offset `at`; `eof`: the read
    /// stopped at end of file.
    fn header_number(&self, prefix: u8, at: u64, eof: bool) -> Result<u64, AofReadError> {
        let line = &self.line;
        if line.is_empty() {
            return Err(self.truncated());
        }
        if line[0] != prefix {
            return Err(self.format(
                at,
                format!("expected '{}', got '{}'", prefix as char, String::from_utf8_lossy(&line[..1]).escape_debug()),
            ));
        }
        if !line.ends_with(b"\n") {
            if eof {
                return Err(self.truncated());
            }
            return Err(self.format(at, "line too long".into()));
        }
        let body = &line[1..line.len() - 1];
        let Some(digits) = body.strip_suffix(b"\r") else {
            return Err(self.format(at, "expected CRLF at end of line".into()));
        };
        if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(self.format(
                at,
                format!("invalid {} '{}'", if prefix == b'*' { "argument count" } else { "bulk length" }, {
                    String::from_utf8_lossy(digits).escape_debug()
                }),
            ));
        }
        digits
            .iter()
            .try_fold(0u64, |v, &d| v.checked_mul(10)?.checked_add(u64::from(d - b'0')))
            .filter(|&v| v <= i64::MAX as u64)
            .ok_or_else(|| self.format(at, "number out of range".into()))
    }

    /// `fgets` into a LINE_MAX window: up to and including '\n'. Returns whether EOF was hit before a '\n'.
    fn read_line(&mut self) -> Result<bool, AofReadError> {
        self.line.clear();
        loop {
            let avail = match self.r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if avail.is_empty() {
                return Ok(true);
            }
            let room = LINE_MAX - self.line.len();
            let window = &avail[..avail.len().min(room)];
            let (take, done) = match memchr::memchr(b'\n', window) {
                Some(i) => (i + 1, true),
                None => (window.len(), self.line.len() + window.len() >= LINE_MAX),
            };
            self.line.extend_from_slice(&window[..take]);
            self.r.consume(take);
            self.pos += take as u64;
            if done {
                return Ok(false);
            }
        }
    }
}

/// Parses `<prefix><digits>\r\n` at the start of `buf` as [`AofReader::header_number`] accepts it (1 to 19
/// digits, at most [`i64::MAX`]); returns the number and the bytes the line takes, or `None`.
#[inline]
fn buffered_number(buf: &[u8], prefix: u8) -> Option<(u64, usize)> {
    if buf.first() != Some(&prefix) {
        return None;
    }
    let mut v = 0u64;
    let mut i = 1;
    while let Some(&d) = buf.get(i) {
        if !d.is_ascii_digit() {
            break;
        }
        if i > 19 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        i += 1;
    }
    if i == 1 || v > i64::MAX as u64 || buf.get(i..i + 2)? != b"\r\n" {
        return None;
    }
    Some((v, i + 2))
}

/// One whole, well-formed command at the start of `buf`: its arguments go into `argv` (buffers reused) and the
/// bytes it takes are returned. `None` when the command is incomplete in `buf` or anything about it is unusual;
/// `argv` may then hold partial contents, which the caller's slow path overwrites.
fn parse_buffered(buf: &[u8], argv: &mut Vec<Vec<u8>>) -> Option<usize> {
    let (argc, mut at) = buffered_number(buf, b'*')?;
    if !(1..=MAX_ARGC).contains(&argc) {
        return None;
    }
    let argc = argc as usize;
    for j in 0..argc {
        let (len, n) = buffered_number(&buf[at..], b'$')?;
        at += n;
        let len = usize::try_from(len).ok()?;
        let end = at.checked_add(len)?;
        if buf.get(end..end.checked_add(2)?)? != b"\r\n" {
            return None;
        }
        reuse_arg(argv, j).extend_from_slice(&buf[at..end]);
        at = end + 2;
    }
    argv.truncate(argc);
    Some(at)
}

/// `argv[j]` emptied for the next argument (added if `argv` is shorter): its buffer is kept unless it grew
/// past [`ARG_REUSE_MAX`].
fn reuse_arg(argv: &mut Vec<Vec<u8>>, j: usize) -> &mut Vec<u8> {
    if j == argv.len() {
        argv.push(Vec::new());
    }
    let arg = &mut argv[j];
    if arg.capacity() > ARG_REUSE_MAX {
        *arg = Vec::new();
    } else {
        arg.clear();
    }
    arg
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn hex2(b: &[u8]) -> String {
    b.iter().map(|c| format!("{c:02x}")).collect()
}

/// Which part of the AOF a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Base,
    Incr,
}

/// The files to replay, in order: the base (if any), then the incrs. History files are not loaded.
pub fn files_to_load(aof_dir: &Path, manifest: &Manifest) -> Vec<(PathBuf, FileKind)> {
    let mut out = Vec::with_capacity(manifest.loadable_count());
    if let Some(b) = &manifest.base {
        out.push((b.path_in(aof_dir), FileKind::Base));
    }
    out.extend(manifest.incrs.iter().map(|i| (i.path_in(aof_dir), FileKind::Incr)));
    out
}

/// Total size of the files to load (Redis's `getBaseAndIncrAppendOnlyFilesSize`). A file listed in the manifest
/// but missing on disk is an error (Redis treats it as fatal); the error names the file.
pub fn total_size(aof_dir: &Path, manifest: &Manifest) -> Result<u64, (PathBuf, io::Error)> {
    let mut total = 0;
    for (path, _) in files_to_load(aof_dir, manifest) {
        match std::fs::metadata(&path) {
            Ok(m) => total += m.len(),
            Err(e) => return Err((path, e)),
        }
    }
    Ok(total)
}

/// Cuts a file to `len` bytes (what `aof-load-truncated` and `--fix` do).
pub fn truncate_file(path: &Path, len: u64) -> io::Result<()> {
    let f = OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    f.sync_all()
}

/// Opens a file for loading and says how it starts.
pub fn open_for_load(path: &Path) -> io::Result<(File, FileFormat)> {
    let mut f = File::open(path)?;
    let fmt = detect_format(&mut f)?;
    Ok((f, fmt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::encode_command;
    use std::io::BufReader;

    fn sample() -> (Vec<u8>, Vec<u64>) {
        let cmds: [&[&[u8]]; 6] = [
            &[b"SELECT", b"0"],
            &[b"SET", b"k", b"v\r\nwith crlf"],
            &[b"MULTI"],
            &[b"INCR", b"n"],
            &[b"EXEC"],
            &[b"DEL", b""],
        ];
        let mut out = b"#TS:1700000000\r\n".to_vec();
        let mut ends = Vec::new();
        for c in cmds {
            encode_command(&mut out, c);
            ends.push(out.len() as u64);
        }
        (out, ends)
    }

    fn read_all(data: &[u8]) -> (Vec<Vec<Vec<u8>>>, Result<(), AofReadError>) {
        // A tiny BufReader capacity exercises lines and values split across fills.
        let mut r = AofReader::new(BufReader::with_capacity(3, data));
        let mut argv = Vec::new();
        let mut got = Vec::new();
        loop {
            match r.next_command(&mut argv) {
                Ok(true) => got.push(argv.clone()),
                Ok(false) => return (got, Ok(())),
                Err(e) => return (got, Err(e)),
            }
        }
    }

    #[test]
    fn reads_commands_and_skips_annotations() {
        let (data, _) = sample();
        let (got, res) = read_all(&data);
        assert!(res.is_ok());
        assert_eq!(got.len(), 6);
        assert_eq!(got[1], vec![b"SET".to_vec(), b"k".to_vec(), b"v\r\nwith crlf".to_vec()]);
        assert_eq!(got[5], vec![b"DEL".to_vec(), b"".to_vec()]);
    }

    #[test]
    fn truncated_at_every_offset() {
        let (data, ends) = sample();
        for cut in 0..data.len() {
            let (got, res) = read_all(&data[..cut]);
            let complete = ends.iter().filter(|&&e| e <= cut as u64).count();
            // Inside the MULTI (commands 2..4 complete but EXEC not) the cut goes back before MULTI.
            let multi_open = (3..5).contains(&complete);
            let expect_valid = if multi_open {
                ends[1]
            } else if complete == 0 {
                0
            } else {
                ends[complete - 1]
            };
            let at_boundary = cut <= 16 || ends.contains(&(cut as u64));
            match res {
                Ok(()) => assert!(at_boundary && !multi_open, "cut {cut}: clean EOF only at a boundary"),
                Err(AofReadError::Truncated { valid_up_to, open_multi }) => {
                    assert_eq!(valid_up_to, expect_valid, "cut {cut}");
                    assert_eq!(open_multi, multi_open, "cut {cut}");
                }
                Err(e) => panic!("cut {cut}: {e}"),
            }
            assert_eq!(got.len(), complete, "cut {cut}");
        }
    }

    #[test]
    fn annotation_cut_before_newline_is_not_an_error() {
        let (got, res) = read_all(b"*1\r\n$4\r\nPING\r\n#TS:12");
        assert!(res.is_ok());
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn corrupted_bytes_are_format_errors() {
        let bad: &[(&[u8], u64)] = &[
            (b"x1\r\n$4\r\nPING\r\n", 0),
            (b"*0\r\n", 0),
            (b"*-1\r\n", 0),
            (b"*a\r\n", 0),
            (b"*1\n$4\r\nPING\r\n", 0),
            (b"*1\r\n%4\r\nPING\r\n", 4),
            (b"*1\r\n$-4\r\nPING\r\n", 4),
            (b"*1\r\n$99999999999999999999\r\nPING\r\n", 4),
            (b"*1\r\n$4\r\nPINGxx", 12),
            (b"*1\r\n$4\r\nPING\r\n*1\r\n$3\r\nfoo\n\n", 25),
        ];
        for (data, off) in bad {
            match read_all(data).1 {
                Err(AofReadError::Format { offset, .. }) => {
                    assert_eq!(offset, *off, "{:?}", String::from_utf8_lossy(data))
                }
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(data)),
            }
        }
        let long = format!("#{}\r\n*1\r\n$4\r\nPING\r\n", "x".repeat(2000));
        assert!(matches!(read_all(long.as_bytes()).1, Err(AofReadError::Format { offset: 0, .. })));
    }

    #[test]
    fn huge_length_is_truncation_not_allocation() {
        let (got, res) = read_all(b"*2147483647\r\n$9000000000000000000\r\nabc");
        assert!(got.is_empty());
        assert!(matches!(res, Err(AofReadError::Truncated { valid_up_to: 0, open_multi: false })));
    }

    #[test]
    fn multi_without_exec_at_clean_eof() {
        let mut data = Vec::new();
        encode_command(&mut data, &[b"SET", b"a", b"1"]);
        let before = data.len() as u64;
        encode_command(&mut data, &[b"multi"]);
        encode_command(&mut data, &[b"SET", b"a", b"2"]);
        let (got, res) = read_all(&data);
        assert_eq!(got.len(), 3);
        assert!(matches!(res, Err(AofReadError::Truncated { valid_up_to, open_multi: true }) if valid_up_to == before));
    }

    #[test]
    fn starts_at_an_offset_and_detects_rdb() {
        let mut data = b"REDIS0010\xff12345678".to_vec();
        let rdb_len = data.len() as u64;
        encode_command(&mut data, &[b"PING"]);
        let mut cur = io::Cursor::new(data.clone());
        assert_eq!(detect_format(&mut cur).expect("detect"), FileFormat::Rdb);
        assert_eq!(detect_format(&mut io::Cursor::new(b"")).expect("detect"), FileFormat::Empty);
        assert_eq!(detect_format(&mut io::Cursor::new(b"*1\r\n")).expect("detect"), FileFormat::Resp);
        assert_eq!(detect_format(&mut io::Cursor::new(b"REDI")).expect("detect"), FileFormat::Resp);
        // The caller would load the RDB; here we just skip it.
        cur.set_position(rdb_len);
        let mut r = AofReader::at_offset(BufReader::new(cur), rdb_len);
        let mut argv = Vec::new();
        assert!(r.next_command(&mut argv).expect("cmd"));
        assert_eq!(argv, vec![b"PING".to_vec()]);
        assert_eq!(r.valid_up_to(), data.len() as u64);
        assert!(!r.next_command(&mut argv).expect("eof"));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::resp::encode_command;
    use proptest::prelude::*;

    fn read_all(data: &[u8], cap: usize) -> (usize, Result<(), AofReadError>) {
        let mut r = AofReader::new(std::io::BufReader::with_capacity(cap, data));
        let mut argv = Vec::new();
        let mut n = 0;
        loop {
            match r.next_command(&mut argv) {
                Ok(true) => {
                    assert!(r.valid_up_to() <= data.len() as u64);
                    n += 1;
                }
                Ok(false) => return (n, Ok(())),
                Err(e) => return (n, Err(e)),
            }
        }
    }

    fn valid_aof() -> impl Strategy<Value = Vec<u8>> {
        let arg = prop::collection::vec(any::<u8>(), 0..12);
        let name = prop::sample::select(vec![&b"SET"[..], b"MULTI", b"EXEC", b"INCR", b"#TS:1"]);
        prop::collection::vec((name, prop::collection::vec(arg, 0..3)), 0..8).prop_map(|cmds| {
            let mut out = Vec::new();
            for (name, args) in cmds {
                if name[0] == b'#' {
                    out.extend_from_slice(b"#TS:1\r\n");
                    continue;
                }
                let mut argv: Vec<&[u8]> = vec![name];
                argv.extend(args.iter().map(|a| a.as_slice()));
                encode_command(&mut out, &argv);
            }
            out
        })
    }

    proptest! {
        /// Whatever the bytes: no panic, and a truncated file cut at `valid_up_to` reads back cleanly.
        #[test]
        fn any_bytes_never_panic_and_truncation_heals(data in prop::collection::vec(any::<u8>(), 0..200), cap in 1usize..16) {
            let (_, res) = read_all(&data, cap);
            if let Err(AofReadError::Truncated { valid_up_to, .. }) = res {
                prop_assert!(valid_up_to <= data.len() as u64);
                let (_, again) = read_all(&data[..valid_up_to as usize], cap);
                prop_assert!(again.is_ok(), "{again:?}");
            }
        }

        /// Valid files with one byte flipped or cut anywhere: same properties, and the cut at `valid_up_to`
        /// keeps every command before it.
        #[test]
        fn mutated_valid_files(data in valid_aof(), pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
            let (total, _) = read_all(&data, 7);
            let mut bad = data.clone();
            if !bad.is_empty() {
                let i = pos.index(bad.len());
                if cut { bad.truncate(i) } else { bad[i] = byte }
            }
            let (_, res) = read_all(&bad, 5);
            if let Err(AofReadError::Truncated { valid_up_to, .. }) = res {
                let (n, again) = read_all(&bad[..valid_up_to as usize], 3);
                prop_assert!(again.is_ok(), "{again:?}");
                prop_assert!(n <= total);
            }
        }
    }
}
