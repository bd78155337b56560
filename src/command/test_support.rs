//! The handler test harness: a server without sockets and one client, commands run through the server's call
//! path (`Server::call_checked`: admission, MULTI queueing, statistics, slowlog, propagation, keyspace events,
//! scripts with the server as their host), replies returned as text. What needs the event loop does not happen
//! (see `server/detached.rs`): a command that asks to block leaves its request in `srv.blocking.request`, server
//! actions stay in `srv.actions`, and the clock (`srv.now_ms`) only moves when the test moves it.
//!
//! Used by the unit tests of every command family and by the `server_commands` fuzz target: built for tests and
//! with the `test-harness` feature only.

use crate::command::OwnedArgs;
use crate::config::Config;
use crate::net::client::ClientState;
use crate::server::Server;
use crate::state::ServerState;

/// A server and one client for handler tests.
pub struct Harness {
    /// The server; reads as its state (`h.srv.dbs`, `&mut h.srv` where a `&mut ServerState` is wanted).
    pub srv: HarnessServer,
    /// The client the commands run for (not in the server's client table, as a running client never is).
    pub client: ClientState,
}

/// The harness's server: a [`Server`] without sockets that dereferences to its [`ServerState`].
pub struct HarnessServer(Server);

impl HarnessServer {
    /// The server itself.
    pub fn server(&mut self) -> &mut Server {
        &mut self.0
    }
}

impl std::ops::Deref for HarnessServer {
    type Target = ServerState;

    fn deref(&self) -> &ServerState {
        &self.0.state
    }
}

impl std::ops::DerefMut for HarnessServer {
    fn deref_mut(&mut self) -> &mut ServerState {
        &mut self.0.state
    }
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
        let srv = Server::detached(config);
        let mut client = ClientState::new(7, 9, "127.0.0.1:5000".into(), "127.0.0.1:6379".into(), srv.state.now_ms);
        // As a connection is accepted: authenticated when the default user needs no password.
        client.authenticated = crate::acl::default_user_nopass(&srv.state.acl);
        Harness { srv: HarnessServer(srv), client }
    }

    /// Runs a command and returns the reply bytes.
    pub fn run(&mut self, argv: &[&str]) -> String {
        let a = OwnedArgs::from_slices(argv);
        self.run_args(&a)
    }

    pub fn run_args(&mut self, a: &OwnedArgs) -> String {
        String::from_utf8_lossy(&self.run_raw(a)).into_owned()
    }

    /// Runs a command and returns the exact reply bytes (binary-safe).
    pub fn run_raw(&mut self, a: &OwnedArgs) -> Vec<u8> {
        self.srv.0.run_detached(&mut self.client, a.args());
        let out = self.client.reply.pending().to_vec();
        let n = self.client.reply.pending_len();
        self.client.reply.consume(n);
        out
    }
}

/// The RESP2 array of bulk strings `items` is, as a reply's bytes: the expected side of a test.
pub fn bulks(items: &[&str]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(&format!("${}\r\n{}\r\n", i.len(), i));
    }
    s
}
