//! Loading every file of a multi-part AOF in order, with Redis 7.0's rules and log messages
//! (`loadAppendOnlyFiles` + `loadSingleAppendOnlyFile`), while the server supplies what only it can do: load an
//! RDB, execute a command, log. The server is reached through [`LoadTarget`]; nothing here knows databases.
//!
//! ```text
//! manifest ─▶ total size (a listed file missing → Failed; 0 bytes in all → Empty)
//!          ─▶ base  : RDB? target.load_rdb : commands  ─┐  each file: RDB part (if it starts with REDIS),
//!          ─▶ incr 1: commands                          ├─ then commands until EOF; end_of_file() after it
//!          ─▶ incr n: commands (the last file)          ┘  (Redis uses a fresh fake client per file)
//! ```
//!
//! Rules kept: only the last file may be truncated (`aof-load-truncated yes` cuts it at the end of the last
//! complete command, or before an unfinished MULTI); an empty incr is fine; an unknown command (the target's
//! error) fails the load. One deliberate difference: Redis cuts a truncated file before it checks whether it is
//! the last one (and then fails anyway when it is not); we leave a non-last file untouched.
//!
//! Not the caller's job here: the legacy single-file upgrade ([`super::upgrade_legacy_if_needed`]) runs before
//! this, and opening the incr for appending runs after.

use std::fs::File;
use std::io::{BufReader, Seek};
use std::path::Path;
use std::time::Instant;

use super::manifest::Manifest;
use super::reader::{detect_format, truncate_file, AofReadError, AofReader, FileFormat};
use crate::config::LogLevel;

/// Redis's `AOF_OK`, `AOF_NOT_EXIST`, `AOF_EMPTY`, `AOF_OPEN_ERR`, `AOF_FAILED`, `AOF_TRUNCATED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadStatus {
    Ok,
    NotExist,
    Empty,
    OpenErr,
    Failed,
    Truncated,
}

impl LoadStatus {
    /// Whether the server may go on (Redis exits on the others).
    pub fn is_success(self) -> bool {
        matches!(self, LoadStatus::Ok | LoadStatus::Truncated | LoadStatus::NotExist | LoadStatus::Empty)
    }
}

/// The result of [`load_files`]: the status, and the sizes INFO reports afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadReport {
    pub status: LoadStatus,
    /// `aof_current_size` after loading: all base and incr files.
    pub total_size: u64,
    /// `aof_rewrite_base_size`: the base file.
    pub base_size: u64,
    /// Commands handed to the target.
    pub commands: u64,
}

/// What the server does for the loader.
pub trait LoadTarget {
    /// Loads the RDB at the start of `file` (positioned at offset 0), leaving the reader just after the RDB.
    /// `old_style` is an RDB-preamble AOF (commands may follow) rather than an `.rdb` base.
    fn load_rdb(&mut self, file: &mut BufReader<File>, name: &str, old_style: bool) -> Result<(), String>;
    /// Executes one command read from the file. An error (e.g. an unknown command) fails the load; the message
    /// is logged as is.
    fn command(&mut self, argv: &[Vec<u8>]) -> Result<(), String>;
    /// Called after each file: drop anything queued since a MULTI that did not reach EXEC.
    fn end_of_file(&mut self);
    /// One log line.
    fn log(&mut self, level: LogLevel, msg: &str);
    /// Called every 1024 commands with the bytes read so far in all files (Redis serves clients with
    /// "LOADING" errors and updates `loading_loaded_bytes` there).
    fn progress(&mut self, _loaded_bytes: u64) {}
    /// The next command, read before the current one runs: a hint to fetch what it will touch into the cache.
    fn prefetch(&mut self, _argv: &[Vec<u8>]) {}
}

