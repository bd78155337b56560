//! The multi-part AOF manifest (`<appendfilename>.manifest` inside `appenddirname`), Redis 7.0's syntax:
//!
//! ```text
//! file appendonly.aof.2.base.rdb seq 2 type b      <- at most one base, always written first
//! file appendonly.aof.1.incr.aof seq 1 type h      <- history: replaced files waiting to be deleted
//! file appendonly.aof.2.incr.aof seq 2 type i      <- incrs, strictly increasing seq, replayed in order
//! ```
//!
//! Reading follows `aofLoadManifestFromFile` byte for byte: lines are read like `fgets` into a 1024-byte window
//! (so a longer line, or a last line without `\n`, is "too long"), `#` lines are comments, each line is split like
//! `sdssplitargs` into `key value` pairs in any order (keys case-insensitive, unknown keys ignored for forward
//! compatibility), `seq` is read like `atoll`. The error messages are Redis's. Writing quotes a file name like
//! `sdscatrepr` when `sdsneedsrepr` says so, and persisting is atomic: `temp-<name>.manifest`, fsync, rename,
//! fsync of the directory.
//!
//! Invariants kept by the operations (and checked by the parser): seq of incrs strictly increases;
//! `curr_base_seq`/`curr_incr_seq` are the seqs of the newest base/incr ever named, so a new name never reuses one.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Longest manifest line read at once (Redis's `MANIFEST_MAX_LINE`).
pub const MANIFEST_MAX_LINE: usize = 1024;

pub const BASE_FILE_SUFFIX: &str = ".base";
pub const INCR_FILE_SUFFIX: &str = ".incr";
pub const RDB_FORMAT_SUFFIX: &str = ".rdb";
pub const AOF_FORMAT_SUFFIX: &str = ".aof";
pub const MANIFEST_NAME_SUFFIX: &str = ".manifest";
pub const TEMP_FILE_NAME_PREFIX: &str = "temp-";

/// The `type` of a manifest entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// `b`: the snapshot written by the last rewrite (RDB or AOF format).
    Base,
    /// `h`: a file replaced by a rewrite, deleted by the next garbage collection.
    History,
    /// `i`: commands appended after the base.
    Incr,
}

impl FileType {
    pub fn as_char(self) -> u8 {
        match self {
            FileType::Base => b'b',
            FileType::History => b'h',
            FileType::Incr => b'i',
        }
    }

    pub fn from_char(c: u8) -> Option<FileType> {
        match c {
            b'b' => Some(FileType::Base),
            b'h' => Some(FileType::History),
            b'i' => Some(FileType::Incr),
            _ => None,
        }
    }
}

/// One line of the manifest (Redis's `aofInfo`). The name is raw bytes: it is a file name, not text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofInfo {
    pub name: Vec<u8>,
    pub seq: i64,
    pub kind: FileType,
}

impl AofInfo {
    /// The path of this file inside the AOF directory.
    pub fn path_in(&self, aof_dir: &Path) -> PathBuf {
        aof_dir.join(OsStr::from_bytes(&self.name))
    }

    /// Appends the manifest line for this entry (`file <name> seq <n> type <c>\n`).
    pub fn format_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"file ");
        if needs_repr(&self.name) {
            repr_into(out, &self.name);
        } else {
            out.extend_from_slice(&self.name);
        }
        out.extend_from_slice(format!(" seq {} type ", self.seq).as_bytes());
        out.push(self.kind.as_char());
        out.push(b'\n');
    }
}

