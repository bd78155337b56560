//! A server without sockets, for the handler harness ([`crate::command::test_support::Harness`]): no listener, no
//! event loop, no pid file, and commands run through the same call path as a client's ([`Server::call_checked`]:
//! admission, CLIENT PAUSE and MULTI queueing, then `call` with its statistics, slowlog, latency, propagation and
//! keyspace events; EVAL and FCALL with this server as the script host).
//!
//! What needs the event loop does not happen: the after-command steps of `dispatch` (parking a client whose
//! command asked to block, serving clients blocked on keys made ready, server actions such as CLIENT KILL or
//! SHUTDOWN, replication, AOF and configuration follow-ups) and the cron. A test sees their requests where the
//! handlers left them (`blocking.request`, `blocking.ready`, `actions`). The clock is the caller's: `now_ms` only
//! moves when a test moves it (a client's command sets it from the wall clock).
//!
//! Built only for tests and the `test-harness` feature (the `server_commands` fuzz target).

use super::Server;
use crate::args::Args;
use crate::config::Config;
use crate::net::client::ClientState;
use crate::state::ServerState;

impl Server {
    /// A server over `config` with the built-in command table and no sockets. Its ACL is the default user with
    /// `requirepass` ([`crate::acl::Acl::for_config`]): `user` directives and the ACL file are not loaded.
    pub fn detached(config: Config) -> Server {
        Server::with_state(ServerState::new(config), crate::command::table(), None)
    }

    /// Runs one command of client `c` (which is not in the client table) through the call path, as `dispatch`
    /// does without the event loop; its reply is left in `c.reply`. Statistics are flushed into `commandstats`
    /// after it, as before the event loop sleeps.
    pub fn run_detached(&mut self, c: &mut ClientState, args: Args) {
        if args.is_empty() {
            return;
        }
        self.run_command(c, args, crate::util::now_us());
        self.flush_command_stats();
    }
}