/// Loads the base and incr files named by `manifest` (Redis's `loadAppendOnlyFiles`).
pub fn load_files(
    aof_dir: &Path,
    appendfilename: &str,
    manifest: &Manifest,
    load_truncated: bool,
    t: &mut dyn LoadTarget,
) -> LoadReport {
    let mut report = LoadReport { status: LoadStatus::Ok, total_size: 0, base_size: 0, commands: 0 };
    if manifest.base.is_none() && manifest.incrs.is_empty() {
        report.status = LoadStatus::NotExist;
        return report;
    }
    // Sizes first: a file the manifest names but the disk lacks is fatal.
    let mut total = 0u64;
    for info in manifest.base.iter().chain(manifest.incrs.iter()) {
        match std::fs::metadata(info.path_in(aof_dir)) {
            Ok(m) => total += m.len(),
            Err(e) => {
                t.log(
                    LogLevel::Warning,
                    &format!(
                        "Unable to obtain the AOF file {} length. stat: {}",
                        String::from_utf8_lossy(&info.name),
                        crate::sys::error_text(&e)
                    ),
                );
                report.status =
                    if e.kind() == std::io::ErrorKind::NotFound { LoadStatus::Failed } else { LoadStatus::OpenErr };
                return report;
            }
        }
    }
    if total == 0 {
        report.status = LoadStatus::Empty;
        return report;
    }
    let count = manifest.loadable_count();
    let mut num = 0;
    let mut progress = Progress { done_before: 0, commands: 0 };
    let mut ret = LoadStatus::Ok;
    for (info, is_base) in manifest.base.iter().map(|b| (b, true)).chain(manifest.incrs.iter().map(|i| (i, false))) {
        num += 1;
        let last = num == count;
        let name = String::from_utf8_lossy(&info.name).into_owned();
        let path = info.path_in(aof_dir);
        if is_base {
            report.base_size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        }
        let start = Instant::now();
        let old_style = info.name == appendfilename.as_bytes();
        let mode = Mode { old_style, last, load_truncated };
        ret = load_one(&path, &name, mode, t, &mut progress);
        t.end_of_file();
        if ret == LoadStatus::Ok || (ret == LoadStatus::Truncated && last) {
            t.log(
                LogLevel::Notice,
                &format!(
                    "DB loaded from {} file {name}: {:.3} seconds",
                    if is_base { "base" } else { "incr" },
                    start.elapsed().as_secs_f64()
                ),
            );
        }
        if !is_base && ret == LoadStatus::Empty {
            ret = LoadStatus::Ok;
        }
        if ret == LoadStatus::Truncated && !last {
            ret = LoadStatus::Failed;
            t.log(LogLevel::Warning, "Fatal error: the truncated file is not the last file");
        }
        if matches!(ret, LoadStatus::OpenErr | LoadStatus::Failed) {
            report.status = ret;
            report.commands = progress.commands;
            return report;
        }
    }
    report.status = ret;
    report.total_size = total;
    report.commands = progress.commands;
    report
}

struct Progress {
    done_before: u64,
    commands: u64,
}

#[derive(Clone, Copy)]
struct Mode {
    /// The file is named `appendfilename` (an upgraded single-file AOF): an RDB in it is a preamble.
    old_style: bool,
    /// The last file of the manifest: the only one that may be cut.
    last: bool,
    /// `aof-load-truncated`
    load_truncated: bool,
}

/// One file (Redis's `loadSingleAppendOnlyFile`).
fn load_one(path: &Path, name: &str, mode: Mode, t: &mut dyn LoadTarget, progress: &mut Progress) -> LoadStatus {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            let msg = crate::sys::error_text(&e);
            if e.kind() == std::io::ErrorKind::NotFound {
                t.log(LogLevel::Warning, &format!("The append log file {name} doesn't exist: {msg}"));
                return LoadStatus::NotExist;
            }
            t.log(LogLevel::Warning, &format!("Fatal error: can't open the append log file {name} for reading: {msg}"));
            return LoadStatus::OpenErr;
        }
    };
    let format = match detect_format(&mut file) {
        Ok(f) => f,
        Err(e) => return unrecoverable(t, name, &crate::sys::error_text(&e)),
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if format == FileFormat::Empty {
        return LoadStatus::Empty;
    }
    let mut r = BufReader::with_capacity(64 * 1024, file);
    let mut start = 0u64;
    if format == FileFormat::Rdb {
        start = match load_rdb_part(&mut r, name, mode, t) {
            Ok(at) => at,
            Err(status) => return status,
        };
    }
    let reader = AofReader::at_offset(r, start);
    match replay(reader, t, progress) {
        Ok(LoadStatus::Ok) => {
            progress.done_before += size;
            LoadStatus::Ok
        }
        Ok(failed) => failed,
        Err(err) => {
            progress.done_before += size;
            read_error_status(err, path, name, mode, t)
        }
    }
}

/// Logs an I/O error that ends the load of file `name`.
fn unrecoverable(t: &mut dyn LoadTarget, name: &str, e: &dyn std::fmt::Display) -> LoadStatus {
    t.log(LogLevel::Warning, &format!("Unrecoverable error reading the append only file {name}: {e}"));
    LoadStatus::Failed
}

