//! The `redis-check-rdb` report (offsets, AUX fields, selected databases, checksum, key counts, and the
//! `--- RDB ERROR DETECTED ---` block naming the offset, the step, the key and its type), for `ferredis-check-rdb`
//! and for the server, which prints it after a failed start-up load as Redis does (`rdbReportError` runs
//! `redis_check_rdb_main`).
//!
//! Values are fully decoded with deep validation (`sanitize-dump-payload yes`), then dropped.

use super::{op, read_rdb_with, ChecksumStatus, LoadOptions, LoadSink, RdbError};
use crate::keyspace::object::Entry;
use std::io::Write as _;

#[derive(Default)]
pub struct Checker {
    pub now_ms: i64,
    keys: u64,
    expires: u64,
    already_expired: u64,
    /// Keys fully read. Until the first one, redis-check-rdb's "current type" is still its initial 0, so its
    /// error report says "Reading type 0 (string)"; reproduced for identical output.
    done: u64,
    pub out: Vec<String>,
    /// The failure went through Redis's `rdbReportError`, which ends the checker (and the server that ran it) with
    /// "Terminating server after rdb file reading failure." and exit status 1.
    pub terminated: bool,
}

impl Checker {
    pub fn info(&mut self, offset: u64, msg: &str) {
        self.out.push(format!("[offset {offset}] {msg}"));
    }

    pub fn generic_info(&mut self) {
        self.out.push(format!("[info] {} keys read", self.keys));
        self.out.push(format!("[info] {} expires", self.expires));
        self.out.push(format!("[info] {} already expired", self.already_expired));
    }

    pub fn error(&mut self, e: &RdbError) {
        self.out.push("--- RDB ERROR DETECTED ---".into());
        match super::report::value_site(e) {
            Some(line) => {
                // The checker loads with no progress counter: the report's own offset is 0.
                let msg = format!("Internal error in RDB reading offset 0, function at rdb.c:{line} -> {}", e.msg);
                self.out.push(format!("[offset {}] {msg}", e.offset));
                self.terminated = true;
            }
            None => self.out.push(format!("[offset {}] {}", e.offset, e.msg)),
        }
        self.out.push(format!("[additional info] While doing: {}", e.doing));
        if let Some(k) = &e.key {
            self.out.push(format!("[additional info] Reading key '{}'", String::from_utf8_lossy(k)));
        }
        if let Some(t) = e.key_type.or((self.done == 0).then_some(0)) {
            self.out.push(format!("[additional info] Reading type {t} ({})", op::type_name(t)));
        }
        self.generic_info();
    }
}

impl LoadSink for Checker {
    fn aux(&mut self, key: &[u8], val: &[u8], offset: u64) {
        let msg = format!("AUX FIELD {} = '{}'", String::from_utf8_lossy(key), String::from_utf8_lossy(val));
        self.info(offset, &msg);
    }

    fn select_db(&mut self, db: u64, offset: u64) -> Result<(), String> {
        self.info(offset, &format!("Selecting DB ID {db}"));
        Ok(())
    }

    fn begin_key(&mut self, _rdb_type: u8, _key: &[u8]) {
        self.keys += 1;
    }

    fn entry(&mut self, _e: Entry, expire_ms: Option<i64>) -> Result<(), String> {
        self.done += 1;
        if let Some(t) = expire_ms {
            self.expires += 1;
            if t < self.now_ms {
                self.already_expired += 1;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), String> {
        Ok(())
    }

    fn checksum(&mut self, status: ChecksumStatus, offset: u64) {
        match status {
            ChecksumStatus::Ok => self.info(offset, "Checksum OK"),
            ChecksumStatus::Disabled => {
                self.info(offset, "RDB file was saved with checksum disabled: no check performed.")
            }
            ChecksumStatus::NotChecked => {}
        }
    }
}

/// Checks the RDB file at `path`: whether it looks OK, and the report lines.
pub fn check_file(path: &str, now_ms: i64) -> (bool, Vec<String>) {
    let (ok, out, _) = check_file_terminating(path, now_ms);
    (ok, out)
}

/// [`check_file`], and whether the failure ended in Redis's "Terminating server after rdb file reading failure."
/// ([`Checker::terminated`]).
pub fn check_file_terminating(path: &str, now_ms: i64) -> (bool, Vec<String>, bool) {
    let mut c = Checker { now_ms, ..Checker::default() };
    c.info(0, &format!("Checking RDB file {path}"));
    let ok = match std::fs::File::open(path) {
        Err(e) => {
            c.out.push(format!("Cannot open {path}: {e}"));
            false
        }
        Ok(f) => {
            let mut r = std::io::BufReader::with_capacity(1 << 20, f);
            let opts =
                LoadOptions { checksum: true, now_ms, drop_expired: false, sanitize: true, ..LoadOptions::default() };
            match read_rdb_with(&mut r, &mut c, &opts) {
                Ok(st) => {
                    c.info(st.bytes_read, "\\o/ RDB looks OK! \\o/");
                    c.generic_info();
                    true
                }
                Err(e) => {
                    c.error(&e);
                    false
                }
            }
        }
    };
    (ok, c.out, c.terminated)
}

/// A damaged RDB file with no command running: redis-check-rdb's report of it on standard output, as Redis runs
/// the checker there, which ends the server (with Redis's last line when the checker found the damage inside a
/// value, as Redis's does).
pub fn report_damaged_file(path: &std::path::Path, now_ms: i64) {
    let (_, report, terminated) = crate::persist::rdb::check::check_file_terminating(&path.to_string_lossy(), now_ms);
    let mut out = std::io::stdout().lock();
    for line in &report {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    if terminated {
        crate::log_warning!("Terminating server after rdb file reading failure.");
    }
}