/// Why a manifest could not be loaded. `Display` gives the message; [`ManifestError::log_lines`] gives the
/// sequence of lines Redis logs for it.
#[derive(Debug)]
pub enum ManifestError {
    /// The file could not be opened (Redis: "Fatal error: can't open the AOF manifest file ...").
    Open { path: PathBuf, err: io::Error },
    /// A read failed part way.
    Read { err: io::Error },
    /// The content is invalid. `line` is the 1-based line number and the trimmed line, when Redis shows them.
    Invalid { msg: &'static str, line: Option<(usize, Vec<u8>)> },
}

pub const ERR_EMPTY: &str = "Found an empty AOF manifest";
pub const ERR_READ: &str = "Read AOF manifest failed";
pub const ERR_TOO_LONG: &str = "The AOF manifest file contains too long line";
pub const ERR_FORMAT: &str = "Invalid AOF manifest file format";
pub const ERR_PATH: &str = "File can't be a path, just a filename";
pub const ERR_DUP_BASE: &str = "Found duplicate base file information";
pub const ERR_NON_MONOTONIC: &str = "Found a non-monotonic sequence number";
pub const ERR_UNKNOWN_TYPE: &str = "Unknown AOF file type";

impl ManifestError {
    /// The messages Redis passes to `serverLog` (one log line each) for this error, in order.
    pub fn log_lines(&self) -> Vec<String> {
        match self {
            ManifestError::Open { path, err } => vec![format!(
                "Fatal error: can't open the AOF manifest file {} for reading: {}",
                path.display(),
                crate::sys::error_text(err)
            )],
            ManifestError::Read { .. } => {
                vec!["\n*** FATAL AOF MANIFEST FILE ERROR ***\n".into(), format!("{ERR_READ}\n")]
            }
            ManifestError::Invalid { msg, line } => {
                let mut v = vec!["\n*** FATAL AOF MANIFEST FILE ERROR ***\n".to_string()];
                if let Some((n, text)) = line {
                    v.push(format!("Reading the manifest file, at line {n}\n"));
                    v.push(format!(">>> '{}'\n", String::from_utf8_lossy(text)));
                }
                v.push(format!("{msg}\n"));
                v
            }
        }
    }
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManifestError::Open { path, err } => write!(
                f,
                "can't open the AOF manifest file {} for reading: {}",
                path.display(),
                crate::sys::error_text(err)
            ),
            ManifestError::Read { err } => write!(f, "{ERR_READ}: {}", crate::sys::error_text(err)),
            ManifestError::Invalid { msg, line: Some((n, text)) } => {
                write!(f, "{msg} (line {n}: '{}')", String::from_utf8_lossy(text))
            }
            ManifestError::Invalid { msg, line: None } => f.write_str(msg),
        }
    }
}

impl std::error::Error for ManifestError {}

/// The manifest in memory (Redis's `aofManifest`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofInfo>,
    /// Replayed after the base, in this order (seq strictly increasing).
    pub incrs: Vec<AofInfo>,
    /// Files to delete; newest first, as Redis adds them at the head.
    pub history: Vec<AofInfo>,
    /// Seq of the newest base ever named.
    pub curr_base_seq: i64,
    /// Seq of the newest incr ever named.
    pub curr_incr_seq: i64,
    /// Changed since last persisted.
    pub dirty: bool,
}

/// `<appendfilename>.manifest`
pub fn manifest_name(appendfilename: &str) -> String {
    format!("{appendfilename}{MANIFEST_NAME_SUFFIX}")
}

/// `temp-<appendfilename>.manifest`
pub fn temp_manifest_name(appendfilename: &str) -> String {
    format!("{TEMP_FILE_NAME_PREFIX}{appendfilename}{MANIFEST_NAME_SUFFIX}")
}

/// `<appendfilename>.<seq>.base.rdb` or `.base.aof`
pub fn base_name(appendfilename: &str, seq: i64, rdb_preamble: bool) -> String {
    let fmt = if rdb_preamble { RDB_FORMAT_SUFFIX } else { AOF_FORMAT_SUFFIX };
    format!("{appendfilename}.{seq}{BASE_FILE_SUFFIX}{fmt}")
}

/// `<appendfilename>.<seq>.incr.aof`
pub fn incr_name(appendfilename: &str, seq: i64) -> String {
    format!("{appendfilename}.{seq}{INCR_FILE_SUFFIX}{AOF_FORMAT_SUFFIX}")
}

/// `temp-<appendfilename>.incr`: where commands accumulate while AOF is being turned on (AOF_WAIT_REWRITE).
pub fn temp_incr_name(appendfilename: &str) -> String {
    format!("{TEMP_FILE_NAME_PREFIX}{appendfilename}{INCR_FILE_SUFFIX}")
}