/// The RDB that starts file `name` (a base file, or the preamble of an old-style AOF), loaded by the target; the
/// offset where the commands start, or the status that ends the load.
fn load_rdb_part(r: &mut BufReader<File>, name: &str, mode: Mode, t: &mut dyn LoadTarget) -> Result<u64, LoadStatus> {
    let old_style = mode.old_style;
    t.log(
        LogLevel::Notice,
        if old_style { "Reading RDB preamble from AOF file..." } else { "Reading RDB base file on AOF loading..." },
    );
    if let Err(e) = t.load_rdb(r, name, old_style) {
        t.log(LogLevel::Warning, &e);
        t.log(
            LogLevel::Warning,
            &if old_style {
                format!("Error reading the RDB preamble of the AOF file {name}, AOF loading aborted")
            } else {
                format!("Error reading the RDB base file {name}, AOF loading aborted")
            },
        );
        return Err(LoadStatus::Failed);
    }
    let start = match r.stream_position() {
        Ok(p) => p,
        Err(e) => return Err(unrecoverable(t, name, &crate::sys::error_text(&e))),
    };
    if old_style {
        t.log(LogLevel::Notice, "Reading the remaining AOF tail...");
    }
    Ok(start)
}

/// Runs the file's commands in order: `Ok(Ok)` at the end of the file, `Ok(Failed)` when a command failed, `Err`
/// for a read error (after the commands before it ran).
fn replay(
    mut reader: AofReader<BufReader<File>>,
    t: &mut dyn LoadTarget,
    progress: &mut Progress,
) -> Result<LoadStatus, AofReadError> {
    // One command of lookahead: the next command is read (and its key prefetched) before the current one runs,
    // so the cache miss of the key's slot overlaps the current command. The order of execution is unchanged; a
    // read error is acted on after the command before it has run.
    let (mut argv, mut next) = (Vec::new(), Vec::new());
    let mut have = false;
    loop {
        let read = reader.next_command(&mut next);
        if let Ok(true) = read {
            t.prefetch(&next);
        }
        if have {
            if let Err(msg) = t.command(&argv) {
                t.log(LogLevel::Warning, &msg);
                return Ok(LoadStatus::Failed);
            }
            progress.commands += 1;
            if progress.commands % 1024 == 0 {
                t.progress(progress.done_before + reader.offset());
            }
        }
        match read {
            Ok(true) => {
                std::mem::swap(&mut argv, &mut next);
                have = true;
            }
            Ok(false) => return Ok(LoadStatus::Ok),
            Err(e) => return Err(e),
        }
    }
}

