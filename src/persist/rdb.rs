//! (interface placeholder while the RDB codec is written on its branch; replaced by the merge)
use crate::db::Db;
use std::io;
use std::path::Path;

pub enum KeyStamp {
    None,
    Lru { lru_clock: u32 },
    Lfu,
}
pub struct Aux {
    pub repl_id: Option<String>,
    pub repl_offset: i64,
    pub repl_stream_db: i64,
    pub aof_base: bool,
    pub used_mem: u64,
    pub ctime_s: i64,
}
pub struct SaveOptions {
    pub compression: bool,
    pub checksum: bool,
    pub stamp: KeyStamp,
    pub aux: Aux,
}
pub struct LoadOptions {
    pub checksum: bool,
    pub now_ms: i64,
    pub drop_expired: bool,
    pub thresholds: crate::types::Thresholds,
    pub lfu: bool,
    pub lru_clock: u32,
    pub sanitize: bool,
    pub allow_dup: bool,
}
#[derive(Default)]
pub struct LoadStats {
    pub keys: u64,
    pub expired_skipped: u64,
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    pub bytes_read: u64,
    pub functions_skipped: u64,
}
#[derive(Debug)]
pub struct RdbError {
    pub offset: u64,
    pub msg: String,
}
impl std::fmt::Display for RdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at offset {}", self.msg, self.offset)
    }
}
pub fn write_rdb<W: io::Write>(_w: &mut W, _dbs: &[Db], _now_ms: i64, _opts: &SaveOptions) -> io::Result<()> {
    Err(io::Error::other("rdb writer missing"))
}
pub fn save_file(_path: &Path, _dbs: &[Db], _now_ms: i64, _opts: &SaveOptions) -> io::Result<u64> {
    Err(io::Error::other("rdb writer missing"))
}
pub fn read_rdb<R: io::BufRead>(_r: &mut R, _dbs: &mut [Db], _opts: &LoadOptions) -> Result<LoadStats, RdbError> {
    Err(RdbError { offset: 0, msg: "rdb loader missing".into() })
}
pub fn load_file(_path: &Path, _dbs: &mut [Db], _opts: &LoadOptions) -> Result<LoadStats, RdbError> {
    Err(RdbError { offset: 0, msg: "rdb loader missing".into() })
}