impl Manifest {
    pub fn new() -> Manifest {
        Manifest::default()
    }

    /// Parses a manifest's bytes with Redis's rules and messages.
    pub fn parse(data: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::new();
        let mut max_incr_seq: i64 = 0;
        let mut linenum = 0usize;
        let mut pos = 0usize;
        loop {
            // fgets(buf, MANIFEST_MAX_LINE + 1): up to MANIFEST_MAX_LINE bytes, stopping after '\n'.
            if pos >= data.len() {
                if linenum == 0 {
                    return Err(ManifestError::Invalid { msg: ERR_EMPTY, line: None });
                }
                return Ok(m);
            }
            let window = &data[pos..data.len().min(pos + MANIFEST_MAX_LINE)];
            let chunk_len = memchr::memchr(b'\n', window).map_or(window.len(), |i| i + 1);
            let chunk = &window[..chunk_len];
            pos += chunk_len;
            linenum += 1;
            // The C code sees the chunk as a C string: it ends at the first NUL.
            let cstr = &chunk[..memchr::memchr(0, chunk).unwrap_or(chunk.len())];
            if cstr.first() == Some(&b'#') {
                continue;
            }
            if !cstr.contains(&b'\n') {
                return Err(ManifestError::Invalid { msg: ERR_TOO_LONG, line: None });
            }
            let line = trim(cstr, b" \t\r\n");
            let invalid = |msg| ManifestError::Invalid { msg, line: Some((linenum, line.to_vec())) };
            if line.is_empty() {
                return Err(invalid(ERR_FORMAT));
            }
            let argv = match split_args(line) {
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return Err(invalid(ERR_FORMAT)),
            };
            let (mut name, mut seq, mut kind_byte) = (None, 0i64, 0u8);
            for pair in argv.chunks_exact(2) {
                let (key, val) = (&pair[0], &pair[1]);
                if key.eq_ignore_ascii_case(b"file") {
                    if val.contains(&b'/') || val.contains(&b'\\') {
                        return Err(invalid(ERR_PATH));
                    }
                    name = Some(val.clone());
                } else if key.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(val);
                } else if key.eq_ignore_ascii_case(b"type") {
                    kind_byte = val.first().copied().unwrap_or(0);
                }
            }
            let name = match name {
                Some(n) if seq != 0 && kind_byte != 0 => n,
                _ => return Err(invalid(ERR_FORMAT)),
            };
            match FileType::from_char(kind_byte) {
                Some(FileType::Base) => {
                    if m.base.is_some() {
                        return Err(invalid(ERR_DUP_BASE));
                    }
                    m.curr_base_seq = seq;
                    m.base = Some(AofInfo { name, seq, kind: FileType::Base });
                }
                Some(FileType::History) => m.history.push(AofInfo { name, seq, kind: FileType::History }),
                Some(FileType::Incr) => {
                    if seq <= max_incr_seq {
                        return Err(invalid(ERR_NON_MONOTONIC));
                    }
                    m.curr_incr_seq = seq;
                    max_incr_seq = seq;
                    m.incrs.push(AofInfo { name, seq, kind: FileType::Incr });
                }
                None => return Err(invalid(ERR_UNKNOWN_TYPE)),
            }
        }
    }

    /// Reads and parses a manifest file.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let mut f = File::open(path).map_err(|err| ManifestError::Open { path: path.to_path_buf(), err })?;
        let mut data = Vec::new();
        f.read_to_end(&mut data).map_err(|err| ManifestError::Read { err })?;
        Manifest::parse(&data)
    }

    /// Redis's `aofLoadManifestFromDisk`: an empty manifest when the AOF directory or the manifest does not exist
    /// (a fresh start, or an upgrade from the single-file layout), else the parsed manifest.
    pub fn load_from_dir(aof_dir: &Path, appendfilename: &str) -> Result<Manifest, ManifestError> {
        if !aof_dir.is_dir() {
            return Ok(Manifest::new());
        }
        let path = aof_dir.join(manifest_name(appendfilename));
        if !is_regular_file(&path) {
            return Ok(Manifest::new());
        }
        Manifest::load(&path)
    }

    /// The manifest text: base first, then history, then incrs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for info in self.base.iter().chain(self.history.iter()).chain(self.incrs.iter()) {
            info.format_into(&mut out);
        }
        out
    }

    /// Redis's `getNewIncrAofName`: names the next incr file (seq + 1) and appends it to the incr list.
    pub fn add_new_incr(&mut self, appendfilename: &str) -> &AofInfo {
        self.curr_incr_seq += 1;
        let seq = self.curr_incr_seq;
        self.incrs.push(AofInfo { name: incr_name(appendfilename, seq).into_bytes(), seq, kind: FileType::Incr });
        self.dirty = true;
        &self.incrs[self.incrs.len() - 1]
    }

    /// Redis's `getLastIncrAofName`: the newest incr, named first if there is none (what the server opens for
    /// appending on start).
    pub fn last_incr_or_new(&mut self, appendfilename: &str) -> &AofInfo {
        if self.incrs.is_empty() {
            return self.add_new_incr(appendfilename);
        }
        &self.incrs[self.incrs.len() - 1]
    }

    /// Redis's `getNewBaseFileNameAndMarkPreAsHistory`: the current base (if any) becomes history, and a new base
    /// with seq + 1 is named. Returns the new base.
    pub fn add_new_base(&mut self, appendfilename: &str, rdb_preamble: bool) -> &AofInfo {
        if let Some(mut old) = self.base.take() {
            old.kind = FileType::History;
            self.history.insert(0, old);
        }
        self.curr_base_seq += 1;
        let seq = self.curr_base_seq;
        self.dirty = true;
        self.base.insert(AofInfo {
            name: base_name(appendfilename, seq, rdb_preamble).into_bytes(),
            seq,
            kind: FileType::Base,
        })
    }

    /// Redis's `markRewrittenIncrAofAsHistory`: after a successful rewrite, every incr except the one being
    /// written now (`keep_last`, i.e. AOF is on) becomes history. Moved files go to the head of the history list,
    /// newest first, as Redis does.
    pub fn mark_rewritten_incrs_as_history(&mut self, keep_last: bool) {
        if self.incrs.is_empty() {
            return;
        }
        let keep = usize::from(keep_last);
        let moved = self.incrs.len().saturating_sub(keep);
        // Redis walks the incr list from the tail (skipping the kept one) and pushes each at the head of history,
        // so the oldest incr ends up first.
        let old: Vec<AofInfo> = self.incrs.drain(..moved).collect();
        for (i, mut info) in old.into_iter().enumerate() {
            info.kind = FileType::History;
            self.history.insert(i, info);
        }
        self.dirty = true;
    }

    /// The manifest change of a successful rewrite (Redis's `backgroundRewriteDoneHandler`, AOF on): a new base
    /// (seq + 1), the old base and every incr but the one being written now move to history. The caller renames
    /// the rewritten temp file to the returned base name *before* persisting.
    pub fn apply_rewrite(&mut self, appendfilename: &str, rdb_preamble: bool, aof_on: bool) -> AofInfo {
        let base = self.add_new_base(appendfilename, rdb_preamble).clone();
        self.mark_rewritten_incrs_as_history(aof_on);
        base
    }

    /// Writes the manifest if it changed (Redis's `persistAofManifest`), atomically.
    pub fn persist(&mut self, aof_dir: &Path, appendfilename: &str) -> io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        write_manifest_file(aof_dir, appendfilename, &self.to_bytes())?;
        self.dirty = false;
        Ok(())
    }

    /// Redis's `aofDelHistoryFiles` (when `aof-disable-auto-gc` is no): unlinks every history file, empties the
    /// history list and persists the manifest. A file that is already gone is not an error. Returns the names
    /// removed (for the log: "Removing the history file ... in the background").
    pub fn delete_history(&mut self, aof_dir: &Path, appendfilename: &str) -> io::Result<Vec<Vec<u8>>> {
        if self.history.is_empty() {
            return Ok(Vec::new());
        }
        let mut removed = Vec::new();
        for info in self.history.drain(..) {
            match fs::remove_file(info.path_in(aof_dir)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            removed.push(info.name);
        }
        self.dirty = true;
        self.persist(aof_dir, appendfilename)?;
        Ok(removed)
    }

    /// Number of files the loader reads (base + incrs).
    pub fn loadable_count(&self) -> usize {
        usize::from(self.base.is_some()) + self.incrs.len()
    }
}

