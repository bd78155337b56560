//! The handler test harness: a server state and one client, commands run straight through the table (no
//! sockets, no call path), replies returned as text. Used by the unit tests of every command family.

use super::Ctx;
use crate::command::OwnedArgs;
use crate::config::Config;
use crate::net::client::ClientState;
use crate::state::ServerState;

/// A server and one client for handler tests.
pub(crate) struct Harness {
    pub srv: ServerState,
    pub client: ClientState,
}

impl Harness {
    pub(crate) fn new() -> Harness {
        let srv = ServerState::new(Config::default());
        let client = ClientState::new(7, 9, "127.0.0.1:5000".into(), "127.0.0.1:6379".into(), srv.now_ms);
        Harness { srv, client }
    }

    /// Runs a command (dispatching to a subcommand for container commands) and returns the reply bytes.
    pub(crate) fn run(&mut self, argv: &[&str]) -> String {
        let a = OwnedArgs::from_slices(argv);
        self.run_args(&a)
    }

    pub(crate) fn run_args(&mut self, a: &OwnedArgs) -> String {
        let args = a.args();
        let mut cmd = crate::command::lookup(args.get(0)).expect("known command");
        let mut full = cmd.name.to_string();
        if !cmd.subcommands.is_empty() && args.len() > 1 {
            if let Some(sub) = crate::command::lookup_sub(cmd, args.get(1)) {
                full = format!("{}|{}", cmd.name, sub.name);
                cmd = sub;
            }
        }
        if !cmd.arity_ok(args.len()) {
            self.client.reply.err_arity(&full);
        } else {
            let mut ctx = Ctx { client: &mut self.client, srv: &mut self.srv };
            (cmd.handler)(&mut ctx, args);
        }
        let out = String::from_utf8_lossy(self.client.reply.pending()).into_owned();
        let n = self.client.reply.pending_len();
        self.client.reply.consume(n);
        out
    }
}

impl Drop for Harness {
    /// CLIENT PAUSE sets a per-thread flag (see [`crate::db::set_expire_paused`]); tests that run later on the same
    /// test thread must not inherit it.
    fn drop(&mut self) {
        crate::db::set_expire_paused(false);
    }
}
