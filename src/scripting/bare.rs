//! [`ScriptHost`] for a bare [`ServerState`]: scripts run without the server's call path (no event loop, no
//! MONITOR, no propagation), their commands straight through the table's handlers. This is what the command
//! table's EVAL/SCRIPT handlers use, so the handler harness (unit tests, the `server_commands` fuzz target) runs
//! real scripts; the server intercepts those commands and runs them with itself as the host.

use super::ScriptHost;
use crate::args::Args;
use crate::command::{Command, Ctx};
use crate::net::client::ClientState;
use crate::state::ServerState;

impl ScriptHost for ServerState {
    fn state(&mut self) -> &mut ServerState {
        self
    }

    fn lookup(&self, name: &[u8]) -> Option<&'static Command> {
        crate::command::lookup(name)
    }

    fn run_command(&mut self, c: &mut ClientState, cmd: &'static Command, full_name: &'static str, args: Args) {
        (cmd.handler)(&mut Ctx { client: c, srv: self }, args);
        // What the server's call path counts: the call and its error replies.
        let failed = !c.reply.error_prefixes.is_empty();
        for prefix in std::mem::take(&mut c.reply.error_prefixes) {
            if prefix[0] == 0 {
                continue;
            }
            let end = prefix.iter().position(|&b| b == 0).unwrap_or(prefix.len());
            super::call::count_error_code(self, &String::from_utf8_lossy(&prefix[..end]));
        }
        let st = self.stats.commandstats.entry(full_name).or_default();
        st.calls += 1;
        st.failed_calls += failed as u64;
        self.stats.total_commands_processed += 1;
    }

    fn acl_check(
        &mut self,
        _c: &mut ClientState,
        cmd: &'static Command,
        _full_name: &'static str,
        args: Args,
    ) -> Option<crate::acl::Reason> {
        let uid = self.scripting.run.as_ref()?.user_id;
        let u = self.acl.user(uid)?;
        let id = crate::acl::registry::registry().id_of(cmd)?;
        crate::acl::check(u, id, args).err().map(|d| d.reason)
    }

    fn process_events_while_blocked(&mut self) -> bool {
        false
    }
}