/// Atomically replaces the manifest with `content` (Redis's `writeAofManifestFile`).
pub fn write_manifest_file(aof_dir: &Path, appendfilename: &str, content: &[u8]) -> io::Result<()> {
    let tmp = aof_dir.join(temp_manifest_name(appendfilename));
    let dst = aof_dir.join(manifest_name(appendfilename));
    {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).open(&tmp)?;
        f.write_all(content)?;
        f.sync_data()?;
    }
    fs::rename(&tmp, &dst)?;
    fsync_dir(aof_dir)
}

/// fsync of a directory, so a rename or a new file in it survives a crash. Filesystems that cannot sync a
/// directory (EINVAL, EBADF) are not an error, as in Redis's `fsyncFileDir`.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    let d = File::open(dir)?;
    match d.sync_all() {
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::EBADF)) => Ok(()),
        r => r,
    }
}

/// Opens an AOF file for appending (create if missing), as the server does for the newest incr on start.
pub fn open_for_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().append(true).create(true).open(path)
}

/// Creates (truncating) a new incr file, as `openNewIncrAofForAppend` does.
pub fn create_incr(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create(true).truncate(true).open(path)
}

fn is_regular_file(p: &Path) -> bool {
    fs::metadata(p).map(|m| m.is_file()).unwrap_or(false)
}

