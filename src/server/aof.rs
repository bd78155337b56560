//! The server's side of the append-only file (placeholder until the AOF layer lands on main).
use super::Server;

impl Server {
    pub(super) fn aof_load_and_open(&mut self) -> bool {
        true
    }
    pub(super) fn aof_rewrite_done(&mut self, _ok: bool) {}
    pub(super) fn start_aof_rewrite(&mut self) -> Result<i32, String> {
        Err("no aof".into())
    }
    pub(super) fn aof_cron(&mut self) {}
    pub(super) fn aof_shutdown(&mut self) {}
}
