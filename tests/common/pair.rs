//! The differential runner: one ferredis and one redis-server started with the same arguments, commands sent to
//! both, replies compared byte for byte. Tests that need redis-server call [`have_redis`] first and return early
//! (printing `skipped: ...`) when it is not installed.

use super::{display_args, escape, split_args, Conn, Kind, Server};
use std::path::Path;

/// Whether the reference redis-server (`REDIS_SERVER`, else `/usr/bin/redis-server`) is installed. When it is not,
/// prints `skipped: ...` (captured with the test's output; `--nocapture` shows it) and the test returns early;
/// with `FERREDIS_REQUIRE_ORACLES=1` (CI) the test fails instead ([`super::oracle_missing`]).
pub fn have_redis() -> bool {
    let bin = match std::env::var_os("REDIS_SERVER") {
        Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
        _ => std::path::PathBuf::from("/usr/bin/redis-server"),
    };
    bin.exists() || super::oracle_missing(&bin.display().to_string())
}

/// Whether another tool an oracle test needs is installed (`/usr/bin/redis-cli`, `/usr/bin/redis-check-rdb`,
/// `/usr/bin/lua5.1`); as [`have_redis`] when it is not.
pub fn have_tool(path: &str) -> bool {
    Path::new(path).exists() || super::oracle_missing(path)
}

/// One ferredis and one redis-server, started with the same extra arguments and killed on drop. `f` and `r`
/// are one connection to each, opened on first use (a test that never uses them adds no client to either
/// server); [`Pair::conns`] opens fresh ones.
pub struct Pair {
    pub fer: Server,
    pub redis: Server,
    conns: Option<(Conn, Conn)>,
}

/// Turns a reply into what is compared (sorted items, masked times).
pub type Normalizer = fn(&[u8]) -> Vec<u8>;

/// Options of [`Pair::script_with`].
#[derive(Default)]
pub struct ScriptOpts<'a> {
    /// Both connections switch to RESP3 before the script (the HELLO replies are not compared).
    pub resp3: bool,
    /// Commands sent on both connections after the FLUSHALL, replies not compared (configuration).
    pub setup: &'a [&'a [&'a str]],
    /// How a `~command` line is compared: both replies pass through this first (sorting a set-like reply,
    /// masking times). Without it a `~` line is an error.
    pub tilde: Option<Normalizer>,
}

impl Pair {
    /// Starts both servers with `extra` after the harness's standard arguments (redis-server first).
    pub fn new(extra: &[&str]) -> Pair {
        let redis = Server::start(Kind::Redis, extra);
        let fer = Server::start(Kind::Ferredis, extra);
        Pair { fer, redis, conns: None }
    }

    /// ferredis against another oracle than Debian's 7.0.15 (`Kind::Redis74`, `Kind::Valkey8`; call
    /// [`super::have_oracle`] first). The oracle side is still `redis`, `r()`.
    pub fn against(oracle: Kind, extra: &[&str]) -> Pair {
        let redis = Server::start(oracle, extra);
        let fer = Server::start(Kind::Ferredis, extra);
        Pair { fer, redis, conns: None }
    }

    /// [`Pair::new`] with the pair's connections opened at once (before the test's own).
    pub fn connected(extra: &[&str]) -> Pair {
        let mut p = Pair::new(extra);
        p.both();
        p
    }

    /// A pair of servers the test started itself (other arguments per side).
    pub fn of(fer: Server, redis: Server) -> Pair {
        Pair { fer, redis, conns: None }
    }

    /// Fresh connections (ferredis, redis).
    pub fn conns(&self) -> (Conn, Conn) {
        (self.fer.conn(), self.redis.conn())
    }

    /// The pair's own connections (ferredis, redis), opened on first use.
    pub fn both(&mut self) -> (&mut Conn, &mut Conn) {
        if self.conns.is_none() {
            self.conns = Some(self.conns());
        }
        let (f, r) = self.conns.as_mut().expect("opened above");
        (f, r)
    }

    /// Each server with the pair's connection to it: `[(ferredis, f), (redis, r)]`, for doing the same on both.
    pub fn sides(&mut self) -> [(&Server, &mut Conn); 2] {
        if self.conns.is_none() {
            self.conns = Some(self.conns());
        }
        let (f, r) = self.conns.as_mut().expect("opened above");
        [(&self.fer, f), (&self.redis, r)]
    }