/// What a read error makes of the load of file `name`: a truncated file is cut and accepted when
/// `aof-load-truncated` allows it, anything else fails with Redis's advice.
fn read_error_status(err: AofReadError, path: &Path, name: &str, mode: Mode, t: &mut dyn LoadTarget) -> LoadStatus {
    match err {
        AofReadError::Truncated { valid_up_to, open_multi } => {
            if open_multi {
                t.log(LogLevel::Warning, &format!("Revert incomplete MULTI/EXEC transaction in AOF file {name}"));
            }
            if mode.load_truncated {
                t.log(LogLevel::Warning, &format!("!!! Warning: short read while loading the AOF file {name}!!!"));
                if !mode.last {
                    // The caller fails the load ("the truncated file is not the last file"); the file stays as is.
                    return LoadStatus::Truncated;
                }
                t.log(LogLevel::Warning, &format!("!!! Truncating the AOF {name} at offset {valid_up_to} !!!"));
                match truncate_file(path, valid_up_to) {
                    Ok(()) => {
                        t.log(
                            LogLevel::Warning,
                            &format!("AOF {name} loaded anyway because aof-load-truncated is enabled"),
                        );
                        return LoadStatus::Truncated;
                    }
                    Err(e) => t.log(
                        LogLevel::Warning,
                        &format!("Error truncating the AOF file {name}: {}", crate::sys::error_text(&e)),
                    ),
                }
            }
            t.log(
                LogLevel::Warning,
                &format!(
                    "Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your \
                     AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set \
                     the 'aof-load-truncated' configuration option to yes and restart the server."
                ),
            );
            LoadStatus::Failed
        }
        AofReadError::Format { offset, msg } => {
            // Our detail first: Redis's line is the last one the server prints, which tools and tests look for.
            t.log(LogLevel::Warning, &format!("AOF format error at offset {offset}: {msg}"));
            t.log(
                LogLevel::Warning,
                &format!(
                    "Bad file format reading the append only file {name}: make a backup of your AOF file, then use \
                     ./redis-check-aof --fix <filename.manifest>"
                ),
            );
            LoadStatus::Failed
        }
        AofReadError::Io(e) => unrecoverable(t, name, &crate::sys::error_text(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::encode_command;
    use std::fs;
    use std::io::Read;
    use std::path::PathBuf;

    #[derive(Default)]
    struct Fake {
        cmds: Vec<Vec<Vec<u8>>>,
        queued: Vec<Vec<Vec<u8>>>,
        in_multi: bool,
        logs: Vec<String>,
        rdb_len: u64,
        rdbs: Vec<(String, bool)>,
    }

    impl LoadTarget for Fake {
        fn load_rdb(&mut self, file: &mut BufReader<File>, name: &str, old_style: bool) -> Result<(), String> {
            let mut skip = vec![0u8; self.rdb_len as usize];
            file.read_exact(&mut skip).map_err(|e| e.to_string())?;
            self.rdbs.push((name.to_string(), old_style));
            Ok(())
        }
        fn command(&mut self, argv: &[Vec<u8>]) -> Result<(), String> {
            match argv[0].to_ascii_lowercase().as_slice() {
                b"bogus" => return Err("Unknown command 'bogus' reading the append only file".into()),
                b"multi" => self.in_multi = true,
                b"exec" => {
                    self.in_multi = false;
                    self.cmds.append(&mut self.queued);
                }
                _ if self.in_multi => self.queued.push(argv.to_vec()),
                _ => self.cmds.push(argv.to_vec()),
            }
            Ok(())
        }
        fn end_of_file(&mut self) {
            self.in_multi = false;
            self.queued.clear();
        }
        fn log(&mut self, _level: LogLevel, msg: &str) {
            self.logs.push(msg.to_string());
        }
    }

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ferredis-aof-load-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).expect("mkdir");
        d
    }

    fn aof(cmds: &[&[&[u8]]]) -> Vec<u8> {
        let mut out = Vec::new();
        for c in cmds {
            encode_command(&mut out, c);
        }
        out
    }

    /// A base and two incrs; returns the dir and the manifest.
    fn setup(tag: &str, incr2: &[u8]) -> (PathBuf, Manifest) {
        let d = dir(tag);
        let m = Manifest::parse(
            b"file a.1.base.aof seq 1 type b\nfile a.1.incr.aof seq 1 type i\nfile a.2.incr.aof seq 2 type i\n",
        )
        .expect("manifest");
        fs::write(d.join("a.1.base.aof"), aof(&[&[b"SET", b"b", b"1"]])).expect("write");
        fs::write(d.join("a.1.incr.aof"), aof(&[&[b"SET", b"i1", b"1"]])).expect("write");
        fs::write(d.join("a.2.incr.aof"), incr2).expect("write");
        (d, m)
    }

    #[test]
    fn loads_base_then_incrs_in_order() {
        let (d, m) = setup("order", &aof(&[&[b"SET", b"i2", b"1"], &[b"MULTI"], &[b"INCR", b"x"], &[b"EXEC"]]));
        let mut f = Fake::default();
        let r = load_files(&d, "a", &m, false, &mut f);
        assert_eq!(r.status, LoadStatus::Ok, "{:?}", f.logs);
        let names: Vec<&[u8]> = f.cmds.iter().map(|c| c[1].as_slice()).collect();
        assert_eq!(names, vec![&b"b"[..], b"i1", b"i2", b"x"]);
        assert_eq!(r.commands, 6);
        assert_eq!(r.base_size, fs::metadata(d.join("a.1.base.aof")).expect("stat").len());
        let all: u64 = ["a.1.base.aof", "a.1.incr.aof", "a.2.incr.aof"]
            .iter()
            .map(|n| fs::metadata(d.join(n)).expect("stat").len())
            .sum();
        assert_eq!(r.total_size, all);
        assert!(f.logs.iter().any(|l| l.starts_with("DB loaded from base file a.1.base.aof: ")));
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn last_file_truncated_is_cut_only_with_load_truncated() {
        let mut data = aof(&[&[b"SET", b"i2", b"1"], &[b"MULTI"], &[b"INCR", b"x"]]);
        let good = aof(&[&[b"SET", b"i2", b"1"]]).len() as u64;
        data.extend_from_slice(b"*2\r\n$3\r\nGE");
        let (d, m) = setup("trunc", &data);
        let mut f = Fake::default();
        assert_eq!(load_files(&d, "a", &m, false, &mut f).status, LoadStatus::Failed);
        assert!(f
            .logs
            .iter()
            .any(|l| l.starts_with("Unexpected end of file reading the append only file a.2.incr.aof")));
        assert_eq!(fs::metadata(d.join("a.2.incr.aof")).expect("stat").len(), data.len() as u64);

        let mut f = Fake::default();
        assert_eq!(load_files(&d, "a", &m, true, &mut f).status, LoadStatus::Truncated);
        assert_eq!(fs::metadata(d.join("a.2.incr.aof")).expect("stat").len(), good);
        assert_eq!(f.cmds.len(), 3, "the INCR queued in the unfinished MULTI is dropped");
        assert!(f.logs.iter().any(|l| l == &format!("!!! Truncating the AOF a.2.incr.aof at offset {good} !!!")));
        // Loading again is clean.
        let mut f = Fake::default();
        assert_eq!(load_files(&d, "a", &m, true, &mut f).status, LoadStatus::Ok);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn truncated_file_that_is_not_last_fails_untouched() {
        let (d, m) = setup("notlast", &aof(&[&[b"PING"]]));
        fs::write(d.join("a.1.incr.aof"), b"*1\r\n$4\r\nPI").expect("write");
        let mut f = Fake::default();
        assert_eq!(load_files(&d, "a", &m, true, &mut f).status, LoadStatus::Failed);
        assert!(f.logs.iter().any(|l| l == "Fatal error: the truncated file is not the last file"));
        assert_eq!(fs::read(d.join("a.1.incr.aof")).expect("read"), b"*1\r\n$4\r\nPI".to_vec());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn statuses() {
        let (d, m) = setup("status", b"");
        let mut f = Fake::default();
        assert_eq!(load_files(&d, "a", &m, true, &mut f).status, LoadStatus::Ok, "an empty incr is fine");
        assert_eq!(load_files(&d, "a", &Manifest::new(), true, &mut f).status, LoadStatus::NotExist);
        fs::remove_file(d.join("a.1.incr.aof")).expect("rm");
        assert_eq!(load_files(&d, "a", &m, true, &mut f).status, LoadStatus::Failed);
        for n in ["a.1.base.aof", "a.2.incr.aof"] {
            fs::write(d.join(n), b"").expect("write");
        }
        fs::write(d.join("a.1.incr.aof"), b"").expect("write");
        assert_eq!(load_files(&d, "a", &m, true, &mut f).status, LoadStatus::Empty);
        fs::write(d.join("a.1.incr.aof"), aof(&[&[b"BOGUS"]])).expect("write");
        assert_eq!(load_files(&d, "a", &m, true, &mut f).status, LoadStatus::Failed);
        fs::write(d.join("a.1.incr.aof"), b"+OK\r\n").expect("write");
        let mut f = Fake::default();
        assert_eq!(load_files(&d, "a", &m, true, &mut f).status, LoadStatus::Failed);
        assert!(f.logs.iter().any(|l| l.starts_with("Bad file format reading the append only file a.1.incr.aof")));
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn rdb_preamble_then_tail() {
        let d = dir("rdb");
        let mut data = b"REDIS0010-fake-rdb-".to_vec();
        let rdb_len = data.len() as u64;
        data.extend_from_slice(&aof(&[&[b"SET", b"tail", b"1"]]));
        fs::write(d.join("appendonly.aof"), &data).expect("write");
        fs::write(d.join("appendonly.aof.1.base.rdb"), b"REDIS0010-fake-rdb-").expect("write");
        let legacy = Manifest::parse(b"file appendonly.aof seq 1 type b\n").expect("manifest");
        let mut f = Fake { rdb_len, ..Fake::default() };
        assert_eq!(load_files(&d, "appendonly.aof", &legacy, true, &mut f).status, LoadStatus::Ok, "{:?}", f.logs);
        assert_eq!(f.rdbs, vec![("appendonly.aof".to_string(), true)]);
        assert_eq!(f.cmds, vec![vec![b"SET".to_vec(), b"tail".to_vec(), b"1".to_vec()]]);
        assert!(f.logs.iter().any(|l| l == "Reading the remaining AOF tail..."));
        let base = Manifest::parse(b"file appendonly.aof.1.base.rdb seq 1 type b\n").expect("manifest");
        let mut f = Fake { rdb_len, ..Fake::default() };
        assert_eq!(load_files(&d, "appendonly.aof", &base, true, &mut f).status, LoadStatus::Ok);
        assert_eq!(f.rdbs, vec![("appendonly.aof.1.base.rdb".to_string(), false)]);
        // An RDB the target cannot read fails the load.
        let mut f = Fake { rdb_len: 1000, ..Fake::default() };
        assert_eq!(load_files(&d, "appendonly.aof", &base, true, &mut f).status, LoadStatus::Failed);
        assert!(f.logs.iter().any(|l| l.starts_with("Error reading the RDB base file appendonly.aof.1.base.rdb")));
        let _ = fs::remove_dir_all(&d);
    }
}