/// Redis 7.0's upgrade from the single-file layout (`loadAppendOnlyFiles` + `aofUpgradePrepare`): when
/// `<work_dir>/<appendfilename>` exists and
/// 1. the AOF directory does not exist, or
/// 2. the manifest is empty (missing), or
/// 3. the manifest has only a base named `<appendfilename>` that is not yet inside the directory (a previous
///    upgrade stopped half way),
///
/// then the directory is created, the manifest gets that file as base seq 1 and is persisted, and the file is
/// moved into the directory. Returns whether an upgrade happened. Every step can be repeated after a crash.
pub fn upgrade_legacy_if_needed(
    work_dir: &Path,
    aof_dir: &Path,
    appendfilename: &str,
    manifest: &mut Manifest,
) -> io::Result<bool> {
    let legacy = work_dir.join(appendfilename);
    if !is_regular_file(&legacy) {
        return Ok(false);
    }
    let half_done = manifest.incrs.is_empty()
        && manifest.base.as_ref().is_some_and(|b| b.name == appendfilename.as_bytes())
        && !is_regular_file(&aof_dir.join(appendfilename));
    let needed = !aof_dir.is_dir() || (manifest.base.is_none() && manifest.incrs.is_empty()) || half_done;
    if !needed {
        return Ok(false);
    }
    fs::create_dir_all(aof_dir)?;
    manifest.base = Some(AofInfo { name: appendfilename.as_bytes().to_vec(), seq: 1, kind: FileType::Base });
    manifest.curr_base_seq = 1;
    manifest.dirty = true;
    manifest.persist(aof_dir, appendfilename)?;
    fs::rename(&legacy, aof_dir.join(appendfilename))?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------------------------------
// Redis's string helpers, as the manifest needs them.

/// C `isspace` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn trim<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|c| !set.contains(c)).unwrap_or(s.len());
    let end = s.iter().rposition(|c| !set.contains(c)).map_or(start, |i| i + 1);
    &s[start..end.max(start)]
}

pub(crate) use crate::util::atoll;

/// `sdsneedsrepr`: quoting is needed for escapes, non-printables and spaces. One addition: a single quote.
/// Redis writes `it's.aof` bare, and then its own `sdssplitargs` reads the `'` as an unterminated quote and
/// rejects the manifest; quoted, both Redis and we read it back.
pub fn needs_repr(s: &[u8]) -> bool {
    s.iter().any(|&c| c == b'\\' || c == b'"' || c == b'\'' || !(0x20..=0x7e).contains(&c) || is_c_space(c))
}