    /// The pair's connection to ferredis.
    pub fn f(&mut self) -> &mut Conn {
        self.both().0
    }

    /// The pair's connection to redis-server.
    pub fn r(&mut self) -> &mut Conn {
        self.both().1
    }

    /// Runs `args` on both pair connections; returns the replies (ferredis, redis).
    pub fn replies<A: AsRef<[u8]>>(&mut self, args: &[A]) -> (Vec<u8>, Vec<u8>) {
        let (f, r) = self.both();
        let a = f.cmd(args);
        let b = r.cmd(args);
        (a, b)
    }

    /// Runs `args` on both pair connections; the replies must be byte-identical. Returns ferredis's.
    pub fn same<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        let (a, b) = self.replies(args);
        assert_eq!(escape(&a), escape(&b), "reply to {} differs (left: ferredis, right: redis)", display_args(args));
        a
    }

    /// [`Pair::same`] of a command line (redis-cli quoting).
    pub fn same_line(&mut self, line: &str) -> Vec<u8> {
        let args = split_args(line).unwrap_or_else(|e| panic!("bad test line {line:?}: {e}"));
        self.same(&args)
    }

    /// `HELLO <version>` on both pair connections (the replies differ in the client id and are not compared).
    pub fn hello(&mut self, version: &str) {
        self.replies(&["HELLO", version]);
    }

    /// The script comparator. Runs `script` (one command per line in redis-cli quoting, `#` comments, `!command`
    /// for a command whose reply is not compared) on fresh connections after a FLUSHALL; returns the differences,
    /// one message per line whose replies differ.
    pub fn script(&mut self, name: &str, script: &str) -> Vec<String> {
        self.script_with(name, script, &ScriptOpts::default())
    }

    /// [`Pair::script`] with options: RESP3, setup commands, and `~command` lines compared through a normalizer.
    pub fn script_with(&mut self, name: &str, script: &str, opts: &ScriptOpts) -> Vec<String> {
        let (mut rc, mut fc) = (self.redis.conn(), self.fer.conn());
        for c in [&mut rc, &mut fc] {
            c.cmd(&["FLUSHALL"]);
            for cmd in opts.setup {
                c.cmd(cmd);
            }
            if opts.resp3 {
                c.cmd(&["HELLO", "3"]);
            }
        }
        let label = if opts.resp3 { format!("{name} RESP3") } else { name.to_string() };
        let mut diffs = Vec::new();
        for (i, line) in script.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (mode, line) = match line.as_bytes()[0] {
                b'!' => ('!', &line[1..]),
                b'~' => ('~', &line[1..]),
                _ => (' ', line),
            };
            let args = split_args(line).unwrap_or_else(|e| panic!("{name}: bad line {line:?}: {e}"));
            let (r, f) = (rc.cmd(&args), fc.cmd(&args));
            let (r, f) = match mode {
                '!' => continue,
                '~' => {
                    let norm = opts.tilde.unwrap_or_else(|| panic!("{name}: `~` line without a normalizer: {line}"));
                    (norm(&r), norm(&f))
                }
                _ => (r, f),
            };
            if r != f {
                let shown: String = line.chars().take(300).collect();
                diffs.push(format!(
                    "[{label}] line {}: {shown}\n  redis:    {}\n  ferredis: {}",
                    i + 1,
                    escape(&r),
                    escape(&f)
                ));
            }
        }
        diffs
    }

    /// The comparator over commands already split (`compared[i]` false: the reply of command `i` is not compared),
    /// on fresh connections after a FLUSHALL.
    pub fn script_args(&mut self, name: &str, lines: &[Vec<Vec<u8>>], compared: &[bool]) -> Vec<String> {
        let (mut rc, mut fc) = (self.redis.conn(), self.fer.conn());
        rc.cmd(&["FLUSHALL"]);
        fc.cmd(&["FLUSHALL"]);
        let mut diffs = Vec::new();
        for (i, args) in lines.iter().enumerate() {
            let r = rc.cmd(args);
            let f = fc.cmd(args);
            if compared.get(i).copied().unwrap_or(true) && r != f {
                diffs.push(format!(
                    "[{name}] command {}: {}\n  redis:    {}\n  ferredis: {}",
                    i + 1,
                    display_args(args),
                    escape(&r),
                    escape(&f)
                ));
            }
        }
        diffs
    }
}
