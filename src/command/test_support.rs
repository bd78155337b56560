//! The handler test harness: a server state and one client, commands run straight through the table (no
//! sockets, no call path), replies returned as text. Used by the unit tests of every command family and by the
//! `server_commands` fuzz target (hence public, hidden from the docs).

use super::Ctx;
use crate::command::OwnedArgs;
use crate::config::Config;
use crate::net::client::ClientState;
use crate::state::ServerState;

/// A server and one client for handler tests.
pub struct Harness {
    pub srv: ServerState,
    pub client: ClientState,
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_config(Config::default())
    }

    /// A harness over a server with the given configuration.
    pub fn with_config(config: Config) -> Harness {
        let srv = ServerState::new(config);
        let client = ClientState::new(7, 9, "127.0.0.1:5000".into(), "127.0.0.1:6379".into(), srv.now_ms);
        Harness { srv, client }
    }

    /// Runs a command (dispatching to a subcommand for container commands) and returns the reply bytes.
    pub fn run(&mut self, argv: &[&str]) -> String {
        let a = OwnedArgs::from_slices(argv);
        self.run_args(&a)
    }

    pub fn run_args(&mut self, a: &OwnedArgs) -> String {
        String::from_utf8_lossy(&self.run_raw(a)).into_owned()
    }

    /// Runs a command and returns the exact reply bytes (binary-safe).
    pub fn run_raw(&mut self, a: &OwnedArgs) -> Vec<u8> {
        let args = a.args();
        if args.is_empty() {
            return Vec::new();
        }
        // An unknown subcommand runs the parent's handler, which answers it (the dispatcher answers it itself).
        let (cmd, full) = match crate::command::table().resolve(args) {
            crate::command::Resolved::Found(cmd, full) => (cmd, full),
            crate::command::Resolved::UnknownSub(parent) => (parent, parent.name),
            crate::command::Resolved::Unknown => {
                let mut out = b"-".to_vec();
                out.extend_from_slice(&crate::server::unknown_command_message(args));
                out.extend_from_slice(b"\r\n");
                return out;
            }
        };
        if !cmd.arity_ok(args.len()) {
            self.client.reply.err_arity(full);
        } else {
            let mut ctx = Ctx { client: &mut self.client, srv: &mut self.srv };
            (cmd.handler)(&mut ctx, args);
        }
        let out = self.client.reply.pending().to_vec();
        let n = self.client.reply.pending_len();
        self.client.reply.consume(n);
        out
    }
}

impl Drop for Harness {
    /// CLIENT PAUSE sets a per-thread flag (see [`crate::keyspace::db::set_expire_paused`]); tests that run later on the same
    /// test thread must not inherit it.
    fn drop(&mut self) {
        crate::keyspace::db::set_expire_paused(false);
    }
}