pub use crate::util::repr_into;

pub use crate::util::split_args;

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(text: &[u8]) -> (&'static str, Option<(usize, Vec<u8>)>) {
        match Manifest::parse(text) {
            Err(ManifestError::Invalid { msg, line }) => (msg, line),
            other => {
                panic!("expected an invalid-manifest error for {:?}, got {other:?}", String::from_utf8_lossy(text))
            }
        }
    }

    #[test]
    fn parse_example_and_round_trip() {
        let text = b"file appendonly.aof.2.base.rdb seq 2 type b\n\
                     file appendonly.aof.1.incr.aof seq 1 type h\n\
                     file appendonly.aof.2.incr.aof seq 2 type h\n\
                     file appendonly.aof.3.incr.aof seq 3 type i\n\
                     file appendonly.aof.4.incr.aof seq 4 type i\n";
        let m = Manifest::parse(text).expect("valid");
        assert_eq!(m.base.as_ref().map(|b| b.seq), Some(2));
        assert_eq!(m.history.len(), 2);
        assert_eq!(m.incrs.iter().map(|i| i.seq).collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!((m.curr_base_seq, m.curr_incr_seq), (2, 4));
        assert_eq!(m.to_bytes(), text.to_vec());
    }

    #[test]
    fn keys_any_order_case_insensitive_unknown_ignored_comments() {
        let text = b"# a comment\nTYPE i SEQ 7 File x.aof extra 1\n  seq 1 type b file  'y z'  \r\n";
        let m = Manifest::parse(text).expect("valid");
        assert_eq!(m.incrs[0], AofInfo { name: b"x.aof".to_vec(), seq: 7, kind: FileType::Incr });
        assert_eq!(m.base.as_ref().map(|b| b.name.clone()), Some(b"y z".to_vec()));
        // Written back with Redis's order and quoting.
        assert_eq!(m.to_bytes(), b"file \"y z\" seq 1 type b\nfile x.aof seq 7 type i\n".to_vec());
    }

    #[test]
    fn quoted_names_round_trip() {
        for name in [&b"a b"[..], b"q\"uote", b"nl\n", b"\x01\xff", b"tab\t", b"plain-name.aof"] {
            let mut m = Manifest::new();
            m.base = Some(AofInfo { name: name.to_vec(), seq: 3, kind: FileType::Base });
            let text = m.to_bytes();
            assert_eq!(needs_repr(name), text[5] == b'"', "{name:?}");
            let back = Manifest::parse(&text).expect("round trip");
            assert_eq!(back.base.map(|b| b.name), Some(name.to_vec()));
        }
    }

    #[test]
    fn every_error_path() {
        assert_eq!(err_of(b""), (ERR_EMPTY, None));
        assert_eq!(err_of(b"file a seq 1 type b"), (ERR_TOO_LONG, None));
        let long = format!("file {} seq 1 type b\n", "x".repeat(1100));
        assert_eq!(err_of(long.as_bytes()), (ERR_TOO_LONG, None));
        assert_eq!(err_of(b"file a\0 seq 1 type b\n"), (ERR_TOO_LONG, None));
        assert_eq!(err_of(b"\n"), (ERR_FORMAT, Some((1, vec![]))));
        assert_eq!(err_of(b"file a seq 1 type\n"), (ERR_FORMAT, Some((1, b"file a seq 1 type".to_vec()))));
        assert_eq!(err_of(b"file a seq 1\n").0, ERR_FORMAT);
        assert_eq!(err_of(b"file \"a seq 1 type b\n").0, ERR_FORMAT);
        assert_eq!(err_of(b"file \"a\"b seq 1 type b\n").0, ERR_FORMAT);
        assert_eq!(err_of(b"file a seq 0 type b\n").0, ERR_FORMAT);
        assert_eq!(err_of(b"file a seq x type b\n").0, ERR_FORMAT);
        assert_eq!(err_of(b"file a seq 1 type ''\n").0, ERR_FORMAT);
        assert_eq!(err_of(b"name a seq 1 type b\n").0, ERR_FORMAT);
        assert_eq!(err_of(b"file d/a seq 1 type b\n"), (ERR_PATH, Some((1, b"file d/a seq 1 type b".to_vec()))));
        assert_eq!(err_of(b"file d\\\\a seq 1 type b\n").0, ERR_PATH);
        assert_eq!(err_of(b"file \"d\\\\a\" seq 1 type b\n").0, ERR_PATH);
        assert_eq!(
            err_of(b"file a seq 1 type b\n#c\nfile b seq 2 type b\n"),
            (ERR_DUP_BASE, Some((3, b"file b seq 2 type b".to_vec())))
        );
        assert_eq!(err_of(b"file a seq 2 type i\nfile b seq 2 type i\n").0, ERR_NON_MONOTONIC);
        assert_eq!(err_of(b"file a seq -1 type i\n").0, ERR_NON_MONOTONIC);
        assert_eq!(err_of(b"file a seq 1 type x\n"), (ERR_UNKNOWN_TYPE, Some((1, b"file a seq 1 type x".to_vec()))));
        // A comment-only manifest is valid and empty.
        assert_eq!(Manifest::parse(b"# nothing\n").expect("valid"), Manifest::new());
        // The log lines Redis prints for an invalid line.
        let e = Manifest::parse(b"file a seq 1 type x\n").expect_err("invalid");
        assert_eq!(
            e.log_lines(),
            vec![
                "\n*** FATAL AOF MANIFEST FILE ERROR ***\n".to_string(),
                "Reading the manifest file, at line 1\n".into(),
                ">>> 'file a seq 1 type x'\n".into(),
                "Unknown AOF file type\n".into()
            ]
        );
    }

    #[test]
    fn seq_is_read_like_atoll() {
        assert_eq!(atoll(b"12abc"), 12);
        assert_eq!(atoll(b"  -3"), -3);
        assert_eq!(atoll(b"99999999999999999999"), i64::MAX);
        let m = Manifest::parse(b"file a seq 5x type i\n").expect("valid");
        assert_eq!(m.incrs[0].seq, 5);
    }

    #[test]
    fn operations_like_redis() {
        let mut m = Manifest::new();
        assert_eq!(m.last_incr_or_new("appendonly.aof").name, b"appendonly.aof.1.incr.aof");
        assert_eq!(m.last_incr_or_new("appendonly.aof").seq, 1);
        // First rewrite while AOF is on: a new incr is opened first, then the rewrite completes.
        m.add_new_incr("appendonly.aof");
        let base = m.apply_rewrite("appendonly.aof", true, true);
        assert_eq!(base.name, b"appendonly.aof.1.base.rdb");
        assert_eq!(m.incrs.iter().map(|i| i.seq).collect::<Vec<_>>(), vec![2]);
        assert_eq!(m.history.iter().map(|i| (i.seq, i.kind)).collect::<Vec<_>>(), vec![(1, FileType::History)]);
        // Second rewrite: old base and incr 2 to history, incr 3 stays.
        m.add_new_incr("appendonly.aof");
        m.apply_rewrite("appendonly.aof", false, true);
        assert_eq!(
            m.to_bytes(),
            b"file appendonly.aof.2.base.aof seq 2 type b\n\
              file appendonly.aof.2.incr.aof seq 2 type h\n\
              file appendonly.aof.1.base.rdb seq 1 type h\n\
              file appendonly.aof.1.incr.aof seq 1 type h\n\
              file appendonly.aof.3.incr.aof seq 3 type i\n"
                .to_vec()
        );
        // AOF off (no current incr): every incr goes.
        m.mark_rewritten_incrs_as_history(false);
        assert!(m.incrs.is_empty());
        assert_eq!(m.history.first().map(|h| h.seq), Some(3));
    }

    #[test]
    fn persist_load_delete_history() {
        let dir = std::env::temp_dir().join(format!("ferredis-aof-manifest-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("mkdir");
        let mut m = Manifest::new();
        let incr1 = m.last_incr_or_new("a.aof").path_in(&dir);
        fs::write(&incr1, b"*1\r\n$4\r\nPING\r\n").expect("write");
        m.persist(&dir, "a.aof").expect("persist");
        assert!(!m.dirty);
        assert_eq!(Manifest::load_from_dir(&dir, "a.aof").expect("load").incrs, m.incrs);
        assert!(!dir.join("temp-a.aof.manifest").exists());
        let new_incr = m.add_new_incr("a.aof").path_in(&dir);
        fs::write(&new_incr, b"").expect("write");
        m.apply_rewrite("a.aof", true, true);
        m.persist(&dir, "a.aof").expect("persist");
        let removed = m.delete_history(&dir, "a.aof").expect("gc");
        assert_eq!(removed, vec![b"a.aof.1.incr.aof".to_vec()]);
        assert!(!incr1.exists() && new_incr.exists());
        let back = Manifest::load_from_dir(&dir, "a.aof").expect("load");
        assert!(back.history.is_empty());
        assert_eq!(back.base.map(|b| b.seq), Some(1));
        // Missing dir or manifest: empty manifest, not an error.
        assert_eq!(Manifest::load_from_dir(&dir.join("nope"), "a.aof").expect("empty"), Manifest::new());
        assert_eq!(Manifest::load_from_dir(&dir, "b.aof").expect("empty"), Manifest::new());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn legacy_upgrade() {
        let work = std::env::temp_dir().join(format!("ferredis-aof-legacy-{}", std::process::id()));
        let _ = fs::remove_dir_all(&work);
        fs::create_dir_all(&work).expect("mkdir");
        let aof_dir = work.join("appendonlydir");
        fs::write(work.join("appendonly.aof"), b"*1\r\n$4\r\nPING\r\n").expect("write");
        let mut m = Manifest::load_from_dir(&aof_dir, "appendonly.aof").expect("load");
        assert!(upgrade_legacy_if_needed(&work, &aof_dir, "appendonly.aof", &mut m).expect("upgrade"));
        assert!(!work.join("appendonly.aof").exists());
        assert!(aof_dir.join("appendonly.aof").exists());
        let back = Manifest::load_from_dir(&aof_dir, "appendonly.aof").expect("load");
        assert_eq!(back.to_bytes(), b"file appendonly.aof seq 1 type b\n".to_vec());
        // Nothing to do the second time.
        let mut m2 = back.clone();
        assert!(!upgrade_legacy_if_needed(&work, &aof_dir, "appendonly.aof", &mut m2).expect("noop"));
        // Half-done upgrade (manifest written, file not moved yet) is finished.
        fs::rename(aof_dir.join("appendonly.aof"), work.join("appendonly.aof")).expect("mv back");
        assert!(upgrade_legacy_if_needed(&work, &aof_dir, "appendonly.aof", &mut m2).expect("redo"));
        assert!(aof_dir.join("appendonly.aof").exists());
        let _ = fs::remove_dir_all(&work);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = Manifest::parse(&data);
        }

        /// Names of any bytes except path separators survive format → parse.
        #[test]
        fn format_parse_round_trip(
            names in prop::collection::vec(prop::collection::vec(any::<u8>().prop_filter("no separators", |c| *c != b'/' && *c != b'\\'), 1..20), 1..5),
            seqs in prop::collection::vec(1i64..1000, 5),
        ) {
            let mut m = Manifest::new();
            let mut seq = 0;
            for (i, n) in names.iter().enumerate() {
                seq += seqs[i];
                m.incrs.push(AofInfo { name: n.clone(), seq, kind: FileType::Incr });
                m.history.push(AofInfo { name: n.clone(), seq: -seq, kind: FileType::History });
            }
            m.curr_incr_seq = seq;
            m.base = Some(AofInfo { name: names[0].clone(), seq: seqs[0], kind: FileType::Base });
            m.curr_base_seq = seqs[0];
            let text = m.to_bytes();
            prop_assert_eq!(Manifest::parse(&text).map_err(|e| e.to_string()), Ok(m));
        }
    }
}
